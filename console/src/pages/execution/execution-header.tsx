import { Link } from "react-router";
import { type Execution, ExecutionMetadata_ExecutionMode, ExecutionState } from "../../../../gen/flyteidl/admin/execution_pb.js";
import { PhaseBadge } from "../../components/phase-badge.js";
import { executionPhase } from "../../lib/phases.js";
import { durationMs, formatDateTime, formatDurationMs, timestampMs } from "../../lib/time-format.js";
import { paths } from "../../app/routes.js";

const MODES: Record<number, string> = {
  [ExecutionMetadata_ExecutionMode.MANUAL]: "manual",
  [ExecutionMetadata_ExecutionMode.SCHEDULED]: "scheduled",
  [ExecutionMetadata_ExecutionMode.SYSTEM]: "system",
  [ExecutionMetadata_ExecutionMode.RELAUNCH]: "relaunch",
  [ExecutionMetadata_ExecutionMode.CHILD_WORKFLOW]: "child workflow",
  [ExecutionMetadata_ExecutionMode.RECOVERED]: "recovered",
  [ExecutionMetadata_ExecutionMode.TRIGGER]: "trigger",
};

/** What the execution is and how it went: phase, times, what it ran, who started it. */
export function ExecutionHeader({ execution, now }: { execution: Execution; now: number }) {
  const c = execution.closure;
  const phase = executionPhase(c?.phase ?? 0);
  const started = timestampMs(c?.startedAt);
  const duration = phase.terminal ? durationMs(c?.duration) : started !== undefined ? now - started : 0;
  const meta = execution.spec?.metadata;
  const lp = execution.spec?.launchPlan;
  const wf = c?.workflowId;
  const parent = meta?.parentNodeExecution;
  const reference = meta?.referenceExecution;
  return (
    <header className="exec-header">
      <div className="exec-title">
        <h1>
          Execution <span className="mono">{execution.id?.name}</span>
        </h1>
        <PhaseBadge phase={phase} />
        {c?.stateChangeDetails?.state === ExecutionState.EXECUTION_ARCHIVED ? <span className="phase skipped">Archived</span> : null}
      </div>
      <dl className="exec-facts">
        <Fact label="Started">{formatDateTime(started)}</Fact>
        <Fact label="Duration">{started !== undefined || phase.terminal ? formatDurationMs(duration) : "—"}</Fact>
        <Fact label="Created">{formatDateTime(timestampMs(c?.createdAt))}</Fact>
        {lp ? (
          <Fact label="Launch plan">
            <Link to={paths.launchPlanVersion(lp.project, lp.domain, lp.name, lp.version)}>{lp.name}</Link> <span className="muted mono">{lp.version}</span>
          </Fact>
        ) : null}
        {wf ? (
          <Fact label="Workflow">
            <Link to={paths.workflowVersion(wf.project, wf.domain, wf.name, wf.version)}>{wf.name}</Link> <span className="muted mono">{wf.version}</span>
          </Fact>
        ) : null}
        <Fact label="Launched by">{meta?.principal || "—"}</Fact>
        <Fact label="Mode">{MODES[meta?.mode ?? 0] ?? "manual"}</Fact>
        {parent?.executionId ? (
          <Fact label="Parent">
            <Link to={paths.execution(parent.executionId)}>{parent.executionId.name}</Link> (node {parent.nodeId})
          </Fact>
        ) : null}
        {reference ? (
          <Fact label="From">
            <Link to={paths.execution(reference)}>{reference.name}</Link>
          </Fact>
        ) : null}
      </dl>
    </header>
  );
}

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}
