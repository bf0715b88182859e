import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { afterEach, describe, expect, it } from "vitest";
import { ExecutionError_ErrorKind as Kind, NodeExecution_Phase, TaskExecution_Phase, WorkflowExecution_Phase as WfPhase } from "../../../gen/flyteidl/core/execution_pb.js";
import { DurationSchema } from "@bufbuild/protobuf/wkt";
import { BindingDataSchema, LiteralMapSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import { LiteralTypeSchema, SimpleType } from "../../../gen/flyteidl/core/types_pb.js";
import { WorkflowMetadata_OnFailurePolicy, type WorkflowTemplate } from "../../../gen/flyteidl/core/workflow_pb.js";
import type { NodeExecutionEvent } from "../../../gen/flyteidl/event/event_pb.js";
import { createEchoPlugin } from "../../../src/engine/local/echo-plugin.js";
import { promise, subWorkflowNode, T, taskNode, workflow } from "../../fixtures/flyte-builders.js";
import {
  eventLines,
  execId,
  type Harness,
  type HarnessOptions,
  intLiteral,
  launch,
  literals,
  registerTasks,
  registerWorkflow,
  startHarness,
  taskOfType,
  tempDir,
  waitFor,
  waitForPhase,
} from "./harness.js";
import { createScriptedPlugin, type ScriptedPlugin } from "./scripted-plugin.js";

/**
 * Subworkflow nodes (engine-spec §2.4.5, §5.6): the node runs the compiled
 * subworkflow under itself — children `n0-0-<id>` with parent metadata and
 * retry group, data under the node's output dir — and ends with the
 * subworkflow's outputs or its first failure.
 */
let h: Harness | undefined;
let plugin: ScriptedPlugin;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const start = async (options: HarnessOptions = {}) => {
  plugin = createScriptedPlugin();
  h = await startHarness({ plugins: [createEchoPlugin(), plugin], ...options });
  return h;
};

const echo = (name: string, config: Record<string, string> = {}) => taskOfType("echo", name, { x: T.int() }, { o0: T.int() }, { config });
const scripted = (name: string, script: string, extra: { retries?: number } = {}) =>
  taskOfType("scripted", name, { x: T.int() }, { o0: T.int() }, { config: { script }, ...extra });

/** `inner(x) -> o0 = t(x)`: one task node, its output the subworkflow's. */
const innerOf = (name: string, t: ReturnType<typeof echo>, extra: Partial<Parameters<typeof workflow>[1]> = {}): WorkflowTemplate =>
  workflow(name, {
    inputs: { x: T.int() },
    outputs: { o0: T.int() },
    nodes: [taskNode("n0", t, { inputs: { x: promise("", "x") }, name: "inner_task" })],
    outputBindings: { o0: promise("n0", "o0") },
    ...extra,
  });

/** `outer(x) -> o0 = sub(x)`: the subworkflow node n0 and nothing else. */
const outerOf = (name: string, sub: WorkflowTemplate, outputs = true): WorkflowTemplate =>
  workflow(name, {
    inputs: { x: T.int() },
    ...(outputs ? { outputs: { o0: T.int() }, outputBindings: { o0: promise("n0", "o0") } } : {}),
    nodes: [subWorkflowNode("n0", sub, { inputs: { x: promise("", "x") }, name: "inner" })],
  });

const nodeEvents = (harness: Harness, nodeId: string) =>
  harness.events.filter((r) => r.kind === "node" && r.event.id?.nodeId === nodeId).map((r) => r.event as NodeExecutionEvent);

const phaseOf = async (harness: Harness, id: ReturnType<typeof execId>, nodeId: string) => {
  const n = await harness.admin.getNodeExecution({ id: { executionId: id, nodeId } });
  return { phase: NodeExecution_Phase[n.closure!.phase], error: n.closure?.outputResult.case === "error" ? n.closure.outputResult.value : undefined, node: n };
};

const errType = create(LiteralTypeSchema, { type: { case: "simple", value: SimpleType.ERROR } });
const noneBinding = create(BindingDataSchema, { value: { case: "scalar", value: { value: { case: "noneType", value: {} } } } });
/** A failure handler task `handler(x, err)` as flytekit serialises `on_failure`: `err` bound to none, replaced by the engine. */
const handlerTask = (name: string, script: string) =>
  taskOfType("scripted", name, { x: T.int(), err: T.union(errType, T.none()) }, {}, { config: { script } });
const handlerNode = (t: ReturnType<typeof handlerTask>) => taskNode("fn0", t, { inputs: { x: promise("", "x"), err: noneBinding }, name: "handler" });

describe("subworkflow node (engine-spec §2.4.5)", () => {
  it("runs the subworkflow under the node, event for event, and passes its outputs on", async () => {
    const harness = await start();
    const t = echo("sub.t1");
    const inner = innerOf("sub.inner", t);
    const outer = outerOf("sub.outer", inner);
    await registerTasks(harness.admin, t);
    await registerWorkflow(harness.admin, outer, [inner]);
    const id = await launch(harness.admin, outer.id!, "subok", literals({ x: intLiteral(7) }));
    await waitForPhase(harness.admin, id, ["SUCCEEDED"]);

    expect(eventLines(harness.events, "subok")).toEqual([
      "WF RUNNING",
      "N start-node SUCCEEDED",
      "N n0 QUEUED",
      "N n0-0-start-node SUCCEEDED",
      "N n0 RUNNING",
      "N n0-0-n0 QUEUED",
      "T n0-0-n0#0 QUEUED v0",
      "N n0-0-n0 RUNNING",
      "T n0-0-n0#0 RUNNING v0",
      "T n0-0-n0#0 SUCCEEDED v0",
      "N n0-0-n0 SUCCEEDED",
      "N n0-0-end-node QUEUED",
      "N n0-0-end-node SUCCEEDED",
      "N n0 SUCCEEDED",
      "N end-node QUEUED",
      "N end-node SUCCEEDED",
      "WF SUCCEEDING",
      "WF SUCCEEDED",
    ]);
    expect((await harness.admin.getExecutionData({ id })).fullOutputs?.literals.o0).toEqual(intLiteral(7));

    const M = `${harness.blobs.base}/metadata/propeller/flytesnacks-development-subok`;
    const O = `${M}/n0/data/0`;
    // The node: is_parent on every event, its inputs, and the subworkflow's outputs copied to its own output dir.
    const parent = nodeEvents(harness, "n0");
    expect(parent.map((e) => e.isParent)).toEqual([true, true, true]);
    expect(parent.map((e) => e.inputValue)).toEqual(parent.map(() => ({ case: "inputUri", value: `${M}/n0/data/inputs.pb` })));
    expect(parent.map((e) => e.parentNodeMetadata)).toEqual([undefined, undefined, undefined]);
    expect(parent.map((e) => e.retryGroup)).toEqual(["", "", ""]);
    expect(parent.map((e) => e.targetEntity)).toEqual([undefined, undefined, undefined]);
    expect(parent[0]!.outputResult.case).toBeUndefined();
    expect(parent[2]!.outputResult).toEqual({ case: "outputUri", value: `${O}/outputs.pb` });
    expect(await harness.blobs.getMessage(`metadata/propeller/flytesnacks-development-subok/n0/data/0/outputs.pb`, LiteralMapSchema)).toEqual(literals({ o0: intLiteral(7) }));

    // The children: nested ids, parent metadata, retry group, spec ids, data under the node's output dir.
    const startEvents = nodeEvents(harness, "n0-0-start-node");
    expect(startEvents).toHaveLength(1);
    expect(startEvents[0]).toMatchObject({
      specNodeId: "start-node",
      parentNodeMetadata: { nodeId: "n0" },
      retryGroup: "0",
      isParent: false,
      eventVersion: 1,
      outputResult: { case: "outputUri", value: `${O}/start-node/0/outputs.pb` },
    });
    expect(await harness.blobs.getMessage(`metadata/propeller/flytesnacks-development-subok/n0/data/0/start-node/0/outputs.pb`, LiteralMapSchema)).toEqual(literals({ x: intLiteral(7) }));
    for (const e of nodeEvents(harness, "n0-0-n0")) {
      expect(e).toMatchObject({
        specNodeId: "n0",
        nodeName: "inner_task",
        parentNodeMetadata: { nodeId: "n0" },
        retryGroup: "0",
        isParent: false,
        isInDynamicChain: false,
        inputValue: { case: "inputUri", value: `${O}/n0/inputs.pb` },
        targetEntity: { name: "sub.t1" },
      });
    }
    expect(nodeEvents(harness, "n0-0-n0").at(-1)!.outputResult).toEqual({ case: "outputUri", value: `${O}/n0/0/outputs.pb` });
    const end = nodeEvents(harness, "n0-0-end-node");
    expect(end.map((e) => [e.specNodeId, e.parentNodeMetadata?.nodeId, e.retryGroup, e.inputValue.value])).toEqual([
      ["end-node", "n0", "0", `${O}/end-node/inputs.pb`],
      ["end-node", "n0", "0", `${O}/end-node/inputs.pb`],
    ]);
    // The task attempt of the child names the child's unique id.
    const tasks = await harness.admin.listTaskExecutions({ nodeExecutionId: { executionId: id, nodeId: "n0-0-n0" }, limit: 10 });
    expect(tasks.taskExecutions.map((x) => `${x.id?.retryAttempt}:${TaskExecution_Phase[x.closure!.phase]}`)).toEqual(["0:SUCCEEDED"]);
  });

  it("lists the children through ListNodeExecutions(unique_parent_id), and only the top level without it", async () => {
    const harness = await start();
    const t = echo("sub.t2");
    const inner = innerOf("sub.inner2", t);
    const outer = outerOf("sub.outer2", inner);
    await registerTasks(harness.admin, t);
    await registerWorkflow(harness.admin, outer, [inner]);
    const id = await launch(harness.admin, outer.id!, "sublist", literals({ x: intLiteral(1) }));
    await waitForPhase(harness.admin, id, ["SUCCEEDED"]);
    const children = await harness.admin.listNodeExecutions({ workflowExecutionId: id, uniqueParentId: "n0", limit: 10 });
    expect(children.nodeExecutions.map((n) => [n.id?.nodeId, NodeExecution_Phase[n.closure!.phase], n.metadata?.specNodeId, n.metadata?.retryGroup]).sort()).toEqual([
      ["n0-0-end-node", "SUCCEEDED", "end-node", "0"],
      ["n0-0-n0", "SUCCEEDED", "n0", "0"],
      ["n0-0-start-node", "SUCCEEDED", "start-node", "0"],
    ]);
    const top = await harness.admin.listNodeExecutions({ workflowExecutionId: id, limit: 10 });
    expect(top.nodeExecutions.map((n) => n.id?.nodeId).sort()).toEqual(["end-node", "n0", "start-node"]);
    const n0 = top.nodeExecutions.find((n) => n.id?.nodeId === "n0")!;
    expect(n0.metadata?.isParentNode).toBe(true);
    expect(n0.closure?.outputResult).toMatchObject({ case: "outputUri" });
  });

  it("reports no output uri for a subworkflow without outputs", async () => {
    const harness = await start();
    const t = echo("sub.t3");
    const inner = workflow("sub.noout", { inputs: { x: T.int() }, nodes: [taskNode("n0", t, { inputs: { x: promise("", "x") } })] });
    const outer = outerOf("sub.outer3", inner, false);
    await registerTasks(harness.admin, t);
    await registerWorkflow(harness.admin, outer, [inner]);
    const id = await launch(harness.admin, outer.id!, "subnoout", literals({ x: intLiteral(1) }));
    await waitForPhase(harness.admin, id, ["SUCCEEDED"]);
    const last = nodeEvents(harness, "n0").at(-1)!;
    expect(NodeExecution_Phase[last.phase]).toBe("SUCCEEDED");
    expect(last.outputResult.case).toBeUndefined();
    expect(await harness.blobs.getMessage(`metadata/propeller/flytesnacks-development-subnoout/n0/data/0/outputs.pb`, LiteralMapSchema)).toBeUndefined();
  });

  it("runs a subworkflow inside a subworkflow", async () => {
    const harness = await start();
    const t = echo("sub.t4");
    const inner = innerOf("sub.deepest", t);
    const middle = workflow("sub.middle", {
      inputs: { x: T.int() },
      outputs: { o0: T.int() },
      nodes: [subWorkflowNode("n0", inner, { inputs: { x: promise("", "x") } })],
      outputBindings: { o0: promise("n0", "o0") },
    });
    const outer = outerOf("sub.outer4", middle);
    await registerTasks(harness.admin, t);
    await registerWorkflow(harness.admin, outer, [middle, inner]);
    const id = await launch(harness.admin, outer.id!, "subnest", literals({ x: intLiteral(9) }));
    await waitForPhase(harness.admin, id, ["SUCCEEDED"]);
    expect((await harness.admin.getExecutionData({ id })).fullOutputs?.literals.o0).toEqual(intLiteral(9));
    const lines = eventLines(harness.events, "subnest");
    expect(lines.slice(0, 8)).toEqual([
      "WF RUNNING",
      "N start-node SUCCEEDED",
      "N n0 QUEUED",
      "N n0-0-start-node SUCCEEDED",
      "N n0 RUNNING",
      "N n0-0-n0 QUEUED",
      "N n0-0-n0-0-start-node SUCCEEDED",
      "N n0-0-n0 RUNNING",
    ]);
    for (const e of nodeEvents(harness, "n0-0-n0")) expect(e).toMatchObject({ isParent: true, parentNodeMetadata: { nodeId: "n0" }, retryGroup: "0", specNodeId: "n0" });
    for (const e of nodeEvents(harness, "n0-0-n0-0-n0")) expect(e).toMatchObject({ isParent: false, parentNodeMetadata: { nodeId: "n0-0-n0" }, retryGroup: "0", specNodeId: "n0" });
    expect(nodeEvents(harness, "n0-0-n0-0-n0")[0]!.inputValue.value).toBe(
      `${harness.blobs.base}/metadata/propeller/flytesnacks-development-subnest/n0/data/0/n0/0/n0/inputs.pb`,
    );
    const grandchildren = await harness.admin.listNodeExecutions({ workflowExecutionId: id, uniqueParentId: "n0-0-n0", limit: 10 });
    expect(grandchildren.nodeExecutions.map((n) => n.id?.nodeId).sort()).toEqual(["n0-0-n0-0-end-node", "n0-0-n0-0-n0", "n0-0-n0-0-start-node"]);
  });

  it("fails the node and the workflow with a failing inner task's error, aborting the inner nodes still running", async () => {
    const harness = await start();
    const bad = scripted("sub.bad", "user");
    const slow = scripted("sub.slow", "hang");
    const inner = workflow("sub.failing", {
      inputs: { x: T.int() },
      nodes: [taskNode("n0", bad, { inputs: { x: promise("", "x") } }), taskNode("n1", slow, { inputs: { x: promise("", "x") } })],
    });
    const outer = outerOf("sub.outer5", inner, false);
    await registerTasks(harness.admin, bad, slow);
    await registerWorkflow(harness.admin, outer, [inner]);
    const id = await launch(harness.admin, outer.id!, "subfail", literals({ x: intLiteral(1) }));
    const e = await waitForPhase(harness.admin, id, ["FAILED"]);
    expect(e.closure?.outputResult.value).toMatchObject({ kind: Kind.USER, code: "USER:RuntimeError", message: "boom in attempt 0" });
    const lines = eventLines(harness.events, "subfail");
    // The failing child is reported; the node aborts the rest in its next step, then fails (no event in between).
    expect(lines.slice(lines.indexOf("N n0-0-n0 FAILED"))).toEqual([
      "N n0-0-n0 FAILED",
      "T n0-0-n1#0 ABORTED v0",
      "N n0-0-n1 ABORTED",
      "N n0 FAILED",
      "WF FAILING",
      "WF FAILED",
    ]);
    expect(plugin.aborted).toEqual(["subfail-n0-0-n1-0"]);
    const aborted = nodeEvents(harness, "n0-0-n1").at(-1)!;
    expect(aborted.outputResult).toEqual({ case: "error", value: expect.objectContaining({ code: "NodeAborted", message: "subworkflow failed" }) });
    const failed = nodeEvents(harness, "n0").at(-1)!;
    expect(failed.isParent).toBe(true);
    expect(failed.outputResult.value).toMatchObject({ kind: Kind.USER, code: "USER:RuntimeError", message: "boom in attempt 0" });
    expect(await phaseOf(harness, id, "n0-0-n1")).toMatchObject({ phase: "ABORTED" });
    // Not retried: one attempt of the node.
    expect(nodeEvents(harness, "n0").every((ev) => ev.retryGroup === "")).toBe(true);
    expect(lines.filter((l) => l.startsWith("N n0-1-"))).toEqual([]);
  });

  it("applies the subworkflow's own FAIL_AFTER_EXECUTABLE_NODES_COMPLETE inside it", async () => {
    const harness = await start();
    const bad = scripted("sub.bad6", "user");
    const ok = scripted("sub.ok6", "success:150");
    const after = scripted("sub.after6", "success");
    const inner = workflow("sub.after", {
      inputs: { x: T.int() },
      nodes: [
        taskNode("n0", bad, { inputs: { x: promise("", "x") } }),
        taskNode("n1", ok, { inputs: { x: promise("", "x") } }),
        taskNode("n2", after, { inputs: { x: promise("n0", "o0") } }),
      ],
    });
    inner.metadata!.onFailure = WorkflowMetadata_OnFailurePolicy.FAIL_AFTER_EXECUTABLE_NODES_COMPLETE;
    const outer = outerOf("sub.outer6", inner, false);
    await registerTasks(harness.admin, bad, ok, after);
    await registerWorkflow(harness.admin, outer, [inner]);
    const id = await launch(harness.admin, outer.id!, "subafter", literals({ x: intLiteral(1) }));
    const e = await waitForPhase(harness.admin, id, ["FAILED"]);
    expect(e.closure?.outputResult.value).toMatchObject({ code: "USER:RuntimeError" });
    const children = await harness.admin.listNodeExecutions({ workflowExecutionId: id, uniqueParentId: "n0", limit: 10 });
    const phases = Object.fromEntries(children.nodeExecutions.map((n) => [n.id!.nodeId, NodeExecution_Phase[n.closure!.phase]]));
    expect(phases).toMatchObject({ "n0-0-n0": "FAILED", "n0-0-n1": "SUCCEEDED", "n0-0-n2": "SKIPPED" });
    expect(plugin.aborted).toEqual([]);
    const lines = eventLines(harness.events, "subafter");
    expect(lines.indexOf("N n0-0-n1 SUCCEEDED")).toBeLessThan(lines.indexOf("N n0 FAILED"));
  });

  it("reports a timed-out inner node as {USER, Timeout, Timeout in node}", { timeout: 40_000 }, async () => {
    const harness = await start();
    // Each attempt times out after 1 s and is retried; the node's 2 s active deadline ends it as TIMED_OUT.
    const slow = scripted("sub.timeout", "hang", { retries: 5 });
    const n0 = taskNode("n0", slow, { inputs: { x: promise("", "x") } });
    n0.metadata!.timeout = create(DurationSchema, { seconds: 1n });
    const inner = workflow("sub.timing", { inputs: { x: T.int() }, nodes: [n0] });
    const outer = outerOf("sub.outer7", inner, false);
    await registerTasks(harness.admin, slow);
    await registerWorkflow(harness.admin, outer, [inner]);
    const id = await launch(harness.admin, outer.id!, "subtimeout", literals({ x: intLiteral(1) }));
    const e = await waitForPhase(harness.admin, id, ["FAILED"], 30_000);
    expect(e.closure?.outputResult.value).toMatchObject({ kind: Kind.USER, code: "Timeout", message: "Timeout in node" });
    expect(await phaseOf(harness, id, "n0-0-n0")).toMatchObject({ phase: "TIMED_OUT" });
    expect((await phaseOf(harness, id, "n0")).error).toMatchObject({ kind: Kind.USER, code: "Timeout", message: "Timeout in node" });
  });

  it("stops what runs inside a subworkflow node that times out itself: its children are aborted, their slots freed", { timeout: 40_000 }, async () => {
    const harness = await start({ config: { maxConcurrentTasks: 1 } });
    const slow = scripted("sub.hang13", "hang");
    const inner = workflow("sub.hanging", { inputs: { x: T.int() }, nodes: [taskNode("n0", slow, { inputs: { x: promise("", "x") } })] });
    const outer = outerOf("sub.outer13", inner, false);
    // The subworkflow node's own deadline: no retries, so its 1 s execution timeout ends it.
    outer.nodes[0]!.metadata!.timeout = create(DurationSchema, { seconds: 1n });
    const quick = echo("sub.quick13");
    const after = workflow("sub.after13", { inputs: { x: T.int() }, nodes: [taskNode("n0", quick, { inputs: { x: promise("", "x") } })] });
    await registerTasks(harness.admin, slow, quick);
    await registerWorkflow(harness.admin, outer, [inner]);
    await registerWorkflow(harness.admin, after);
    const id = await launch(harness.admin, outer.id!, "subselftimeout", literals({ x: intLiteral(1) }));
    const e = await waitForPhase(harness.admin, id, ["FAILED"], 30_000);
    expect(e.closure?.outputResult.value).toMatchObject({ code: "RetriesExhausted|TimeoutExpired" });
    // The inner task was stopped and reported, not left running in a node nothing can reach.
    expect(plugin.aborted.length).toBe(1);
    expect(await phaseOf(harness, id, "n0-0-n0")).toMatchObject({ phase: "ABORTED" });
    // Its CPU slot (the only one) is free: another execution's task runs.
    const other = await launch(harness.admin, after.id!, "subselftimeoutnext", literals({ x: intLiteral(2) }));
    expect((await waitForPhase(harness.admin, other, ["SUCCEEDED", "FAILED"], 20_000)).closure?.phase).toBeDefined();
    expect((await harness.admin.getExecution({ id: other })).closure?.phase).toBe(WfPhase.SUCCEEDED);
  });

  it("runs the subworkflow's failure node with the error as err, then fails with the original error", async () => {
    const harness = await start();
    const bad = scripted("sub.bad8", "user");
    const handler = handlerTask("sub.handler8", "success");
    const inner = workflow("sub.guarded", {
      inputs: { x: T.int() },
      nodes: [taskNode("n0", bad, { inputs: { x: promise("", "x") } })],
      failureNode: handlerNode(handler),
    });
    const outer = outerOf("sub.outer8", inner, false);
    await registerTasks(harness.admin, bad, handler);
    await registerWorkflow(harness.admin, outer, [inner]);
    const id = await launch(harness.admin, outer.id!, "subguard", literals({ x: intLiteral(1) }));
    const e = await waitForPhase(harness.admin, id, ["FAILED"]);
    expect(e.closure?.outputResult.value).toMatchObject({ kind: Kind.USER, code: "USER:RuntimeError", message: "boom in attempt 0" });
    const lines = eventLines(harness.events, "subguard");
    expect(lines.slice(lines.indexOf("N n0-0-n0 FAILED"))).toEqual([
      "N n0-0-n0 FAILED",
      "N n0-0-fn0 QUEUED",
      "T n0-0-fn0#0 QUEUED v0",
      "N n0-0-fn0 RUNNING",
      "T n0-0-fn0#0 RUNNING v0",
      "T n0-0-fn0#0 SUCCEEDED v0",
      "N n0-0-fn0 SUCCEEDED",
      "N n0 FAILED",
      "WF FAILING",
      "WF FAILED",
    ]);
    for (const ev of nodeEvents(harness, "n0-0-fn0")) expect(ev).toMatchObject({ specNodeId: "fn0", parentNodeMetadata: { nodeId: "n0" }, retryGroup: "0" });
    const inputs = await harness.blobs.getMessage("metadata/propeller/flytesnacks-development-subguard/n0/data/0/fn0/inputs.pb", LiteralMapSchema);
    expect(inputs?.literals.x).toEqual(intLiteral(1));
    expect(inputs?.literals.err?.value).toMatchObject({
      case: "scalar",
      value: { value: { case: "union", value: { value: { value: { case: "scalar", value: { value: { case: "error", value: { failedNodeId: "fn0", message: "boom in attempt 0" } } } } } } } },
    });
  });

  it("fails with the failure node's own error when the subworkflow's failure node fails", async () => {
    const harness = await start();
    const bad = scripted("sub.bad9", "user");
    const handler = handlerTask("sub.handler9", "recoverable");
    const inner = workflow("sub.guarded9", {
      inputs: { x: T.int() },
      nodes: [taskNode("n0", bad, { inputs: { x: promise("", "x") } })],
      failureNode: handlerNode(handler),
    });
    const outer = outerOf("sub.outer9", inner, false);
    await registerTasks(harness.admin, bad, handler);
    await registerWorkflow(harness.admin, outer, [inner]);
    const id = await launch(harness.admin, outer.id!, "subguard9", literals({ x: intLiteral(1) }));
    const e = await waitForPhase(harness.admin, id, ["FAILED"]);
    expect(e.closure?.outputResult.value).toMatchObject({ kind: Kind.USER, code: "RetriesExhausted|USER:Recoverable" });
    expect(await phaseOf(harness, id, "n0-0-fn0")).toMatchObject({ phase: "FAILED" });
  });

  it("aborts the inner nodes when the execution is terminated, children first", async () => {
    const harness = await start();
    const slow = scripted("sub.hang", "hang");
    const inner = workflow("sub.hanging", { inputs: { x: T.int() }, nodes: [taskNode("n0", slow, { inputs: { x: promise("", "x") } })] });
    const outer = outerOf("sub.outer10", inner, false);
    await registerTasks(harness.admin, slow);
    await registerWorkflow(harness.admin, outer, [inner]);
    const id = await launch(harness.admin, outer.id!, "subterm", literals({ x: intLiteral(1) }));
    await waitFor("the inner task to run", () => (eventLines(harness.events, "subterm").includes("T n0-0-n0#0 RUNNING v0") ? true : undefined));
    await harness.admin.terminateExecution({ id, cause: "stop it" });
    await waitForPhase(harness.admin, id, ["ABORTED"]);
    expect(eventLines(harness.events, "subterm").slice(-4)).toEqual(["T n0-0-n0#0 ABORTED v0", "N n0-0-n0 ABORTED", "N n0 ABORTED", "WF ABORTED"]);
    expect(plugin.aborted).toEqual(["subterm-n0-0-n0-0"]);
    for (const nodeId of ["n0-0-n0", "n0"]) {
      const aborted = nodeEvents(harness, nodeId).at(-1)!;
      expect(aborted.outputResult).toEqual({ case: "error", value: expect.objectContaining({ code: "NodeAborted", message: "Workflow aborted." }) });
    }
    expect(nodeEvents(harness, "n0-0-n0").at(-1)!.parentNodeMetadata).toBeUndefined();
    expect(await phaseOf(harness, id, "n0-0-n0")).toMatchObject({ phase: "ABORTED" });
    expect(await phaseOf(harness, id, "n0")).toMatchObject({ phase: "ABORTED" });
  });

  it("aborts the subworkflow's running failure node when the execution is terminated", async () => {
    const harness = await start();
    const bad = scripted("sub.bad12", "user");
    const handler = handlerTask("sub.handler12", "hang");
    const inner = workflow("sub.guarded12", {
      inputs: { x: T.int() },
      nodes: [taskNode("n0", bad, { inputs: { x: promise("", "x") } })],
      failureNode: handlerNode(handler),
    });
    const outer = outerOf("sub.outer12", inner, false);
    await registerTasks(harness.admin, bad, handler);
    await registerWorkflow(harness.admin, outer, [inner]);
    const id = await launch(harness.admin, outer.id!, "subguardterm", literals({ x: intLiteral(1) }));
    await waitFor("the failure node to run", () => (eventLines(harness.events, "subguardterm").includes("T n0-0-fn0#0 RUNNING v0") ? true : undefined));
    await harness.admin.terminateExecution({ id, cause: "stop it" });
    await waitForPhase(harness.admin, id, ["ABORTED"]);
    expect(eventLines(harness.events, "subguardterm").slice(-4)).toEqual(["T n0-0-fn0#0 ABORTED v0", "N n0-0-fn0 ABORTED", "N n0 ABORTED", "WF ABORTED"]);
    expect(plugin.aborted).toEqual(["subguardterm-n0-0-fn0-0"]);
  });

  it("resumes a subworkflow in a new engine while its inner task runs", { timeout: 60_000 }, async () => {
    const harness = await start({ database: join(tempDir("engine-subwf-restart-"), "admin.db") });
    const t = echo("sub.slow11", { sleep_ms: "800" });
    const inner = workflow("sub.resumed", {
      inputs: { x: T.int() },
      outputs: { o0: T.int() },
      nodes: [taskNode("n0", t, { inputs: { x: promise("", "x") } }), taskNode("n1", t, { inputs: { x: promise("n0", "o0") } })],
      outputBindings: { o0: promise("n1", "o0") },
    });
    const outer = outerOf("sub.outer11", inner);
    await registerTasks(harness.admin, t);
    await registerWorkflow(harness.admin, outer, [inner]);
    const id = await launch(harness.admin, outer.id!, "subrestart", literals({ x: intLiteral(4) }));
    await waitFor("the inner task to run", () => (eventLines(harness.events, "subrestart").includes("T n0-0-n0#0 RUNNING v0") ? true : undefined));
    await harness.restart([createEchoPlugin(), plugin]);
    await waitForPhase(harness.admin, id, ["SUCCEEDED"]);
    expect((await harness.admin.getExecutionData({ id })).fullOutputs?.literals.o0).toEqual(intLiteral(4));
    for (const nodeId of ["n0-0-n0", "n0-0-n1"]) {
      const tasks = await harness.admin.listTaskExecutions({ nodeExecutionId: { executionId: id, nodeId }, limit: 10 });
      expect(tasks.taskExecutions.map((x) => `${x.id?.retryAttempt}:${TaskExecution_Phase[x.closure!.phase]}`)).toEqual(["0:SUCCEEDED"]);
    }
    const children = await harness.admin.listNodeExecutions({ workflowExecutionId: id, uniqueParentId: "n0", limit: 10 });
    expect(children.nodeExecutions.map((n) => n.id?.nodeId).sort()).toEqual(["n0-0-end-node", "n0-0-n0", "n0-0-n1", "n0-0-start-node"]);
    expect(harness.events.filter((r) => r.refused && r.refused !== "AlreadyExists")).toEqual([]);
    const lines = eventLines(harness.events, "subrestart").filter((l) => !l.endsWith("!AlreadyExists"));
    expect(lines.filter((l) => l.startsWith("N n0 "))).toEqual(["N n0 QUEUED", "N n0 RUNNING", "N n0 SUCCEEDED"]);
    expect(lines.at(-1)).toBe("WF SUCCEEDED");
  });
});
