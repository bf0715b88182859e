import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { FixedRateUnit, ScheduleSchema } from "../../gen/flyteidl/admin/schedule_pb.js";
import { describeCron, nextCronRuns, parseCron, scheduleView } from "../../console/src/lib/cron.js";

const at = (iso: string) => new Date(iso);
const iso = (dates: Date[]) => dates.map((d) => d.toISOString());

describe("cron schedules in the browser", () => {
  it("finds the next runs in UTC", () => {
    expect(iso(nextCronRuns("*/15 * * * *", at("2026-01-01T10:07:30Z"), 3))).toEqual([
      "2026-01-01T10:15:00.000Z",
      "2026-01-01T10:30:00.000Z",
      "2026-01-01T10:45:00.000Z",
    ]);
    expect(iso(nextCronRuns("30 9 * * mon-fri", at("2026-01-02T10:00:00Z"), 2))).toEqual(["2026-01-05T09:30:00.000Z", "2026-01-06T09:30:00.000Z"]);
    expect(iso(nextCronRuns("@monthly", at("2026-01-31T00:00:00Z"), 2))).toEqual(["2026-02-01T00:00:00.000Z", "2026-03-01T00:00:00.000Z"]);
    // Leap day: the next one is years away, still within the search.
    expect(iso(nextCronRuns("0 0 29 2 *", at("2026-03-01T00:00:00Z"), 1))).toEqual(["2028-02-29T00:00:00.000Z"]);
    expect(iso(nextCronRuns("@every 90m", at("2026-01-01T00:00:10Z"), 2))).toEqual(["2026-01-01T01:30:10.000Z", "2026-01-01T03:00:10.000Z"]);
  });

  it("reads both day fields as the scheduler does: either one when both are restricted", () => {
    const runs = iso(nextCronRuns("0 0 13 * fri", at("2026-02-01T00:00:00Z"), 3));
    // Fridays 6th and 13th, and the 13th itself (a Friday in February 2026).
    expect(runs).toEqual(["2026-02-06T00:00:00.000Z", "2026-02-13T00:00:00.000Z", "2026-02-20T00:00:00.000Z"]);
    expect(iso(nextCronRuns("0 0 * * sun", at("2026-02-01T00:00:00Z"), 1))).toEqual(["2026-02-08T00:00:00.000Z"]);
  });

  it("says a schedule in words", () => {
    expect(describeCron("30 9 * * 1-5")).toBe("at 09:30 UTC, Monday to Friday");
    expect(describeCron("0 * * * *")).toBe("at minute 0 of every hour");
    expect(describeCron("* * * * *")).toBe("every minute");
    expect(describeCron("@daily")).toBe("at 00:00 UTC");
    expect(describeCron("0 6 1 jan,jul *")).toBe("at 06:00 UTC, on day 1 of the month, in January, July");
    expect(describeCron("@every 1h")).toBe("every 1h");
    expect(describeCron("not a cron")).toBe("cron not a cron");
  });

  it("refuses what the scheduler refuses", () => {
    expect(parseCron("60 * * * *")).toBeUndefined();
    expect(parseCron("* * * *")).toBeUndefined();
    expect(parseCron("*/0 * * * *")).toBeUndefined();
    expect(nextCronRuns("61 * * * *", at("2026-01-01T00:00:00Z"), 3)).toEqual([]);
  });

  it("fixed rates count from the schedule's anchor", () => {
    const rate = create(ScheduleSchema, { ScheduleExpression: { case: "rate", value: { value: 10, unit: FixedRateUnit.MINUTE } } });
    const view = scheduleView(rate, at("2026-01-01T00:25:00Z"), at("2026-01-01T00:03:00Z"), 2)!;
    expect(view.words).toBe("every 10 minutes");
    expect(iso(view.next)).toEqual(["2026-01-01T00:33:00.000Z", "2026-01-01T00:43:00.000Z"]);
    const cron = create(ScheduleSchema, { ScheduleExpression: { case: "cronSchedule", value: { schedule: "@hourly" } } });
    expect(scheduleView(cron, at("2026-01-01T00:25:00Z"), undefined, 1)).toEqual({
      words: "at minute 0 of every hour",
      expression: "@hourly",
      next: [at("2026-01-01T01:00:00Z")],
    });
  });
});
