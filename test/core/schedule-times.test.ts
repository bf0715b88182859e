import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { FixedRateUnit, ScheduleSchema } from "../../gen/flyteidl/admin/schedule_pb.js";
import { type ScheduleClock, ScheduleError, type TickOptions, scheduleClock, scheduleSpecOf, scheduleSpecOfColumns } from "../../src/core/schedule-times.js";

const UTC: TickOptions = { timezone: "UTC", minIntervalMs: 60_000 };
const at = (iso: string) => new Date(iso);
const iso = (d: Date | null) => d?.toISOString() ?? null;

/** The first n ticks strictly after `from`. */
function ticks(clock: ScheduleClock, from: string, n: number): (string | null)[] {
  const out: (string | null)[] = [];
  let t: Date | null = at(from);
  for (let i = 0; i < n && t !== null; i++) {
    t = clock.next(t);
    out.push(iso(t));
  }
  return out;
}
const cron = (expression: string, options: TickOptions = UTC) => scheduleClock({ kind: "cron", expression }, at("2024-01-01T00:00:00Z"), options);

describe("cron ticks", () => {
  it.each([
    ["*/5 * * * *", "2024-01-01T10:00:00Z", ["2024-01-01T10:05:00.000Z", "2024-01-01T10:10:00.000Z", "2024-01-01T10:15:00.000Z"]],
    ["*/5 * * * *", "2024-01-01T10:02:30.500Z", ["2024-01-01T10:05:00.000Z", "2024-01-01T10:10:00.000Z", "2024-01-01T10:15:00.000Z"]],
    ["5/15 * * * *", "2024-01-01T10:00:00Z", ["2024-01-01T10:05:00.000Z", "2024-01-01T10:20:00.000Z", "2024-01-01T10:35:00.000Z", "2024-01-01T10:50:00.000Z", "2024-01-01T11:05:00.000Z"]],
    ["0 0 ? * SUN", "2024-01-01T10:00:00Z", ["2024-01-07T00:00:00.000Z", "2024-01-14T00:00:00.000Z"]],
    // Day of month OR day of week when neither is a wildcard: the 1st and every Monday.
    ["0 12 1 * 1", "2024-01-01T00:00:00Z", ["2024-01-01T12:00:00.000Z", "2024-01-08T12:00:00.000Z", "2024-01-15T12:00:00.000Z", "2024-01-22T12:00:00.000Z", "2024-01-29T12:00:00.000Z", "2024-02-01T12:00:00.000Z", "2024-02-05T12:00:00.000Z"]],
    // A stepped wildcard is not a wildcard: odd days or Mondays.
    ["0 0 */2 * 1", "2024-01-01T00:00:00Z", ["2024-01-03T00:00:00.000Z", "2024-01-05T00:00:00.000Z", "2024-01-07T00:00:00.000Z", "2024-01-08T00:00:00.000Z", "2024-01-09T00:00:00.000Z"]],
    // A wildcard day of month ANDs: Mondays only.
    ["0 12 * * 1", "2024-01-01T00:00:00Z", ["2024-01-01T12:00:00.000Z", "2024-01-08T12:00:00.000Z"]],
    ["0 12 */1 * 1", "2024-01-01T00:00:00Z", ["2024-01-01T12:00:00.000Z", "2024-01-08T12:00:00.000Z"]],
    // An explicit full range is no wildcard: every day OR Mondays is every day.
    ["0 12 1-31 * 1", "2024-01-01T00:00:00Z", ["2024-01-01T12:00:00.000Z", "2024-01-02T12:00:00.000Z"]],
    ["0 0 29 2 *", "2024-03-01T00:00:00Z", ["2028-02-29T00:00:00.000Z", "2032-02-29T00:00:00.000Z"]],
    ["0 0 31 2 *", "2024-01-01T00:00:00Z", [null]],
    ["@hourly", "2024-01-01T10:30:00Z", ["2024-01-01T11:00:00.000Z", "2024-01-01T12:00:00.000Z"]],
    ["@daily", "2024-01-01T10:30:00Z", ["2024-01-02T00:00:00.000Z", "2024-01-03T00:00:00.000Z"]],
    ["@midnight", "2024-01-01T10:30:00Z", ["2024-01-02T00:00:00.000Z"]],
    ["@weekly", "2024-01-01T10:30:00Z", ["2024-01-07T00:00:00.000Z", "2024-01-14T00:00:00.000Z"]],
    ["@monthly", "2024-01-01T10:30:00Z", ["2024-02-01T00:00:00.000Z", "2024-03-01T00:00:00.000Z"]],
    ["@yearly", "2024-01-01T10:30:00Z", ["2025-01-01T00:00:00.000Z"]],
    ["@annually", "2024-01-01T00:00:00Z", ["2025-01-01T00:00:00.000Z"]],
    ["0 0 1 jan,JUL *", "2024-01-01T00:00:00Z", ["2024-07-01T00:00:00.000Z", "2025-01-01T00:00:00.000Z"]],
    ["CRON_TZ=Europe/Berlin 0 9 * * MON-FRI", "2024-03-29T00:00:00Z", ["2024-03-29T08:00:00.000Z", "2024-04-01T07:00:00.000Z", "2024-04-02T07:00:00.000Z"]],
    ["CRON_TZ=Asia/Kolkata @daily", "2024-01-01T00:00:00Z", ["2024-01-01T18:30:00.000Z"]],
    ["CRON_TZ=Etc/UTC 0 0 * * *", "2024-01-01T00:00:00Z", ["2024-01-02T00:00:00.000Z"]],
    // Spring forward in New York (02:00 -> 03:00 on 2024-03-10): 02:30 does not exist and runs once, at 03:00 EDT.
    ["CRON_TZ=America/New_York 30 2 * * *", "2024-03-09T00:00:00Z", ["2024-03-09T07:30:00.000Z", "2024-03-10T07:00:00.000Z", "2024-03-11T06:30:00.000Z"]],
    // Fall back (02:00 -> 01:00 on 2024-11-03): 01:30 happens twice and runs once, the first time.
    ["CRON_TZ=America/New_York 30 1 * * *", "2024-11-02T00:00:00Z", ["2024-11-02T05:30:00.000Z", "2024-11-03T05:30:00.000Z", "2024-11-04T06:30:00.000Z"]],
    // A wildcard hour is an interval job: the repeated hour runs twice, the missing one not at all.
    ["CRON_TZ=America/New_York 30 * * * *", "2024-11-03T04:00:00Z", ["2024-11-03T04:30:00.000Z", "2024-11-03T05:30:00.000Z", "2024-11-03T06:30:00.000Z", "2024-11-03T07:30:00.000Z"]],
    ["CRON_TZ=America/New_York 30 * * * *", "2024-03-10T06:00:00Z", ["2024-03-10T06:30:00.000Z", "2024-03-10T07:30:00.000Z"]],
  ])("%s after %s", (expression, from, expected) => {
    const clock = cron(expression);
    expect(ticks(clock, from, expected.length)).toEqual(expected);
    expect(iso(clock.first(at(from)))).toBe(expected[0]);
  });

  it("uses the scheduler's zone when the expression has none, and the prefix's when it has one", () => {
    const ny = { timezone: "America/New_York", minIntervalMs: 60_000 };
    expect(ticks(cron("0 9 * * *", ny), "2024-01-01T00:00:00Z", 1)).toEqual(["2024-01-01T14:00:00.000Z"]);
    expect(ticks(cron("CRON_TZ=Asia/Tokyo 0 9 * * *", ny), "2024-01-01T00:00:00Z", 1)).toEqual(["2024-01-02T00:00:00.000Z"]);
    expect(ticks(cron("CRON_TZ=Local 0 9 * * *", ny), "2024-01-01T00:00:00Z", 1)).toEqual(["2024-01-01T14:00:00.000Z"]);
    expect(ticks(cron("CRON_TZ= 0 9 * * *", ny), "2024-01-01T00:00:00Z", 1)).toEqual(["2024-01-01T09:00:00.000Z"]);
  });

  it("reads the zone Local as the process's zone, FlyteAdmin's default", () => {
    const local = cron("0 9 * * *", { timezone: "Local", minIntervalMs: 60_000 });
    expect(local.next(new Date(2024, 0, 1, 0, 0, 0))).toEqual(new Date(2024, 0, 1, 9, 0, 0));
  });

  it("never fires a field with no value (only commas), which robfig accepts", () => {
    const clock = cron(", * * * *");
    expect([clock.first(at("2024-01-01T00:00:00Z")), clock.next(at("2024-01-01T00:00:00Z"))]).toEqual([null, null]);
  });

  it("refuses what cannot run, with robfig's or FlyteAdmin's message", () => {
    const fails = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(ScheduleError);
        expect((e as ScheduleError).kind).toBe("InvalidArgument");
        return (e as Error).message;
      }
      throw new Error("no error");
    };
    expect(fails(() => cron("* * * * * *"))).toBe("expected exactly 5 fields, found 6: [* * * * * *]");
    expect(fails(() => cron("0 0 * * *", { timezone: "Mars/Base", minIntervalMs: 60_000 }))).toBe("provided bad location Mars/Base: unknown time zone Mars/Base");
    expect(fails(() => scheduleClock({ kind: "rate", value: 1, unit: 3 }, new Date(), UTC))).toBe("unsupported unit 3 for fixed rate scheduling");
    expect(fails(() => scheduleClock({ kind: "rate", value: 0, unit: FixedRateUnit.MINUTE }, new Date(), UTC))).toBe("fixed rate value 0 is not a positive whole number");
  });
});

describe("fixed-interval ticks", () => {
  const activated = at("2024-01-01T10:03:27.400Z");

  it("runs activatedAt (to the second) + k·interval, whenever the clock is built", () => {
    const spec = { kind: "rate", value: 10, unit: FixedRateUnit.MINUTE } as const;
    const clock = scheduleClock(spec, activated, UTC);
    expect(iso(clock.first(activated))).toBe("2024-01-01T10:13:27.000Z");
    expect(ticks(clock, "2024-01-01T10:13:27Z", 2)).toEqual(["2024-01-01T10:23:27.000Z", "2024-01-01T10:33:27.000Z"]);
    expect(iso(clock.next(at("2024-01-01T10:15:00Z")))).toBe("2024-01-01T10:23:27.000Z");
    expect(iso(clock.next(at("2024-01-01T09:00:00Z")))).toBe("2024-01-01T10:13:27.000Z");
    // A restart (a new clock from the stored activation time) keeps the phase.
    const restarted = scheduleClock(spec, activated, UTC);
    expect(iso(restarted.next(at("2024-01-01T12:00:00Z")))).toBe("2024-01-01T12:03:27.000Z");
    expect(clock.clampedFromMs).toBeUndefined();
  });

  it.each([
    [FixedRateUnit.HOUR, 2, "2024-01-01T12:03:27.000Z"],
    [FixedRateUnit.DAY, 1, "2024-01-02T10:03:27.000Z"],
  ])("unit %i × %i", (unit, value, first) => expect(iso(scheduleClock({ kind: "rate", value, unit }, activated, UTC).first(activated))).toBe(first));

  it("reads @every as a fixed interval anchored at activation, raised to the minimum interval", () => {
    const every = (expression: string, minIntervalMs: number) => scheduleClock({ kind: "cron", expression }, activated, { timezone: "UTC", minIntervalMs });
    expect(iso(every("@every 1h30m", 60_000).first(activated))).toBe("2024-01-01T11:33:27.000Z");
    expect(iso(every("@every 90s", 1_000).first(activated))).toBe("2024-01-01T10:04:57.000Z");
    const clamped = every("@every 30s", 60_000);
    expect(ticks(clamped, "2024-01-01T10:04:27Z", 2)).toEqual(["2024-01-01T10:05:27.000Z", "2024-01-01T10:06:27.000Z"]);
    expect(clamped.clampedFromMs).toBe(30_000);
    expect(every("TZ=Asia/Tokyo @every 2m", 60_000).first(activated)?.toISOString()).toBe("2024-01-01T10:05:27.000Z");
  });

  it("has no tick past the last date JavaScript can hold", () => {
    const clock = scheduleClock({ kind: "rate", value: 4_294_967_295, unit: FixedRateUnit.DAY }, activated, UTC);
    expect(clock.first(activated)).toBeNull();
  });
});

describe("scheduleSpecOf", () => {
  const schedule = (expr: object) => create(ScheduleSchema, { ScheduleExpression: expr as never });
  it("reads the three kinds and FlyteAdmin's empty ones", () => {
    expect(scheduleSpecOf(undefined)).toBeUndefined();
    expect(scheduleSpecOf(schedule({}))).toBeUndefined();
    expect(scheduleSpecOf(schedule({ case: "cronSchedule", value: { schedule: "*/5 * * * *", offset: "PT1M" } }))).toEqual({ kind: "cron", expression: "*/5 * * * *" });
    expect(scheduleSpecOf(schedule({ case: "cronSchedule", value: { schedule: "" } }))).toBeUndefined();
    expect(scheduleSpecOf(schedule({ case: "cronExpression", value: "@daily" }))).toEqual({ kind: "cron", expression: "@daily" });
    expect(scheduleSpecOf(schedule({ case: "cronExpression", value: "" }))).toBeUndefined();
    expect(scheduleSpecOf(schedule({ case: "rate", value: { value: 10, unit: FixedRateUnit.HOUR } }))).toEqual({ kind: "rate", value: 10, unit: 1 });
    expect(scheduleSpecOf(schedule({ case: "rate", value: { value: 0, unit: FixedRateUnit.HOUR } }))).toBeUndefined();
  });

  it("reads stored columns, cron text first", () => {
    expect(scheduleSpecOfColumns({ cronExpression: "@daily", fixedRateValue: 5, unit: 1 })).toEqual({ kind: "cron", expression: "@daily" });
    expect(scheduleSpecOfColumns({ cronExpression: "", fixedRateValue: 5, unit: 2 })).toEqual({ kind: "rate", value: 5, unit: 2 });
    expect(scheduleSpecOfColumns({ cronExpression: null, fixedRateValue: 0, unit: 0 })).toBeUndefined();
  });
});
