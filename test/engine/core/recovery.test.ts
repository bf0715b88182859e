import { create, toBinary } from "@bufbuild/protobuf";
import { afterEach, describe, expect, it } from "vitest";
import { ExecutionMetadata_ExecutionMode as Mode } from "../../../gen/flyteidl/admin/execution_pb.js";
import type { NodeExecution } from "../../../gen/flyteidl/admin/node_execution_pb.js";
import { ComparisonExpression_Operator as Op } from "../../../gen/flyteidl/core/condition_pb.js";
import { ExecutionError_ErrorKind as Kind, ExecutionErrorSchema, NodeExecution_Phase as NodePhase, WorkflowExecution_Phase as WfPhase } from "../../../gen/flyteidl/core/execution_pb.js";
import { DynamicJobSpecSchema } from "../../../gen/flyteidl/core/dynamic_job_pb.js";
import type { WorkflowExecutionIdentifier } from "../../../gen/flyteidl/core/identifier_pb.js";
import { type Literal, LiteralSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import { NodeSchema } from "../../../gen/flyteidl/core/workflow_pb.js";
import type { NodeExecutionEvent } from "../../../gen/flyteidl/event/event_pb.js";
import { createEchoPlugin } from "../../../src/engine/local/echo-plugin.js";
import type { PhaseInfo, TaskPlugin } from "../../../src/engine/local/task-plugin.js";
import { childExecutionName } from "../../fixtures/engine/expected-names.js";
import { bindings, intValue, launchPlanId, launchPlanNode, listOf, promise, strValue, subWorkflowNode, T, taskNode, workflow } from "../../fixtures/flyte-builders.js";
import { eventLines, execId, type Harness, intLiteral, launch, literals, registerTasks, registerWorkflow, startHarness, taskOfType, waitForPhase } from "./harness.js";

/**
 * Recovery mode (engine-spec §6.7, §10 scenario 19) driven through the Admin
 * API: RecoverExecution of a failed execution takes over the nodes that
 * succeeded (RECOVERED, same outputs, no task executions) and runs the rest.
 */
let h: Harness;
afterEach(() => h?.close());

/**
 * Task type "switch": echoes its inputs like the echo plugin (writing
 * `config.futures` as its futures file when set), but fails every attempt of
 * the tasks, or nodes (unique ids), named in `broken`. It records each attempt it starts,
 * with the previous checkpoint it was given.
 */
interface Switch extends TaskPlugin {
  broken: Set<string>;
  started: Array<{ exec: string; node: string; attempt: number; prevCheckpoint: string }>;
}

function createSwitchPlugin(): Switch {
  const echo = createEchoPlugin();
  const plugin: Switch = {
    id: "switch",
    taskTypes: ["switch"],
    broken: new Set(),
    started: [],
    async handle(a): Promise<PhaseInfo> {
      if (a.state === undefined) {
        plugin.started.push({ exec: a.executionId.name, node: a.nodeUniqueId, attempt: a.attempt, prevCheckpoint: a.paths.prevCheckpointPrefix });
      } else if ((plugin.broken.has(a.taskId.name) || plugin.broken.has(a.nodeUniqueId)) && (a.state as { running?: boolean }).running) {
        return { phase: "PermanentFailure", version: 0, error: create(ExecutionErrorSchema, { kind: Kind.USER, code: "USER:Broken", message: `${a.taskId.name} is broken` }) };
      }
      return echo.handle({ ...a, template: { ...a.template, type: "echo" } });
    },
    abort: (a) => echo.abort(a),
    finalize: (a) => echo.finalize(a),
  };
  return plugin;
}

let plugin: Switch;
const start = async () => {
  plugin = createSwitchPlugin();
  h = await startHarness({ plugins: [createEchoPlugin(), plugin] });
};

const inc = taskOfType("switch", "rec.one", { x: T.int() }, { o0: T.int() });
const two = taskOfType("switch", "rec.two", { x: T.int() }, { o0: T.int() });
const three = taskOfType("switch", "rec.three", { x: T.int() }, { o0: T.int() });

/** chain(x) -> int: n0 = one(x); n1 = two(n0); n2 = three(n1). */
const chainWf = workflow("rec.chain", {
  inputs: { x: T.int() },
  outputs: { o0: T.int() },
  nodes: [
    taskNode("n0", inc, { inputs: { x: promise("", "x") }, name: "one" }),
    taskNode("n1", two, { inputs: { x: promise("n0", "o0") }, upstream: ["n0"], name: "two" }),
    taskNode("n2", three, { inputs: { x: promise("n1", "o0") }, upstream: ["n1"], name: "three" }),
  ],
  outputBindings: { o0: promise("n2", "o0") },
});

const M = (exec: string) => `${h.blobs.base}/metadata/propeller/flytesnacks-development-${exec}`;
const nodeEvents = (exec: string) =>
  h.events.filter((r) => r.kind === "node" && r.event.id?.executionId?.name === exec).map((r) => r.event as NodeExecutionEvent);
const taskEventsOf = (exec: string) => h.events.filter((r) => r.kind === "task" && r.event.parentNodeExecutionId?.executionId?.name === exec);
const blobBytes = async (uri: string) => h.blobs.get(h.blobs.keyOf(uri)!);
const nodeExecution = (id: WorkflowExecutionIdentifier, nodeId: string): Promise<NodeExecution> => h.admin.getNodeExecution({ id: { executionId: id, nodeId } });

/** Runs the chain with `rec.three` broken: n0 and n1 succeed, n2 fails. */
async function failedChain(name: string) {
  await start();
  await registerTasks(h.admin, inc, two, three);
  await registerWorkflow(h.admin, chainWf);
  plugin.broken.add("rec.three");
  const id = await launch(h.admin, chainWf.id!, name, literals({ x: intLiteral(7) }));
  await waitForPhase(h.admin, id, ["FAILED"]);
  plugin.broken.clear();
  return id;
}

describe("RecoverExecution of a failed chain (engine-spec §6.7, scenario 19)", () => {
  it("recovers the nodes that succeeded (one RECOVERED event, same data, no task execution) and runs the one that failed", async () => {
    const ref = await failedChain("ref");
    expect((await nodeExecution(ref, "n2")).closure?.phase).toBe(NodePhase.FAILED);

    const { id } = await h.admin.recoverExecution({ id: ref, name: "rec" });
    const done = await waitForPhase(h.admin, id!, ["SUCCEEDED", "FAILED"]);
    expect(done.closure?.phase).toBe(WfPhase.SUCCEEDED);
    expect(done.spec?.metadata?.mode).toBe(Mode.RECOVERED);

    expect(eventLines(h.events, "rec")).toEqual([
      "WF RUNNING",
      "N start-node SUCCEEDED",
      "N n0 RECOVERED",
      "N n1 RECOVERED",
      "N n2 QUEUED",
      "T n2#0 QUEUED v0",
      "N n2 RUNNING",
      "T n2#0 RUNNING v0",
      "T n2#0 SUCCEEDED v0",
      "N n2 SUCCEEDED",
      "N end-node QUEUED",
      "N end-node SUCCEEDED",
      "WF SUCCEEDING",
      "WF SUCCEEDED",
    ]);
    expect(h.events.every((e) => !e.refused)).toBe(true);

    // Only n2 ran again; it resumed from the checkpoint of the failed attempt of the reference.
    expect(plugin.started.filter((s) => s.exec === "rec").map((s) => [s.node, s.attempt])).toEqual([["n2", 0]]);
    const refN2 = await nodeExecution(ref, "n2");
    const refCheckpoint = refN2.closure?.targetMetadata.case === "taskNodeMetadata" ? refN2.closure.targetMetadata.value.checkpointUri : "";
    expect(refCheckpoint).toMatch(/_flytecheckpoints$/);
    expect(plugin.started.find((s) => s.exec === "rec")?.prevCheckpoint).toBe(refCheckpoint);
    // The reference's own first attempts had no previous checkpoint.
    expect(plugin.started.filter((s) => s.exec === "ref").map((s) => s.prevCheckpoint)).toEqual(["", "", ""]);

    const m = M("rec");
    for (const nodeId of ["n0", "n1"]) {
      const [event, ...more] = nodeEvents("rec").filter((e) => e.id?.nodeId === nodeId);
      expect(more).toEqual([]);
      expect(event!.phase).toBe(NodePhase.RECOVERED);
      expect(event!.inputValue).toEqual({ case: "inputUri", value: `${m}/${nodeId}/data/inputs.pb` });
      expect(event!.outputResult).toEqual({ case: "outputUri", value: `${m}/${nodeId}/data/0/outputs.pb` });
      expect(event!.specNodeId).toBe(nodeId);
      expect(event!.eventVersion).toBe(1);
      expect(event!.targetMetadata.case).toBe("taskNodeMetadata");
      // Identical data, copied into this execution's own folders.
      expect(await blobBytes(`${m}/${nodeId}/data/0/outputs.pb`)).toEqual(await blobBytes(`${M("ref")}/${nodeId}/data/0/outputs.pb`));
      expect(await blobBytes(`${m}/${nodeId}/data/inputs.pb`)).toEqual(await blobBytes(`${M("ref")}/${nodeId}/data/inputs.pb`));
      const ne = await nodeExecution(id!, nodeId);
      expect(ne.closure?.phase).toBe(NodePhase.RECOVERED);
      expect((await h.admin.listTaskExecutions({ nodeExecutionId: { executionId: id, nodeId }, limit: 10 })).taskExecutions).toEqual([]);
    }
    expect(taskEventsOf("rec").every((r) => r.kind === "task" && r.event.parentNodeExecutionId?.nodeId === "n2")).toBe(true);

    const n1Data = await h.admin.getNodeExecutionData({ id: { executionId: id, nodeId: "n1" } });
    expect(n1Data.fullOutputs?.literals["o0"]).toEqual(intLiteral(7));
    const outputs = await h.admin.getExecutionData({ id });
    expect(outputs.fullOutputs?.literals["o0"]).toEqual(intLiteral(7));
  });

  it("recovering a recovered execution copies from it again; recovering a succeeded one recovers every node and keeps the workflow's outputs", async () => {
    const ref = await failedChain("ref2");
    const { id: rec } = await h.admin.recoverExecution({ id: ref, name: "rec2" });
    await waitForPhase(h.admin, rec!, ["SUCCEEDED"]);
    const { id: again } = await h.admin.recoverExecution({ id: rec, name: "rec3" });
    await waitForPhase(h.admin, again!, ["SUCCEEDED"]);

    expect(eventLines(h.events, "rec3")).toEqual([
      "WF RUNNING",
      "N start-node SUCCEEDED",
      "N n0 RECOVERED",
      "N n1 RECOVERED",
      "N n2 RECOVERED",
      "N end-node RECOVERED",
      "WF SUCCEEDING",
      "WF SUCCEEDED",
    ]);
    expect(plugin.started.filter((s) => s.exec === "rec3")).toEqual([]);
    // n0 and n1 of rec2 were RECOVERED themselves: their data came from ref2 and goes on unchanged.
    for (const nodeId of ["n0", "n1", "n2"]) {
      expect(await blobBytes(`${M("rec3")}/${nodeId}/data/0/outputs.pb`)).toEqual(await blobBytes(`${M("rec2")}/${nodeId}/data/0/outputs.pb`));
    }
    const wfSucceeded = h.events.find((r) => r.kind === "workflow" && r.event.executionId?.name === "rec3" && r.event.phase === WfPhase.SUCCEEDED);
    expect(wfSucceeded?.kind === "workflow" && wfSucceeded.event.outputResult).toEqual({ case: "outputUri", value: `${M("rec3")}/end-node/data/0/outputs.pb` });
    expect((await h.admin.getExecutionData({ id: again })).fullOutputs?.literals["o0"]).toEqual(intLiteral(7));
  });

  it("runs a node normally when the reference has no such node, or skipped it, or its data is gone", async () => {
    const ref = await failedChain("ref4");
    // The reference's n1 outputs vanished: n1 runs again (and so its successor n2 does).
    await h.blobs.delete(h.blobs.keyOf(`${M("ref4")}/n1/data/0/outputs.pb`)!);
    const { id } = await h.admin.recoverExecution({ id: ref, name: "rec4" });
    await waitForPhase(h.admin, id!, ["SUCCEEDED"]);
    const lines = eventLines(h.events, "rec4");
    expect(lines.filter((l) => l.startsWith("N n"))).toEqual([
      "N n0 RECOVERED",
      "N n1 QUEUED",
      "N n1 RUNNING",
      "N n1 SUCCEEDED",
      "N n2 QUEUED",
      "N n2 RUNNING",
      "N n2 SUCCEEDED",
    ]);
    expect(plugin.started.filter((s) => s.exec === "rec4").map((s) => s.node)).toEqual(["n1", "n2"]);
    // n1 succeeded in the reference: it has no checkpoint to resume from.
    expect(plugin.started.find((s) => s.exec === "rec4" && s.node === "n1")?.prevCheckpoint).toBe("");
    expect((await h.admin.getExecutionData({ id })).fullOutputs?.literals["o0"]).toEqual(intLiteral(7));
  });

  it("a reference that failed at its first node recovers nothing: the rest never ran there", async () => {
    await start();
    await registerTasks(h.admin, inc, two, three);
    await registerWorkflow(h.admin, chainWf);
    plugin.broken.add("rec.one");
    const ref = await launch(h.admin, chainWf.id!, "ref5", literals({ x: intLiteral(1) }));
    await waitForPhase(h.admin, ref, ["FAILED"]);
    plugin.broken.clear();
    const { id } = await h.admin.recoverExecution({ id: ref, name: "rec5" });
    await waitForPhase(h.admin, id!, ["SUCCEEDED"]);
    expect(eventLines(h.events, "rec5").filter((l) => l.includes("RECOVERED"))).toEqual([]);
    expect(plugin.started.filter((s) => s.exec === "rec5").map((s) => s.node)).toEqual(["n0", "n1", "n2"]);
  });
});

// ---- a branch: recovered as a whole ---------------------------------------------------------
const say = taskOfType("echo", "rec.say", { s: T.str() }, { o0: T.str() });
const shout = taskOfType("switch", "rec.shout", { s: T.str() }, { o0: T.str() });

/** sign(x): n0 = if x > 0 say("positive") else say("other"); n1 = shout(n0.o0). */
const signWf = workflow("rec.sign", {
  inputs: { x: T.int() },
  outputs: { o0: T.str() },
  nodes: [
    create(NodeSchema, {
      id: "n0",
      metadata: { name: "sign", retries: {} },
      inputs: [{ var: ".x", binding: promise("", "x") }],
      target: {
        case: "branchNode",
        value: {
          ifElse: {
            case: {
              condition: {
                expr: {
                  case: "comparison",
                  value: { operator: Op.GT, leftValue: { val: { case: "var", value: ".x" } }, rightValue: { val: { case: "primitive", value: { value: { case: "integer", value: 0n } } } } },
                },
              },
              thenNode: taskNode("n0", say, { inputs: { s: strValue("positive") }, name: "say" }),
            },
            default: { case: "elseNode", value: taskNode("n1", say, { inputs: { s: strValue("other") }, name: "say" }) },
          },
        },
      },
    }),
    taskNode("n1", shout, { inputs: { s: promise("n0", "o0") }, upstream: ["n0"], name: "shout" }),
  ],
  outputBindings: { o0: promise("n1", "o0") },
});

describe("recovery of nodes that run a graph (engine-spec §6.7 step 2)", () => {
  it("a branch that succeeded is recovered whole: one RECOVERED event, its chosen node never visited", async () => {
    await start();
    await registerTasks(h.admin, say, shout);
    await registerWorkflow(h.admin, signWf);
    plugin.broken.add("rec.shout");
    const ref = await launch(h.admin, signWf.id!, "bref", literals({ x: intLiteral(5) }));
    await waitForPhase(h.admin, ref, ["FAILED"]);
    expect(eventLines(h.events, "bref")).toContain("N n0-0-n0-n0 SUCCEEDED");
    plugin.broken.clear();

    const { id } = await h.admin.recoverExecution({ id: ref, name: "brec" });
    await waitForPhase(h.admin, id!, ["SUCCEEDED"]);
    const lines = eventLines(h.events, "brec");
    expect(lines.filter((l) => l.startsWith("N "))).toEqual([
      "N start-node SUCCEEDED",
      "N n0 RECOVERED",
      "N n1 QUEUED",
      "N n1 RUNNING",
      "N n1 SUCCEEDED",
      "N end-node QUEUED",
      "N end-node SUCCEEDED",
    ]);
    const recovered = nodeEvents("brec").find((e) => e.id?.nodeId === "n0")!;
    // A branch node has no task or workflow node metadata to carry over.
    expect(recovered.targetMetadata.case).toBeUndefined();
    expect(recovered.outputResult).toEqual({ case: "outputUri", value: `${M("brec")}/n0/data/0/outputs.pb` });
    expect((await h.admin.listNodeExecutions({ workflowExecutionId: id, uniqueParentId: "n0", limit: 10 })).nodeExecutions).toEqual([]);
    const out = await h.admin.getExecutionData({ id });
    const s = out.fullOutputs?.literals["o0"];
    expect(s?.value.case === "scalar" && s.value.value.value.case === "primitive" && s.value.value.value.value.value.value).toBe("positive");
  });
});

// ---- subworkflows: recovered whole, or child by child -----------------------------------------
/** inner(x) -> o0: n0 = one(x); n1 = <second>(n0). */
const innerWf = (name: string, second: typeof two) =>
  workflow(name, {
    inputs: { x: T.int() },
    outputs: { o0: T.int() },
    nodes: [
      taskNode("n0", inc, { inputs: { x: promise("", "x") }, name: "one" }),
      taskNode("n1", second, { inputs: { x: promise("n0", "o0") }, upstream: ["n0"], name: "second" }),
    ],
    outputBindings: { o0: promise("n1", "o0") },
  });

describe("recovery of subworkflow nodes (engine-spec §6.7 step 2)", () => {
  it("a subworkflow that succeeded is recovered whole: one RECOVERED event (is_parent), its children never visited", async () => {
    await start();
    const inner = innerWf("rec.inner_ok", two);
    const outer = workflow("rec.outer_ok", {
      inputs: { x: T.int() },
      outputs: { o0: T.int() },
      nodes: [
        subWorkflowNode("n0", inner, { inputs: { x: promise("", "x") }, name: "inner" }),
        taskNode("n1", three, { inputs: { x: promise("n0", "o0") }, upstream: ["n0"], name: "three" }),
      ],
      outputBindings: { o0: promise("n1", "o0") },
    });
    await registerTasks(h.admin, inc, two, three);
    await registerWorkflow(h.admin, outer, [inner]);
    plugin.broken.add("rec.three");
    const ref = await launch(h.admin, outer.id!, "sref", literals({ x: intLiteral(4) }));
    await waitForPhase(h.admin, ref, ["FAILED"]);
    expect(eventLines(h.events, "sref")).toContain("N n0-0-n1 SUCCEEDED");
    plugin.broken.clear();

    const { id } = await h.admin.recoverExecution({ id: ref, name: "srec" });
    await waitForPhase(h.admin, id!, ["SUCCEEDED"]);
    expect(eventLines(h.events, "srec").filter((l) => l.startsWith("N "))).toEqual([
      "N start-node SUCCEEDED",
      "N n0 RECOVERED",
      "N n1 QUEUED",
      "N n1 RUNNING",
      "N n1 SUCCEEDED",
      "N end-node QUEUED",
      "N end-node SUCCEEDED",
    ]);
    const recovered = nodeEvents("srec").find((e) => e.id?.nodeId === "n0")!;
    expect(recovered.isParent).toBe(true);
    expect(recovered.outputResult).toEqual({ case: "outputUri", value: `${M("srec")}/n0/data/0/outputs.pb` });
    expect(await blobBytes(`${M("srec")}/n0/data/0/outputs.pb`)).toEqual(await blobBytes(`${M("sref")}/n0/data/0/outputs.pb`));
    expect((await h.admin.listNodeExecutions({ workflowExecutionId: id, uniqueParentId: "n0", limit: 10 })).nodeExecutions).toEqual([]);
    expect(plugin.started.filter((s) => s.exec === "srec").map((s) => s.node)).toEqual(["n1"]);
    expect((await h.admin.getExecutionData({ id })).fullOutputs?.literals["o0"]).toEqual(intLiteral(4));
  });

  it("a subworkflow that failed runs again, its children that succeeded recovered one by one under it", async () => {
    await start();
    const inner = innerWf("rec.inner_bad", three);
    const outer = workflow("rec.outer_bad", {
      inputs: { x: T.int() },
      outputs: { o0: T.int() },
      nodes: [subWorkflowNode("n0", inner, { inputs: { x: promise("", "x") }, name: "inner" })],
      outputBindings: { o0: promise("n0", "o0") },
    });
    await registerTasks(h.admin, inc, three);
    await registerWorkflow(h.admin, outer, [inner]);
    plugin.broken.add("rec.three");
    const ref = await launch(h.admin, outer.id!, "pref", literals({ x: intLiteral(9) }));
    await waitForPhase(h.admin, ref, ["FAILED"]);
    plugin.broken.clear();

    const { id } = await h.admin.recoverExecution({ id: ref, name: "prec" });
    await waitForPhase(h.admin, id!, ["SUCCEEDED"]);
    expect(eventLines(h.events, "prec").filter((l) => l.startsWith("N "))).toEqual([
      "N start-node SUCCEEDED",
      "N n0 QUEUED",
      "N n0-0-start-node SUCCEEDED",
      "N n0 RUNNING",
      "N n0-0-n0 RECOVERED",
      "N n0-0-n1 QUEUED",
      "N n0-0-n1 RUNNING",
      "N n0-0-n1 SUCCEEDED",
      "N n0-0-end-node QUEUED",
      "N n0-0-end-node SUCCEEDED",
      "N n0 SUCCEEDED",
      "N end-node QUEUED",
      "N end-node SUCCEEDED",
    ]);
    const child = nodeEvents("prec").find((e) => e.id?.nodeId === "n0-0-n0")!;
    expect(child.parentNodeMetadata?.nodeId).toBe("n0");
    expect(child.retryGroup).toBe("0");
    expect(child.specNodeId).toBe("n0");
    expect(child.inputValue).toEqual({ case: "inputUri", value: `${M("prec")}/n0/data/0/n0/inputs.pb` });
    expect(child.outputResult).toEqual({ case: "outputUri", value: `${M("prec")}/n0/data/0/n0/0/outputs.pb` });
    expect(await blobBytes(`${M("prec")}/n0/data/0/n0/0/outputs.pb`)).toEqual(await blobBytes(`${M("pref")}/n0/data/0/n0/0/outputs.pb`));
    const children = await h.admin.listNodeExecutions({ workflowExecutionId: id, uniqueParentId: "n0", limit: 10 });
    expect(children.nodeExecutions.find((n) => n.id?.nodeId === "n0-0-n0")?.closure?.phase).toBe(NodePhase.RECOVERED);
    expect(plugin.started.filter((s) => s.exec === "prec").map((s) => s.node)).toEqual(["n0-0-n1"]);
    expect((await h.admin.getExecutionData({ id })).fullOutputs?.literals["o0"]).toEqual(intLiteral(9));
  });
});

// ---- launch-plan nodes ------------------------------------------------------------------------
/** `rec.lp_child(x) -> o0 = one(x)` with its launch plan, and `rec.lp_parent(x)`: n0 = rec.lp_child(x); n1 = three(n0). */
async function registerLaunchPlanPair() {
  const child = workflow("rec.lp_child", {
    inputs: { x: T.int() },
    outputs: { o0: T.int() },
    nodes: [taskNode("n0", inc, { inputs: { x: promise("", "x") }, name: "one" })],
    outputBindings: { o0: promise("n0", "o0") },
  });
  const parent = workflow("rec.lp_parent", {
    inputs: { x: T.int() },
    outputs: { o0: T.int() },
    nodes: [
      launchPlanNode("n0", launchPlanId("rec.lp_child"), { inputs: { x: promise("", "x") }, name: "child" }),
      taskNode("n1", three, { inputs: { x: promise("n0", "o0") }, upstream: ["n0"], name: "three" }),
    ],
    outputBindings: { o0: promise("n1", "o0") },
  });
  await registerTasks(h.admin, inc, three);
  await registerWorkflow(h.admin, child);
  await registerWorkflow(h.admin, parent);
  return parent.id!;
}

/** A failed run of rec.lp_parent: its launch-plan node succeeded (with child `childOf(name)`), n1 failed. */
async function failedLaunchPlanParent(name: string) {
  await start();
  const parent = await registerLaunchPlanPair();
  plugin.broken.add("rec.three");
  const ref = await launch(h.admin, parent, name, literals({ x: intLiteral(11) }));
  await waitForPhase(h.admin, ref, ["FAILED"]);
  plugin.broken.clear();
  expect((await nodeExecution(ref, "n0")).closure?.phase).toBe(NodePhase.SUCCEEDED);
  return ref;
}

const childOf = (parent: string) => execId(childExecutionName(parent, "n0", 0));

describe("recovery of launch-plan nodes (engine-spec §5.5)", () => {
  it("a launch-plan node that succeeded is recovered from its data, naming its old child; no child is launched", async () => {
    const ref = await failedLaunchPlanParent("lref");
    const { id } = await h.admin.recoverExecution({ id: ref, name: "lrec" });
    await waitForPhase(h.admin, id!, ["SUCCEEDED"]);
    expect(eventLines(h.events, "lrec").filter((l) => l.startsWith("N n"))).toEqual(["N n0 RECOVERED", "N n1 QUEUED", "N n1 RUNNING", "N n1 SUCCEEDED"]);
    const recovered = nodeEvents("lrec").find((e) => e.id?.nodeId === "n0")!;
    expect(recovered.targetMetadata).toEqual({ case: "workflowNodeMetadata", value: expect.objectContaining({ executionId: expect.objectContaining({ name: childOf("lref").name }) }) });
    await expect(h.admin.getExecution({ id: childOf("lrec") })).rejects.toThrow(/not found|missing/i);
    expect((await h.admin.getExecutionData({ id })).fullOutputs?.literals["o0"]).toEqual(intLiteral(11));
  });

  it("when its data is gone, the node runs and recovers the old child as its new child (RecoverExecution) instead of launching one", async () => {
    const ref = await failedLaunchPlanParent("lref2");
    await h.blobs.delete(h.blobs.keyOf(`${M("lref2")}/n0/data/0/outputs.pb`)!);
    const { id } = await h.admin.recoverExecution({ id: ref, name: "lrec2" });
    await waitForPhase(h.admin, id!, ["SUCCEEDED"]);
    expect(eventLines(h.events, "lrec2").filter((l) => l.startsWith("N n0"))).toEqual(["N n0 QUEUED", "N n0 RUNNING", "N n0 SUCCEEDED"]);

    const child = await h.admin.getExecution({ id: childOf("lrec2") });
    expect(child.closure?.phase).toBe(WfPhase.SUCCEEDED);
    expect(child.spec?.metadata?.mode).toBe(Mode.RECOVERED);
    expect(child.spec?.metadata?.referenceExecution?.name).toBe(childOf("lref2").name);
    expect(child.spec?.metadata?.parentNodeExecution).toMatchObject({ nodeId: "n0", executionId: expect.objectContaining({ name: "lrec2" }) });
    // The new child recovered its own node from the old one: no task ran in it.
    expect(eventLines(h.events, childOf("lrec2").name).filter((l) => l.startsWith("N n"))).toEqual(["N n0 RECOVERED"]);
    expect(plugin.started.filter((s) => s.exec === childOf("lrec2").name)).toEqual([]);
    const running = nodeEvents("lrec2").find((e) => e.id?.nodeId === "n0" && e.phase === NodePhase.RUNNING)!;
    expect(running.targetMetadata.case === "workflowNodeMetadata" && running.targetMetadata.value.executionId?.name).toBe(childOf("lrec2").name);
    expect((await h.admin.getExecutionData({ id })).fullOutputs?.literals["o0"]).toEqual(intLiteral(11));
  });

  it("when the old child is gone too, a new child is launched (CreateExecution after RecoverExecution's NOT_FOUND)", async () => {
    const ref = await failedLaunchPlanParent("lref3");
    await h.blobs.delete(h.blobs.keyOf(`${M("lref3")}/n0/data/0/outputs.pb`)!);
    await h.store.executions.delete(childOf("lref3"));
    const { id } = await h.admin.recoverExecution({ id: ref, name: "lrec3" });
    await waitForPhase(h.admin, id!, ["SUCCEEDED"]);
    const child = await h.admin.getExecution({ id: childOf("lrec3") });
    expect(child.closure?.phase).toBe(WfPhase.SUCCEEDED);
    expect(child.spec?.metadata?.mode).toBe(Mode.CHILD_WORKFLOW);
    expect(plugin.started.filter((s) => s.exec === childOf("lrec3").name).map((s) => s.node)).toEqual(["n0"]);
    expect((await h.admin.getExecutionData({ id })).fullOutputs?.literals["o0"]).toEqual(intLiteral(11));
  });
});

// ---- dynamic nodes ----------------------------------------------------------------------------
const dynChild = taskOfType("switch", "rec.dchild", { x: T.int() }, { o0: T.int() });
/** What flytekit writes for `[dchild(x=i) for i in range(3)]`. */
const fanOut = create(DynamicJobSpecSchema, {
  nodes: [0, 1, 2].map((i) => taskNode(`dn${i}`, dynChild, { inputs: { x: intValue(i) }, name: "dchild" })),
  minSuccesses: 3n,
  outputs: bindings({ o0: listOf(...[0, 1, 2].map((i) => promise(`dn${i}`, "o0"))) }),
  tasks: [dynChild],
});
const dynParent = taskOfType("switch", "rec.dparent", { x: T.int() }, { o0: T.list(T.int()) }, { config: { futures: Buffer.from(toBinary(DynamicJobSpecSchema, fanOut)).toString("base64") } });
const dynWf = workflow("rec.dyn", {
  inputs: { x: T.int() },
  outputs: { o0: T.list(T.int()) },
  nodes: [taskNode("n0", dynParent, { inputs: { x: promise("", "x") }, name: "dparent" })],
  outputBindings: { o0: promise("n0", "o0") },
});
const ints = (l: Literal | undefined) =>
  l?.value.case === "collection" ? l.value.value.literals.map((x) => (x.value.case === "scalar" && x.value.value.value.case === "primitive" ? Number(x.value.value.value.value.value.value) : NaN)) : undefined;

describe("recovery of dynamic nodes (engine-spec §6.7 step 3b)", () => {
  it("a dynamic node whose task finished but whose children failed takes its workflow over: children keep their ids, those that succeeded are recovered", async () => {
    await start();
    await registerTasks(h.admin, dynParent, dynChild);
    await registerWorkflow(h.admin, dynWf);
    plugin.broken.add("n0-0-dn2");
    const ref = await launch(h.admin, dynWf.id!, "dref", literals({ x: intLiteral(1) }));
    await waitForPhase(h.admin, ref, ["FAILED"]);
    expect(eventLines(h.events, "dref").filter((l) => l.startsWith("N n0"))).toContain("N n0-0-dn1 SUCCEEDED");
    plugin.broken.clear();

    const { id } = await h.admin.recoverExecution({ id: ref, name: "drec" });
    await waitForPhase(h.admin, id!, ["SUCCEEDED"]);
    const lines = eventLines(h.events, "drec");
    // No QUEUED and no task execution for the parent: it goes from not started to RUNNING, then reports its workflow.
    expect(lines.filter((l) => l.startsWith("N n0 ") || l.startsWith("T n0#"))).toEqual(["N n0 RUNNING", "N n0 DYNAMIC_RUNNING", "N n0 SUCCEEDED"]);
    expect(lines.filter((l) => /^N n0-0-dn/.test(l))).toEqual([
      "N n0-0-dn0 RECOVERED",
      "N n0-0-dn1 RECOVERED",
      "N n0-0-dn2 QUEUED",
      "N n0-0-dn2 RUNNING",
      "N n0-0-dn2 SUCCEEDED",
    ]);
    expect(h.events.every((e) => !e.refused)).toBe(true);
    const n0 = nodeEvents("drec").filter((e) => e.id?.nodeId === "n0");
    expect(n0.map((e) => [NodePhase[e.phase], e.isDynamic, e.isParent])).toEqual([
      ["RUNNING", true, false],
      ["DYNAMIC_RUNNING", true, true],
      ["SUCCEEDED", true, false],
    ]);
    expect(n0[0]!.inputValue).toEqual({ case: "inputUri", value: `${M("drec")}/n0/data/inputs.pb` });
    const recovered = nodeEvents("drec").find((e) => e.id?.nodeId === "n0-0-dn1")!;
    expect([recovered.parentNodeMetadata?.nodeId, recovered.retryGroup, recovered.isInDynamicChain]).toEqual(["n0", "0", true]);
    expect(await blobBytes(`${M("drec")}/n0/data/0/futures.pb`)).toEqual(await blobBytes(`${M("dref")}/n0/data/0/futures.pb`));
    expect(plugin.started.filter((s) => s.exec === "drec").map((s) => s.node)).toEqual(["n0-0-dn2"]);
    expect((await h.admin.listTaskExecutions({ nodeExecutionId: { executionId: id, nodeId: "n0" }, limit: 10 })).taskExecutions).toEqual([]);
    expect(ints((await h.admin.getExecutionData({ id })).fullOutputs?.literals["o0"])).toEqual([0, 1, 2]);

    // Recovering that one again: the dynamic node succeeded, so it is recovered whole, its workflow carried over.
    const { id: again } = await h.admin.recoverExecution({ id, name: "drec2" });
    await waitForPhase(h.admin, again!, ["SUCCEEDED"]);
    expect(eventLines(h.events, "drec2").filter((l) => l.startsWith("N n0"))).toEqual(["N n0 RECOVERED"]);
    const whole = nodeEvents("drec2").find((e) => e.id?.nodeId === "n0")!;
    const dynamic = whole.targetMetadata.case === "taskNodeMetadata" ? whole.targetMetadata.value.dynamicWorkflow : undefined;
    expect(dynamic?.compiledWorkflow?.primary?.template?.nodes.map((n) => n.id).sort()).toEqual(["dn0", "dn1", "dn2", "end-node", "start-node"]);
    // propeller's flags: a recovered node has no dynamic state of its own.
    expect([whole.isDynamic, whole.isParent]).toEqual([false, false]);
    const served = await h.admin.getDynamicNodeWorkflow({ id: { executionId: again, nodeId: "n0" } });
    expect(served.compiledWorkflow?.primary?.template?.id?.name).toBe("dynamic_n0");
    expect(ints((await h.admin.getExecutionData({ id: again })).fullOutputs?.literals["o0"])).toEqual([0, 1, 2]);
  });
});

// ---- array nodes ------------------------------------------------------------------------------
describe("recovery of array nodes", () => {
  it("a map task that succeeded is recovered whole (is_array), without its task execution or any element running", async () => {
    await start();
    const plusOne = taskOfType("echo", "rec.elem", { x: T.list(T.int()) }, { o0: T.list(T.int()) });
    const copy = taskOfType("switch", "rec.lcopy", { xs: T.list(T.int()) }, { o0: T.list(T.int()) });
    const mapWf = workflow("rec.map", {
      inputs: { xs: T.list(T.int()) },
      outputs: { o0: T.list(T.int()) },
      nodes: [
        create(NodeSchema, {
          id: "n0",
          metadata: { name: "map_elem" },
          inputs: bindings({ x: promise("", "xs") }),
          target: { case: "arrayNode", value: { node: taskNode("elem", plusOne, { inputs: { x: promise("", "xs") } }) } },
        }),
        taskNode("n1", copy, { inputs: { xs: promise("n0", "o0") }, upstream: ["n0"], name: "lcopy" }),
      ],
      outputBindings: { o0: promise("n1", "o0") },
    });
    await registerTasks(h.admin, plusOne, copy);
    await registerWorkflow(h.admin, mapWf);
    plugin.broken.add("rec.lcopy");
    const xs = create(LiteralSchema, { value: { case: "collection", value: { literals: [1, 2, 3].map(intLiteral) } } });
    const ref = await launch(h.admin, mapWf.id!, "mref", literals({ xs }));
    await waitForPhase(h.admin, ref, ["FAILED"]);
    expect(eventLines(h.events, "mref")).toContain("N n0 SUCCEEDED");
    plugin.broken.clear();

    const { id } = await h.admin.recoverExecution({ id: ref, name: "mrec" });
    await waitForPhase(h.admin, id!, ["SUCCEEDED"]);
    const lines = eventLines(h.events, "mrec");
    expect(lines.filter((l) => l.startsWith("N n0") || l.startsWith("T n0"))).toEqual(["N n0 RECOVERED"]);
    expect(nodeEvents("mrec").find((e) => e.id?.nodeId === "n0")?.isArray).toBe(true);
    expect(await blobBytes(`${M("mrec")}/n0/data/0/outputs.pb`)).toEqual(await blobBytes(`${M("mref")}/n0/data/0/outputs.pb`));
    expect(ints((await h.admin.getExecutionData({ id })).fullOutputs?.literals["o0"])).toEqual([1, 2, 3]);
  });
});
