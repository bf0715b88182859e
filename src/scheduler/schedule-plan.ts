import type { LaunchPlan } from "../../gen/flyteidl/admin/launch_plan_pb.js";
import { scheduleClock, type ScheduleSpec, scheduleSpecOf, type TickOptions } from "../core/schedule-times.js";
import type { Logger } from "../logger.js";
import type { ScheduleColumns, SchedulePlan } from "../storage/schedule-store.js";

/** last_error of a schedule whose expression has no time left to fire at (`0 0 31 2 *`). */
export const NO_FUTURE_RUN = "schedule has no future run";

const UNITS = ["MINUTE", "HOUR", "DAY"];

/** A schedule as people read it, for logs and `schedules list`: the cron text, or `every 10 MINUTE`. */
export function scheduleText(c: ScheduleColumns): string {
  return c.cronExpression ?? `every ${c.fixedRateValue} ${UNITS[c.unit ?? 0] ?? `unit ${c.unit}`}`;
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
        const id = launchPlan.id!;
        const fields = { project: id.project, domain: id.domain, name: id.name, version: id.version };
        try {
          const clock = scheduleClock(spec, activatedAt, tickOptions);
          if (clock.clampedFromMs !== undefined) {
            options.logger.warn("schedule interval raised to the configured minimum", { ...fields, intervalMs: clock.clampedFromMs, minIntervalMs: tickOptions.minIntervalMs });
          }
          at = clock.first(activatedAt);
          if (at) return { at, error: null };
          error = NO_FUTURE_RUN;
        } catch (e) {
          at = null;
          error = e instanceof Error ? e.message : String(e);
        }
        options.logger.warn("schedule activated but it never fires", { ...fields, error });
        return { at, error };
      },
    };
  };
}
