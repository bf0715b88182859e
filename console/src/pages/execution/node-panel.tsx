import { useQuery } from "@connectrpc/connect-query";
import { createClient } from "@connectrpc/connect";
import { useTransport } from "@connectrpc/connect-query";
import { useEffect, useMemo, useRef, useState } from "react";
import { Link } from "react-router";
import { paths } from "../../app/routes.js";
import type { WorkflowExecutionIdentifier } from "../../../../gen/flyteidl/core/identifier_pb.js";
import { AdminService } from "../../../../gen/flyteidl/service/admin_pb.js";
import { ArtifactType, DataProxyService } from "../../../../gen/flyteidl/service/dataproxy_pb.js";
import { LiteralList } from "../../components/literal-list.js";
import { PhaseBadge } from "../../components/phase-badge.js";
import { ErrorNotice, Loading } from "../../components/status.js";
import { literalMapView } from "../../lib/literal-view.js";
import type { NodeSpec } from "../../lib/node-specs.js";
import type { NodeTreeItem } from "../../lib/node-tree.js";
import { cacheLabel } from "../../lib/map-items.js";
import { nodePhase, taskPhase } from "../../lib/phases.js";
import { durationMs, formatDateTime, formatDurationMs, timestampMs } from "../../lib/time-format.js";
import { ErrorBlock } from "./error-block.js";
import { GateControls } from "./gate-controls.js";
import { MapItems } from "./map-items.js";
import { TaskLogs } from "./task-logs.js";
import { TaskTemplate } from "./task-template.js";
import { DataBlobs } from "./data-blobs.js";

/** The width below which the panel is drawn under the list rather than beside it (execution.css). */
const NARROW = "(max-width: 900px)";

interface NodePanelProps {
  executionId: WorkflowExecutionIdentifier;
  node: NodeTreeItem;
  spec: NodeSpec | undefined;
  executionLive: boolean;
  onClose: () => void;
}

/** Everything about one node: attempts with logs, inputs and outputs, error, task, deck, gate. */
export function NodePanel({ executionId, node, spec, executionLive, onClose }: NodePanelProps) {
  const ne = node.execution;
  const c = ne.closure;
  const phase = nodePhase(c?.phase ?? 0);
  const live = executionLive && !phase.terminal;
  const interval = live ? 3_000 : false;
  const attempts = useQuery(AdminService.method.listTaskExecutions, { nodeExecutionId: ne.id, limit: 100 }, { refetchInterval: interval });
  const data = useQuery(AdminService.method.getNodeExecutionData, { id: ne.id }, { refetchInterval: interval });
  const taskId = attempts.data?.taskExecutions[0]?.id?.taskId;
  const aside = useRef<HTMLElement>(null);
  useEffect(() => {
    // Where the panel sits below the list (narrow windows, see execution.css), bring it into view when it opens.
    if (window.matchMedia(NARROW).matches) aside.current?.scrollIntoView({ block: "start" });
  }, []);
  return (
    <aside className="node-panel" aria-labelledby="node-panel-title" ref={aside}>
      <div className="panel-head">
        <h2 id="node-panel-title">
          <span className="mono">{node.specNodeId}</span> {node.name !== node.specNodeId ? <span className="muted">{node.name}</span> : null}
        </h2>
        <button type="button" className="secondary" onClick={onClose} aria-label="Close node details">
          ✕
        </button>
      </div>
      <p>
        <PhaseBadge phase={phase} /> <span className="muted">{node.kind}</span>
        {c?.targetMetadata.case === "taskNodeMetadata" && c.targetMetadata.value.cacheStatus ? <span className="muted"> · cache {cacheLabel(c.targetMetadata.value.cacheStatus)}</span> : null}
      </p>
      <dl className="exec-facts">
        <div>
          <dt>Node id</dt>
          <dd className="mono">{node.id}</dd>
        </div>
        <div>
          <dt>Started</dt>
          <dd>{formatDateTime(timestampMs(c?.startedAt))}</dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd>{phase.terminal ? formatDurationMs(durationMs(c?.duration)) : "running"}</dd>
        </div>
      </dl>
      {c?.outputResult.case === "error" ? <ErrorBlock error={c.outputResult.value} /> : null}
      {spec?.kind === "gate" && !phase.terminal ? <GateControls executionId={executionId} spec={spec} /> : null}
      {c?.targetMetadata.case === "workflowNodeMetadata" && c.targetMetadata.value.executionId ? (
        <p>
          Launched execution <Link to={paths.execution(c.targetMetadata.value.executionId)}>{c.targetMetadata.value.executionId.name}</Link>
        </p>
      ) : null}
      {c?.deckUri ? <DeckLink nodeExecutionId={ne.id!} /> : null}

      <h3>Attempts</h3>
      {attempts.isPending ? <Loading what="attempts" /> : null}
      {attempts.error ? <ErrorNotice error={attempts.error} /> : null}
      {attempts.data && attempts.data.taskExecutions.length === 0 ? <p className="status empty">No task attempts.</p> : null}
      <ol className="attempts">
        {attempts.data?.taskExecutions.map((t) => {
          const tp = taskPhase(t.closure?.phase ?? 0);
          return (
            <li key={t.id?.retryAttempt ?? 0}>
              <p>
                Attempt {(t.id?.retryAttempt ?? 0) + 1} <PhaseBadge phase={tp} /> <span className="muted">{t.closure?.taskType}</span>{" "}
                {tp.terminal ? formatDurationMs(durationMs(t.closure?.duration)) : null}
              </p>
              {t.closure?.reason ? <p className="muted">{t.closure.reason}</p> : null}
              {t.closure?.outputResult.case === "error" ? <ErrorBlock error={t.closure.outputResult.value} /> : null}
              {/* A map task's logs are its items'; the attempt itself usually has none. */}
              {t.closure?.logs.length || !t.closure?.metadata?.externalResources.length ? <TaskLogs logs={t.closure?.logs ?? []} live={live && !tp.terminal} /> : null}
              {t.closure?.metadata?.externalResources.length ? <MapItems resources={t.closure.metadata.externalResources} live={live && !tp.terminal} /> : null}
            </li>
          );
        })}
      </ol>

      <h3>Inputs</h3>
      {data.isPending ? <Loading what="inputs and outputs" /> : null}
      {data.error ? <ErrorNotice error={data.error} /> : null}
      {data.data ? (
        <>
          <LiteralList entries={literalMapView(data.data.fullInputs)} empty="No inputs." />
          <DataBlobs blob={data.data.fullInputs ? undefined : data.data.inputs} />
          <h3>Outputs</h3>
          <LiteralList entries={literalMapView(data.data.fullOutputs)} empty={phase.terminal ? "No outputs." : "No outputs yet."} />
          <DataBlobs blob={data.data.fullOutputs ? undefined : data.data.outputs} />
        </>
      ) : null}
      {taskId ? <TaskTemplate id={taskId} /> : null}
    </aside>
  );
}

/** Decks are HTML the task wrote; the server signs a link to it (DataProxy CreateDownloadLink). */
function DeckLink({ nodeExecutionId }: { nodeExecutionId: NonNullable<NodeTreeItem["execution"]["id"]> }) {
  const transport = useTransport();
  const client = useMemo(() => createClient(DataProxyService, transport), [transport]);
  const [error, setError] = useState<unknown>();
  const open = async () => {
    // Opened before the call so the browser does not treat it as an unrequested pop-up.
    const tab = window.open("", "_blank");
    try {
      const res = await client.createDownloadLink({ artifactType: ArtifactType.DECK, source: { case: "nodeExecutionId", value: nodeExecutionId } });
      const url = res.preSignedUrls?.signedUrl[0] ?? res.signedUrl[0];
      if (!url) throw new Error("the server gave no link to the deck");
      if (tab) tab.location.href = url;
      else window.location.href = url;
    } catch (e) {
      tab?.close();
      setError(e);
    }
  };
  return (
    <p>
      <button type="button" className="secondary" onClick={() => void open()}>
        Open deck
      </button>
      {error ? <ErrorNotice error={error} /> : null}
    </p>
  );
}
