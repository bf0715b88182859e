import { useQuery } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { lazy, Suspense, useEffect, useMemo, useRef, useState } from "react";
import { useParams, useSearchParams } from "react-router";
import type { Execution } from "../../../../gen/flyteidl/admin/execution_pb.js";
import { AdminService } from "../../../../gen/flyteidl/service/admin_pb.js";
import { LiteralList } from "../../components/literal-list.js";
import { ErrorNotice, Loading } from "../../components/status.js";
import { graphParents } from "../../lib/graph-executions.js";
import { literalMapView } from "../../lib/literal-view.js";
import { workflowSpecs } from "../../lib/node-specs.js";
import { buildNodeTree, findNode, visibleRows } from "../../lib/node-tree.js";
import { executionPhase } from "../../lib/phases.js";
import { DataBlobs } from "./data-blobs.js";
import { ErrorBlock } from "./error-block.js";
import { ExecutionActions } from "./execution-actions.js";
import { ExecutionHeader } from "./execution-header.js";
import { ExecutionTimeline } from "./execution-timeline.js";
import { NodeList } from "./node-list.js";
import { NodePanel } from "./node-panel.js";
import { useDocumentVisible, useLiveInterval } from "./use-live.js";
import { MAX_NODES } from "./node-list-pages.js";
import { nodeListKey, useNodeExecutions } from "./use-node-executions.js";
import "./execution.css";

// React Flow and dagre are the page's heaviest parts: loaded (and the layout computed) when the graph tab opens.
const ExecutionGraph = lazy(() => import("./execution-graph.js"));

const TABS = ["nodes", "graph", "timeline", "data"] as const;
type Tab = (typeof TABS)[number];
const TAB_LABELS: Record<Tab, string> = { nodes: "Nodes", graph: "Graph", timeline: "Timeline", data: "Inputs & outputs" };

const executionFingerprint = (e: Execution) => `${e.closure?.phase}:${e.closure?.updatedAt?.seconds}:${e.closure?.updatedAt?.nanos}`;
const executionTerminal = (e: Execution | undefined) => (e ? executionPhase(e.closure?.phase ?? 0).terminal : false);

/**
 * An execution at `/projects/<p>/domains/<d>/executions/<name>` (the link
 * flytekit prints): header and actions, nodes, graph, timeline, data, and a
 * panel for the selected node. While it runs, the page polls with back-off.
 */
export default function ExecutionPage() {
  const { project = "", domain = "", name = "", nodeId: routeNodeId } = useParams();
  const id = useMemo(() => ({ project, domain, name }), [project, domain, name]);
  const [search, setSearch] = useSearchParams();
  const tab: Tab = (TABS as readonly string[]).includes(search.get("tab") ?? "") ? (search.get("tab") as Tab) : "nodes";
  const selectedId = search.get("node") ?? routeNodeId ?? undefined;
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const visible = useDocumentVisible();

  const interval = useLiveInterval<Execution>(executionFingerprint, executionTerminal);
  const execution = useQuery(AdminService.method.getExecution, { id }, { refetchInterval: interval });
  const exec = execution.data;
  const phase = executionPhase(exec?.closure?.phase ?? 0);
  const terminal = exec !== undefined && phase.terminal;
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    // Running durations tick once a second; nothing ticks for a finished execution or a hidden tab.
    if (terminal || !visible) return;
    const t = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(t);
  }, [terminal, visible]);

  const workflowId = exec?.closure?.workflowId;
  const workflow = useQuery(AdminService.method.getWorkflow, workflowId ? { id: workflowId } : undefined, { enabled: workflowId !== undefined, staleTime: Infinity });
  const closure = workflow.data?.closure?.compiledWorkflow;
  const specs = useMemo(() => workflowSpecs(closure), [closure]);

  const data = useQuery(AdminService.method.getExecutionData, { id }, { enabled: exec !== undefined });
  // The graph colours nested boxes, so it needs the children of every sub-workflow and branch;
  // the list only those of the rows the user opened.
  const [graphParentIds, setGraphParentIds] = useState<readonly string[]>([]);
  const parents = useMemo(() => [...new Set([...expanded, ...(tab === "graph" ? graphParentIds : [])])], [expanded, tab, graphParentIds]);
  const nodes = useNodeExecutions(id, terminal, parents);

  // Outputs appear and nodes settle when the execution ends, and node lists stop polling then: read
  // them again when the phase changes (after the first answer; answers on their way are not cut off).
  const queries = useQueryClient();
  const refetchData = data.refetch;
  const seenPhase = useRef<number | undefined>(undefined);
  const currentPhase = exec?.closure?.phase;
  useEffect(() => {
    if (currentPhase === undefined) return;
    if (seenPhase.current !== undefined && seenPhase.current !== currentPhase) {
      void refetchData({ cancelRefetch: false });
      void queries.refetchQueries({ queryKey: nodeListKey(id) }, { cancelRefetch: false });
    }
    seenPhase.current = currentPhase;
  }, [currentPhase, refetchData, queries, id]);
  const refetchNodes = nodes.top.refetch;
  const wasVisible = useRef(visible);
  useEffect(() => {
    // Back in view: ask at once rather than wait out the back-off.
    if (visible && !wasVisible.current && !terminal) {
      void execution.refetch({ cancelRefetch: false });
      void refetchNodes({ cancelRefetch: false });
    }
    wasVisible.current = visible;
  }, [visible]); // eslint-disable-line react-hooks/exhaustive-deps
  const tree = useMemo(() => buildNodeTree(nodes.top.data?.nodes ?? [], nodes.childMap, specs), [nodes.top.data, nodes.childMap, specs]);
  const rows = useMemo(() => visibleRows(tree, expanded), [tree, expanded]);
  useEffect(() => {
    if (tab !== "graph") return;
    // Each answer may show deeper parents; asked for on the next render, level by level.
    const next = graphParents(tree);
    setGraphParentIds((prev) => (prev.length === next.length && prev.every((p, i) => p === next[i]) ? prev : next));
  }, [tab, tree]);
  const selected = selectedId ? findNode(tree, selectedId) : undefined;

  const setParam = (key: string, value: string | undefined) =>
    setSearch(
      (prev) => {
        const next = new URLSearchParams(prev);
        if (value === undefined) next.delete(key);
        else next.set(key, value);
        return next;
      },
      { replace: key === "node" },
    );
  const toggle = (nodeId: string) =>
    setExpanded((prev) => {
      const next = new Set(prev);
      if (next.has(nodeId)) next.delete(nodeId);
      else next.add(nodeId);
      return next;
    });

  const outputData = exec?.closure?.outputResult.case === "outputData" ? exec.closure.outputResult.value : undefined;
  const inputsView = useMemo(() => literalMapView(data.data?.fullInputs ?? exec?.spec?.inputs), [data.data, exec?.spec?.inputs]);
  const outputsView = useMemo(() => literalMapView(data.data?.fullOutputs ?? outputData), [data.data, outputData]);

  if (execution.isPending) return <Loading what={`execution ${name}`} />;
  if (execution.error) return <ErrorNotice error={execution.error} />;
  const e = execution.data;
  const result = e.closure?.outputResult;

  return (
    <div className="execution-page">
      <ExecutionHeader execution={e} now={now} />
      <ExecutionActions execution={e} />
      {result?.case === "error" ? <ErrorBlock error={result.value} /> : null}
      {result?.case === "abortMetadata" ? (
        <p className="status" role="status">
          Terminated{result.value.principal ? ` by ${result.value.principal}` : ""}: {result.value.cause}
        </p>
      ) : null}
      {result?.case === "abortCause" ? <p className="status">Terminated: {result.value}</p> : null}

      <div className="tabs" role="tablist" aria-label="Execution views">
        {TABS.map((t) => (
          <button key={t} type="button" role="tab" id={`tab-${t}`} aria-selected={tab === t} aria-controls={`panel-${t}`} onClick={() => setParam("tab", t === "nodes" ? undefined : t)}>
            {TAB_LABELS[t]}
          </button>
        ))}
      </div>
      <div className={`exec-body${selected ? " with-panel" : ""}`}>
        <section id={`panel-${tab}`} role="tabpanel" aria-labelledby={`tab-${tab}`} className="exec-main">
          {tab === "nodes" ? (
            <>
              {nodes.top.isPending ? <Loading what="nodes" /> : null}
              {nodes.top.error ? <ErrorNotice error={nodes.top.error} /> : null}
              {nodes.childErrors[0] ? <ErrorNotice error={nodes.childErrors[0]} /> : null}
              {nodes.top.data && rows.length === 0 ? <p className="status empty">No nodes have run yet.</p> : null}
              {rows.length > 0 ? <NodeList rows={rows} selected={selected?.id} now={now} onSelect={(n) => setParam("node", n)} onToggle={toggle} /> : null}
              {nodes.top.data?.cut ? <p className="status">Only the first {MAX_NODES} nodes are listed.</p> : null}
            </>
          ) : null}
          {tab === "graph" ? (
            <Suspense fallback={<Loading what="the graph" />}>
              {workflow.error ? <ErrorNotice error={workflow.error} /> : null}
              {closure ? <ExecutionGraph closure={closure} nodes={tree} onSelect={(n) => setParam("node", n)} /> : <Loading what="the workflow" />}
            </Suspense>
          ) : null}
          {tab === "timeline" ? <ExecutionTimeline execution={e} now={now} /> : null}
          {tab === "data" ? (
            <>
              <h2>Inputs</h2>
              {data.error ? <ErrorNotice error={data.error} /> : null}
              <LiteralList entries={inputsView} empty="No inputs." />
              <DataBlobs blob={data.data?.fullInputs ? undefined : data.data?.inputs} />
              <h2>Outputs</h2>
              <LiteralList entries={outputsView} empty={terminal ? "No outputs." : "No outputs yet."} />
              <DataBlobs blob={data.data?.fullOutputs ? undefined : data.data?.outputs} />
            </>
          ) : null}
        </section>
        {selected ? (
          <NodePanel
            key={selected.id}
            executionId={e.id!}
            node={selected}
            spec={selected.spec}
            executionLive={!terminal}
            onClose={() => setParam("node", undefined)}
          />
        ) : null}
      </div>
      <p className="visually-hidden" aria-live="polite">
        Execution {phase.label.toLowerCase()}
      </p>
    </div>
  );
}
