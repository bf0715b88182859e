import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type Client, createClient, createRouterTransport } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Sort_Direction } from "../../gen/flyteidl/admin/common_pb.js";
import { NodeExecution_Phase as NodePhase, TaskExecution_Phase as TaskPhase, WorkflowExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import { type App, buildApp } from "../../src/app.js";
import { createLogger } from "../../src/logger.js";
import { createSqlStore } from "../../src/storage/sql-store.js";
import { testConfig } from "../helpers/app.js";
import { backends } from "../helpers/backends.js";
import { failure } from "../helpers/rpc-failure.js";
import { EXECUTION_COLUMNS } from "../../src/core/entity-columns.js";
import { loadFlytekitPackage, registerPackage } from "../fixtures/flytekit.js";

/**
 * `duration` as a filter and sort key of the three execution lists, as the
 * console's Duration filter sends it: a bare number is seconds, otherwise a Go
 * duration. FlyteAdmin's duration column is 0 until a run ends, so running
 * (and queued) rows compare and sort as 0 on both databases.
 */
const P = "flytesnacks";
const D = "development";
const t0 = Date.parse("2026-02-01T00:00:00Z");
const at = (s: number) => timestampFromDate(new Date(t0 + s * 1000));
const asc = (key: string) => ({ key, direction: Sort_Direction.ASCENDING });
const desc = (key: string) => ({ key, direction: Sort_Direction.DESCENDING });

describe.each(backends.filter((b) => b.name !== "sqlite file (WAL)"))("duration filters on $name", ({ open }) => {
  let app: App;
  let admin: Client<typeof AdminService>;
  const run = { project: P, domain: D, name: "mid" };
  const n0 = { nodeId: "n0", executionId: run };

  beforeAll(async () => {
    app = await buildApp(testConfig(), createLogger("silent"), { store: createSqlStore(await open()) });
    admin = createClient(AdminService, createRouterTransport(app.routes, { router: { interceptors: app.interceptors } }));
    await admin.registerProject({ project: { id: P, name: P } });
    const pkg = loadFlytekitPackage("hello", P, D, "v1");
    await registerPackage(admin, pkg);
    // Seconds each execution ran; undefined: still running; null: never started.
    const runs: [string, number | undefined | null][] = [["quick", 1], ["fast", 60], ["mid", 5400], ["slow", 7200], ["running", undefined], ["queued", null]];
    for (const [name, seconds] of runs) {
      const id = { project: P, domain: D, name };
      await admin.createExecution({ ...id, spec: { launchPlan: pkg.launchPlans[0]!.id }, inputs: {} });
      if (seconds === null) continue;
      await admin.createWorkflowEvent({ event: { executionId: id, phase: Phase.RUNNING, occurredAt: at(0), producerId: "propeller" } });
      if (seconds !== undefined) await admin.createWorkflowEvent({ event: { executionId: id, phase: Phase.SUCCEEDED, occurredAt: at(seconds), producerId: "propeller" } });
    }
    // Nodes of "mid": a ran 10s, b ran 2s, c is still running.
    const node = (nodeId: string, phase: NodePhase, s: number) =>
      admin.createNodeEvent({ event: { id: { nodeId, executionId: run }, phase, occurredAt: at(s), producerId: "propeller", specNodeId: nodeId } });
    await node("n0", NodePhase.RUNNING, 1);
    await node("n0", NodePhase.SUCCEEDED, 11);
    await node("n1", NodePhase.RUNNING, 1);
    await node("n1", NodePhase.SUCCEEDED, 3);
    await node("n2", NodePhase.RUNNING, 1);
    // Attempts of n0's task: 0 failed after 5s, 1 is running.
    const task = (retryAttempt: number, phase: TaskPhase, s: number) =>
      admin.createTaskEvent({ event: { taskId: pkg.tasks[0]!.id, parentNodeExecutionId: n0, retryAttempt, phase, occurredAt: at(s), producerId: "propeller" } });
    await task(0, TaskPhase.RUNNING, 1);
    await task(0, TaskPhase.FAILED, 6);
    await task(1, TaskPhase.RUNNING, 7);
  });
  afterAll(() => app?.close());

  const executions = async (filters: string, sortBy = asc("execution_name")) =>
    (await admin.listExecutions({ id: { project: P, domain: D }, limit: 100, filters, sortBy })).executions.map((e) => e.id?.name);
  const nodes = async (filters: string, sortBy = asc("node_id")) =>
    (await admin.listNodeExecutions({ workflowExecutionId: run, limit: 100, filters, sortBy })).nodeExecutions.map((n) => n.id?.nodeId);
  const attempts = async (filters: string, sortBy = asc("retry_attempt")) =>
    (await admin.listTaskExecutions({ nodeExecutionId: n0, limit: 100, filters, sortBy })).taskExecutions.map((t) => t.id?.retryAttempt);

  it("filters executions by seconds, fractions of a second and Go durations, running ones counting as 0", async () => {
    expect(await executions("lt(duration,3600)")).toEqual(["fast", "queued", "quick", "running"]);
    expect(await executions("gt(duration,1.5)")).toEqual(["fast", "mid", "slow"]);
    expect(await executions("lte(duration,1h30m)")).toEqual(["fast", "mid", "queued", "quick", "running"]);
    expect(await executions("gte(duration,1h30m0.5s)")).toEqual(["slow"]);
    expect(await executions("eq(duration,0)")).toEqual(["queued", "running"]);
    expect(await executions("value_in(duration,60;2h)")).toEqual(["fast", "slow"]);
    expect(await executions("gt(duration,1)+lt(duration,90m)")).toEqual(["fast"]);
  });

  it("sorts executions by duration both ways, running ones as 0", async () => {
    expect(await executions("", asc("duration"))).toEqual(["queued", "running", "quick", "fast", "mid", "slow"]);
    expect(await executions("", desc("duration"))).toEqual(["slow", "mid", "fast", "quick", "running", "queued"]);
  });

  it("filters and sorts node executions by their own duration and their execution's", async () => {
    expect(await nodes("lt(duration,3600)")).toEqual(["n0", "n1", "n2"]);
    expect(await nodes("gt(duration,1.5)")).toEqual(["n0", "n1"]);
    expect(await nodes("gt(duration,2.5s)")).toEqual(["n0"]);
    expect(await nodes("lte(duration,2000ms)")).toEqual(["n1", "n2"]);
    expect(await nodes("", asc("duration"))).toEqual(["n2", "n1", "n0"]);
    expect(await nodes("", desc("duration"))).toEqual(["n0", "n1", "n2"]);
    expect(await nodes("eq(execution.duration,1h30m)")).toEqual(["n0", "n1", "n2"]);
    expect(await nodes("lt(execution.duration,3600)")).toEqual([]);
  });

  it("takes a filter on every execution column from a node list, as the executions list does", async () => {
    // Each of these once passed validation and then failed in storage (INTERNAL): no map entry.
    expect(await nodes("eq(execution.launch_entity,launch_plan)")).toEqual(["n0", "n1", "n2"]);
    expect(await nodes("eq(execution.launch_entity,task)")).toEqual([]);
    expect(await nodes("eq(execution.execution_name,mid)")).toEqual(["n0", "n1", "n2"]);
    for (const column of Object.keys(EXECUTION_COLUMNS.columns)) {
      const value = EXECUTION_COLUMNS.columns[column] === "timestamp" ? "2026-01-01T00:00:00Z" : EXECUTION_COLUMNS.columns[column] === "text" ? "x" : "1";
      await expect(nodes(`gte(execution.${column},${value})`), column).resolves.toBeDefined();
    }
  });

  it("filters and sorts task executions by duration", async () => {
    expect(await attempts("lt(duration,3600)")).toEqual([0, 1]);
    expect(await attempts("gt(duration,1.5)")).toEqual([0]);
    expect(await attempts("lte(duration,4s)")).toEqual([1]);
    expect(await attempts("", asc("duration"))).toEqual([1, 0]);
    expect(await attempts("", desc("duration"))).toEqual([0, 1]);
  });

  it("refuses values that are neither seconds nor a Go duration", async () => {
    for (const list of [executions, nodes, attempts]) {
      for (const [filters, message] of [
        ["lt(duration,abc)", "Failed to parse duration [abc]"],
        ["lt(duration,5 minutes)", "Failed to parse duration [5 minutes]"],
        ["lt(duration,1e10)", "Failed to parse duration [1e10]"],
        ["lt(duration,3000000h)", "Failed to parse duration [3000000h]"],
        ["value_in(duration,1;x)", "Failed to parse duration [x]"],
        ["contains(duration,1)", "invalid filter expression: contains applies to text fields only, not '"],
      ] as const) {
        const f = await failure(list(filters));
        expect(f.code, filters).toBe("InvalidArgument");
        expect(f.message, filters).toContain(message);
      }
    }
  });
});
