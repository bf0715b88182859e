import { describe, expect, it } from "vitest";
import { fnv1Hash64, scheduledExecutionName, scheduleName } from "../../src/core/schedule-name.js";

const lp = { project: "p", domain: "d", name: "lp", version: "v1" };

describe("FlyteAdmin's schedule names", () => {
  it("hashes with FNV-1 (not FNV-1a), 64 bits", () => {
    expect(fnv1Hash64("")).toBe(0xcbf29ce484222325n);
    expect(fnv1Hash64("a")).toBe(0xaf63bd4c8601b7ben);
  });

  it("names executions as FlyteAdmin does", () => {
    expect(scheduledExecutionName({ project: "flytesnacks", domain: "development", name: "my_cron_scheduled_lp", version: "v1" }, new Date(1628516664_000))).toBe("f5714a8905a9d57e2000");
    expect(scheduledExecutionName(lp, new Date(1700000000_000))).toBe("f10fa86b40a46fba6000");
  });

  it("names schedules as FlyteAdmin does", () => {
    expect(scheduleName(lp)).toBe("17731154007787231242");
  });

  it("uses whole Unix seconds of the tick, rounded toward the past", () => {
    const name = scheduledExecutionName(lp, new Date(1700000000_000));
    expect(scheduledExecutionName(lp, new Date(1700000000_999))).toBe(name);
    expect(scheduledExecutionName(lp, new Date(1700000001_000))).not.toBe(name);
    expect(scheduledExecutionName(lp, new Date(-1))).toBe(scheduledExecutionName(lp, new Date(-1000)));
  });

  it("gives every version its own names, always a valid 20-character execution name", () => {
    const tick = new Date("2024-01-01T10:05:00Z");
    const v1 = scheduledExecutionName(lp, tick);
    const v2 = scheduledExecutionName({ ...lp, version: "v2" }, tick);
    expect(v1).not.toBe(v2);
    for (const name of [v1, v2, scheduledExecutionName({ ...lp, project: "prøject" }, tick)]) expect(name).toMatch(/^f[0-9a-f]{16}000$/);
  });
});
