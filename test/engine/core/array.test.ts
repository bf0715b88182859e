import { create } from "@bufbuild/protobuf";
import { afterEach, describe, expect, it } from "vitest";
import { NodeExecution_Phase as NodePhase, TaskExecution_Phase as TaskPhase, WorkflowExecution_Phase as WfPhase } from "../../../gen/flyteidl/core/execution_pb.js";
import { type BindingData, type Literal, LiteralSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import type { TaskTemplate } from "../../../gen/flyteidl/core/tasks_pb.js";
import type { LiteralType } from "../../../gen/flyteidl/core/types_pb.js";
import { VariableSchema } from "../../../gen/flyteidl/core/interface_pb.js";
import { type Node, NodeSchema } from "../../../gen/flyteidl/core/workflow_pb.js";
import type { TaskExecutionEvent } from "../../../gen/flyteidl/event/event_pb.js";
import { createEchoPlugin } from "../../../src/engine/local/echo-plugin.js";
import { parseStatus } from "../../../src/engine/local/status.js";
import { bindings, promise, subWorkflowNode, T, taskNode, workflow } from "../../fixtures/flyte-builders.js";
import { fixedLength, generatedName } from "../../fixtures/engine/expected-names.js";
import { createElementPlugin, type ElementPlugin } from "./element-plugin.js";
import { eventLines, type Harness, type HarnessOptions, intLiteral, launch, literals, registerTasks, registerWorkflow, startHarness, taskOfType, waitFor, waitForPhase } from "./harness.js";

/**
 * Array nodes (engine-spec §2.4.8, §5.3, §10 scenario 16) with test plugins:
 * the one task execution of the array node and its external resources, the
 * success criteria and the none fill-in, bad inputs, parallelism, terminate
 * and restart.
 */
let h: Harness;
let elements: ElementPlugin;
const start = async (options: HarnessOptions = {}) => {
  elements = createElementPlugin();
  h = await startHarness({ plugins: [createEchoPlugin(), elements], ...options });
};
afterEach(() => h?.close());

const list = (...xs: number[]): Literal => create(LiteralSchema, { value: { case: "collection", value: { literals: xs.map(intLiteral) } } });
const none = (): Literal => create(LiteralSchema, { value: { case: "scalar", value: { value: { case: "noneType", value: {} } } } });

interface MapOptions {
  parallelism?: number;
  minSuccesses?: number;
  minSuccessRatio?: number;
  config?: Record<string, string>;
  type?: string;
  output?: LiteralType;
  retries?: number;
}

/** `map_task(t)(x=xs)` as flytekit registers it: the sub-node binds what the array node binds, the task has list types. */
function mapWorkflow(name: string, o: MapOptions = {}): { task: TaskTemplate; wf: ReturnType<typeof workflow> } {
  const output = o.output ?? T.list(T.int());
  const task = taskOfType(o.type ?? "element", `${name}.plus_one`, { x: T.list(T.int()) }, { o0: output }, { config: o.config ?? {}, ...(o.retries !== undefined ? { retries: o.retries } : {}) });
  const inputs: Record<string, BindingData> = { x: promise("", "xs") };
  const sub = taskNode("plus_one", task, { inputs });
  const node: Node = create(NodeSchema, {
    id: "n0",
    metadata: { name: "map_plus_one" },
    inputs: bindings(inputs),
    target: {
      case: "arrayNode",
      value: {
        node: sub,
        ...(o.parallelism !== undefined ? { parallelismOption: { case: "parallelism", value: o.parallelism } } : {}),
        ...(o.minSuccesses !== undefined ? { successCriteria: { case: "minSuccesses", value: o.minSuccesses } } : {}),
        ...(o.minSuccessRatio !== undefined ? { successCriteria: { case: "minSuccessRatio", value: o.minSuccessRatio } } : {}),
      },
    },
  });
  const wf = workflow(`${name}.wf`, { inputs: { xs: T.list(T.int()) }, outputs: { o0: output }, nodes: [node], outputBindings: { o0: promise("n0", "o0") } });
  return { task, wf };
}

async function run(name: string, xs: number[], o: MapOptions = {}) {
  const { task, wf } = mapWorkflow(name, o);
  await registerTasks(h.admin, task);
  await registerWorkflow(h.admin, wf);
  return launch(h.admin, wf.id!, name, literals({ xs: list(...xs) }));
}

const taskEvents = (exec: string): TaskExecutionEvent[] =>
  h.events.flatMap((r) => (r.kind === "task" && r.event.parentNodeExecutionId?.executionId?.name === exec && !r.refused ? [r.event] : []));
/** `<index>:<phase>@<attempt>` of each external resource of an event. */
const resources = (e: TaskExecutionEvent) => (e.metadata?.externalResources ?? []).map((r) => `${r.index}:${TaskPhase[r.phase]}@${r.retryAttempt}`);
const outputs = async (id: Awaited<ReturnType<typeof launch>>) => (await h.admin.getExecutionData({ id })).fullOutputs?.literals;

describe("a map task over [1, 2, 3]", () => {
  it("is one task execution of the array node whose external resources follow the elements, then the gathered outputs", async () => {
    await start();
    const id = await run("arr", [1, 2, 3], { type: "echo" });
    await waitForPhase(h.admin, id, ["SUCCEEDED"]);
    expect(eventLines(h.events, "arr")).toEqual([
      "WF RUNNING",
      "N start-node SUCCEEDED",
      "N n0 QUEUED",
      "T n0#0 QUEUED v0",
      "N n0 RUNNING",
      "T n0#0 RUNNING v1",
      "T n0#0 RUNNING v2",
      "T n0#0 RUNNING v3",
      "T n0#0 SUCCEEDED v0",
      "N n0 SUCCEEDED",
      "N end-node QUEUED",
      "N end-node SUCCEEDED",
      "WF SUCCEEDING",
      "WF SUCCEEDED",
    ]);
    const ts = taskEvents("arr");
    expect(ts.map(resources)).toEqual([
      ["0:UNDEFINED@0", "1:UNDEFINED@0", "2:UNDEFINED@0"],
      ["0:QUEUED@0", "1:QUEUED@0", "2:QUEUED@0"],
      ["0:RUNNING@0", "1:RUNNING@0", "2:RUNNING@0"],
      ["0:SUCCEEDED@0", "1:SUCCEEDED@0", "2:SUCCEEDED@0"],
      ["0:SUCCEEDED@0", "1:SUCCEEDED@0", "2:SUCCEEDED@0"],
    ]);
    const array = generatedName("arr", "n0", 0);
    expect(ts[0]!.metadata?.externalResources.map((r) => r.externalId)).toEqual([0, 1, 2].map((i) => `${array}-n${i}-0`));
    const meta = "metadata/propeller/flytesnacks-development-arr/n0/data";
    for (const e of ts) {
      expect(e).toMatchObject({ retryAttempt: 0, taskType: "container_array", eventVersion: 1, producerId: "local", metadata: { pluginIdentifier: "k8s-array" } });
      expect(e.taskId?.name).toBe("arr.plus_one");
      expect(e.inputValue.case === "inputUri" ? e.inputValue.value.endsWith(`${meta}/inputs.pb`) : e.phase !== TaskPhase.QUEUED).toBe(true);
    }
    expect(ts[4]!.outputResult).toMatchObject({ case: "outputUri", value: expect.stringMatching(new RegExp(`${meta}/0/outputs.pb$`)) });
    const nodeEvents = h.events.flatMap((r) => (r.kind === "node" && r.event.id?.nodeId === "n0" ? [r.event] : []));
    expect(nodeEvents.every((e) => e.isArray && !e.isParent && e.targetEntity === undefined)).toBe(true);
    expect(nodeEvents.at(-1)?.outputResult).toEqual(ts[4]!.outputResult);
    // echo copies each element's x to its o0.
    expect((await outputs(id))?.o0).toEqual(list(1, 2, 3));

    const node = await h.admin.getNodeExecution({ id: { executionId: id, nodeId: "n0" } });
    expect(node.metadata?.isArray).toBe(true);
    const tasks = await h.admin.listTaskExecutions({ nodeExecutionId: { executionId: id, nodeId: "n0" }, limit: 10 });
    expect(tasks.taskExecutions).toHaveLength(1);
    expect(tasks.taskExecutions[0]!.closure?.metadata?.externalResources.map((r) => [r.index, TaskPhase[r.phase]])).toEqual([
      [0, "SUCCEEDED"],
      [1, "SUCCEEDED"],
      [2, "SUCCEEDED"],
    ]);
    // The elements have no node executions of their own.
    const all = await h.admin.listNodeExecutions({ workflowExecutionId: id, limit: 100 });
    expect(all.nodeExecutions.map((n) => n.id?.nodeId).sort()).toEqual(["end-node", "n0", "start-node"]);
    expect(h.events.filter((r) => r.refused && r.refused !== "AlreadyExists")).toEqual([]);
  });
});

describe("success criteria", () => {
  it("succeeds with min_success_ratio 0.5 when one of three fails, with none at its index", async () => {
    await start();
    const id = await run("ratio", [1, 2, 3], { minSuccessRatio: 0.5, config: { fail: "2" }, output: T.list(T.optional(T.int())) });
    await waitForPhase(h.admin, id, ["SUCCEEDED"]);
    expect((await outputs(id))?.o0).toEqual(create(LiteralSchema, { value: { case: "collection", value: { literals: [intLiteral(2), none(), intLiteral(4)] } } }));
    const last = taskEvents("ratio").at(-1)!;
    expect([TaskPhase[last.phase], resources(last)]).toEqual(["SUCCEEDED", ["0:SUCCEEDED@0", "1:FAILED@0", "2:SUCCEEDED@0"]]);
    expect(last.outputResult.case).toBe("outputUri");
    const node = await h.admin.getNodeExecution({ id: { executionId: id, nodeId: "n0" } });
    expect(node.closure?.phase).toBe(NodePhase.SUCCEEDED);
  });

  it("fails once success is out of reach: the elements in flight are aborted and the failures summarised", async () => {
    await start();
    const id = await run("allof", [1, 2, 3, 4], { config: { fail: "2,3", hang: "4" } });
    const exec = await waitForPhase(h.admin, id, ["FAILED"]);
    expect(eventLines(h.events, "allof").slice(-4)).toEqual(["T n0#0 FAILED v0", "N n0 FAILED", "WF FAILING", "WF FAILED"]);
    const failed = taskEvents("allof").at(-1)!;
    expect(TaskPhase[failed.phase]).toBe("FAILED");
    expect(resources(failed)).toEqual(["0:SUCCEEDED@0", "1:FAILED@0", "2:FAILED@0", "3:ABORTED@0"]);
    const summary = { kind: 0, code: "", message: "[1]: 2 is bad\n[2]: 3 is bad\n" };
    expect(failed.outputResult).toMatchObject({ case: "error", value: summary });
    const node = await h.admin.getNodeExecution({ id: { executionId: id, nodeId: "n0" } });
    expect(node.closure?.phase).toBe(NodePhase.FAILED);
    expect(node.closure?.outputResult).toMatchObject({ case: "error", value: summary });
    expect(exec.closure?.outputResult).toMatchObject({ case: "error", value: { message: summary.message } });
    expect(elements.aborted).toEqual([generatedName("allof", "n0-0-n3", 0)]);
    expect(elements.running).toBe(0);
  });

  it("retries an element by its own retries: a new attempt, external id and output directory", async () => {
    await start();
    const id = await run("retry", [1, 2, 3], { config: { recoverable: "2" }, retries: 1 });
    await waitForPhase(h.admin, id, ["SUCCEEDED"]);
    expect((await outputs(id))?.o0).toEqual(list(2, 3, 4));
    const seen = taskEvents("retry").flatMap((e) => resources(e).filter((r) => r.startsWith("1:")));
    expect(seen).toContain("1:FAILED@0");
    expect(seen.at(-1)).toBe("1:SUCCEEDED@1");
    const last = taskEvents("retry").at(-1)!;
    expect(last.metadata?.externalResources[1]?.externalId).toBe(`${generatedName("retry", "n0", 0)}-n1-1`);
    expect(elements.launched.filter((l) => l.x === 2).map((l) => l.attempt)).toEqual([0, 1]);
  });
});

describe("inputs", () => {
  it("gives each element its own inputs, and its process the array node's inputs and its index", async () => {
    await start();
    const id = await run("given", [5, 6]);
    await waitForPhase(h.admin, id, ["SUCCEEDED"]);
    const byX = Object.fromEntries(elements.launched.map((l) => [l.x, l]));
    expect(Object.keys(byX).sort()).toEqual(["5", "6"]);
    for (const [i, x] of [5, 6].entries()) {
      const l = byX[x]!;
      expect(l.array).toEqual({ index: i, inputPath: expect.stringMatching(/\/n0\/data\/inputs\.pb$/), inputPrefix: expect.stringMatching(/\/n0\/data$/) });
      expect(l.inputPath).toMatch(new RegExp(`/n0/data/0/${i}/inputs\\.pb$`));
      expect(l.generatedName).toBe(generatedName("given", `n0-0-n${i}`, 0));
    }
  });

  it("fails an array node whose lists differ in length, before any task execution", async () => {
    await start();
    const task = taskOfType("element", "len.t", { x: T.list(T.int()), y: T.list(T.int()) }, { o0: T.list(T.int()) });
    const inputs: Record<string, BindingData> = { x: promise("", "xs"), y: promise("", "ys") };
    const node = create(NodeSchema, { id: "n0", metadata: { name: "m" }, inputs: bindings(inputs), target: { case: "arrayNode", value: { node: taskNode("t", task, { inputs }) } } });
    const wf = workflow("len.wf", { inputs: { xs: T.list(T.int()), ys: T.list(T.int()) }, nodes: [node] });
    await registerTasks(h.admin, task);
    await registerWorkflow(h.admin, wf);
    const id = await launch(h.admin, wf.id!, "len", literals({ xs: list(1, 2), ys: list(1, 2, 3) }));
    await waitForPhase(h.admin, id, ["FAILED"]);
    const lines = eventLines(h.events, "len");
    expect(lines.filter((l) => l.includes(" n0"))).toEqual(["N n0 QUEUED", "N n0 FAILED"]);
    const n0 = await h.admin.getNodeExecution({ id: { executionId: id, nodeId: "n0" } });
    expect(n0.closure?.outputResult).toMatchObject({ case: "error", value: { kind: 1, code: "InvalidArrayLength", message: "input arrays have different lengths: expecting '2' found '3'" } });
  });

  it("succeeds over an empty list with empty outputs: one task event, SUCCEEDED", async () => {
    await start();
    const id = await run("empty", []);
    await waitForPhase(h.admin, id, ["SUCCEEDED"]);
    expect((await outputs(id))?.o0).toEqual(list());
    expect(eventLines(h.events, "empty").filter((l) => l.includes(" n0"))).toEqual(["N n0 QUEUED", "N n0 RUNNING", "T n0#0 SUCCEEDED v0", "N n0 SUCCEEDED"]);
    expect(resources(taskEvents("empty")[0]!)).toEqual([]);
    expect(elements.launched).toEqual([]);
  });
});

describe("running elements", () => {
  it("runs at most `parallelism` elements at once", async () => {
    await start();
    const id = await run("par", [1, 2, 3, 4, 5, 6], { parallelism: 2, config: { sleep_ms: "50" } });
    await waitForPhase(h.admin, id, ["SUCCEEDED"]);
    expect((await outputs(id))?.o0).toEqual(list(2, 3, 4, 5, 6, 7));
    expect(elements.maxRunning).toBe(2);
    // In index order: the third element starts once one of the first two finished.
    expect(elements.launched.map((l) => l.x)).toEqual([1, 2, 3, 4, 5, 6]);
    // Each element's log is on its resource, named with its index.
    const t = (await h.admin.listTaskExecutions({ nodeExecutionId: { executionId: id, nodeId: "n0" }, limit: 1 })).taskExecutions[0]!;
    expect(t.closure?.metadata?.externalResources.map((r) => r.logs.map((l) => l.name))).toEqual([0, 1, 2, 3, 4, 5].map((i) => [`Element log-${i}`]));
  });

  it("runs every element at once without parallelism, within the engine's task slots", async () => {
    await start({ config: { maxConcurrentTasks: 3 } });
    const id = await run("slots", [1, 2, 3, 4, 5, 6, 7], { config: { sleep_ms: "50" } });
    await waitForPhase(h.admin, id, ["SUCCEEDED"]);
    expect((await outputs(id))?.o0).toEqual(list(2, 3, 4, 5, 6, 7, 8));
    expect(elements.maxRunning).toBe(3);
    // Elements beyond the slots were started as slots came free, each reported QUEUED first.
    for (const i of [3, 4, 5, 6]) expect(taskEvents("slots").some((e) => resources(e).includes(`${i}:QUEUED@0`))).toBe(true);
  });

  it("aborts every element when the execution is terminated", async () => {
    await start();
    const id = await run("stop", [1, 2, 3], { config: { hang: "1,2,3" } });
    await waitFor("three running elements", () => (elements.running === 3 ? true : undefined));
    await h.admin.terminateExecution({ id, cause: "enough" });
    await waitForPhase(h.admin, id, ["ABORTED"]);
    expect(elements.aborted.sort()).toEqual([0, 1, 2].map((i) => generatedName("stop", `n0-0-n${i}`, 0)).sort());
    expect(elements.running).toBe(0);
    const last = taskEvents("stop").at(-1)!;
    expect([TaskPhase[last.phase], last.phaseVersion, resources(last)]).toEqual(["ABORTED", 0, ["0:ABORTED@0", "1:ABORTED@0", "2:ABORTED@0"]]);
    const lines = eventLines(h.events, "stop");
    expect(lines.slice(-3)).toEqual(["T n0#0 ABORTED v0", "N n0 ABORTED", "WF ABORTED"]);
    const node = await h.admin.getNodeExecution({ id: { executionId: id, nodeId: "n0" } });
    expect(node.closure?.phase).toBe(NodePhase.ABORTED);
  });

  it("carries on after an engine restart in the middle: one task execution, every element once", async () => {
    await start();
    const id = await run("restart", [1, 2, 3, 4], { type: "echo", config: { sleep_ms: "300" } });
    await waitFor("elements running", () => (taskEvents("restart").some((e) => resources(e).includes("0:RUNNING@0")) ? true : undefined));
    await h.restart();
    const exec = await waitForPhase(h.admin, id);
    expect(exec.closure?.phase).toBe(WfPhase.SUCCEEDED);
    expect((await outputs(id))?.o0).toEqual(list(1, 2, 3, 4));
    const tasks = await h.admin.listTaskExecutions({ nodeExecutionId: { executionId: id, nodeId: "n0" }, limit: 10 });
    expect(tasks.taskExecutions.map((t) => TaskPhase[t.closure!.phase])).toEqual(["SUCCEEDED"]);
    expect(resources(taskEvents("restart").at(-1)!)).toEqual(["0:SUCCEEDED@0", "1:SUCCEEDED@0", "2:SUCCEEDED@0", "3:SUCCEEDED@0"]);
    expect(h.events.filter((r) => r.refused && r.refused !== "AlreadyExists")).toEqual([]);
  });
});

describe("an array node among other nodes", () => {
  it("keeps being handled under max_parallelism while its elements hold the task slots", async () => {
    await start({ config: { maxConcurrentTasks: 2 } });
    const { task, wf } = mapWorkflow("mixed", { config: { sleep_ms: "600" } });
    const first = taskOfType("element", "mixed.first", { x: T.int() }, { o0: T.int() }, { config: { sleep_ms: "300" } });
    const then = taskOfType("element", "mixed.then", { x: T.int() }, { o0: T.int() });
    // a0 ends while the elements hold both slots; a1 and a2 (walked before n0) then fill max_parallelism
    // waiting for a slot that only the array's next step gives back.
    wf.nodes.push(taskNode("a0", first, { inputs: { x: promise("", "y") } }));
    wf.nodes.push(taskNode("a1", then, { inputs: { x: promise("a0", "o0") } }));
    wf.nodes.push(taskNode("a2", then, { inputs: { x: promise("a0", "o0") } }));
    wf.interface!.inputs!.variables.y = create(VariableSchema, { type: T.int(), description: "y" });
    await registerTasks(h.admin, task, first, then);
    await registerWorkflow(h.admin, wf);
    const id = await launch(h.admin, wf.id!, "mixed", literals({ xs: list(1, 2, 3, 4), y: intLiteral(10) }), { maxParallelism: 2 });
    const exec = await waitForPhase(h.admin, id, undefined, 30_000);
    expect(exec.closure?.phase).toBe(WfPhase.SUCCEEDED);
    expect((await outputs(id))?.o0).toEqual(list(2, 3, 4, 5));
    expect(elements.maxRunning).toBeLessThanOrEqual(2);
  }, 60_000);
});

describe("a map task inside a subworkflow", () => {
  it("runs its elements under the nested array node's unique id", async () => {
    await start();
    const { task, wf: inner } = mapWorkflow("nested.inner");
    const outer = workflow("nested.outer", {
      inputs: { xs: T.list(T.int()) },
      outputs: { o0: T.list(T.int()) },
      nodes: [subWorkflowNode("n0", inner, { inputs: { xs: promise("", "xs") } })],
      outputBindings: { o0: promise("n0", "o0") },
    });
    await registerTasks(h.admin, task);
    await registerWorkflow(h.admin, outer, [inner]);
    const id = await launch(h.admin, outer.id!, "nested", literals({ xs: list(1, 2) }));
    const exec = await waitForPhase(h.admin, id);
    expect(exec.closure?.phase).toBe(WfPhase.SUCCEEDED);
    expect((await outputs(id))?.o0).toEqual(list(2, 3));
    const lines = eventLines(h.events, "nested").filter((l) => l.includes("n0-0-n0 ") || l.includes("n0-0-n0#"));
    expect(lines).toEqual(["N n0-0-n0 QUEUED", "T n0-0-n0#0 QUEUED v0", "N n0-0-n0 RUNNING", "T n0-0-n0#0 RUNNING v1", "T n0-0-n0#0 RUNNING v2", "T n0-0-n0#0 RUNNING v3", "T n0-0-n0#0 SUCCEEDED v0", "N n0-0-n0 SUCCEEDED"]);
    expect(elements.launched.map((l) => l.generatedName).sort()).toEqual([0, 1].map((i) => generatedName("nested", fixedLength(`n0-0-n0-0-n${i}`, 20), 0)).sort());
  });
});

describe("the status of a large map", () => {
  it("stays small for 1,000 elements: finished elements are a character each, only those in flight have a status", async () => {
    await start({ config: { maxConcurrentTasks: 20 } });
    const sizes: number[] = [];
    const engine = h.store.engine;
    const update = engine.update.bind(engine);
    engine.update = async (key, version, u) => {
      if (key.name === "big") sizes.push(u.status.length);
      return update(key, version, u);
    };
    const n = 1000;
    // The first 100 elements finish; the others run until the execution is terminated.
    const id = await run("big", Array.from({ length: n }, (_, i) => i), { config: { hang_from: "100" } });
    await waitFor("100 finished elements and 20 running", () => (elements.launched.length >= 120 && elements.running === 20 ? true : undefined), 120_000);
    const row = await engine.get({ project: id.project, domain: id.domain, name: id.name });
    const array = parseStatus(row!.status).nodes.n0!;
    expect(array.array?.phases.length).toBe(n);
    expect(array.array?.phases.slice(0, 100)).toBe("S".repeat(100));
    // In flight: the 20 running and the few started elements that wait for a slot.
    expect(Object.keys(array.nodes ?? {}).length).toBeLessThanOrEqual(30);
    await h.admin.terminateExecution({ id, cause: "measured" });
    await waitForPhase(h.admin, id, ["ABORTED"], 60_000);
    const max = Math.max(...sizes);
    // About 2 bytes per element plus the statuses in flight: far from a status per element.
    expect(max).toBeLessThan(30_000);
    const last = taskEvents("big").at(-1)!;
    expect(TaskPhase[last.phase]).toBe("ABORTED");
    expect(last.metadata?.externalResources.length).toBe(n);
    expect(resources(last).filter((r) => r.endsWith(":SUCCEEDED@0")).length).toBe(100);
    expect(elements.running).toBe(0);
  }, 180_000);
});
