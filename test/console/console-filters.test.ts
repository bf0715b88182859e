import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { inMemoryAdmin } from "../helpers/app.js";
import { executionFilters, readExecutionFilters, writeExecutionFilters, STATUS_OPTIONS, START_TIME_OPTIONS, DURATION_OPTIONS } from "../../console/src/lib/execution-filters.js";
import { entityExecutionFilters, filterString, isSearchable } from "../../console/src/lib/filters.js";
import { seedConsole } from "../browser/console-seed.js";

const NOW = new Date("2026-03-01T12:00:00Z");

describe("filter strings", () => {
  it("joins functions with + and value_in values with ;", () => {
    expect(filterString([{ op: "eq", key: "state", value: 0 }, { op: "value_in", key: "phase", value: ["FAILED", "TIMED_OUT"] }, { op: "contains", key: "name", value: "hello" }])).toBe(
      "eq(state,0)+value_in(phase,FAILED;TIMED_OUT)+contains(name,hello)",
    );
    expect(filterString([])).toBe("");
  });

  it("refuses values the grammar cannot carry, and says which searches cannot be sent", () => {
    expect(() => filterString([{ op: "contains", key: "name", value: "a)+eq(x" }])).toThrow(/cannot contain/);
    expect(isSearchable("wf.hello_wf")).toBe(true);
    expect(isSearchable("a,b")).toBe(false);
  });

  it("asks for an entity's executions as the Flyte console does", () => {
    expect(filterString(entityExecutionFilters("workflow", { project: "p", domain: "d", name: "wf", version: "v1" }))).toBe(
      "eq(workflow.name,wf)+eq(workflow.project,p)+eq(workflow.domain,d)+eq(workflow.version,v1)",
    );
  });
});

describe("execution list filters", () => {
  it("round-trip through the URL query, leaving defaults out", () => {
    const state = { status: ["failed", "running"], startTime: "today" as const, duration: "lt1hour" as const, mine: true, archived: true };
    const query = writeExecutionFilters(state, new URLSearchParams("keep=1"));
    expect(query.toString()).toBe("keep=1&status=failed%2Crunning&startTime=today&duration=lt1hour&onlyMine=true&archived=true");
    expect(readExecutionFilters(query)).toEqual(state);
    expect(writeExecutionFilters(readExecutionFilters(new URLSearchParams())).toString()).toBe("");
  });

  it("ignores unknown values in the query", () => {
    expect(readExecutionFilters(new URLSearchParams("status=failed,bogus&startTime=forever&duration=x"))).toEqual({ status: ["failed"], startTime: "all", duration: "all", mine: false, archived: false });
  });

  it("sends phase names, ISO times, seconds and the user", () => {
    const filters = executionFilters({ status: ["succeeded", "timed_out"], startTime: "lastHour", duration: "2to3hours", mine: true, archived: true }, NOW, "alice");
    expect(filterString(filters)).toBe(
      "eq(state,1)+value_in(phase,SUCCEEDED;TIMED_OUT)+gte(created_at,2026-03-01T11:00:00.000Z)+gte(duration,7200)+lt(duration,10800)+eq(user,alice)",
    );
    // "Only mine" without a known user sends nothing rather than an empty user.
    expect(filterString(executionFilters({ status: [], startTime: "all", duration: "all", mine: true, archived: false }, NOW))).toBe("");
  });
});

/** Every filter the list can send is one the server answers (no INVALID_ARGUMENT), and they select what they say. */
describe("execution list filters against the server", () => {
  let app: App;
  let admin: Awaited<ReturnType<typeof inMemoryAdmin>>["admin"];
  beforeAll(async () => {
    ({ app, admin } = await inMemoryAdmin());
    await seedConsole(admin);
  });
  afterAll(() => app?.close());

  const list = (filters: string) => admin.listExecutions({ id: { project: "flytesnacks", domain: "development" }, limit: 100, filters });

  it("accepts every single option", async () => {
    const base = { status: [] as string[], startTime: "all" as const, duration: "all" as const, mine: false, archived: false };
    const states = [
      ...STATUS_OPTIONS.map((o) => ({ ...base, status: [o.key] })),
      ...START_TIME_OPTIONS.map((o) => ({ ...base, startTime: o.key })),
      ...DURATION_OPTIONS.map((o) => ({ ...base, duration: o.key })),
      { ...base, mine: true },
      { ...base, archived: true },
      { status: STATUS_OPTIONS.map((o) => o.key), startTime: "thisMonth" as const, duration: "gte4hours" as const, mine: true, archived: true },
    ];
    for (const state of states) await expect(list(filterString(executionFilters(state, new Date(), "someone"))), JSON.stringify(state)).resolves.toBeDefined();
  });

  it("selects by phase, duration and archive state", async () => {
    const names = async (state: Partial<Parameters<typeof executionFilters>[0]>) =>
      (await list(filterString(executionFilters({ status: [], startTime: "all", duration: "all", mine: false, archived: false, ...state }, new Date())))).executions.map((e) => e.id?.name).sort();
    expect(await names({ status: ["failed"] })).toEqual(["bad-1"]);
    expect(await names({ status: ["succeeded", "running"] })).toEqual(["ok-1", "ok-2", "running-1"]);
    expect(await names({ startTime: "lastHour" })).toHaveLength(6);
    expect(await names({ archived: true })).toEqual([]);
    await admin.updateExecution({ id: { project: "flytesnacks", domain: "development", name: "ok-1" }, state: 1 });
    expect(await names({ archived: true })).toEqual(["ok-1"]);
    expect(await names({})).not.toContain("ok-1");
  });
});
