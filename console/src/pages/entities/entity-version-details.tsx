import { lazy, Suspense } from "react";
import { Link } from "react-router";
import { LaunchPlanState } from "../../../../gen/flyteidl/admin/launch_plan_pb.js";
import type { Identifier } from "../../../../gen/flyteidl/core/identifier_pb.js";
import { type EntityKind, paths } from "../../app/routes.js";
import { InterfaceTable, parameterRows, variableRows } from "../../components/interface-table.js";
import { ErrorNotice, Loading } from "../../components/status.js";
import { describeSchedule } from "../../lib/schedule.js";
import { formatDateTime, timestampMs } from "../../lib/time-format.js";
import { useVersion } from "./entity-queries.js";

// React Flow and dagre are the largest libraries the console uses: only workflow pages load them.
const WorkflowGraphView = lazy(() => import("../../components/workflow-graph-view.js"));

/** One version of a workflow, task or launch plan: what it takes and returns, and its shape. */
export function EntityVersionDetails({ kind, id }: { kind: EntityKind; id: Identifier }) {
  const { workflow, task, launchPlan, current } = useVersion(kind, id);
  if (current.isPending) return <Loading what="version" />;
  if (current.error) return <ErrorNotice error={current.error} />;
  if (kind === "workflow" && workflow.data) {
    const compiled = workflow.data.closure?.compiledWorkflow;
    const iface = compiled?.primary?.template?.interface;
    return (
      <>
        <VersionFacts id={id} createdMs={timestampMs(workflow.data.closure?.createdAt)} />
        <section aria-labelledby="interface">
          <h2 id="interface">Interface</h2>
          <InterfaceTable title="Inputs" rows={variableRows(iface?.inputs?.variables)} />
          <InterfaceTable title="Outputs" rows={variableRows(iface?.outputs?.variables)} />
        </section>
        <section aria-labelledby="graph">
          <h2 id="graph">Graph</h2>
          <Suspense fallback={<Loading what="graph" />}>
            <WorkflowGraphView closure={compiled} title={`Graph of ${id.name}`} />
          </Suspense>
        </section>
      </>
    );
  }
  if (kind === "task" && task.data) {
    const template = task.data.closure?.compiledTask?.template;
    const container = template?.target.case === "container" ? template.target.value : undefined;
    return (
      <>
        <VersionFacts id={id} createdMs={timestampMs(task.data.closure?.createdAt)}>
          <dt>Task type</dt>
          <dd className="mono">{template?.type || "—"}</dd>
          {container ? (
            <>
              <dt>Image</dt>
              <dd className="mono">{container.image}</dd>
            </>
          ) : null}
          <dt>Retries</dt>
          <dd>{template?.metadata?.retries?.retries ?? 0}</dd>
          <dt>Cached</dt>
          <dd>{template?.metadata?.discoverable ? `yes (version ${template.metadata.discoveryVersion || "—"})` : "no"}</dd>
        </VersionFacts>
        <section aria-labelledby="interface">
          <h2 id="interface">Interface</h2>
          <InterfaceTable title="Inputs" rows={variableRows(template?.interface?.inputs?.variables)} />
          <InterfaceTable title="Outputs" rows={variableRows(template?.interface?.outputs?.variables)} />
        </section>
      </>
    );
  }
  if (kind === "launchPlan" && launchPlan.data) {
    const spec = launchPlan.data.spec;
    const closure = launchPlan.data.closure;
    const wf = spec?.workflowId;
    const fixed = new Set(Object.keys(spec?.fixedInputs?.literals ?? {}));
    const schedule = describeSchedule(spec?.entityMetadata?.schedule);
    return (
      <>
        <VersionFacts id={id} createdMs={timestampMs(closure?.createdAt)}>
          <dt>State</dt>
          <dd id="launch-plan-state">{closure?.state === LaunchPlanState.ACTIVE ? "Active" : "Inactive"}</dd>
          <dt>Schedule</dt>
          <dd>{schedule ?? "none"}</dd>
          <dt>Workflow</dt>
          <dd>{wf ? <Link to={paths.workflowVersion(wf.project, wf.domain, wf.name, wf.version)}>{`${wf.name} (${wf.version})`}</Link> : "—"}</dd>
        </VersionFacts>
        <section aria-labelledby="interface">
          <h2 id="interface">Interface</h2>
          <InterfaceTable title="Inputs" rows={parameterRows(closure?.expectedInputs?.parameters, fixed)} />
          <InterfaceTable title="Outputs" rows={variableRows(closure?.expectedOutputs?.variables)} />
        </section>
      </>
    );
  }
  return null;
}

function VersionFacts({ id, createdMs, children }: { id: Identifier; createdMs: number | undefined; children?: React.ReactNode }) {
  return (
    <dl className="facts panel">
      <dt>Version</dt>
      <dd className="mono">{id.version}</dd>
      <dt>Registered</dt>
      <dd>{formatDateTime(createdMs)}</dd>
      {children}
    </dl>
  );
}
