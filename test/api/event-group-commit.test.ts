import { rmSync } from "node:fs";
import { join } from "node:path";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { NodeExecution_Phase as NodePhase, TaskExecution_Phase as TaskPhase, WorkflowExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import type { App } from "../../src/app.js";
import { inMemoryAdmin, testConfig } from "../helpers/app.js";
import { failure } from "../helpers/rpc-failure.js";
import { loadFlytekitPackage, registerPackage } from "../fixtures/flytekit.js";

/** Engine events arriving together on a SQLite file, which commits their writes in shared transactions. */
type Admin = Awaited<ReturnType<typeof inMemoryAdmin>>["admin"];
const P = "flytesnacks";
const D = "development";
const pkg = loadFlytekitPackage("hello", P, D, "v1");
const taskId = pkg.tasks[0]!.id;
const t0 = Date.parse("2026-03-01T12:00:00Z");
const at = (s: number) => timestampFromDate(new Date(t0 + s * 1000));
const EXECUTIONS = 6;
const NODES = 8;

let app: App;
let admin: Admin;
let database: string;
beforeEach(async () => {
  database = join(testConfig().dataDir, "admin.db");
  ({ app, admin } = await inMemoryAdmin({ database }));
  await admin.registerProject({ project: { id: P, name: P } });
  await registerPackage(admin, pkg);
  for (let e = 0; e < EXECUTIONS; e++) {
    const exec = { project: P, domain: D, name: `run-${e}` };
    await admin.createExecution({ ...exec, spec: { launchPlan: pkg.launchPlans[0]!.id }, inputs: {} });
    await admin.createWorkflowEvent({ event: { executionId: exec, phase: Phase.RUNNING, occurredAt: at(0), producerId: "propeller" } });
  }
});
afterEach(() => app.close());

const node = (e: number, n: number, phase: NodePhase, s: number) =>
  admin.createNodeEvent({ event: { id: { nodeId: `n${n}`, executionId: { project: P, domain: D, name: `run-${e}` } }, phase, occurredAt: at(s), producerId: "propeller", specNodeId: `n${n}`, eventVersion: 2 } });
const task = (e: number, n: number, phase: TaskPhase, s: number) =>
  admin.createTaskEvent({
    event: { taskId, parentNodeExecutionId: { nodeId: `n${n}`, executionId: { project: P, domain: D, name: `run-${e}` } }, retryAttempt: 0, phase, occurredAt: at(s), producerId: "propeller", taskType: "python-task" },
  });

describe("events arriving together", () => {
  it("are all stored, each node and attempt in its last phase, whichever transaction each shared", async () => {
    // Every node of every execution at once, each node's events in order.
    await Promise.all(
      Array.from({ length: EXECUTIONS * NODES }, async (_, i) => {
        const [e, n] = [Math.floor(i / NODES), i % NODES];
        await node(e, n, NodePhase.QUEUED, 1);
        await node(e, n, NodePhase.RUNNING, 2);
        await task(e, n, TaskPhase.RUNNING, 3);
        await task(e, n, TaskPhase.SUCCEEDED, 4);
        await node(e, n, NodePhase.SUCCEEDED, 5);
      }),
    );
    for (let e = 0; e < EXECUTIONS; e++) {
      const { nodeExecutions } = await admin.listNodeExecutions({ workflowExecutionId: { project: P, domain: D, name: `run-${e}` }, limit: 100 });
      expect(nodeExecutions.map((ne) => [ne.id!.nodeId, NodePhase[ne.closure!.phase]]).sort()).toEqual(Array.from({ length: NODES }, (_, n) => [`n${n}`, "SUCCEEDED"]).sort());
      expect(nodeExecutions.every((ne) => ne.closure!.startedAt && ne.closure!.duration)).toBe(true);
      const { taskExecutions } = await admin.listTaskExecutions({ nodeExecutionId: { nodeId: "n3", executionId: { project: P, domain: D, name: `run-${e}` } }, limit: 10 });
      expect(taskExecutions.map((te) => TaskPhase[te.closure!.phase])).toEqual(["SUCCEEDED"]);
    }
  });

  it("refuse a repeated or invalid transition alone: the events around it are stored", async () => {
    await Promise.all(Array.from({ length: NODES }, (_, n) => node(0, n, NodePhase.QUEUED, 1)));
    const results = await Promise.allSettled([node(0, 0, NodePhase.RUNNING, 2), node(0, 1, NodePhase.QUEUED, 2), node(0, 2, NodePhase.RUNNING, 2)]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((await failure(node(0, 1, NodePhase.QUEUED, 3))).code).toBe("AlreadyExists");
    const phase = async (n: number) => NodePhase[(await admin.getNodeExecution({ id: { nodeId: `n${n}`, executionId: { project: P, domain: D, name: "run-0" } } })).closure!.phase];
    expect([await phase(0), await phase(1), await phase(2)]).toEqual(["RUNNING", "QUEUED", "RUNNING"]);
  });

  it("fail together, UNAVAILABLE, when the database file goes away before their commit", async () => {
    const pending = Array.from({ length: NODES }, (_, n) => failure(node(1, n, NodePhase.QUEUED, 1)));
    rmSync(database);
    const codes = (await Promise.all(pending)).map((f) => f.code);
    expect(codes).toEqual(Array.from({ length: NODES }, () => "Unavailable"));
  });
});
