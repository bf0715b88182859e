import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type ExecutionCreateRequest, ExecutionCreateRequestSchema, ExecutionMetadata_ExecutionMode } from "../../gen/flyteidl/admin/execution_pb.js";
import { InactiveProjectSchema } from "../../gen/flyteidl/admin/project_pb.js";
import { ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import { AdminError } from "../core/errors.js";
import { scheduledExecutionName } from "../core/schedule-name.js";
import type { ScheduleRow } from "../storage/schedule-store.js";

/** How one CreateExecution of a tick ended, as `scheduler_fires_total` counts it. */
export type FireResult = "created" | "exists" | "skipped_inactive_project" | "permanent_error" | "transient_error";

/**
 * The CreateExecution FlyteAdmin's scheduler sends for tick `t`: the
 * deterministic name (so a tick fired twice creates one execution), mode
 * SCHEDULED with scheduled_at, the launch plan version, and the kickoff
 * argument as a datetime of `t` (for fixed rates too unless turned off).
 * No principal: the launch pipeline records the caller, "" without auth.
 */
export function scheduledExecutionRequest(row: ScheduleRow, t: Date, kickoffArgForFixedRate: boolean): ExecutionCreateRequest {
  const { project, domain, name, version } = row;
  const kickoff = row.kickoffTimeInputArg !== "" && (row.cronExpression !== null || kickoffArgForFixedRate);
  return create(ExecutionCreateRequestSchema, {
    project,
    domain,
    name: scheduledExecutionName(row, t),
    spec: {
      launchPlan: { resourceType: ResourceType.LAUNCH_PLAN, project, domain, name, version },
      metadata: { mode: ExecutionMetadata_ExecutionMode.SCHEDULED, scheduledAt: timestampFromDate(t) },
    },
    inputs: {
      literals: kickoff
        ? { [row.kickoffTimeInputArg]: { value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "datetime", value: timestampFromDate(t) } } } } } } }
        : {},
    },
  });
}

/**
 * What a failed create means for the tick:
 * - ALREADY_EXISTS: another replica, or this one before a restart, created it (or
 *   the launch plan's concurrency policy skipped it): done;
 * - an archived project (the InactiveProject detail): skipped, as FlyteAdmin does;
 * - INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION: retrying cannot help: skipped
 *   with the reason recorded;
 * - anything else (the database unavailable, an internal fault): tried again later.
 */
export function classifyFailure(e: unknown): Exclude<FireResult, "created"> {
  if (!(e instanceof AdminError)) return "transient_error";
  if (e.kind === "AlreadyExists") return "exists";
  if (e.details.some((d) => d.desc.typeName === InactiveProjectSchema.typeName)) return "skipped_inactive_project";
  if (e.kind === "InvalidArgument" || e.kind === "NotFound" || e.kind === "FailedPrecondition") return "permanent_error";
  return "transient_error";
}

const FIRST_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 5 * 60_000;

/** The nominal wait after the n-th consecutive failure: 1 s doubling up to 5 min. */
const nominalBackoffMs = (attempts: number) => Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** Math.min(attempts - 1, 20));

/** The wait after the n-th failure, with jitter (half to all of the nominal wait) so replicas and schedules spread out. */
export const backoffMs = (attempts: number, random: () => number) => Math.round(nominalBackoffMs(attempts) * (0.5 + 0.5 * random()));

/**
 * How many tries a tick gets: as many as the nominal waits between them fit
 * in `windowMs` (30 min: 14 tries, like FlyteAdmin's about 27 minutes). Counted
 * in tries rather than from the tick's time, so a tick caught up long after it
 * was due still gets its retries.
 */
export function maxAttempts(windowMs: number): number {
  let total = 0;
  let n = 1;
  while (total + nominalBackoffMs(n) <= windowMs) total += nominalBackoffMs(n++);
  return n;
}
