import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ExecutionError_ErrorKind as Kind, NodeExecution_Phase, TaskExecution_Phase } from "../../../gen/flyteidl/core/execution_pb.js";
import { ResourceType } from "../../../gen/flyteidl/core/identifier_pb.js";
import { createEchoPlugin } from "../../../src/engine/local/echo-plugin.js";
import { DOMAIN, PROJECT, promise, T, taskNode, workflow } from "../../fixtures/flyte-builders.js";
import { eventLines, type Harness, intLiteral, launch, literals, registerTasks, registerWorkflow, startHarness, taskOfType, waitFor, waitForPhase } from "./harness.js";
import { createScriptedPlugin } from "./scripted-plugin.js";

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ plugins: [createEchoPlugin(), createScriptedPlugin()] });
});
afterEach(() => h.close());

const nodeError = async (id: Awaited<ReturnType<typeof launch>>, nodeId: string) => {
  const n = await h.admin.getNodeExecution({ id: { executionId: id, nodeId } });
  return { phase: NodeExecution_Phase[n.closure!.phase], error: n.closure?.outputResult.case === "error" ? n.closure.outputResult.value : undefined };
};

describe("what the engine cannot run fails clearly", () => {
  it("fails a task of a type no plugin runs", async () => {
    const t = taskOfType("sagemaker", "wf.odd", { x: T.int() }, { o0: T.int() });
    const wf = workflow("wf.odd", { inputs: { x: T.int() }, nodes: [taskNode("n0", t, { inputs: { x: promise("", "x") } })] });
    await registerTasks(h.admin, t);
    await registerWorkflow(h.admin, wf);
    const id = await launch(h.admin, wf.id!, "odd", literals({ x: intLiteral(1) }));
    await waitForPhase(h.admin, id, ["FAILED"]);
    const n0 = await nodeError(id, "n0");
    expect(n0.phase).toBe("FAILED");
    expect(n0.error).toMatchObject({ kind: Kind.SYSTEM, code: "UnsupportedTaskType" });
    expect(n0.error?.message).toContain("task type [sagemaker]");
    expect(n0.error?.message).toContain("plugins available: [echo, scripted-plugin]");
    expect(eventLines(h.events, "odd")).toEqual(["WF RUNNING", "N start-node SUCCEEDED", "N n0 QUEUED", "N n0 FAILED", "WF FAILING", "WF FAILED"]);
  });

  it("fails a node whose inputs cannot be resolved, straight from not-yet-started", async () => {
    const t = taskOfType("echo", "wf.e2", { x: T.int() }, { o0: T.int() });
    const wf = workflow("wf.unbound", {
      inputs: { x: T.int() },
      nodes: [taskNode("n0", t, { inputs: { x: promise("", "x") } }), taskNode("n1", t, { inputs: { x: promise("n0", "o0") } })],
    });
    await registerTasks(h.admin, t);
    await registerWorkflow(h.admin, wf);
    // Once n0 has succeeded its outputs become unreadable, so n1's promise cannot be resolved.
    const get = h.blobs.getMessage.bind(h.blobs);
    h.blobs.getMessage = (async (key: string, schema: never) => {
      if (key.endsWith("/n0/data/0/outputs.pb") && eventLines(h.events, "unbound").includes("N n0 SUCCEEDED")) throw new Error("disk on fire");
      return get(key, schema);
    }) as typeof h.blobs.getMessage;
    const id = await launch(h.admin, wf.id!, "unbound", literals({ x: intLiteral(1) }));
    await waitForPhase(h.admin, id, ["FAILED"]);
    const lines = eventLines(h.events, "unbound");
    expect(lines.filter((l) => l.startsWith("N n1 "))).toEqual(["N n1 FAILED"]);
    const n1 = await nodeError(id, "n1");
    expect(n1.error).toMatchObject({ kind: Kind.SYSTEM, code: "BindingResolutionFailure" });
    expect(n1.error?.message).toContain("disk on fire");
    expect(lines.filter((l) => l.startsWith("T n1"))).toEqual([]);
  });
});

describe("replays", () => {
  it("replays a round whose status write lost the race; the repeated events are absorbed", async () => {
    const t = taskOfType("echo", "wf.cas", { x: T.int() }, { o0: T.int() });
    const wf = workflow("wf.cas", { inputs: { x: T.int() }, outputs: { o0: T.int() }, nodes: [taskNode("n0", t, { inputs: { x: promise("", "x") } })], outputBindings: { o0: promise("n0", "o0") } });
    await registerTasks(h.admin, t);
    await registerWorkflow(h.admin, wf);
    const engineStore = h.store.engine;
    const update = engineStore.update.bind(engineStore);
    let calls = 0;
    // Every third status write is lost: another writer moved the row first (its version, not its status).
    engineStore.update = async (key, version, u) => {
      if (++calls % 3 !== 0) return update(key, version, u);
      const row = await engineStore.get(key);
      await update(key, version, { status: row!.status, active: row!.active, nextWakeAt: row!.nextWakeAt });
      return false;
    };
    const id = await launch(h.admin, wf.id!, "cas", literals({ x: intLiteral(4) }));
    await waitForPhase(h.admin, id, ["SUCCEEDED"]);
    // The write that retires the row may be one of the lost ones: its replay comes after SUCCEEDED.
    await waitFor("the row retired", async () => ((await engineStore.get({ project: id.project, domain: id.domain, name: id.name }))?.active === false ? true : undefined));
    engineStore.update = update;
    expect(h.events.filter((r) => r.refused && r.refused !== "AlreadyExists")).toEqual([]);
    expect(h.events.some((r) => r.refused === "AlreadyExists")).toBe(true);
    const tasks = await h.admin.listTaskExecutions({ nodeExecutionId: { executionId: id, nodeId: "n0" }, limit: 10 });
    expect(tasks.taskExecutions).toHaveLength(1);
    expect((await h.admin.getExecutionData({ id })).fullOutputs?.literals.o0).toEqual(intLiteral(4));
  });
});

describe("launches", () => {
  it("runs an execution whose cluster was never recorded (the server stopped mid-launch)", async () => {
    const t = taskOfType("echo", "wf.nocluster", { x: T.int() }, { o0: T.int() });
    const wf = workflow("wf.nocluster", { inputs: { x: T.int() }, nodes: [taskNode("n0", t, { inputs: { x: promise("", "x") } })] });
    await registerTasks(h.admin, t);
    await registerWorkflow(h.admin, wf);
    const execute = h.engine.executor.execute.bind(h.engine.executor);
    h.engine.executor.execute = async (l) => (await execute(l), { cluster: "" });
    const id = await launch(h.admin, wf.id!, "nocluster", literals({ x: intLiteral(1) }));
    await waitForPhase(h.admin, id, ["SUCCEEDED"]);
    const lines = eventLines(h.events, "nocluster");
    expect(lines[0]).toBe("WF RUNNING !IncompatibleCluster");
    expect(lines.slice(1, 3)).toEqual(["WF RUNNING", "N start-node SUCCEEDED"]);
    expect(h.events.filter((r) => r.kind === "node").every((r) => r.event.producerId === "")).toBe(true);
  });

  it("runs a single-task execution and relaunches it", async () => {
    const t = taskOfType("echo", "wf.single", { x: T.int() }, { o0: T.int() });
    await registerTasks(h.admin, t);
    await h.admin.createExecution({
      project: PROJECT,
      domain: DOMAIN,
      name: "single",
      spec: { launchPlan: { ...t.id!, resourceType: ResourceType.TASK } },
      inputs: literals({ x: intLiteral(9) }),
    });
    const id = { project: PROJECT, domain: DOMAIN, name: "single" };
    await waitForPhase(h.admin, id as never, ["SUCCEEDED"]);
    expect((await h.admin.getExecutionData({ id })).fullOutputs?.literals.o0).toEqual(intLiteral(9));
    const nodes = (await h.admin.listNodeExecutions({ workflowExecutionId: id, limit: 10 })).nodeExecutions.map((n) => n.id!.nodeId);
    const taskNodeId = nodes.find((n) => n !== "start-node" && n !== "end-node")!;
    const tasks = await h.admin.listTaskExecutions({ nodeExecutionId: { executionId: id, nodeId: taskNodeId }, limit: 10 });
    expect(tasks.taskExecutions.map((x) => TaskExecution_Phase[x.closure!.phase])).toEqual(["SUCCEEDED"]);

    await h.admin.relaunchExecution({ id, name: "again" });
    const again = { project: PROJECT, domain: DOMAIN, name: "again" };
    await waitForPhase(h.admin, again as never, ["SUCCEEDED"]);
    expect((await h.admin.getExecutionData({ id: again })).fullOutputs?.literals.o0).toEqual(intLiteral(9));
  });
});
