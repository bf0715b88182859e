import { Link } from "react-router";
import type { Execution } from "../../../gen/flyteidl/admin/execution_pb.js";
import { paths } from "../app/routes.js";
import { executionPhase } from "../lib/phases.js";
import { durationMs, formatDateTime, formatDurationMs, timestampMs } from "../lib/time-format.js";
import { PhaseBadge } from "./phase-badge.js";

/** Executions as rows: name (to the execution page), what ran (to its version), phase, start, duration. */
export function ExecutionsTable({ executions, caption, nowMs }: { executions: readonly Execution[]; caption: string; nowMs: number }) {
  return (
    <div className="table-wrap">
      <table>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Execution</th>
            <th scope="col">Phase</th>
            <th scope="col" className="hide-narrow">Workflow / task</th>
            <th scope="col" className="hide-narrow">Launch plan</th>
            <th scope="col">Started</th>
            <th scope="col">Duration</th>
          </tr>
        </thead>
        <tbody>
          {executions.map((execution) => (
            <ExecutionRow key={execution.id?.name} execution={execution} nowMs={nowMs} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ExecutionRow({ execution, nowMs }: { execution: Execution; nowMs: number }) {
  const id = execution.id;
  const closure = execution.closure;
  const phase = executionPhase(closure?.phase ?? 0);
  const started = timestampMs(closure?.startedAt);
  const created = timestampMs(closure?.createdAt);
  // A run still going has no duration yet: show how long it has been running.
  const duration = phase.terminal ? durationMs(closure?.duration) : started !== undefined ? nowMs - started : undefined;
  const ran = closure?.workflowId;
  const lp = execution.spec?.launchPlan;
  const ranPath = ran && paths.entityVersionOf(ran);
  const lpPath = lp && paths.entityVersionOf(lp);
  return (
    <tr>
      <td className="wrap">{id ? <Link to={paths.execution(id)}>{id.name}</Link> : "—"}</td>
      <td>
        <PhaseBadge phase={phase} />
      </td>
      <td className="wrap hide-narrow">{ran && ranPath ? <Link to={ranPath}>{ran.name}</Link> : "—"}</td>
      <td className="wrap hide-narrow">{lp && lpPath ? <Link to={lpPath}>{lp.name}</Link> : "—"}</td>
      <td>{formatDateTime(started ?? created)}</td>
      <td>{duration === undefined ? "—" : formatDurationMs(duration)}</td>
    </tr>
  );
}
