import type { LaunchPlan } from "../../gen/flyteidl/admin/launch_plan_pb.js";
import { scheduleClock, type ScheduleSpec, scheduleSpecOf, type TickOptions } from "../core/schedule-times.js";
import type { Logger } from "../logger.js";
import type { ScheduleColumns, SchedulePlan } from "../storage/schedule-store.js";

/** last_error of a schedule whose expression has no time left to fire at (`0 0 31 2 *`). */
export const NO_FUTURE_RUN = "schedule has no future run";

/** A schedule row's columns as the tick math takes them: a cron text (descriptors and `@every` included), or a fixed rate. */
export function specOfColumns(c: ScheduleColumns): ScheduleSpec {
  return c.cronExpression !== null ? { kind: "cron", expression: c.cronExpression } : { kind: "rate", value: c.fixedRateValue ?? 0, unit: c.unit ?? 0 };
}

function columnsOf(spec: ScheduleSpec, kickoffTimeInputArg: string): ScheduleColumns {
  return spec.kind === "cron"
    ? { cronExpression: spec.expression, fixedRateValue: null, unit: null, kickoffTimeInputArg }
    : { cronExpression: null, fixedRateValue: spec.value, unit: spec.unit, kickoffTimeInputArg };
}

/**
 * What activating a launch plan writes for its schedule (undefined when it has
 * none). The deprecated `cron_expression` is a cron like `cron_schedule` (it
 * passed the same validation at creation). A schedule whose ticks cannot be
 * computed (no future date, an unsupported fixed-rate unit) still activates:
 * it stays idle with the reason as last_error, logged here once, so it never
 * fails the UpdateLaunchPlan or stops other schedules.
 */
export function createSchedulePlanner(options: TickOptions & { logger: Logger }) {
  const tickOptions: TickOptions = { timezone: options.timezone, minIntervalMs: options.minIntervalMs };
  return (launchPlan: LaunchPlan): SchedulePlan | undefined => {
    const schedule = launchPlan.spec?.entityMetadata?.schedule;
    const spec = scheduleSpecOf(schedule);
    if (!spec) return undefined;
    return {
      columns: columnsOf(spec, schedule?.kickoffTimeInputArg ?? ""),
      firstTick(activatedAt) {
        let at: Date | null;
        let error: string;
        try {
          at = scheduleClock(spec, activatedAt, tickOptions).first(activatedAt);
          if (at) return { at, error: null };
          error = NO_FUTURE_RUN;
        } catch (e) {
          at = null;
          error = e instanceof Error ? e.message : String(e);
        }
        const id = launchPlan.id!;
        options.logger.warn("schedule activated but it never fires", { project: id.project, domain: id.domain, name: id.name, version: id.version, error });
        return { at, error };
      },
    };
  };
}
