import { Cron } from "croner";
import type { Schedule } from "../../gen/flyteidl/admin/schedule_pb.js";
import { type CronField, loadLocation, parseCron } from "./cron.js";
import { AdminError } from "./errors.js";

export { type CatchUpPolicy, type DueTicks, dueTicks } from "./due-ticks.js";

/**
 * When a launch plan's schedule fires. Tick times are a pure function of the schedule, its
 * activation time and the configured zone, so every replica and every restart computes the
 * same ticks (and therefore the same execution names):
 * - cron: the expression's times in its `CRON_TZ=` zone or the scheduler's zone, computed by
 *   croner from the set of values robfig's parser reads (src/core/cron.ts), so croner never
 *   sees syntax robfig would read differently;
 * - fixed rate and `@every`: activatedAt (truncated to the second) + k·interval, k ≥ 1. FlyteAdmin
 *   restarts the phase from "now" on every restart (flyte#2885); ours never moves.
 * `cron_schedule.offset` is ignored, as FlyteAdmin's native scheduler ignores it.
 */

export type ScheduleSpec =
  /** cron_schedule.schedule, or the deprecated cron_expression, which FlyteAdmin validates the same way. */
  | { kind: "cron"; expression: string }
  /** FixedRateUnit: MINUTE=0, HOUR=1, DAY=2. */
  | { kind: "rate"; value: number; unit: number };

/** A launch plan's schedule, or undefined for none: FlyteAdmin's "empty" is empty cron text or a rate of 0. */
export function scheduleSpecOf(schedule: Schedule | undefined): ScheduleSpec | undefined {
  const e = schedule?.ScheduleExpression;
  switch (e?.case) {
    case "cronExpression":
      return e.value === "" ? undefined : { kind: "cron", expression: e.value };
    case "cronSchedule":
      return e.value.schedule === "" ? undefined : { kind: "cron", expression: e.value.schedule };
    case "rate":
      return e.value.value === 0 ? undefined : { kind: "rate", value: e.value.value, unit: e.value.unit };
    default:
      return undefined;
  }
}

/** The same from schedulable_entities' columns: cron text wins, as in FlyteAdmin's scheduler. */
export function scheduleSpecOfColumns(row: { cronExpression: string | null; fixedRateValue: number | null; unit: number | null }): ScheduleSpec | undefined {
  if (row.cronExpression) return { kind: "cron", expression: row.cronExpression };
  if (row.fixedRateValue) return { kind: "rate", value: row.fixedRateValue, unit: row.unit ?? 0 };
  return undefined;
}

export interface TickOptions {
  /** The zone of cron expressions without a CRON_TZ= prefix: an IANA name such as "UTC", or "Local" for the process's zone. */
  timezone: string;
  /** Fixed intervals (`@every`, rates) shorter than this run at this interval instead. */
  minIntervalMs: number;
}

export interface ScheduleClock {
  /** The first tick strictly after `activatedAt`. null = never fires (an impossible date). */
  first(activatedAt: Date): Date | null;
  /** The first tick strictly after `tick` (which need not be a tick). null = none. */
  next(tick: Date): Date | null;
  /** Set when a fixed interval was raised to minIntervalMs: the interval asked for, for a warning. */
  readonly clampedFromMs?: number;
}

/** A schedule that cannot run: FlyteAdmin's scheduler error text, or robfig's parser error. */
export class ScheduleError extends AdminError {
  constructor(message: string) {
    super("InvalidArgument", message);
    this.name = "ScheduleError";
  }
}

const UNIT_SECONDS: readonly number[] = [60, 3600, 86400];
// The last instant a Date can hold; a tick beyond it is "never".
const MAX_DATE_MS = 8.64e15;

/** Throws ScheduleError for text robfig does not parse, an unsupported rate unit, or an unknown zone. */
export function scheduleClock(spec: ScheduleSpec, activatedAt: Date, options: TickOptions): ScheduleClock {
  if (spec.kind === "rate") {
    const unitSeconds = UNIT_SECONDS[spec.unit];
    if (unitSeconds === undefined) throw new ScheduleError(`unsupported unit ${spec.unit} for fixed rate scheduling`);
    if (!Number.isSafeInteger(spec.value) || spec.value <= 0) throw new ScheduleError(`fixed rate value ${spec.value} is not a positive whole number`);
    return intervalClock(spec.value * unitSeconds * 1000, activatedAt, options);
  }
  const parsed = parseCron(spec.expression);
  if ("error" in parsed) throw new ScheduleError(parsed.error);
  if (parsed.kind === "every") return intervalClock(parsed.seconds * 1000, activatedAt, options);
  const location = parsed.zone !== undefined ? { zone: parsed.zone } : loadLocation(options.timezone);
  if ("error" in location) throw new ScheduleError(`provided bad location ${options.timezone}: ${location.error}`);
  // A field of only commas has no value: robfig accepts it, and it never matches.
  if (parsed.fields.some((f) => f.values.length === 0)) return { first: () => null, next: () => null };
  return cronClock(parsed.fields, location.zone);
}

function intervalClock(requestedMs: number, activatedAt: Date, options: TickOptions): ScheduleClock {
  const intervalMs = Math.max(requestedMs, options.minIntervalMs);
  const anchor = Math.floor(activatedAt.getTime() / 1000) * 1000;
  const next = (after: Date): Date | null => {
    const k = Math.max(1, Math.floor((after.getTime() - anchor) / intervalMs) + 1);
    const t = anchor + k * intervalMs;
    return t > MAX_DATE_MS ? null : new Date(t);
  };
  return { first: next, next, ...(intervalMs > requestedMs ? { clampedFromMs: requestedMs } : {}) };
}

function cronClock(fields: readonly CronField[], zone: string): ScheduleClock {
  const cron = new Cron(fields.map(cronerField).join(" "), {
    mode: "5-part",
    domAndDow: false,
    paused: true,
    // UTC takes croner's fixed-offset path: the same times without a zone conversion on each step
    // (about 20 times faster). "Local" is the process's zone, FlyteAdmin's own default.
    ...(zone === "UTC" ? { utcOffset: 0 } : zone === "Local" ? {} : { timezone: zone }),
  });
  const next = (after: Date): Date | null => cron.nextRun(after);
  return { first: next, next };
}

/**
 * A field as croner reads it the way robfig means it: `*` where robfig's star bit is set (croner
 * ANDs the day fields only when one of them is `*`, as robfig does with its star bit), else the
 * explicit values, runs of consecutive values written as ranges.
 */
function cronerField(field: CronField): string {
  if (field.star) return "*";
  const parts: string[] = [];
  const v = field.values;
  for (let i = 0; i < v.length; ) {
    let j = i;
    while (j + 1 < v.length && v[j + 1] === v[j]! + 1) j++;
    parts.push(j > i ? `${v[i]}-${v[j]}` : `${v[i]}`);
    i = j + 1;
  }
  return parts.join(",");
}
