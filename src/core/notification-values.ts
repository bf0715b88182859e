import type { Identifier } from "../../gen/flyteidl/core/identifier_pb.js";
import { WorkflowExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import { goDurationString } from "./go-duration.js";
import type { TerminalExecution } from "./notification-plan.js";
import { MAX_VALUE_CHARS, truncate } from "./notification-template.js";

/** `TIMED_OUT` for Phase.TIMED_OUT: the enum's proto name. */
export function phaseName(phase: Phase): string {
  return Phase[phase] ?? String(phase);
}

/** The error message as it goes into messages: capped, so a huge stack trace cannot swell every payload. */
export function boundedErrorMessage(execution: TerminalExecution): string | undefined {
  return execution.errorMessage === undefined ? undefined : truncate(execution.errorMessage, MAX_VALUE_CHARS);
}

/** `<base>/projects/<p>/domains/<d>/executions/<n>`, the console's execution page. */
export function executionUrl(consoleBaseUrl: string, id: TerminalExecution["id"]): string {
  const base = consoleBaseUrl.replace(/\/+$/, "");
  const seg = encodeURIComponent;
  return `${base}/projects/${seg(id.project)}/domains/${seg(id.domain)}/executions/${seg(id.name)}`;
}

/**
 * Every placeholder's value, unescaped. FlyteAdmin's (3.2): `project`,
 * `domain`, `name`, `phase` (lower-case enum name), `error` (its exact
 * sentence with the leading space, or ""), `workflow.*` and `launch_plan.*`
 * ("" when unset, as Go's getters give); ours: `execution_url`,
 * `phase_upper`, `principal`, `occurred_at` (RFC 3339) and `duration`
 * (Go's form, e.g. `1m30.5s`; "" when the run never started).
 */
export function templateValues(execution: TerminalExecution, consoleBaseUrl: string): Record<string, string> {
  const { id } = execution;
  const error = boundedErrorMessage(execution);
  const values: Record<string, string> = {
    project: id.project,
    domain: id.domain,
    name: id.name,
    phase: phaseName(execution.phase).toLowerCase(),
    phase_upper: phaseName(execution.phase),
    error: error === undefined ? "" : ` The execution failed with error: [${error}].`,
    ...identifierValues("workflow", execution.workflow),
    ...identifierValues("launch_plan", execution.launchPlan),
    execution_url: executionUrl(consoleBaseUrl, id),
    principal: truncate(execution.principal, MAX_VALUE_CHARS),
    occurred_at: isoTime(execution.occurredAt),
    duration: runDuration(execution),
  };
  return values;
}

function identifierValues(prefix: string, id: Identifier | undefined): Record<string, string> {
  return {
    [`${prefix}.project`]: id?.project ?? "",
    [`${prefix}.domain`]: id?.domain ?? "",
    [`${prefix}.name`]: id?.name ?? "",
    [`${prefix}.version`]: id?.version ?? "",
  };
}

/** RFC 3339 in UTC; "" for an invalid date rather than a RangeError inside the event transaction. */
export function isoTime(d: Date): string {
  return Number.isNaN(d.getTime()) ? "" : d.toISOString();
}

function runDuration({ startedAt, occurredAt }: TerminalExecution): string {
  if (!startedAt) return "";
  const ms = Math.max(0, occurredAt.getTime() - startedAt.getTime());
  if (!Number.isFinite(ms)) return "";
  return goDurationString(BigInt(Math.round(ms)) * 1_000_000n);
}
