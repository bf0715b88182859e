import { create } from "@bufbuild/protobuf";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ExecutionMetadata_ExecutionMode as Mode } from "../../../gen/flyteidl/admin/execution_pb.js";
import { LaunchPlanSchema, LaunchPlanState } from "../../../gen/flyteidl/admin/launch_plan_pb.js";
import { ExecutionError_ErrorKind as Kind, WorkflowExecution_Phase } from "../../../gen/flyteidl/core/execution_pb.js";
import { type Identifier, ResourceType, type WorkflowExecutionIdentifier } from "../../../gen/flyteidl/core/identifier_pb.js";
import type { NodeExecutionEvent } from "../../../gen/flyteidl/event/event_pb.js";
import { createEchoPlugin } from "../../../src/engine/local/echo-plugin.js";
import { MAX_CHILD_NESTING } from "../../../src/engine/local/launchplan-handler.js";
import { launchPlanId, launchPlanInterface, launchPlanNode, promise, T, taskNode, workflow } from "../../fixtures/flyte-builders.js";
import { childExecutionName, fixedLength64, joinParts } from "../../fixtures/engine/expected-names.js";
import { eventLines, execId, type Harness, intLiteral, launch, literals, registerTasks, registerWorkflow, startHarness, taskOfType, waitFor, waitForPhase } from "./harness.js";
import { createScriptedPlugin, type ScriptedPlugin } from "./scripted-plugin.js";

let h: Harness;
let plugin: ScriptedPlugin;
beforeEach(async () => {
  plugin = createScriptedPlugin();
  h = await startHarness({ plugins: [createEchoPlugin(), plugin] });
});
afterEach(() => h.close());

const M = (name: string) => h.blobs.uri(`metadata/propeller/flytesnacks-development-${name}`);
const phaseOf = async (id: WorkflowExecutionIdentifier) => WorkflowExecution_Phase[(await h.admin.getExecution({ id })).closure!.phase];
const nodeEvents = (exec: string, nodeId: string) =>
  h.events.flatMap((r) => (r.kind === "node" && r.event.id?.executionId?.name === exec && r.event.id.nodeId === nodeId ? [r.event] : []));
const errorOf = (o: { outputResult: { case?: string; value?: unknown } } | undefined) => (o?.outputResult.case === "error" ? o.outputResult.value : undefined);

/** A child workflow `wf.<name>(x: int) -> o0: int` of one task, registered with its launch plan (same id). */
async function registerChild(name: string, task: ReturnType<typeof taskOfType>) {
  const wf = workflow(`wf.${name}`, {
    inputs: { x: T.int() },
    outputs: { o0: T.int() },
    nodes: [taskNode("n0", task, { inputs: { x: promise("", "x") } })],
    outputBindings: { o0: promise("n0", "o0") },
  });
  await registerTasks(h.admin, task);
  await registerWorkflow(h.admin, wf);
  return launchPlanId(`wf.${name}`);
}

/** A parent `wf.<name>(x: int) -> o0: int` whose n0 runs `lp` on x and n1 echoes n0's output. */
async function registerParent(name: string, lp: Identifier) {
  const echo = taskOfType("echo", `wf.${name}.echo`, { x: T.int() }, { o0: T.int() });
  const wf = workflow(`wf.${name}`, {
    inputs: { x: T.int() },
    outputs: { o0: T.int() },
    nodes: [launchPlanNode("n0", lp, { inputs: { x: promise("", "x") } }), taskNode("n1", echo, { inputs: { x: promise("n0", "o0") } })],
    outputBindings: { o0: promise("n1", "o0") },
  });
  await registerTasks(h.admin, echo);
  await registerWorkflow(h.admin, wf);
  return wf.id!;
}

const childOf = (parent: string, nodeId = "n0") => execId(childExecutionName(parent, nodeId, 0));

describe("launch-plan nodes (engine-spec §2.4.6, §5.5)", () => {
  it("the expected-names helper agrees with the spec's 64-bit test vector", () => {
    expect(fixedLength64(joinParts(["x", "y", "z", "m", "n", "y", "z", "m", "n", "y", "z", "m", "n"]), 15)).toBe("fwp4bky2kucex5");
  });

  it("launches the child, reports its id on RUNNING and SUCCEEDED, and passes its outputs on", async () => {
    const lp = await registerChild("child", taskOfType("echo", "wf.child.t", { x: T.int() }, { o0: T.int() }));
    const parent = await registerParent("parent", lp);
    // Launch plans are registered INACTIVE; CreateExecution does not check that (FlyteAdmin neither).
    expect((await h.admin.getLaunchPlan({ id: lp })).closure?.state).toBe(LaunchPlanState.INACTIVE);
    // Long enough that the child's name is the 64-bit digest form.
    const name = "lp-parent-with-long";
    const id = await launch(h.admin, parent, name, literals({ x: intLiteral(21) }));
    await waitForPhase(h.admin, id, ["SUCCEEDED"]);
    const child = childOf(name);
    expect(child.name).toMatch(/^f[a-z1-6]{13}$/);

    expect(eventLines(h.events, name)).toEqual([
      "WF RUNNING",
      "N start-node SUCCEEDED",
      "N n0 QUEUED",
      "N n0 RUNNING",
      "N n0 SUCCEEDED",
      "N n1 QUEUED",
      "T n1#0 QUEUED v0",
      "N n1 RUNNING",
      "T n1#0 RUNNING v0",
      "T n1#0 SUCCEEDED v0",
      "N n1 SUCCEEDED",
      "N end-node QUEUED",
      "N end-node SUCCEEDED",
      "WF SUCCEEDING",
      "WF SUCCEEDED",
    ]);
    expect(h.events.filter((r) => r.refused)).toEqual([]);
    // The child ran as an execution of its own, ending before the node that waited for it.
    const all = eventLines(h.events);
    const childLines = eventLines(h.events, child.name);
    expect(childLines[0]).toBe("WF RUNNING");
    expect(childLines.at(-1)).toBe("WF SUCCEEDED");
    const childDone = h.events.findIndex((r) => r.kind === "workflow" && r.event.executionId?.name === child.name && r.event.phase === WorkflowExecution_Phase.SUCCEEDED);
    const nodeDone = h.events.findIndex((r) => r.kind === "node" && r.event.id?.executionId?.name === name && r.event.id.nodeId === "n0" && r.event.phase === 3);
    expect(childDone).toBeGreaterThanOrEqual(0);
    expect(childDone).toBeLessThan(nodeDone);
    expect(all.length).toBeGreaterThan(childLines.length);

    const [queued, running, succeeded] = nodeEvents(name, "n0") as [NodeExecutionEvent, NodeExecutionEvent, NodeExecutionEvent];
    for (const e of [queued, running, succeeded]) {
      expect(e.targetEntity).toMatchObject({ resourceType: ResourceType.LAUNCH_PLAN, name: "wf.child", version: "v1" });
      expect(e.inputValue).toEqual({ case: "inputUri", value: `${M(name)}/n0/data/inputs.pb` });
      expect(e.eventVersion).toBe(1);
      expect([e.isParent, e.isDynamic, e.isArray]).toEqual([false, false, false]);
    }
    expect(queued.targetMetadata.case).toBeUndefined();
    for (const e of [running, succeeded]) {
      expect(e.targetMetadata.case).toBe("workflowNodeMetadata");
      expect((e.targetMetadata.case === "workflowNodeMetadata" ? e.targetMetadata.value.executionId : undefined)).toMatchObject({ project: "flytesnacks", domain: "development", name: child.name });
    }
    expect(running.outputResult.case).toBeUndefined();
    expect(succeeded.outputResult).toEqual({ case: "outputUri", value: `${M(name)}/n0/data/0/outputs.pb` });

    // The control plane links both ways: the node names its child, the child its parent node.
    const node = await h.admin.getNodeExecution({ id: { executionId: id, nodeId: "n0" } });
    expect(node.closure?.targetMetadata.case).toBe("workflowNodeMetadata");
    expect((node.closure?.targetMetadata.case === "workflowNodeMetadata" ? node.closure.targetMetadata.value.executionId?.name : undefined)).toBe(child.name);
    const c = await h.admin.getExecution({ id: child });
    expect(c.spec?.metadata).toMatchObject({ mode: Mode.CHILD_WORKFLOW, nesting: 1, parentNodeExecution: { executionId: { name }, nodeId: "n0" } });
    expect(c.spec?.launchPlan).toMatchObject({ name: "wf.child", version: "v1" });
    expect(c.closure?.phase).toBe(WorkflowExecution_Phase.SUCCEEDED);
    expect((await h.admin.getExecutionData({ id: child })).fullInputs?.literals.x).toEqual(intLiteral(21));

    // Outputs: child → node → n1 → parent.
    expect((await h.admin.getExecutionData({ id })).fullOutputs?.literals.o0).toEqual(intLiteral(21));
    const nodeData = await h.admin.getNodeExecutionData({ id: { executionId: id, nodeId: "n0" } });
    expect(nodeData.fullOutputs?.literals.o0).toEqual(intLiteral(21));
  });

  it("gives the child the parent's labels, annotations, security context, parallelism, raw output prefix, interruptible, overwrite_cache and envs", async () => {
    const lp = await registerChild("child2", taskOfType("echo", "wf.child2.t", { x: T.int() }, { o0: T.int() }));
    const parent = await registerParent("parent2", lp);
    const raw = h.blobs.uri("custom-raw");
    const id = await launch(h.admin, parent, "lp-inherit", literals({ x: intLiteral(1) }), {
      labels: { values: { team: "a" } },
      annotations: { values: { note: "b" } },
      securityContext: { runAs: { k8sServiceAccount: "robot" } },
      maxParallelism: 7,
      rawOutputDataConfig: { outputLocationPrefix: raw },
      interruptible: true,
      overwriteCache: true,
      envs: { values: [{ key: "E2E_X", value: "1" }] },
    });
    await waitForPhase(h.admin, id, ["SUCCEEDED"]);
    const c = await h.admin.getExecution({ id: childOf("lp-inherit") });
    expect(c.spec?.labels?.values).toEqual({ team: "a" });
    expect(c.spec?.annotations?.values).toEqual({ note: "b" });
    expect(c.spec?.securityContext?.runAs?.k8sServiceAccount).toBe("robot");
    expect(c.spec?.maxParallelism).toBe(7);
    expect(c.spec?.rawOutputDataConfig?.outputLocationPrefix).toBe(raw);
    expect(c.spec?.interruptible).toBe(true);
    expect(c.spec?.overwriteCache).toBe(true);
    expect(c.spec?.envs?.values.map((kv) => [kv.key, kv.value])).toEqual([["E2E_X", "1"]]);
  });

  it("fails the node with the child's own error when the child fails", async () => {
    const lp = await registerChild("bad", taskOfType("scripted", "wf.bad.t", { x: T.int() }, { o0: T.int() }, { config: { script: "user" } }));
    const parent = await registerParent("parent3", lp);
    const id = await launch(h.admin, parent, "lp-fail", literals({ x: intLiteral(1) }));
    const e = await waitForPhase(h.admin, id, ["FAILED"]);
    const childError = errorOf((await h.admin.getExecution({ id: childOf("lp-fail") })).closure);
    expect(childError).toMatchObject({ kind: Kind.USER, code: "USER:RuntimeError", message: "boom in attempt 0" });
    const node = await h.admin.getNodeExecution({ id: { executionId: id, nodeId: "n0" } });
    expect(errorOf(node.closure)).toMatchObject({ kind: Kind.USER, code: "USER:RuntimeError", message: "boom in attempt 0" });
    expect(errorOf(e.closure)).toMatchObject({ kind: Kind.USER, code: "USER:RuntimeError", message: "boom in attempt 0" });
    expect(eventLines(h.events, "lp-fail")).toEqual(["WF RUNNING", "N start-node SUCCEEDED", "N n0 QUEUED", "N n0 RUNNING", "N n0 FAILED", "WF FAILING", "WF FAILED"]);
    const failed = nodeEvents("lp-fail", "n0").at(-1)!;
    expect((failed.targetMetadata.case === "workflowNodeMetadata" ? failed.targetMetadata.value.executionId?.name : undefined)).toBe(childOf("lp-fail").name);
  });

  it("terminating the parent terminates the child with the cascading cause", async () => {
    const lp = await registerChild("forever", taskOfType("scripted", "wf.forever.t", { x: T.int() }, { o0: T.int() }, { config: { script: "hang" } }));
    const parent = await registerParent("parent4", lp);
    const id = await launch(h.admin, parent, "lp-term", literals({ x: intLiteral(1) }));
    const child = childOf("lp-term");
    await waitFor("the child's task to run", () => (plugin.started.length > 0 ? true : undefined));
    await h.admin.terminateExecution({ id, cause: "enough" });
    await waitForPhase(h.admin, id, ["ABORTED"]);
    const c = await waitForPhase(h.admin, child, ["ABORTED"]);
    expect(c.closure?.outputResult).toMatchObject({
      case: "abortMetadata",
      value: { cause: "cascading abort as parent execution id [lp-term] aborted, reason [Workflow aborted.]" },
    });
    expect(eventLines(h.events, "lp-term")).toEqual(["WF RUNNING", "N start-node SUCCEEDED", "N n0 QUEUED", "N n0 RUNNING", "N n0 ABORTED", "WF ABORTED"]);
    expect(errorOf(nodeEvents("lp-term", "n0").at(-1))).toMatchObject({ code: "NodeAborted", message: "Workflow aborted." });
    // The child's own task was stopped and reported.
    expect(eventLines(h.events, child.name).slice(-3)).toEqual(["T n0#0 ABORTED v0", "N n0 ABORTED", "WF ABORTED"]);
    expect(plugin.aborted).toHaveLength(1);
  });

  it("a child terminated on its own fails the node RemoteChildWorkflowExecutionFailed", async () => {
    const lp = await registerChild("stopped", taskOfType("scripted", "wf.stopped.t", { x: T.int() }, { o0: T.int() }, { config: { script: "hang" } }));
    const parent = await registerParent("parent5", lp);
    const id = await launch(h.admin, parent, "lp-stop", literals({ x: intLiteral(1) }));
    const child = childOf("lp-stop");
    await waitFor("the child's task to run", () => (plugin.started.length > 0 ? true : undefined));
    await h.admin.terminateExecution({ id: child, cause: "not this one" });
    await waitForPhase(h.admin, id, ["FAILED"]);
    const node = await h.admin.getNodeExecution({ id: { executionId: id, nodeId: "n0" } });
    expect(errorOf(node.closure)).toMatchObject({
      kind: Kind.USER,
      code: "RemoteChildWorkflowExecutionFailed",
      message: `failed at Node[n0]. RemoteChildWorkflowExecutionFailed: launchplan [${child.name}] aborted, caused by: launchplan execution aborted`,
    });
  });

  it("a launch the control plane refuses fails the node RuntimeExecutionError with its answer (launch plan gone)", async () => {
    const lp = await registerChild("gone", taskOfType("echo", "wf.gone.t", { x: T.int() }, { o0: T.int() }));
    const parent = await registerParent("parent6", lp);
    // The launch plan disappears from the store after the parent was registered and launched.
    const get = h.store.launchPlans.get.bind(h.store.launchPlans);
    h.store.launchPlans.get = async (ref) => (ref.name === "wf.gone" ? undefined : get(ref));
    const id = await launch(h.admin, parent, "lp-gone", literals({ x: intLiteral(1) }));
    await waitForPhase(h.admin, id, ["FAILED"]);
    const node = await h.admin.getNodeExecution({ id: { executionId: id, nodeId: "n0" } });
    const err = errorOf(node.closure) as { kind: Kind; code: string; message: string };
    expect([err.kind, err.code]).toEqual([Kind.USER, "RuntimeExecutionError"]);
    expect(err.message).toMatch(/^\[UserError\] failed to launch workflow, caused by: rpc error: code = NotFound desc = missing entity of type LAUNCH_PLAN with identifier .*name:"wf.gone"/);
    expect(eventLines(h.events, "lp-gone")).toEqual(["WF RUNNING", "N start-node SUCCEEDED", "N n0 QUEUED", "N n0 FAILED", "WF FAILING", "WF FAILED"]);
    // No child: the node's FAILED event names none either.
    expect(nodeEvents("lp-gone", "n0").at(-1)!.targetMetadata.case).toBeUndefined();
    await expect(h.admin.getExecution({ id: childOf("lp-gone") })).rejects.toThrow(/missing entity of type execution/);
  });

  it("a launch plan's SKIP concurrency policy refusing the child fails the node with that answer", async () => {
    await registerChild("solo", taskOfType("scripted", "wf.solo.t", { x: T.int() }, { o0: T.int() }, { config: { script: "hang" } }));
    // At most one execution of this launch plan at a time; another is skipped (answered AlreadyExists).
    const lp = launchPlanId("wf.solo.once");
    await h.admin.createLaunchPlan({ id: lp, spec: { workflowId: workflow("wf.solo", { nodes: [] }).id, concurrencyPolicy: { max: 1, behavior: 1 } } });
    const parent = await registerParent("parent9", lp);
    const first = await launch(h.admin, parent, "lp-solo1", literals({ x: intLiteral(1) }));
    await waitFor("the first child to run", async () => ((await phaseOf(childOf("lp-solo1")).catch(() => "")) === "RUNNING" ? true : undefined));
    const second = await launch(h.admin, parent, "lp-solo2", literals({ x: intLiteral(2) }));
    await waitForPhase(h.admin, second, ["FAILED"]);
    const node = await h.admin.getNodeExecution({ id: { executionId: second, nodeId: "n0" } });
    expect(errorOf(node.closure)).toMatchObject({
      kind: Kind.USER,
      code: "RuntimeExecutionError",
      message: "[UserError] failed to launch workflow, caused by: rpc error: code = AlreadyExists desc = concurrency limit (1) reached for launch plan wf.solo.once; skipping execution",
    });
    expect(eventLines(h.events, "lp-solo2")).toEqual(["WF RUNNING", "N start-node SUCCEEDED", "N n0 QUEUED", "N n0 FAILED", "WF FAILING", "WF FAILED"]);
    expect(h.events.filter((r) => r.refused)).toEqual([]);
    expect(await phaseOf(first)).toBe("RUNNING");
    await h.admin.terminateExecution({ id: first, cause: "done" });
    await waitForPhase(h.admin, childOf("lp-solo1"), ["ABORTED"]);
  });

  it("a child the control plane no longer knows when it is looked at fails the node (SYSTEM)", async () => {
    const lp = await registerChild("lost", taskOfType("echo", "wf.lost.t", { x: T.int() }, { o0: T.int() }));
    const parent = await registerParent("parent10", lp);
    const children = h.app.childExecutions;
    const status = children.status.bind(children);
    // Once the node reported its child, the control plane loses it (the row deleted behind its back).
    children.status = async (id) => (eventLines(h.events, "lp-lost").includes("N n0 RUNNING") ? undefined : status(id));
    const id = await launch(h.admin, parent, "lp-lost", literals({ x: intLiteral(1) }));
    await waitForPhase(h.admin, id, ["FAILED"]);
    children.status = status;
    const node = await h.admin.getNodeExecution({ id: { executionId: id, nodeId: "n0" } });
    expect(errorOf(node.closure)).toMatchObject({
      kind: Kind.SYSTEM,
      code: "",
      message: `failed at Node[n0]. : launch-plan not found, caused by: [NotFound] execID [${childOf("lp-lost").name}] not found on remote`,
    });
    expect(eventLines(h.events, "lp-lost")).toEqual(["WF RUNNING", "N start-node SUCCEEDED", "N n0 QUEUED", "N n0 RUNNING", "N n0 FAILED", "WF FAILING", "WF FAILED"]);
  });

  it(`a launch plan that launches itself stops at nesting depth ${MAX_CHILD_NESTING} with MaxNestingDepthExceeded`, async () => {
    const t = taskOfType("echo", "wf.rec.t", { x: T.int() }, { o0: T.int() });
    await registerTasks(h.admin, t);
    // The launch plan exists (in storage) before the workflow it runs, which launches that very launch plan.
    const lpId = launchPlanId("wf.rec");
    const lpIface = launchPlanInterface(lpId, { x: { type: T.int(), required: true } }, { o0: T.int() });
    const wf = workflow("wf.rec", {
      inputs: { x: T.int() },
      outputs: { o0: T.int() },
      nodes: [launchPlanNode("n0", lpId, { inputs: { x: promise("", "x") } })],
      outputBindings: { o0: promise("n0", "o0") },
    });
    const taken = await h.store.launchPlans.create(
      create(LaunchPlanSchema, { id: lpId, spec: { workflowId: wf.id }, closure: { expectedInputs: lpIface.expectedInputs, expectedOutputs: lpIface.expectedOutputs } }),
      new Uint8Array([1]),
      "NONE",
    );
    expect(taken).toBeUndefined();
    await h.admin.createWorkflow({ id: wf.id, spec: { template: wf } });
    const id = await launch(h.admin, wf.id!, "lp-rec", literals({ x: intLiteral(1) }));
    const e = await waitForPhase(h.admin, id, ["FAILED"], 60_000);
    // Every level failed with the deepest one's error.
    expect(errorOf(e.closure)).toMatchObject({ kind: Kind.USER, code: "MaxNestingDepthExceeded" });
    expect((errorOf(e.closure) as { message: string }).message).toContain(`child executions nest at most ${MAX_CHILD_NESTING} deep, and this one would be at depth ${MAX_CHILD_NESTING + 1}`);
    const chain: number[] = [];
    for (let name = "lp-rec", depth = 0; ; depth++) {
      const exec = await h.admin.getExecution({ id: execId(name) });
      chain.push(exec.spec?.metadata?.nesting ?? 0);
      expect(exec.closure?.phase).toBe(WorkflowExecution_Phase.FAILED);
      const next = childExecutionName(name, "n0", 0);
      const exists = await h.admin.getExecution({ id: execId(next) }).then(() => true, () => false);
      if (!exists) break;
      name = next;
      expect(depth).toBeLessThan(MAX_CHILD_NESTING);
    }
    expect(chain).toEqual(Array.from({ length: MAX_CHILD_NESTING + 1 }, (_, i) => i));
    const all = await h.admin.listExecutions({ id: { project: "flytesnacks", domain: "development" }, limit: 100 });
    expect(all.executions).toHaveLength(MAX_CHILD_NESTING + 1);
  }, 60_000);

  it("counts toward max_parallelism: with 1, the second launch-plan node starts after the first ended", async () => {
    const lp = await registerChild("par", taskOfType("echo", "wf.par.t", { x: T.int() }, { o0: T.int() }));
    const wf = workflow("wf.parpar", {
      inputs: { x: T.int() },
      nodes: [launchPlanNode("n0", lp, { inputs: { x: promise("", "x") } }), launchPlanNode("n1", lp, { inputs: { x: promise("", "x") } })],
    });
    await registerWorkflow(h.admin, wf);
    const id = await launch(h.admin, wf.id!, "lp-par", literals({ x: intLiteral(1) }), { maxParallelism: 1 });
    await waitForPhase(h.admin, id, ["SUCCEEDED"]);
    const lines = eventLines(h.events, "lp-par");
    const [first, second] = lines.includes("N n0 QUEUED") && lines.indexOf("N n0 QUEUED") < lines.indexOf("N n1 QUEUED") ? ["n0", "n1"] : ["n1", "n0"];
    expect(lines.indexOf(`N ${second} QUEUED`)).toBeGreaterThan(lines.indexOf(`N ${first} SUCCEEDED`));
    // The second child was created only once the first had succeeded.
    const created = (name: string) => h.events.findIndex((r) => r.kind === "workflow" && r.event.executionId?.name === name);
    const firstDone = h.events.findIndex((r) => r.kind === "workflow" && r.event.executionId?.name === childOf("lp-par", first).name && r.event.phase === WorkflowExecution_Phase.SUCCEEDED);
    expect(created(childOf("lp-par", second).name)).toBeGreaterThan(firstDone);
  });
});

describe("launch-plan nodes across restarts and replays", () => {
  it("a step replayed after its status write was lost finds its child there: no second child", async () => {
    const lp = await registerChild("once", taskOfType("echo", "wf.once.t", { x: T.int() }, { o0: T.int() }));
    const parent = await registerParent("parent7", lp);
    const engineStore = h.store.engine;
    const update = engineStore.update.bind(engineStore);
    let lost = 0;
    // The first status write of the parent after its child exists is lost (a crash before the write).
    engineStore.update = async (key, version, u) => {
      if (key.name === "lp-once" && lost === 0 && (await h.store.executions.exists({ ...key, name: childOf("lp-once").name }))) {
        lost++;
        throw new Error("the database went away");
      }
      return update(key, version, u);
    };
    const id = await launch(h.admin, parent, "lp-once", literals({ x: intLiteral(5) }));
    await waitForPhase(h.admin, id, ["SUCCEEDED"]);
    engineStore.update = update;
    expect(lost).toBe(1);
    expect((await h.admin.getExecutionData({ id })).fullOutputs?.literals.o0).toEqual(intLiteral(5));
    const all = await h.admin.listExecutions({ id: { project: "flytesnacks", domain: "development" }, limit: 100 });
    expect(all.executions.map((e) => e.id?.name).sort()).toEqual(["lp-once", childOf("lp-once").name].sort());
    // The replayed step's events were absorbed as repeats.
    expect(h.events.filter((r) => r.refused && r.refused !== "AlreadyExists")).toEqual([]);
    expect(eventLines(h.events, "lp-once").filter((l) => l.startsWith("N n0 ") && !l.includes("!"))).toEqual(["N n0 QUEUED", "N n0 RUNNING", "N n0 SUCCEEDED"]);
  });

  it("a restart while the child runs resumes both; the node finishes with the one child", async () => {
    const lp = await registerChild("slow", taskOfType("echo", "wf.slow.t", { x: T.int() }, { o0: T.int() }, { config: { sleep_ms: "300" } }));
    const parent = await registerParent("parent8", lp);
    const id = await launch(h.admin, parent, "lp-restart", literals({ x: intLiteral(8) }));
    const child = childOf("lp-restart");
    await waitFor("the parent node to report its child", () => (eventLines(h.events, "lp-restart").includes("N n0 RUNNING") ? true : undefined));
    await h.restart();
    await waitForPhase(h.admin, id, ["SUCCEEDED"]);
    expect(await phaseOf(child)).toBe("SUCCEEDED");
    expect((await h.admin.getExecutionData({ id })).fullOutputs?.literals.o0).toEqual(intLiteral(8));
    const all = await h.admin.listExecutions({ id: { project: "flytesnacks", domain: "development" }, limit: 100 });
    expect(all.executions.map((e) => e.id?.name).sort()).toEqual(["lp-restart", child.name].sort());
    expect(eventLines(h.events, "lp-restart").filter((l) => l.startsWith("N n0 ") && !l.includes("!"))).toEqual(["N n0 QUEUED", "N n0 RUNNING", "N n0 SUCCEEDED"]);
  });
});
