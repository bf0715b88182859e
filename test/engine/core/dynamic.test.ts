// Dynamic tasks (engine-spec §2.4.9, §5.4): a scripted parent task writes a
// futures.pb; the engine builds, compiles and reports its workflow, runs the
// children as a nested graph in a dynamic chain, and ends the node with their
// outputs.
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { DurationSchema } from "@bufbuild/protobuf/wkt";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CompiledWorkflowClosureSchema } from "../../../gen/flyteidl/core/compiler_pb.js";
import { type DynamicJobSpec, DynamicJobSpecSchema } from "../../../gen/flyteidl/core/dynamic_job_pb.js";
import { ExecutionError_ErrorKind as Kind, NodeExecution_Phase, TaskExecution_Phase } from "../../../gen/flyteidl/core/execution_pb.js";
import { ResourceType } from "../../../gen/flyteidl/core/identifier_pb.js";
import type { Literal } from "../../../gen/flyteidl/core/literals_pb.js";
import type { TaskTemplate } from "../../../gen/flyteidl/core/tasks_pb.js";
import { dynamicCompiledPath } from "../../../src/engine/local/dynamic-closure.js";
import { MAX_DYNAMIC_NESTING } from "../../../src/engine/local/dynamic-handler.js";
import { createEchoPlugin } from "../../../src/engine/local/echo-plugin.js";
import { childExecutionName } from "../../fixtures/engine/expected-names.js";
import { bindings, branchNode, intValue, launchPlanId, launchPlanNode, listOf, promise, T, taskNode, workflow } from "../../fixtures/flyte-builders.js";
import { eventLines, type Harness, intLiteral, launch, literals, type Recorded, registerTasks, registerWorkflow, startHarness, taskOfType, waitFor, waitForPhase } from "./harness.js";
import { createScriptedPlugin, type ScriptedPlugin } from "./scripted-plugin.js";

let h: Harness;
let plugin: ScriptedPlugin;
beforeEach(async () => {
  plugin = createScriptedPlugin();
  h = await startHarness({ plugins: [createEchoPlugin(), plugin] });
});
afterEach(() => h.close());

/** `@task def echo(x: int) -> int` run by the echo plugin, `sleep_ms` long. */
const echoTask = (name: string, sleepMs = 0, extra: { retries?: number; timeoutSeconds?: number } = {}) =>
  taskOfType("echo", `dyn.${name}`, { x: T.int() }, { o0: T.int() }, { config: sleepMs > 0 ? { sleep_ms: String(sleepMs) } : {}, ...extra });

/** What flytekit writes for `[child(x=i) for i in xs]`: nodes dn<i> on literal inputs, the output the list of theirs. */
function fanOutSpec(child: TaskTemplate, xs: number[], output = "o0"): DynamicJobSpec {
  const nodes = xs.map((x, i) => taskNode(`dn${i}`, child, { inputs: { x: intValue(x) }, name: child.id!.name }));
  return create(DynamicJobSpecSchema, {
    nodes,
    minSuccesses: BigInt(nodes.length),
    outputs: bindings({ [output]: listOf(...nodes.map((n) => promise(n.id, "o0"))) }),
    tasks: [child],
  });
}

/** A parent task of the scripted plugin that writes `spec` as its futures file (per attempt: `script`). */
const dynamicTask = (name: string, spec: DynamicJobSpec, o: { script?: string; retries?: number; outputs?: Record<string, ReturnType<typeof T.int>> } = {}) =>
  taskOfType("scripted", `dyn.${name}`, { x: T.int() }, o.outputs ?? { o0: T.list(T.int()) }, {
    config: { script: o.script ?? "futures", futures: Buffer.from(toBinary(DynamicJobSpecSchema, spec)).toString("base64") },
    ...(o.retries !== undefined ? { retries: o.retries } : {}),
  });

/** Registers `parent` as node n0 of a workflow whose output is n0's, and launches it. */
async function runDynamic(name: string, parent: TaskTemplate, outputs: Record<string, ReturnType<typeof T.int>> = { o0: T.list(T.int()) }) {
  const wf = workflow(`dyn.${name}_wf`, {
    inputs: { x: T.int() },
    outputs,
    nodes: [taskNode("n0", parent, { inputs: { x: promise("", "x") } })],
    outputBindings: Object.fromEntries(Object.keys(outputs).map((k) => [k, promise("n0", k)])),
  });
  await registerTasks(h.admin, parent);
  await registerWorkflow(h.admin, wf);
  return launch(h.admin, wf.id!, name, literals({ x: intLiteral(1) }));
}

const nodeEvents = (name: string) =>
  h.events.filter((r): r is Extract<Recorded, { kind: "node" }> => r.kind === "node" && r.event.id?.executionId?.name === name).map((r) => r.event);
const only = (lines: string[], prefix: string) => lines.filter((l) => l.startsWith(prefix));
const ints = (l: Literal | undefined) =>
  l?.value.case === "collection" ? l.value.value.literals.map((x) => (x.value.case === "scalar" && x.value.value.value.case === "primitive" ? Number(x.value.value.value.value.value.value) : NaN)) : undefined;

describe("dynamic tasks (engine-spec §2.4.9)", () => {
  it("runs the children the task yielded and ends with their outputs", async () => {
    const child = echoTask("sq");
    const id = await runDynamic("dyn", dynamicTask("squares", fanOutSpec(child, [0, 1, 4])));
    await waitForPhase(h.admin, id, ["SUCCEEDED"]);
    expect(ints((await h.admin.getExecutionData({ id })).fullOutputs?.literals.o0)).toEqual([0, 1, 4]);

    const lines = eventLines(h.events, "dyn");
    // The parent: the task succeeds with no node event, DYNAMIC_RUNNING reports the workflow, SUCCEEDED ends it.
    expect(only(lines, "N n0 ")).toEqual(["N n0 QUEUED", "N n0 RUNNING", "N n0 DYNAMIC_RUNNING", "N n0 SUCCEEDED"]);
    expect(only(lines, "T n0#")).toEqual(["T n0#0 QUEUED v0", "T n0#0 RUNNING v0", "T n0#0 SUCCEEDED v0"]);
    expect(lines.indexOf("T n0#0 SUCCEEDED v0")).toBeLessThan(lines.indexOf("N n0 DYNAMIC_RUNNING"));
    // The children: a start node, dn0..dn2 as task nodes, an end node, all after DYNAMIC_RUNNING.
    expect(only(lines, "N n0-0-start-node")).toEqual(["N n0-0-start-node SUCCEEDED"]);
    for (const dn of ["dn0", "dn1", "dn2"]) {
      expect(only(lines, `N n0-0-${dn} `)).toEqual([`N n0-0-${dn} QUEUED`, `N n0-0-${dn} RUNNING`, `N n0-0-${dn} SUCCEEDED`]);
      expect(only(lines, `T n0-0-${dn}#`)).toEqual([`T n0-0-${dn}#0 QUEUED v0`, `T n0-0-${dn}#0 RUNNING v0`, `T n0-0-${dn}#0 SUCCEEDED v0`]);
    }
    expect(only(lines, "N n0-0-end-node")).toEqual(["N n0-0-end-node QUEUED", "N n0-0-end-node SUCCEEDED"]);
    const firstChild = lines.findIndex((l) => l.startsWith("N n0-0-") || l.startsWith("T n0-0-"));
    expect(firstChild).toBeGreaterThan(lines.indexOf("N n0 DYNAMIC_RUNNING"));
    expect(lines.indexOf("N n0-0-end-node SUCCEEDED")).toBeLessThan(lines.indexOf("N n0 SUCCEEDED"));
    expect(lines.slice(-4)).toEqual(["N end-node QUEUED", "N end-node SUCCEEDED", "WF SUCCEEDING", "WF SUCCEEDED"]);
    expect(h.events.filter((r) => r.refused)).toEqual([]);

    // Flags and fields of the parent's events.
    const n0 = nodeEvents("dyn").filter((e) => e.id?.nodeId === "n0");
    const phases = n0.map((e) => NodeExecution_Phase[e.phase]);
    expect(n0.map((e) => [NodeExecution_Phase[e.phase], e.isDynamic, e.isParent])).toEqual([
      ["QUEUED", false, false],
      ["RUNNING", false, false],
      ["DYNAMIC_RUNNING", true, true],
      ["SUCCEEDED", true, false],
    ]);
    const running = n0[phases.indexOf("DYNAMIC_RUNNING")]!;
    const meta = running.targetMetadata.case === "taskNodeMetadata" ? running.targetMetadata.value.dynamicWorkflow : undefined;
    expect(meta?.id).toMatchObject({ resourceType: ResourceType.WORKFLOW, project: "flytesnacks", domain: "development", name: "dynamic_n0" });
    expect(meta?.id?.version).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{10}$/);
    expect(meta?.dynamicJobSpecUri).toMatch(/\/metadata\/propeller\/flytesnacks-development-dyn\/n0\/data\/0\/futures\.pb$/);
    expect(meta?.dynamicJobSpecUri.startsWith("file://")).toBe(true);
    const closure = meta!.compiledWorkflow!;
    expect(closure.primary?.template?.nodes.map((n) => n.id).sort()).toEqual(["dn0", "dn1", "dn2", "end-node", "start-node"]);
    expect(closure.primary?.template?.interface?.outputs?.variables).toHaveProperty("o0");
    expect(Object.keys(closure.primary?.template?.interface?.inputs?.variables ?? {})).toEqual([]);
    expect(closure.tasks.map((t) => t.template?.id?.name)).toEqual(["dyn.sq"]);
    const succeeded = n0[phases.indexOf("SUCCEEDED")]!;
    expect(succeeded.outputResult).toEqual({ case: "outputUri", value: meta!.dynamicJobSpecUri.replace(/futures\.pb$/, "outputs.pb") });

    // The children's events: nested under n0, attempt 0, in a dynamic chain.
    const children = nodeEvents("dyn").filter((e) => e.id?.nodeId.startsWith("n0-0-"));
    expect(children.length).toBeGreaterThan(0);
    for (const e of children) {
      expect(e.parentNodeMetadata?.nodeId).toBe("n0");
      expect(e.retryGroup).toBe("0");
      expect(e.isInDynamicChain).toBe(true);
      expect(e.isDynamic).toBe(false);
    }
    const dn1 = children.find((e) => e.id?.nodeId === "n0-0-dn1" && e.phase === NodeExecution_Phase.QUEUED)!;
    expect([dn1.specNodeId, dn1.nodeName]).toEqual(["dn1", "dyn.sq"]);
    expect(dn1.inputValue).toEqual({ case: "inputUri", value: meta!.dynamicJobSpecUri.replace(/futures\.pb$/, "dn1/inputs.pb") });
    const start = children.find((e) => e.id?.nodeId === "n0-0-start-node")!;
    expect(start.outputResult).toEqual({ case: "outputUri", value: meta!.dynamicJobSpecUri.replace(/futures\.pb$/, "start-node/0/outputs.pb") });
  });

  it("runs the children an echo task yields from its futures config (the benchmark's dynamic shape)", async () => {
    const parent = taskOfType("echo", "dyn.echo_parent", { x: T.int() }, { o0: T.list(T.int()) }, {
      config: { futures: Buffer.from(toBinary(DynamicJobSpecSchema, fanOutSpec(echoTask("sq_echo"), [5, 6, 7, 8]))).toString("base64") },
    });
    const id = await runDynamic("dynecho", parent);
    await waitForPhase(h.admin, id, ["SUCCEEDED"]);
    expect(ints((await h.admin.getExecutionData({ id })).fullOutputs?.literals.o0)).toEqual([5, 6, 7, 8]);
    expect(only(eventLines(h.events, "dynecho"), "N n0 ")).toEqual(["N n0 QUEUED", "N n0 RUNNING", "N n0 DYNAMIC_RUNNING", "N n0 SUCCEEDED"]);
  });

  it("answers GetDynamicNodeWorkflow and lists the children under the parent", async () => {
    const id = await runDynamic("dynget", dynamicTask("squares_get", fanOutSpec(echoTask("sq_get"), [2, 3])));
    await waitForPhase(h.admin, id, ["SUCCEEDED"]);
    const reported = nodeEvents("dynget").find((e) => e.phase === NodeExecution_Phase.DYNAMIC_RUNNING)!;
    const sent = reported.targetMetadata.case === "taskNodeMetadata" ? reported.targetMetadata.value.dynamicWorkflow?.compiledWorkflow : undefined;
    const answer = await h.admin.getDynamicNodeWorkflow({ id: { executionId: id, nodeId: "n0" } });
    expect(toBinary(CompiledWorkflowClosureSchema, answer.compiledWorkflow!)).toEqual(toBinary(CompiledWorkflowClosureSchema, sent!));
    const data = await h.admin.getNodeExecutionData({ id: { executionId: id, nodeId: "n0" } });
    expect(data.dynamicWorkflow?.id?.name).toBe("dynamic_n0");
    expect(data.dynamicWorkflow?.dynamicJobSpecUri).toMatch(/\/n0\/data\/0\/futures\.pb$/);
    expect(ints(data.fullOutputs?.literals.o0)).toEqual([2, 3]);

    const n0 = await h.admin.getNodeExecution({ id: { executionId: id, nodeId: "n0" } });
    expect([n0.metadata?.isDynamic, n0.metadata?.isParentNode]).toEqual([true, true]);
    expect(n0.closure?.dynamicJobSpecUri).toMatch(/\/n0\/data\/0\/futures\.pb$/);
    const children = await h.admin.listNodeExecutions({ workflowExecutionId: id, uniqueParentId: "n0", limit: 10 });
    expect(children.nodeExecutions.map((n) => [n.id!.nodeId, NodeExecution_Phase[n.closure!.phase], n.metadata?.retryGroup, n.metadata?.specNodeId]).sort()).toEqual([
      ["n0-0-dn0", "SUCCEEDED", "0", "dn0"],
      ["n0-0-dn1", "SUCCEEDED", "0", "dn1"],
      ["n0-0-end-node", "SUCCEEDED", "0", "end-node"],
      ["n0-0-start-node", "SUCCEEDED", "0", "start-node"],
    ]);
    const top = await h.admin.listNodeExecutions({ workflowExecutionId: id, limit: 10 });
    expect(top.nodeExecutions.map((n) => n.id!.nodeId).sort()).toEqual(["end-node", "n0", "start-node"]);
    // The compiled workflow is kept next to the futures file.
    const cached = await h.blobs.get(h.blobs.keyOf(dynamicCompiledPath(data.dynamicWorkflow!.dynamicJobSpecUri.replace(/\/futures\.pb$/, "")))!);
    expect(fromBinary(CompiledWorkflowClosureSchema, cached!).primary?.template?.id?.version).toBe(answer.compiledWorkflow?.primary?.template?.id?.version);
  });

  it("fails the node with a failing child's error and stops the other children", async () => {
    const ok = echoTask("slow", 60_000);
    const bad = taskOfType("scripted", "dyn.bad", { x: T.int() }, { o0: T.int() }, { config: { script: "user" } });
    const spec = fanOutSpec(ok, [1]);
    spec.nodes.push(taskNode("dn1", bad, { inputs: { x: intValue(2) } }));
    spec.tasks.push(bad);
    spec.outputs = bindings({ o0: listOf(promise("dn0", "o0"), promise("dn1", "o0")) });
    const id = await runDynamic("dynfail", dynamicTask("fails", spec));
    const e = await waitForPhase(h.admin, id, ["FAILED"]);
    expect(e.closure?.outputResult.value).toMatchObject({ kind: Kind.USER, code: "USER:RuntimeError", message: "boom in attempt 0" });
    const lines = eventLines(h.events, "dynfail");
    expect(only(lines, "N n0 ")).toEqual(["N n0 QUEUED", "N n0 RUNNING", "N n0 DYNAMIC_RUNNING", "N n0 FAILED"]);
    expect(only(lines, "N n0-0-dn1 ")).toEqual(["N n0-0-dn1 QUEUED", "N n0-0-dn1 RUNNING", "N n0-0-dn1 FAILED"]);
    // The slow child is aborted before the parent reports its failure.
    expect(only(lines, "T n0-0-dn0#").slice(-1)).toEqual(["T n0-0-dn0#0 ABORTED v0"]);
    expect(lines.indexOf("N n0-0-dn0 ABORTED")).toBeLessThan(lines.indexOf("N n0 FAILED"));
    const failed = nodeEvents("dynfail").find((x) => x.id?.nodeId === "n0" && x.phase === NodeExecution_Phase.FAILED)!;
    expect(failed.isDynamic).toBe(true);
    expect(failed.outputResult.value).toMatchObject({ code: "USER:RuntimeError" });
    const aborted = nodeEvents("dynfail").find((x) => x.id?.nodeId === "n0-0-dn0" && x.phase === NodeExecution_Phase.ABORTED)!;
    expect(aborted.isInDynamicChain).toBe(true);
    expect(aborted.outputResult.value).toMatchObject({ code: "NodeAborted", message: "Dynamic workflow failed" });
    expect(lines.slice(-2)).toEqual(["WF FAILING", "WF FAILED"]);
    expect(h.events.filter((r) => r.refused)).toEqual([]);
  });

  it("fails with DynamicWorkflowBuildFailed when the yielded workflow does not compile", async () => {
    // An empty spec: the parent declares an output nothing binds.
    const id = await runDynamic("dynbad", dynamicTask("empty", create(DynamicJobSpecSchema)));
    await waitForPhase(h.admin, id, ["FAILED"]);
    const n0 = await h.admin.getNodeExecution({ id: { executionId: id, nodeId: "n0" } });
    const error = n0.closure?.outputResult.case === "error" ? n0.closure.outputResult.value : undefined;
    expect(error).toMatchObject({ kind: Kind.USER, code: "DynamicWorkflowBuildFailed" });
    expect(error?.message).toMatch(/^\[User\] malformed dynamic workflow, caused by: Collected Errors: 1\n/);
    expect(error?.message).toContain("Code: NoNodesFound");
    const lines = eventLines(h.events, "dynbad");
    expect(only(lines, "N n0")).toEqual(["N n0 QUEUED", "N n0 RUNNING", "N n0 FAILED"]);
    expect(nodeEvents("dynbad").find((e) => e.phase === NodeExecution_Phase.FAILED && e.id?.nodeId === "n0")?.isDynamic).toBe(true);
    expect(h.events.filter((r) => r.refused)).toEqual([]);
  });

  it("fails with DynamicWorkflowBuildFailed when a launch plan the workflow names is not registered", async () => {
    const lp = { resourceType: ResourceType.LAUNCH_PLAN, project: "flytesnacks", domain: "development", name: "dyn.nowhere", version: "v1" } as never;
    const spec = create(DynamicJobSpecSchema, {
      nodes: [launchPlanNode("dn0", lp, { inputs: { x: intValue(1) } })],
      outputs: bindings({ o0: listOf(promise("dn0", "o0")) }),
    });
    const id = await runDynamic("dynlp", dynamicTask("lp", spec));
    await waitForPhase(h.admin, id, ["FAILED"]);
    const n0 = await h.admin.getNodeExecution({ id: { executionId: id, nodeId: "n0" } });
    expect(n0.closure?.outputResult.value).toMatchObject({ kind: Kind.USER, code: "DynamicWorkflowBuildFailed" });
    expect((n0.closure?.outputResult.value as { message: string }).message).toContain("incorrectly specified launchplan flytesnacks:development:dyn.nowhere:v1");
  });

  it("launches the registered launch plan a dynamic task yielded as a child execution", async () => {
    const task = echoTask("lp_child_task");
    const child = workflow("dyn.lp_child", {
      inputs: { x: T.int() },
      outputs: { o0: T.int() },
      nodes: [taskNode("n0", task, { inputs: { x: promise("", "x") } })],
      outputBindings: { o0: promise("n0", "o0") },
    });
    await registerTasks(h.admin, task);
    await registerWorkflow(h.admin, child);
    const lp = launchPlanId("dyn.lp_child");
    const spec = create(DynamicJobSpecSchema, {
      nodes: [launchPlanNode("dn0", lp, { inputs: { x: intValue(9) } })],
      outputs: bindings({ o0: listOf(promise("dn0", "o0")) }),
    });
    const id = await runDynamic("dynlpok", dynamicTask("lp_ok", spec));
    await waitForPhase(h.admin, id, ["SUCCEEDED"]);
    expect(ints((await h.admin.getExecutionData({ id })).fullOutputs?.literals.o0)).toEqual([9]);
    const dn0 = nodeEvents("dynlpok").filter((e) => e.id?.nodeId === "n0-0-dn0");
    expect(dn0.map((e) => NodeExecution_Phase[e.phase])).toEqual(["QUEUED", "RUNNING", "SUCCEEDED"]);
    const childId = dn0[1]!.targetMetadata.case === "workflowNodeMetadata" ? dn0[1]!.targetMetadata.value.executionId : undefined;
    expect(childId?.name).toBe(childExecutionName("dynlpok", "n0-0-dn0", 0));
    const execution = await h.admin.getExecution({ id: childId! });
    expect(execution.spec?.metadata?.parentNodeExecution).toMatchObject({ nodeId: "n0-0-dn0", executionId: { name: "dynlpok" } });
  });

  it("fails with DynamicWorkflowBuildFailed past the engine's node limit", async () => {
    await h.close();
    h = await startHarness({ plugins: [createEchoPlugin(), plugin], config: { maxDynamicNodes: 2 } });
    const id = await runDynamic("dynbig", dynamicTask("big", fanOutSpec(echoTask("sq_big"), [1, 2, 3])));
    await waitForPhase(h.admin, id, ["FAILED"]);
    const n0 = await h.admin.getNodeExecution({ id: { executionId: id, nodeId: "n0" } });
    expect(n0.closure?.outputResult.value).toMatchObject({ kind: Kind.USER, code: "DynamicWorkflowBuildFailed" });
    expect((n0.closure?.outputResult.value as { message: string }).message).toContain("exceeds limit (3 > 2)");
    expect(eventLines(h.events, "dynbig").filter((l) => l.includes("n0-0-"))).toEqual([]);
  });

  it("keeps the children's ids and workflow across a restart in the middle", async () => {
    const id = await runDynamic("dynrestart", dynamicTask("slow_squares", fanOutSpec(echoTask("sq_slow", 1_500), [3, 4])));
    await waitFor("the children to run", () => (eventLines(h.events, "dynrestart").includes("N n0-0-dn1 RUNNING") ? true : undefined));
    const before = nodeEvents("dynrestart").find((e) => e.phase === NodeExecution_Phase.DYNAMIC_RUNNING)!;
    await h.restart();
    await waitForPhase(h.admin, id, ["SUCCEEDED"]);
    expect(ints((await h.admin.getExecutionData({ id })).fullOutputs?.literals.o0)).toEqual([3, 4]);
    const children = await h.admin.listNodeExecutions({ workflowExecutionId: id, uniqueParentId: "n0", limit: 10 });
    expect(children.nodeExecutions.map((n) => n.id!.nodeId).sort()).toEqual(["n0-0-dn0", "n0-0-dn1", "n0-0-end-node", "n0-0-start-node"]);
    for (const dn of ["n0-0-dn0", "n0-0-dn1"]) {
      const tasks = await h.admin.listTaskExecutions({ nodeExecutionId: { executionId: id, nodeId: dn }, limit: 10 });
      expect(tasks.taskExecutions.map((t) => [t.id?.retryAttempt, TaskExecution_Phase[t.closure!.phase]])).toEqual([[0, "SUCCEEDED"]]);
    }
    // The parent's task ran once, and the workflow it reported is still the one served.
    expect(plugin.launched).toEqual(["dynrestart-n0-0"]);
    const served = await h.admin.getDynamicNodeWorkflow({ id: { executionId: id, nodeId: "n0" } });
    const sent = before.targetMetadata.case === "taskNodeMetadata" ? before.targetMetadata.value.dynamicWorkflow : undefined;
    expect(served.compiledWorkflow?.primary?.template?.id?.version).toBe(sent?.id?.version);
    expect(eventLines(h.events, "dynrestart").filter((l) => l === "N n0 DYNAMIC_RUNNING")).toEqual(["N n0 DYNAMIC_RUNNING"]);
    expect(h.events.filter((r) => r.refused && r.refused !== "AlreadyExists")).toEqual([]);
  });

  it("retries the whole node when a child times out: the next attempt's children are n0-1-dn<i>", async () => {
    const child = echoTask("sq_hang", 60_000, { retries: 5 });
    const spec = fanOutSpec(child, [5]);
    spec.nodes[0]!.metadata!.timeout = create(DurationSchema, { seconds: 1n });
    const id = await runDynamic("dyntimeout", dynamicTask("times_out", spec, { retries: 1 }));
    const e = await waitForPhase(h.admin, id, ["FAILED"], 30_000);
    expect(e.closure?.outputResult.value).toMatchObject({ kind: Kind.USER, code: "RetriesExhausted|DynamicNodeFailing" });
    const lines = eventLines(h.events, "dyntimeout");
    // The retry's DYNAMIC_RUNNING finds the node in that phase already (the control plane keeps the first workflow).
    expect(only(lines, "N n0 ")).toEqual(["N n0 QUEUED", "N n0 RUNNING", "N n0 DYNAMIC_RUNNING", "N n0 DYNAMIC_RUNNING !AlreadyExists", "N n0 FAILED"]);
    expect(only(lines, "T n0#").filter((l) => l.includes("SUCCEEDED"))).toEqual(["T n0#0 SUCCEEDED v0", "T n0#1 SUCCEEDED v0"]);
    expect(only(lines, "N n0-0-dn0 ")).toContain("N n0-0-dn0 TIMED_OUT");
    expect(only(lines, "N n0-1-dn0 ")).toContain("N n0-1-dn0 TIMED_OUT");
    const second = nodeEvents("dyntimeout").filter((x) => x.id?.nodeId.startsWith("n0-1-"));
    expect(second.length).toBeGreaterThan(0);
    expect(second.every((x) => x.retryGroup === "1" && x.parentNodeMetadata?.nodeId === "n0" && x.isInDynamicChain)).toBe(true);
    expect(plugin.launched).toEqual(["dyntimeout-n0-0", "dyntimeout-n0-1"]);
    expect(h.events.filter((r) => r.refused && r.refused !== "AlreadyExists")).toEqual([]);
  }, 40_000);

  it("runs a dynamic task inside a dynamic workflow", async () => {
    const inner = dynamicTask("inner", fanOutSpec(echoTask("sq_inner"), [7, 8]));
    const outer = create(DynamicJobSpecSchema, {
      nodes: [taskNode("dn0", inner, { inputs: { x: intValue(1) } })],
      outputs: bindings({ o0: promise("dn0", "o0") }),
      tasks: [inner],
    });
    const id = await runDynamic("dynnest", dynamicTask("outer", outer));
    await waitForPhase(h.admin, id, ["SUCCEEDED"]);
    expect(ints((await h.admin.getExecutionData({ id })).fullOutputs?.literals.o0)).toEqual([7, 8]);
    const lines = eventLines(h.events, "dynnest");
    expect(only(lines, "N n0-0-dn0 ")).toEqual(["N n0-0-dn0 QUEUED", "N n0-0-dn0 RUNNING", "N n0-0-dn0 DYNAMIC_RUNNING", "N n0-0-dn0 SUCCEEDED"]);
    expect(only(lines, "N n0-0-dn0-0-dn1 ")).toEqual(["N n0-0-dn0-0-dn1 QUEUED", "N n0-0-dn0-0-dn1 RUNNING", "N n0-0-dn0-0-dn1 SUCCEEDED"]);
    const events = nodeEvents("dynnest");
    const innerRunning = events.find((e) => e.id?.nodeId === "n0-0-dn0" && e.phase === NodeExecution_Phase.DYNAMIC_RUNNING)!;
    expect([innerRunning.isDynamic, innerRunning.isParent, innerRunning.isInDynamicChain, innerRunning.parentNodeMetadata?.nodeId]).toEqual([true, true, true, "n0"]);
    const wfId = innerRunning.targetMetadata.case === "taskNodeMetadata" ? innerRunning.targetMetadata.value.dynamicWorkflow?.id : undefined;
    expect(wfId?.name).toBe("dynamic_dn0");
    const grandchild = events.find((e) => e.id?.nodeId === "n0-0-dn0-0-dn0")!;
    expect([grandchild.parentNodeMetadata?.nodeId, grandchild.retryGroup, grandchild.isInDynamicChain]).toEqual(["n0-0-dn0", "0", true]);
    const served = await h.admin.getDynamicNodeWorkflow({ id: { executionId: id, nodeId: "n0-0-dn0" } });
    expect(served.compiledWorkflow?.primary?.template?.nodes.map((n) => n.id).sort()).toEqual(["dn0", "dn1", "end-node", "start-node"]);
    expect(h.events.filter((r) => r.refused)).toEqual([]);
  });

  it("runs a conditional the dynamic task yielded: the branch's chosen node is in the dynamic chain too", async () => {
    const child = echoTask("sq_branch");
    const spec = create(DynamicJobSpecSchema, {
      nodes: [branchNode("dn0", { var: "x", equals: 1 }, taskNode("n0", child, { inputs: { x: intValue(10) } }), taskNode("n1", child, { inputs: { x: intValue(20) } }), { inputs: { x: intValue(2) } })],
      outputs: bindings({ o0: listOf(promise("dn0", "o0")) }),
      tasks: [child],
    });
    const id = await runDynamic("dynbranch", dynamicTask("branchy", spec));
    await waitForPhase(h.admin, id, ["SUCCEEDED"]);
    expect(ints((await h.admin.getExecutionData({ id })).fullOutputs?.literals.o0)).toEqual([20]);
    // The compiler names the branch's nodes dn0-n0 and dn0-n1.
    const taken = nodeEvents("dynbranch").filter((e) => e.id?.nodeId === "n0-0-dn0-0-dn0-n1");
    expect(taken.map((e) => NodeExecution_Phase[e.phase])).toEqual(["QUEUED", "RUNNING", "SUCCEEDED"]);
    expect(taken.every((e) => e.isInDynamicChain && e.parentNodeMetadata?.nodeId === "n0-0-dn0")).toBe(true);
    expect(nodeEvents("dynbranch").some((e) => e.id?.nodeId === "n0-0-dn0-0-dn0-n0")).toBe(false);
    expect(h.events.filter((r) => r.refused)).toEqual([]);
  });

  it("stops a dynamic task that keeps yielding itself at the nesting limit", async () => {
    const t = taskOfType("scripted", "dyn.recurse", { x: T.int() }, { o0: T.int() }, { config: { script: "recurse" } });
    const id = await runDynamic("dynrec", t, { o0: T.int() });
    const e = await waitForPhase(h.admin, id, ["FAILED"], 60_000);
    const expected = `more than the ${MAX_DYNAMIC_NESTING} allowed`;
    expect(e.closure?.outputResult.value).toMatchObject({ kind: Kind.USER, code: "DynamicWorkflowBuildFailed" });
    expect((e.closure?.outputResult.value as { message: string }).message).toContain(`nested ${MAX_DYNAMIC_NESTING + 1} levels deep, ${expected}`);
    // Every level above the deepest ran its task and reported its workflow, then failed with the same error.
    const running = nodeEvents("dynrec").filter((x) => x.phase === NodeExecution_Phase.DYNAMIC_RUNNING);
    expect(running).toHaveLength(MAX_DYNAMIC_NESTING);
    expect(plugin.launched).toHaveLength(MAX_DYNAMIC_NESTING + 1);
    expect(h.events.filter((r) => r.refused)).toEqual([]);
  }, 90_000);

  it("aborts the children and the node when the execution is terminated", async () => {
    const child = taskOfType("scripted", "dyn.forever", { x: T.int() }, { o0: T.int() }, { config: { script: "hang" } });
    const spec = fanOutSpec(child, [1, 2]);
    const id = await runDynamic("dynterm", dynamicTask("term", spec));
    await waitFor("both children to run", () => (plugin.running >= 2 ? true : undefined));
    await h.admin.terminateExecution({ id, cause: "stop it" });
    await waitForPhase(h.admin, id, ["ABORTED"]);
    expect(plugin.aborted.sort()).toEqual(["dynterm-n0-0-dn0-0", "dynterm-n0-0-dn1-0"]);
    expect(plugin.running).toBe(0);
    const lines = eventLines(h.events, "dynterm");
    for (const dn of ["dn0", "dn1"]) {
      expect(only(lines, `T n0-0-${dn}#`).slice(-1)).toEqual([`T n0-0-${dn}#0 ABORTED v0`]);
      expect(only(lines, `N n0-0-${dn} `).slice(-1)).toEqual([`N n0-0-${dn} ABORTED`]);
    }
    // The parent's task had succeeded: nothing to abort there; the node itself ends ABORTED.
    expect(only(lines, "T n0#")).toEqual(["T n0#0 QUEUED v0", "T n0#0 RUNNING v0", "T n0#0 SUCCEEDED v0"]);
    expect(lines.slice(-2)).toEqual(["N n0 ABORTED", "WF ABORTED"]);
    expect(h.events.filter((r) => r.refused)).toEqual([]);
  });
});
