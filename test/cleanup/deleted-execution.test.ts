import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type Client, createClient, createRouterTransport } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { NodeExecution_Phase as NodePhase, TaskExecution_Phase as TaskPhase, WorkflowExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import type { Identifier } from "../../gen/flyteidl/core/identifier_pb.js";
import { LiteralTypeSchema, SimpleType } from "../../gen/flyteidl/core/types_pb.js";
import { NodeExecutionSchema } from "../../gen/flyteidl/admin/node_execution_pb.js";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import { SignalService } from "../../gen/flyteidl/service/signal_pb.js";
import { type App, buildApp } from "../../src/app.js";
import { TERMINAL_PHASES } from "../../src/core/retention.js";
import { createLogger } from "../../src/logger.js";
import { createSqlStore } from "../../src/storage/sql-store.js";
import type { NodeExecutionStore, Store, TaskExecutionStore } from "../../src/storage/store.js";
import { loadFlytekitPackage, registerPackage } from "../fixtures/flytekit.js";
import { testConfig } from "../helpers/app.js";
import { backends } from "../helpers/backends.js";
import { failure } from "../helpers/rpc-failure.js";

const P = "flytesnacks";
const D = "development";
const exec = { project: P, domain: D, name: "e1" };
const t0 = Date.parse("2026-02-01T00:00:00Z");
const at = (s: number) => timestampFromDate(new Date(t0 + s * 1000));
// The execution is still running in these tests: events for it are accepted until the mark.
const MARKABLE = ["RUNNING", ...TERMINAL_PHASES];
const MISSING_FOR_NODE = `Failed to get existing execution id: [project:"${P}" domain:"${D}" name:"e1"] with err: missing entity of type execution`;
const MISSING_FOR_TASK = `Failed to get existing execution id: [project:"${P}" domain:"${D}" name:"e1"]`;

describe.each(backends)("A deleted execution on $name", ({ open }) => {
  let app: App | undefined;
  let store: Store;
  let admin: Client<typeof AdminService>;
  let signals: Client<typeof SignalService>;
  let task: Identifier;
  /** Runs between an event's reads and its write (the window a deletion can fall into). */
  let beforeWrite: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
    beforeWrite = undefined;
  });

  /** Runs `beforeWrite` once before the store method it wraps. */
  const hooked = <T extends object>(target: T, methods: (keyof T)[]): T =>
    new Proxy(target, {
      get(t, p, r) {
        const value = Reflect.get(t, p, r);
        if (!methods.includes(p as keyof T) || typeof value !== "function") return value;
        return async (...args: unknown[]) => {
          const hook = beforeWrite;
          beforeWrite = undefined;
          await hook?.();
          return (value as (...a: unknown[]) => unknown).apply(t, args);
        };
      },
    });

  async function setUp() {
    store = createSqlStore(await open());
    const wrapped: Store = {
      ...store,
      probe: () => store.probe(),
      close: () => store.close(),
      nodeExecutions: hooked<NodeExecutionStore>(store.nodeExecutions, ["create", "update"]),
      taskExecutions: hooked<TaskExecutionStore>(store.taskExecutions, ["create", "update"]),
    };
    app = await buildApp(testConfig(), createLogger("silent"), { store: wrapped });
    const transport = createRouterTransport(app.routes, { router: { interceptors: app.interceptors } });
    admin = createClient(AdminService, transport);
    signals = createClient(SignalService, transport);
    await admin.registerProject({ project: { id: P, name: P } });
    const pkg = loadFlytekitPackage("hello", P, D, "v1");
    await registerPackage(admin, pkg);
    task = pkg.tasks[0]!.id;
    await admin.createExecution({ ...exec, spec: { launchPlan: pkg.launchPlans[0]!.id }, inputs: {} });
    await admin.createWorkflowEvent({ event: { executionId: exec, phase: Phase.RUNNING, occurredAt: at(0), producerId: "propeller" } });
    await node("n0", NodePhase.RUNNING, 1);
    await taskEvent("n0", TaskPhase.RUNNING, 2);
    await signals.getOrCreateSignal({ id: { executionId: exec, signalId: "approve" }, type: create(LiteralTypeSchema, { type: { case: "simple", value: SimpleType.BOOLEAN } }) });
  }

  const node = (nodeId: string, phase: NodePhase, s: number) =>
    admin.createNodeEvent({ event: { id: { nodeId, executionId: exec }, phase, occurredAt: at(s), producerId: "propeller", specNodeId: nodeId } });
  const taskEvent = (nodeId: string, phase: TaskPhase, s: number) =>
    admin.createTaskEvent({
      event: { taskId: task, parentNodeExecutionId: { nodeId, executionId: exec }, retryAttempt: 0, phase, occurredAt: at(s), producerId: "propeller" },
    });
  const mark = async () => expect(await store.deletions.mark([exec], MARKABLE, new Date())).toBe(true);
  const purge = async () => {
    while ((await store.deletions.purgeRows(exec, 500)) > 0);
  };
  /** The whole deletion (mark, rows, mark forgotten): the execution is gone for good. */
  const deleteAll = async () => {
    await mark();
    await purge();
    await store.deletions.finish(exec);
  };

  it("shows nothing of a marked execution to any reader", async () => {
    await setUp();
    await mark();
    const nodeId = { executionId: exec, nodeId: "n0" };
    const taskId = { taskId: task, nodeExecutionId: nodeId, retryAttempt: 0 };
    // Each call starts when its turn comes: a rejection is never left without a handler.
    for (const call of [
      () => admin.getExecution({ id: exec }),
      () => admin.getExecutionData({ id: exec }),
      () => admin.getExecutionMetrics({ id: exec, depth: 2 }),
      () => admin.getNodeExecution({ id: nodeId }),
      () => admin.getNodeExecutionData({ id: nodeId }),
      () => admin.getDynamicNodeWorkflow({ id: nodeId }),
      () => admin.listNodeExecutions({ workflowExecutionId: exec, limit: 10, uniqueParentId: "n0" }),
      () => admin.getTaskExecution({ id: taskId }),
      () => admin.getTaskExecutionData({ id: taskId }),
      () => admin.listNodeExecutionsForTask({ taskExecutionId: taskId, limit: 10 }),
    ]) {
      expect((await failure(call())).code).toBe("NotFound");
    }
    expect((await admin.listExecutions({ id: { project: P, domain: D }, limit: 10 })).executions).toEqual([]);
    expect((await admin.listExecutions({ id: { project: P, domain: D }, limit: 10, filters: "eq(phase,RUNNING)" })).executions).toEqual([]);
    expect((await admin.listNodeExecutions({ workflowExecutionId: exec, limit: 10 })).nodeExecutions).toEqual([]);
    expect((await admin.listNodeExecutions({ workflowExecutionId: exec, limit: 10, filters: "eq(execution.phase,RUNNING)" })).nodeExecutions).toEqual([]);
    expect((await admin.listTaskExecutions({ nodeExecutionId: nodeId, limit: 10 })).taskExecutions).toEqual([]);
    expect((await signals.listSignals({ workflowExecutionId: exec, limit: 10 })).signals).toEqual([]);
    const set = await failure(signals.setSignal({ id: { executionId: exec, signalId: "approve" }, value: { value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "boolean", value: true } } } } } } }));
    expect(set.code).toBe("InvalidArgument");
    expect(set.message).toMatch(/signal does not exist/);
    const type = create(LiteralTypeSchema, { type: { case: "simple", value: SimpleType.BOOLEAN } });
    // Neither the old signal nor a new one while the deletion runs.
    for (const signalId of ["approve", "late"]) {
      const got = await failure(signals.getOrCreateSignal({ id: { executionId: exec, signalId }, type }));
      expect(got).toEqual({ code: "NotFound", message: `execution ${P}/${D}/e1 is being deleted` });
    }
    // Events are refused as for a missing execution.
    expect(await failure(node("n0", NodePhase.SUCCEEDED, 5))).toEqual({ code: "NotFound", message: MISSING_FOR_NODE });
    expect(await failure(taskEvent("n0", TaskPhase.SUCCEEDED, 5))).toEqual({ code: "NotFound", message: MISSING_FOR_TASK });
    expect((await failure(admin.createWorkflowEvent({ event: { executionId: exec, phase: Phase.SUCCEEDED, occurredAt: at(6), producerId: "propeller" } }))).code).toBe("NotFound");
    await purge();
    expect(await store.deletions.countRows(exec)).toBe(0);
  }, 120_000);

  // Each event's existence check passes; the deletion lands between it and the write.
  const races: [string, () => Promise<unknown>, string][] = [
    ["a node event creating its node execution", () => node("n1", NodePhase.RUNNING, 5), MISSING_FOR_NODE],
    ["a node event updating its node execution", () => node("n0", NodePhase.SUCCEEDED, 5), MISSING_FOR_NODE],
    ["a task event creating its attempt", () => taskEvent("n0-retry", TaskPhase.RUNNING, 5), MISSING_FOR_TASK],
    ["a task event updating its attempt", () => taskEvent("n0", TaskPhase.SUCCEEDED, 5), MISSING_FOR_TASK],
  ];
  it.each(races)("%s after the mark writes nothing and is refused as for a missing execution", async (_name, send, message) => {
    await setUp();
    if (_name === "a task event creating its attempt") await node("n0-retry", NodePhase.RUNNING, 4);
    beforeWrite = mark;
    expect(await failure(send())).toEqual({ code: "NotFound", message });
    expect(beforeWrite).toBeUndefined();
    await purge();
    expect(await store.deletions.countRows(exec)).toBe(0);
  }, 120_000);

  it.each(races)("%s after the whole deletion leaves no row behind", async (_name, send, message) => {
    await setUp();
    if (_name === "a task event creating its attempt") await node("n0-retry", NodePhase.RUNNING, 4);
    beforeWrite = deleteAll;
    expect(await failure(send())).toEqual({ code: "NotFound", message });
    expect(beforeWrite).toBeUndefined();
    expect(await store.deletions.countRows(exec)).toBe(0);
  }, 120_000);

  it("a deletion that starts while a node execution's insert is still open waits for it and purges the row", async () => {
    await setUp();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let inserted!: () => void;
    const insertDone = new Promise<void>((r) => (inserted = r));
    const ne = create(NodeExecutionSchema, { id: { executionId: exec, nodeId: "slow" }, closure: { phase: NodePhase.RUNNING, createdAt: at(3), updatedAt: at(3) } });
    // The insert has run; its transaction stays open (as while an event writes its blobs).
    const write = store.nodeExecutions.create(ne, {}, 0, "", async () => {
      inserted();
      await held;
    });
    await insertDone;
    const deletion = deleteAll();
    // Without the lock the whole deletion would finish here, before the row is committed. A bound
    // rather than a condition: should the deletion not wait, it is done long before it.
    const finished = await Promise.race([deletion.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 1_000))]);
    release();
    expect(await write).toBe(true);
    await deletion;
    expect(finished).toBe(false);
    expect(await store.deletions.countRows(exec)).toBe(0);
  }, 120_000);
});
