import { describe, expect, it } from "vitest";
import { maxAgeFor, parseAge, parsePhases, parseRetentionPolicy, RetentionError, TERMINAL_PHASES } from "../../src/core/retention.js";
import { ConfigError, loadConfig } from "../../src/config.js";

const DAY = 86_400_000;

describe("retention rules", () => {
  it("reads ages in seconds, minutes, hours, days and weeks", () => {
    expect(parseAge("90d")).toBe(90 * DAY);
    expect(parseAge("12h")).toBe(12 * 3_600_000);
    expect(parseAge("30m")).toBe(30 * 60_000);
    expect(parseAge("45s")).toBe(45_000);
    expect(parseAge("2w")).toBe(14 * DAY);
    for (const bad of ["", "90", "d", "-1d", "1.5d", "1y", "0d", "9999999w", "1".repeat(100) + "d", "1d2h"]) {
      expect(() => parseAge(bad), bad).toThrow(RetentionError);
    }
  });

  it("applies the most specific rule: project and domain, then project, then domain, then any", () => {
    const policy = parseRetentionPolicy({ "*": { "*": "400d", development: "30d" }, ml: { "*": "90d", production: "365d" } });
    expect(maxAgeFor(policy, "ml", "production")).toBe(365 * DAY);
    expect(maxAgeFor(policy, "ml", "development")).toBe(90 * DAY);
    expect(maxAgeFor(policy, "web", "development")).toBe(30 * DAY);
    expect(maxAgeFor(policy, "web", "staging")).toBe(400 * DAY);
    expect(maxAgeFor(parseRetentionPolicy({ "*": { development: "30d" } }), "web", "production")).toBeUndefined();
    expect(parseRetentionPolicy("")).toEqual([]);
    expect(parseRetentionPolicy('{"p":{"d":"1d"}}')).toEqual([{ project: "p", domain: "d", maxAgeMs: DAY }]);
  });

  it("refuses a policy of the wrong shape with the place it went wrong", () => {
    expect(() => parseRetentionPolicy("{")).toThrow(/expected JSON/);
    expect(() => parseRetentionPolicy(["30d"])).toThrow(/expected a mapping of project/);
    expect(() => parseRetentionPolicy({ p: "30d" })).toThrow(/^p: expected a mapping of domain/);
    expect(() => parseRetentionPolicy({ p: { d: "soon" } })).toThrow(/^p\.d: expected an age/);
    expect(() => parseRetentionPolicy({ "": { d: "1d" } })).toThrow(/project key/);
  });

  it("takes terminal phases only", () => {
    expect(parsePhases(undefined)).toEqual(TERMINAL_PHASES);
    expect(parsePhases("Terminal")).toEqual(TERMINAL_PHASES);
    expect(parsePhases("failed,aborted,failed")).toEqual(["FAILED", "ABORTED"]);
    expect(() => parsePhases("running")).toThrow(/--phase: expected terminal/);
  });

  it("is validated when the configuration loads", () => {
    expect(loadConfig({ flags: { retention: '{"*":{"development":"30d"}}' } }).retention).toEqual([{ project: "*", domain: "development", maxAgeMs: 30 * DAY }]);
    expect(loadConfig({}).retention).toEqual([]);
    expect(() => loadConfig({ env: { FLYTEADMIN_RETENTION: '{"*":{"development":"30"}}' } })).toThrow(ConfigError);
    expect(() => loadConfig({ env: { FLYTEADMIN_RETENTION: '{"*":{"development":"30"}}' } })).toThrow(/FLYTEADMIN_RETENTION: \*\.development: expected an age/);
  });
});
