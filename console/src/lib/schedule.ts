import { FixedRateUnit, type Schedule } from "../../../gen/flyteidl/admin/schedule_pb.js";

const UNITS: Record<FixedRateUnit, [string, string]> = {
  [FixedRateUnit.MINUTE]: ["minute", "minutes"],
  [FixedRateUnit.HOUR]: ["hour", "hours"],
  [FixedRateUnit.DAY]: ["day", "days"],
};

/** A launch plan's schedule in words: "cron 0 6 * * *", "every 5 minutes"; undefined when it has none. */
export function describeSchedule(schedule: Schedule | undefined): string | undefined {
  const e = schedule?.ScheduleExpression;
  if (!e || e.case === undefined) return undefined;
  switch (e.case) {
    case "cronExpression":
      return `cron ${e.value}`;
    case "cronSchedule":
      return e.value.offset ? `cron ${e.value.schedule} (offset ${e.value.offset})` : `cron ${e.value.schedule}`;
    case "rate": {
      const [one, many] = UNITS[e.value.unit] ?? ["unit", "units"];
      return e.value.value === 1 ? `every ${one}` : `every ${e.value.value} ${many}`;
    }
    default:
      return undefined;
  }
}
