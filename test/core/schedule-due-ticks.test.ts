import { describe, expect, it } from "vitest";
import { FixedRateUnit } from "../../gen/flyteidl/admin/schedule_pb.js";
import { SKIPPED_COUNT_LIMIT, newestDue } from "../../src/core/due-ticks.js";
import { type CatchUpPolicy, type ScheduleClock, dueTicks, scheduleClock } from "../../src/core/schedule-times.js";

const at = (iso: string) => new Date(iso);
const isos = (ds: Date[]) => ds.map((d) => d.toISOString());
const OPTIONS = { timezone: "UTC", minIntervalMs: 60_000 };
const clockOf = (expression: string) => scheduleClock({ kind: "cron", expression }, at("2024-01-01T00:00:00Z"), OPTIONS);
const policy = (mode: CatchUpPolicy["mode"], more: Partial<CatchUpPolicy> = {}): CatchUpPolicy => ({ mode, graceMs: 60_000, maxCatchUp: 0, ...more });

/** A clock that counts its steps, to show that the work stays bounded. */
function counting(clock: ScheduleClock): ScheduleClock & { steps: number } {
  const counted = {
    steps: 0,
    first: (t: Date) => clock.first(t),
    next: (t: Date) => {
      counted.steps++;
      return clock.next(t);
    },
  };
  return counted;
}

// Scenario 4: a */5 schedule activated at 10:00, scheduler down until 10:30.
describe("catch-up after downtime (*/5, cursor 10:05)", () => {
  const clock = clockOf("*/5 * * * *");
  const cursor = at("2024-01-01T10:05:00Z");
  const now = at("2024-01-01T10:30:00Z");
  const six = ["10:05", "10:10", "10:15", "10:20", "10:25", "10:30"].map((t) => `2024-01-01T${t}:00.000Z`);

  it("all: every missed tick, in order", () => {
    const due = dueTicks(clock, cursor, now, policy("all"), 100);
    expect(isos(due.fire)).toEqual(six);
    expect(due).toMatchObject({ skipped: 0, skippedCapped: false, nextCursor: at("2024-01-01T10:35:00Z") });
  });

  it("latest: only the newest, the rest counted as skipped", () => {
    const due = dueTicks(clock, cursor, now, policy("latest"), 100);
    expect(isos(due.fire)).toEqual(["2024-01-01T10:30:00.000Z"]);
    expect(due).toMatchObject({ skipped: 5, nextCursor: at("2024-01-01T10:35:00Z") });
  });

  it("none: ticks older than the grace are skipped, the cursor moves past them", () => {
    const due = dueTicks(clock, cursor, at("2024-01-01T10:31:30Z"), policy("none"), 100);
    expect(due).toEqual({ fire: [], skipped: 6, skippedCapped: false, nextCursor: at("2024-01-01T10:35:00Z") });
  });

  it("none: a tick within the grace still fires (a pass that comes a few seconds late)", () => {
    const due = dueTicks(clock, cursor, at("2024-01-01T10:30:40Z"), policy("none"), 100);
    expect(isos(due.fire)).toEqual(["2024-01-01T10:30:00.000Z"]);
    expect(due).toMatchObject({ skipped: 5, nextCursor: at("2024-01-01T10:35:00Z") });
    // On time, nothing is skipped under any policy.
    for (const mode of ["all", "latest", "none"] as const) {
      expect(dueTicks(clock, cursor, at("2024-01-01T10:05:02Z"), policy(mode), 100)).toEqual({
        fire: [cursor],
        skipped: 0,
        skippedCapped: false,
        nextCursor: at("2024-01-01T10:10:00Z"),
      });
    }
  });

  it("maxTicks: the rest stays due, and advancing after each fired tick ends at nextCursor", () => {
    const first = dueTicks(clock, cursor, now, policy("all"), 4);
    expect(isos(first.fire)).toEqual(six.slice(0, 4));
    let advanced: Date | null = cursor;
    for (const t of first.fire) advanced = clock.next(t);
    expect(first.nextCursor).toEqual(advanced);
    expect(first.nextCursor).toEqual(at("2024-01-01T10:25:00Z"));
    const second = dueTicks(clock, first.nextCursor!, now, policy("all"), 4);
    expect(isos(second.fire)).toEqual(six.slice(4));
    expect(second.nextCursor).toEqual(at("2024-01-01T10:35:00Z"));
  });

  it("maxCatchUp: up to the limit all fire; beyond it, only the newest", () => {
    expect(isos(dueTicks(clock, cursor, now, policy("all", { maxCatchUp: 6 }), 100).fire)).toEqual(six);
    const over = dueTicks(clock, cursor, now, policy("all", { maxCatchUp: 5 }), 100);
    expect(isos(over.fire)).toEqual(["2024-01-01T10:30:00.000Z"]);
    expect(over).toMatchObject({ skipped: 5, nextCursor: at("2024-01-01T10:35:00Z") });
  });

  it("nothing due: the cursor stays", () => {
    expect(dueTicks(clock, cursor, at("2024-01-01T10:04:59Z"), policy("all"), 100)).toEqual({ fire: [], skipped: 0, skippedCapped: false, nextCursor: cursor });
  });
});

describe("dueTicks edge cases", () => {
  it("moves a cursor that is off the grid (the zone changed) to the next tick", () => {
    const due = dueTicks(clockOf("*/5 * * * *"), at("2024-01-01T10:03:00Z"), at("2024-01-01T10:12:00Z"), policy("all"), 100);
    expect(isos(due.fire)).toEqual(["2024-01-01T10:05:00.000Z", "2024-01-01T10:10:00.000Z"]);
  });

  it("a schedule that never fires has no cursor", () => {
    expect(dueTicks(clockOf("0 0 31 2 *"), at("2024-01-01T00:00:00Z"), at("2030-01-01T00:00:00Z"), policy("all"), 100)).toEqual({
      fire: [],
      skipped: 0,
      skippedCapped: false,
      nextCursor: null,
    });
  });

  it("works on fixed rates too", () => {
    const clock = scheduleClock({ kind: "rate", value: 10, unit: FixedRateUnit.MINUTE }, at("2024-01-01T10:03:27.400Z"), OPTIONS);
    const cursor = clock.first(at("2024-01-01T10:03:27.400Z"))!;
    const due = dueTicks(clock, cursor, at("2024-01-01T11:00:00Z"), policy("none", { graceMs: 600_000 }), 100);
    expect(isos(due.fire)).toEqual(["2024-01-01T10:53:27.000Z"]);
    expect(due).toMatchObject({ skipped: 4, nextCursor: at("2024-01-01T11:03:27Z") });
  });

  it("stays bounded after a year down: the newest tick by bisection, skipped counted up to a limit", () => {
    const clock = counting(clockOf("* * * * *"));
    const due = dueTicks(clock, at("2023-01-01T00:00:00Z"), at("2024-01-01T00:00:30Z"), policy("latest"), 100);
    expect(isos(due.fire)).toEqual(["2024-01-01T00:00:00.000Z"]);
    expect(due).toMatchObject({ skipped: SKIPPED_COUNT_LIMIT, skippedCapped: true, nextCursor: at("2024-01-01T00:01:00Z") });
    expect(clock.steps).toBeLessThan(SKIPPED_COUNT_LIMIT + 200);
    const none = counting(clockOf("* * * * *"));
    expect(dueTicks(none, at("2023-01-01T00:00:00Z"), at("2024-01-01T00:00:30Z"), policy("none"), 100).fire).toHaveLength(1);
    expect(none.steps).toBeLessThan(SKIPPED_COUNT_LIMIT + 200);
    const all = counting(clockOf("* * * * *"));
    expect(dueTicks(all, at("2023-01-01T00:00:00Z"), at("2024-01-01T00:00:30Z"), policy("all", { maxCatchUp: 50 }), 100).fire).toHaveLength(1);
    expect(all.steps).toBeLessThan(SKIPPED_COUNT_LIMIT + 200);
  });

  // Bisection needs next() to be monotone; across DST it must find what walking tick by tick finds.
  it.each([
    ["30 1 * * *", 80],
    ["30 2 * * *", 80],
    ["*/20 * * * *", 2],
    ["0 1,2,3 * * *", 30],
    ["15 */2 * * *", 8],
  ] as const)("the newest due tick agrees with walking across DST in New York: %s", (expr, daysBack) => {
    const clock = clockOf(`CRON_TZ=America/New_York ${expr}`);
    for (const day of ["2024-03-10", "2024-11-03"]) {
      const [from, to] = [at(`${day}T05:00:00Z`), at(`${day}T10:00:00Z`)];
      // Far enough back that more ticks lie between start and now than the walk takes before bisecting.
      const start = clock.first(new Date(from.getTime() - daysBack * 86_400_000))!;
      const walked: Date[] = [];
      for (let t: Date | null = start; t !== null && t <= to; t = clock.next(t)) walked.push(t);
      const inWindow = walked.filter((t) => t >= from);
      const nows = inWindow.flatMap((t) => [t.getTime() - 1000, t.getTime()]);
      for (let now = from.getTime(); now <= to.getTime(); now += 45 * 60_000) nows.push(now);
      for (const now of nows) {
        const expected = walked.filter((t) => t.getTime() <= now).at(-1)!;
        const got = newestDue(clock, start, new Date(now));
        expect(got.getTime() === expected.getTime() || `now=${new Date(now).toISOString()} got ${got.toISOString()} want ${expected.toISOString()}`).toBe(true);
      }
    }
  });

  it("refuses a pass that may fire nothing", () => {
    const clock = clockOf("* * * * *");
    expect(() => dueTicks(clock, at("2024-01-01T00:00:00Z"), at("2024-01-01T01:00:00Z"), policy("all"), 0)).toThrow(RangeError);
    expect(() => dueTicks(clock, at("2024-01-01T00:00:00Z"), at("2024-01-01T01:00:00Z"), policy("none", { graceMs: -1 }), 1)).toThrow(RangeError);
  });
});
