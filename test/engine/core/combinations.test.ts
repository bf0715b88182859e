import { create } from "@bufbuild/protobuf";
import { DurationSchema } from "@bufbuild/protobuf/wkt";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { ExecutionMetadata_ExecutionMode as Mode } from "../../../gen/flyteidl/admin/execution_pb.js";
import { NodeExecution_Phase, TaskExecution_Phase, WorkflowExecution_Phase } from "../../../gen/flyteidl/core/execution_pb.js";
import { ResourceType } from "../../../gen/flyteidl/core/identifier_pb.js";
import { CatalogCacheStatus } from "../../../gen/flyteidl/core/catalog_pb.js";
import { type BindingData, type Literal, LiteralSchema, RetryStrategySchema } from "../../../gen/flyteidl/core/literals_pb.js";
import type { TaskTemplate } from "../../../gen/flyteidl/core/tasks_pb.js";
import { type Node, NodeSchema } from "../../../gen/flyteidl/core/workflow_pb.js";
import type { NodeExecutionEvent, TaskExecutionEvent } from "../../../gen/flyteidl/event/event_pb.js";
import { SignalService } from "../../../gen/flyteidl/service/signal_pb.js";
import { createEchoPlugin } from "../../../src/engine/local/echo-plugin.js";
import { bindings, branchNode, launchPlanId, launchPlanNode, promise, signalNode, subWorkflowNode, T, taskNode, workflow } from "../../fixtures/flyte-builders.js";
import { childExecutionName, fixedLength, generatedName } from "../../fixtures/engine/expected-names.js";
import { eventLines, execId, type Harness, type HarnessOptions, intLiteral, launch, literals, registerTasks, registerWorkflow, startHarness, taskOfType, waitFor, waitForPhase } from "./harness.js";
import { createElementPlugin } from "./element-plugin.js";
import { createScriptedPlugin, type ScriptedPlugin } from "./scripted-plugin.js";

/**
 * Node kinds inside one another (engine-spec §2.4, §5): a branch that takes a
 * subworkflow, gates and launch-plan nodes inside subworkflows, map tasks over
 * cached tasks and inside subworkflows inside branches, launch-plan nodes
 * under max_parallelism — each also with an engine restart in the middle.
 */
let h: Harness | undefined;
let scripted: ScriptedPlugin;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const start = async (options: HarnessOptions = {}) => {
  scripted = createScriptedPlugin();
  h = await startHarness({ plugins: [createEchoPlugin(), scripted], ...options });
  return h;
};

const nodeEvents = (exec: string, nodeId: string) =>
  h!.events.flatMap((r) => (r.kind === "node" && r.event.id?.executionId?.name === exec && r.event.id.nodeId === nodeId && !r.refused ? [r.event as NodeExecutionEvent] : []));
/** The lines of an execution without the repeats a replayed or resumed round sent again. */
const linesOf = (exec: string) => eventLines(h!.events, exec).filter((l) => !l.endsWith("!AlreadyExists"));
const waitForLine = (exec: string, line: string) => waitFor(`"${line}" of ${exec}`, () => (eventLines(h!.events, exec).includes(line) ? true : undefined));
const str = (v: string): Literal => create(LiteralSchema, { value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "stringValue", value: v } } } } } });
const echo = (name: string, config: Record<string, string> = {}) => taskOfType("echo", name, { x: T.int() }, { o0: T.int() }, { config });

/** Children of a node through ListNodeExecutions(unique_parent_id): `<id>:<phase>`, sorted. */
const childrenOf = async (id: Awaited<ReturnType<typeof launch>>, parent: string) =>
  (await h!.admin.listNodeExecutions({ workflowExecutionId: id, uniqueParentId: parent, limit: 100 })).nodeExecutions
    .map((n) => `${n.id?.nodeId}:${NodeExecution_Phase[n.closure!.phase]}`)
    .sort();

describe("a branch whose chosen node is a subworkflow", () => {
  /** `outer(x) = if x == 1: inner(x) else other(x)`, inner(x) = t(x). */
  async function register(prefix: string, sleepMs: number) {
    const t = echo(`${prefix}.t`, { sleep_ms: String(sleepMs) });
    const other = echo(`${prefix}.other`);
    const inner = workflow(`${prefix}.inner`, {
      inputs: { x: T.int() },
      outputs: { o0: T.int() },
      nodes: [taskNode("n0", t, { inputs: { x: promise("", "x") }, name: "inner_task" })],
      outputBindings: { o0: promise("n0", "o0") },
    });
    const outer = workflow(`${prefix}.outer`, {
      inputs: { x: T.int() },
      outputs: { o0: T.int() },
      nodes: [
        branchNode(
          "n0",
          { var: ".x", equals: 1 },
          subWorkflowNode("n0", inner, { inputs: { x: promise("", "x") }, name: "inner" }),
          taskNode("n1", other, { inputs: { x: promise("", "x") }, name: "other" }),
          { inputs: { ".x": promise("", "x") }, name: "pick" },
        ),
      ],
      outputBindings: { o0: promise("n0", "o0") },
    });
    await registerTasks(h!.admin, t, other);
    await registerWorkflow(h!.admin, outer, [inner]);
    return outer;
  }

  it.each([false, true])("runs the subworkflow under the branch (restart in the middle: %s)", async (restart) => {
    await start();
    const name = restart ? "brsub-r" : "brsub";
    const outer = await register(name, restart ? 600 : 0);
    const id = await launch(h!.admin, outer.id!, name, literals({ x: intLiteral(1) }));
    if (restart) {
      await waitForLine(name, "T n0-0-n0-n0-0-n0#0 RUNNING v0");
      await h!.restart();
    }
    await waitForPhase(h!.admin, id, ["SUCCEEDED"]);
    const sub = "n0-0-n0-n0";
    const subStart = fixedLength(`${sub}-0-start-node`, 20);
    const subEnd = fixedLength(`${sub}-0-end-node`, 20);
    const task = `${sub}-0-n0`;
    expect(linesOf(name)).toEqual([
      "WF RUNNING",
      "N start-node SUCCEEDED",
      "N n0 QUEUED",
      // The branch decides and queues its chosen node in one step.
      `N ${sub} QUEUED`,
      "N n0 RUNNING",
      `N ${subStart} SUCCEEDED`,
      `N ${sub} RUNNING`,
      `N ${task} QUEUED`,
      `T ${task}#0 QUEUED v0`,
      `N ${task} RUNNING`,
      `T ${task}#0 RUNNING v0`,
      `T ${task}#0 SUCCEEDED v0`,
      `N ${task} SUCCEEDED`,
      `N ${subEnd} QUEUED`,
      `N ${subEnd} SUCCEEDED`,
      `N ${sub} SUCCEEDED`,
      "N n0 SUCCEEDED",
      "N end-node QUEUED",
      "N end-node SUCCEEDED",
      "WF SUCCEEDING",
      "WF SUCCEEDED",
    ]);
    expect(h!.events.filter((r) => r.refused && r.refused !== "AlreadyExists")).toEqual([]);
    expect((await h!.admin.getExecutionData({ id })).fullOutputs?.literals.o0).toEqual(intLiteral(1));

    const M = `${h!.blobs.base}/metadata/propeller/flytesnacks-development-${name}`;
    // The branch: no parent, not a parent in its events (as for any branch).
    for (const e of nodeEvents(name, "n0")) expect(e).toMatchObject({ specNodeId: "n0", isParent: false, retryGroup: "" });
    expect(nodeEvents(name, "n0")[0]!.parentNodeMetadata).toBeUndefined();
    // The chosen subworkflow node: a child of the branch and a parent of its own nodes, data under the branch's output dir.
    for (const e of nodeEvents(name, sub)) {
      expect(e).toMatchObject({ specNodeId: "n0-n0", nodeName: "inner", isParent: true, parentNodeMetadata: { nodeId: "n0" }, retryGroup: "0" });
      expect(e.inputValue).toEqual({ case: "inputUri", value: `${M}/n0/data/0/n0-n0/inputs.pb` });
    }
    expect(nodeEvents(name, sub).at(-1)!.outputResult).toEqual({ case: "outputUri", value: `${M}/n0/data/0/n0-n0/0/outputs.pb` });
    // The subworkflow's nodes: children of the chosen node, the long ids hashed.
    for (const [nodeId, spec] of [
      [subStart, "start-node"],
      [task, "n0"],
      [subEnd, "end-node"],
    ] as const) {
      const events = nodeEvents(name, nodeId);
      expect(events.length).toBeGreaterThan(0);
      for (const e of events) expect(e).toMatchObject({ specNodeId: spec, parentNodeMetadata: { nodeId: sub }, retryGroup: "0", isParent: false });
    }
    expect(nodeEvents(name, task)[0]!.inputValue).toEqual({ case: "inputUri", value: `${M}/n0/data/0/n0-n0/0/n0/inputs.pb` });
    expect(nodeEvents(name, task)[0]!.targetEntity?.name).toBe(`${name}.t`);

    // Through the API: the tree is top → branch → subworkflow node → its nodes; the untaken node does not exist.
    expect(await childrenOf(id, "")).toEqual(["end-node:SUCCEEDED", "n0:SUCCEEDED", "start-node:SUCCEEDED"]);
    expect(await childrenOf(id, "n0")).toEqual([`${sub}:SUCCEEDED`]);
    expect(await childrenOf(id, sub)).toEqual([`${subEnd}:SUCCEEDED`, `${task}:SUCCEEDED`, `${subStart}:SUCCEEDED`].sort());
    const tasks = await h!.admin.listTaskExecutions({ nodeExecutionId: { executionId: id, nodeId: task }, limit: 10 });
    expect(tasks.taskExecutions.map((x) => `${x.id?.retryAttempt}:${TaskExecution_Phase[x.closure!.phase]}`)).toEqual(["0:SUCCEEDED"]);
    expect(h!.events.some((r) => r.kind === "task" && r.event.taskId?.name === `${name}.other`)).toBe(false);
  });
});

describe("a subworkflow containing a gate", () => {
  it.each([false, true])("waits inside the subworkflow until SetSignal releases the gate (restart while it waits: %s)", async (restart) => {
    // No poll within any test's wait: the gate moves because SetSignal woke the execution.
    await start({ config: { signalPollMs: 600_000 } });
    const signals = createClient(SignalService, createRouterTransport(h!.app.routes, { router: { interceptors: h!.app.interceptors } }));
    const name = restart ? "subgate-r" : "subgate";
    const t = taskOfType("echo", `${name}.t`, { x: T.str() }, { o0: T.str() });
    const inner = workflow(`${name}.inner`, {
      outputs: { o0: T.str() },
      nodes: [signalNode("n0", "title", "o0", T.str()), taskNode("n1", t, { inputs: { x: promise("n0", "o0") } })],
      outputBindings: { o0: promise("n1", "o0") },
    });
    const outer = workflow(`${name}.outer`, {
      outputs: { o0: T.str() },
      nodes: [subWorkflowNode("n0", inner, { name: "inner" })],
      outputBindings: { o0: promise("n0", "o0") },
    });
    await registerTasks(h!.admin, t);
    await registerWorkflow(h!.admin, outer, [inner]);
    const id = await launch(h!.admin, outer.id!, name);
    await waitForLine(name, "N n0-0-n0 RUNNING");
    // The gate's signal belongs to the execution, whatever depth the gate is at.
    const listed = await signals.listSignals({ workflowExecutionId: id, limit: 10 });
    expect(listed.signals.map((s) => [s.id?.signalId, s.type, s.value])).toEqual([["title", T.str(), undefined]]);
    if (restart) await h!.restart();
    // Nothing moves while it waits.
    const seen = linesOf(name).length;
    await new Promise((r) => setTimeout(r, 200));
    expect(linesOf(name)).toHaveLength(seen);
    await signals.setSignal({ id: { executionId: id, signalId: "title" }, value: str("go") });
    await waitForPhase(h!.admin, id, ["SUCCEEDED"]);
    expect((await h!.admin.getExecutionData({ id })).fullOutputs?.literals.o0).toEqual(str("go"));
    const subStart = "n0-0-start-node";
    expect(linesOf(name)).toEqual([
      "WF RUNNING",
      "N start-node SUCCEEDED",
      "N n0 QUEUED",
      `N ${subStart} SUCCEEDED`,
      "N n0 RUNNING",
      "N n0-0-n0 QUEUED",
      "N n0-0-n0 RUNNING",
      "N n0-0-n0 SUCCEEDED",
      "N n0-0-n1 QUEUED",
      "T n0-0-n1#0 QUEUED v0",
      "N n0-0-n1 RUNNING",
      "T n0-0-n1#0 RUNNING v0",
      "T n0-0-n1#0 SUCCEEDED v0",
      "N n0-0-n1 SUCCEEDED",
      "N n0-0-end-node QUEUED",
      "N n0-0-end-node SUCCEEDED",
      "N n0 SUCCEEDED",
      "N end-node QUEUED",
      "N end-node SUCCEEDED",
      "WF SUCCEEDING",
      "WF SUCCEEDED",
    ]);
    expect(h!.events.filter((r) => r.refused && r.refused !== "AlreadyExists")).toEqual([]);
    for (const e of nodeEvents(name, "n0-0-n0")) expect(e).toMatchObject({ specNodeId: "n0", parentNodeMetadata: { nodeId: "n0" }, retryGroup: "0", isParent: false });
    const M = `${h!.blobs.base}/metadata/propeller/flytesnacks-development-${name}`;
    expect(nodeEvents(name, "n0-0-n0").at(-1)!.outputResult).toEqual({ case: "outputUri", value: `${M}/n0/data/0/n0/0/outputs.pb` });
    expect((await h!.admin.getNodeExecutionData({ id: { executionId: id, nodeId: "n0-0-n0" } })).fullOutputs?.literals).toEqual({ o0: str("go") });
    expect(await childrenOf(id, "n0")).toEqual(["n0-0-end-node:SUCCEEDED", "n0-0-n0:SUCCEEDED", "n0-0-n1:SUCCEEDED", "n0-0-start-node:SUCCEEDED"]);
  });
});

describe("a subworkflow containing a launch-plan node", () => {
  it.each([false, true])("terminating the top execution aborts the child execution and the subworkflow's nodes (terminated while no engine runs: %s)", async (restart) => {
    await start({ config: { signalPollMs: 600_000 } });
    const name = restart ? "sublp-r" : "sublp";
    // The child: one task that runs until it is stopped.
    const forever = taskOfType("scripted", `${name}.forever`, { x: T.int() }, { o0: T.int() }, { config: { script: "hang" } });
    const child = workflow(`${name}.child`, {
      inputs: { x: T.int() },
      outputs: { o0: T.int() },
      nodes: [taskNode("n0", forever, { inputs: { x: promise("", "x") } })],
      outputBindings: { o0: promise("n0", "o0") },
    });
    await registerTasks(h!.admin, forever);
    await registerWorkflow(h!.admin, child);
    // inner(x): the launch-plan node and a gate side by side.
    const inner = workflow(`${name}.inner`, {
      inputs: { x: T.int() },
      nodes: [launchPlanNode("n0", launchPlanId(`${name}.child`), { inputs: { x: promise("", "x") }, name: "child" }), signalNode("n1", "never", "o0", T.int())],
    });
    const outer = workflow(`${name}.outer`, { inputs: { x: T.int() }, nodes: [subWorkflowNode("n0", inner, { inputs: { x: promise("", "x") }, name: "inner" })] });
    await registerWorkflow(h!.admin, outer, [inner]);
    const id = await launch(h!.admin, outer.id!, name, literals({ x: intLiteral(3) }));
    const childId = execId(childExecutionName(name, "n0-0-n0", 0));
    await waitFor("the child's task to run", () => (scripted.started.includes(generatedName(childId.name, "n0", 0)) ? true : undefined));
    await waitForLine(name, "N n0-0-n1 RUNNING");

    // The child names the nested node that launched it; the node names its child.
    const c = await h!.admin.getExecution({ id: childId });
    expect(c.spec?.metadata).toMatchObject({ mode: Mode.CHILD_WORKFLOW, nesting: 1, parentNodeExecution: { executionId: { name }, nodeId: "n0-0-n0" } });
    expect((await h!.admin.getExecutionData({ id: childId })).fullInputs?.literals.x).toEqual(intLiteral(3));
    const running = nodeEvents(name, "n0-0-n0").find((e) => e.phase === NodeExecution_Phase.RUNNING)!;
    expect(running).toMatchObject({ specNodeId: "n0", parentNodeMetadata: { nodeId: "n0" }, retryGroup: "0", targetEntity: { resourceType: ResourceType.LAUNCH_PLAN, name: `${name}.child` } });
    expect(running.targetMetadata.case === "workflowNodeMetadata" ? running.targetMetadata.value.executionId?.name : undefined).toBe(childId.name);

    if (restart) {
      // The terminate is only recorded while the engine is down; the next engine carries it out.
      await h!.engine.stop();
      await h!.admin.terminateExecution({ id, cause: "enough" });
      await h!.restart();
    } else {
      await h!.admin.terminateExecution({ id, cause: "enough" });
    }
    await waitForPhase(h!.admin, id, ["ABORTED"]);
    const ended = await waitForPhase(h!.admin, childId, ["ABORTED"]);
    expect(ended.closure?.outputResult).toMatchObject({
      case: "abortMetadata",
      value: { cause: `cascading abort as parent execution id [${name}] aborted, reason [Workflow aborted.]` },
    });
    // The child's task was stopped once and reported.
    expect(linesOf(childId.name).slice(-3)).toEqual(["T n0#0 ABORTED v0", "N n0 ABORTED", "WF ABORTED"]);
    expect(scripted.aborted).toEqual([generatedName(childId.name, "n0", 0)]);

    expect(linesOf(name)).toEqual([
      "WF RUNNING",
      "N start-node SUCCEEDED",
      "N n0 QUEUED",
      "N n0-0-start-node SUCCEEDED",
      "N n0 RUNNING",
      "N n0-0-n0 QUEUED",
      "N n0-0-n1 QUEUED",
      "N n0-0-n0 RUNNING",
      "N n0-0-n1 RUNNING",
      // Children first, in the order the walk reaches them, then the subworkflow node.
      "N n0-0-n0 ABORTED",
      "N n0-0-n1 ABORTED",
      "N n0 ABORTED",
      "WF ABORTED",
    ]);
    for (const nodeId of ["n0-0-n0", "n0-0-n1", "n0"]) {
      expect(nodeEvents(name, nodeId).at(-1)!.outputResult).toEqual({ case: "error", value: expect.objectContaining({ code: "NodeAborted", message: "Workflow aborted." }) });
    }
    expect(await childrenOf(id, "n0")).toEqual(["n0-0-n0:ABORTED", "n0-0-n1:ABORTED", "n0-0-start-node:SUCCEEDED"]);
    expect(h!.events.filter((r) => r.refused && r.refused !== "AlreadyExists")).toEqual([]);
    // One child, however many rounds and engines looked at the node.
    const all = await h!.admin.listExecutions({ id: { project: id.project, domain: id.domain }, limit: 100 });
    expect(all.executions.map((e) => e.id?.name).sort()).toEqual([name, childId.name].sort());
  });
});

/** `map_task(t)(x=xs)` as flytekit registers it, over the task `t` (list-typed interface). */
function mapNode(id: string, t: TaskTemplate, inputs: Record<string, BindingData>, o: { name?: string; parallelism?: number } = {}): Node {
  return create(NodeSchema, {
    id,
    metadata: { name: o.name ?? `map_${id}` },
    inputs: bindings(inputs),
    target: {
      case: "arrayNode",
      value: { node: taskNode(`${id}-sub`, t, { inputs }), ...(o.parallelism !== undefined ? { parallelismOption: { case: "parallelism", value: o.parallelism } } : {}) },
    },
  });
}
const list = (...xs: number[]): Literal => create(LiteralSchema, { value: { case: "collection", value: { literals: xs.map(intLiteral) } } });

describe("a map task over a cacheable task", () => {
  it.each([false, true])("populates the cache per element, then answers every element from it without a process (restart in the first run: %s)", async (restart) => {
    const elements = createElementPlugin();
    await start({ plugins: [createEchoPlugin(), elements] });
    const name = restart ? "mapc-r" : "mapc";
    const t = taskOfType("element", `${name}.plus_one`, { x: T.list(T.int()) }, { o0: T.list(T.int()) }, { config: { sleep_ms: restart ? "500" : "0" } });
    t.metadata!.discoverable = true;
    t.metadata!.discoveryVersion = "1.0";
    const wf = workflow(`${name}.wf`, { inputs: { xs: T.list(T.int()) }, outputs: { o0: T.list(T.int()) }, nodes: [mapNode("n0", t, { x: promise("", "xs") })], outputBindings: { o0: promise("n0", "o0") } });
    await registerTasks(h!.admin, t);
    await registerWorkflow(h!.admin, wf);

    const first = await launch(h!.admin, wf.id!, `${name}1`, literals({ xs: list(1, 2, 3) }));
    if (restart) {
      await waitFor("the elements to run", () => (elements.running === 3 ? true : undefined));
      await h!.restart();
    }
    await waitForPhase(h!.admin, first, ["SUCCEEDED"]);
    const second = await launch(h!.admin, wf.id!, `${name}2`, literals({ xs: list(1, 2, 3) }));
    await waitForPhase(h!.admin, second, ["SUCCEEDED"]);
    const resources = (e: Pick<TaskExecutionEvent, "metadata"> | undefined) => (e?.metadata?.externalResources ?? []).map((r) => `${r.index}:${TaskExecution_Phase[r.phase]}:${CatalogCacheStatus[r.cacheStatus]}`);
    const taskEvents = (exec: string) => h!.events.flatMap((r) => (r.kind === "task" && r.event.parentNodeExecutionId?.executionId?.name === exec && !r.refused ? [r.event] : []));
    const closure = async (id: Awaited<ReturnType<typeof launch>>) => {
      const tasks = (await h!.admin.listTaskExecutions({ nodeExecutionId: { executionId: id, nodeId: "n0" }, limit: 10 })).taskExecutions;
      expect(tasks.map((x) => `${x.id?.retryAttempt}:${TaskExecution_Phase[x.closure!.phase]}`)).toEqual(["0:SUCCEEDED"]);
      return resources(tasks[0]!.closure);
    };
    const launchedIn = (exec: string) => elements.launched.filter((l) => l.generatedName.startsWith(`${exec}-`)).map((l) => l.x);

    // The first run: every element ran once and populated its own entry.
    expect(launchedIn(`${name}1`).sort()).toEqual([1, 2, 3]);
    expect(resources(taskEvents(`${name}1`).find((e) => resources(e).some((r) => r.includes("CACHE_POPULATED"))))).toEqual([
      "0:SUCCEEDED:CACHE_POPULATED",
      "1:SUCCEEDED:CACHE_POPULATED",
      "2:SUCCEEDED:CACHE_POPULATED",
    ]);
    expect(await closure(first)).toEqual(["0:SUCCEEDED:CACHE_POPULATED", "1:SUCCEEDED:CACHE_POPULATED", "2:SUCCEEDED:CACHE_POPULATED"]);
    expect((await h!.admin.getExecutionData({ id: first })).fullOutputs?.literals.o0).toEqual(list(2, 3, 4));

    // The second: every element a hit in the array's first step, no process, the outputs the same.
    expect(linesOf(`${name}2`)).toEqual([
      "WF RUNNING",
      "N start-node SUCCEEDED",
      "N n0 QUEUED",
      "T n0#0 QUEUED v0",
      "N n0 RUNNING",
      "T n0#0 RUNNING v1",
      "T n0#0 SUCCEEDED v0",
      "N n0 SUCCEEDED",
      "N end-node QUEUED",
      "N end-node SUCCEEDED",
      "WF SUCCEEDING",
      "WF SUCCEEDED",
    ]);
    expect(taskEvents(`${name}2`).map(resources)).toEqual([
      ["0:UNDEFINED:CACHE_DISABLED", "1:UNDEFINED:CACHE_DISABLED", "2:UNDEFINED:CACHE_DISABLED"],
      ["0:SUCCEEDED:CACHE_HIT", "1:SUCCEEDED:CACHE_HIT", "2:SUCCEEDED:CACHE_HIT"],
      // The terminal event names every element by its recorded phase (propeller's); the control plane keeps the hits.
      ["0:SUCCEEDED:CACHE_DISABLED", "1:SUCCEEDED:CACHE_DISABLED", "2:SUCCEEDED:CACHE_DISABLED"],
    ]);
    const array = generatedName(`${name}2`, "n0", 0);
    expect(taskEvents(`${name}2`)[1]!.metadata?.externalResources.map((r) => r.externalId)).toEqual([0, 1, 2].map((i) => `${array}-n${i}-0`));
    expect(await closure(second)).toEqual(["0:SUCCEEDED:CACHE_HIT", "1:SUCCEEDED:CACHE_HIT", "2:SUCCEEDED:CACHE_HIT"]);
    expect(launchedIn(`${name}2`)).toEqual([]);
    expect((await h!.admin.getExecutionData({ id: second })).fullOutputs?.literals.o0).toEqual(list(2, 3, 4));

    // A third over [3, 5]: the known element hits, the new one runs and populates.
    const third = await launch(h!.admin, wf.id!, `${name}3`, literals({ xs: list(3, 5) }));
    await waitForPhase(h!.admin, third, ["SUCCEEDED"]);
    expect(launchedIn(`${name}3`)).toEqual([5]);
    expect(await closure(third)).toEqual(["0:SUCCEEDED:CACHE_HIT", "1:SUCCEEDED:CACHE_POPULATED"]);
    expect((await h!.admin.getExecutionData({ id: third })).fullOutputs?.literals.o0).toEqual(list(4, 6));
    expect(h!.events.filter((r) => r.refused && r.refused !== "AlreadyExists")).toEqual([]);
  });
});

describe("a map task inside a subworkflow inside a branch", () => {
  it.each([false, true])("runs the elements under the nested array node and passes the list up through both (restart while elements run: %s)", async (restart) => {
    const elements = createElementPlugin();
    // Exactly the elements' slots: one the new engine took back under another name would never be free again.
    await start({ plugins: [createEchoPlugin(), elements], config: { maxConcurrentTasks: 3 } });
    const name = restart ? "brmap-r" : "brmap";
    const t = taskOfType("element", `${name}.plus_one`, { x: T.list(T.int()) }, { o0: T.list(T.int()) }, { config: { sleep_ms: restart ? "500" : "0" } });
    const other = taskOfType("echo", `${name}.other`, { x: T.list(T.int()) }, { o0: T.list(T.int()) });
    const inner = workflow(`${name}.inner`, {
      inputs: { xs: T.list(T.int()) },
      outputs: { o0: T.list(T.int()) },
      nodes: [mapNode("n0", t, { x: promise("", "xs") })],
      outputBindings: { o0: promise("n0", "o0") },
    });
    const outer = workflow(`${name}.outer`, {
      inputs: { x: T.int(), xs: T.list(T.int()) },
      outputs: { o0: T.list(T.int()) },
      nodes: [
        branchNode(
          "n0",
          { var: ".x", equals: 1 },
          subWorkflowNode("n0", inner, { inputs: { xs: promise("", "xs") }, name: "inner" }),
          taskNode("n1", other, { inputs: { x: promise("", "xs") }, name: "other" }),
          { inputs: { ".x": promise("", "x") }, name: "pick" },
        ),
      ],
      outputBindings: { o0: promise("n0", "o0") },
    });
    await registerTasks(h!.admin, t, other);
    await registerWorkflow(h!.admin, outer, [inner]);
    const id = await launch(h!.admin, outer.id!, name, literals({ x: intLiteral(1), xs: list(1, 2, 3) }));
    const sub = "n0-0-n0-n0";
    const arr = `${sub}-0-n0`;
    if (restart) {
      await waitFor("the elements to run", () => (elements.running === 3 ? true : undefined));
      await h!.restart();
    }
    await waitForPhase(h!.admin, id, ["SUCCEEDED"]);
    expect((await h!.admin.getExecutionData({ id })).fullOutputs?.literals.o0).toEqual(list(2, 3, 4));
    expect(linesOf(name)).toEqual([
      "WF RUNNING",
      "N start-node SUCCEEDED",
      "N n0 QUEUED",
      `N ${sub} QUEUED`,
      "N n0 RUNNING",
      `N ${fixedLength(`${sub}-0-start-node`, 20)} SUCCEEDED`,
      `N ${sub} RUNNING`,
      `N ${arr} QUEUED`,
      `T ${arr}#0 QUEUED v0`,
      `N ${arr} RUNNING`,
      `T ${arr}#0 RUNNING v1`,
      `T ${arr}#0 RUNNING v2`,
      `T ${arr}#0 RUNNING v3`,
      `T ${arr}#0 SUCCEEDED v0`,
      `N ${arr} SUCCEEDED`,
      `N ${fixedLength(`${sub}-0-end-node`, 20)} QUEUED`,
      `N ${fixedLength(`${sub}-0-end-node`, 20)} SUCCEEDED`,
      `N ${sub} SUCCEEDED`,
      "N n0 SUCCEEDED",
      "N end-node QUEUED",
      "N end-node SUCCEEDED",
      "WF SUCCEEDING",
      "WF SUCCEEDED",
    ]);
    expect(h!.events.filter((r) => r.refused && r.refused !== "AlreadyExists")).toEqual([]);
    // The array node: a child of the subworkflow node, itself an array (its elements have no node executions).
    for (const e of nodeEvents(name, arr)) expect(e).toMatchObject({ specNodeId: "n0", parentNodeMetadata: { nodeId: sub }, retryGroup: "0", isArray: true, isParent: false });
    const M = `${h!.blobs.base}/metadata/propeller/flytesnacks-development-${name}`;
    const arrayData = `${M}/n0/data/0/n0-n0/0/n0`;
    expect(nodeEvents(name, arr)[0]!.inputValue).toEqual({ case: "inputUri", value: `${arrayData}/inputs.pb` });
    expect(nodeEvents(name, arr).at(-1)!.outputResult).toEqual({ case: "outputUri", value: `${arrayData}/0/outputs.pb` });
    expect(await childrenOf(id, sub)).toContain(`${arr}:SUCCEEDED`);
    expect(await childrenOf(id, arr)).toEqual([]);
    // Each element ran once, under the nested array node's unique id (hashed past 20 bytes), its inputs under the array's output dir.
    const launchedNames = elements.launched.map((l) => l.generatedName).sort();
    expect(launchedNames).toEqual([0, 1, 2].map((i) => generatedName(name, fixedLength(`${arr}-0-n${i}`, 20), 0)).sort());
    for (const l of elements.launched) expect(l.inputPath).toBe(`${arrayData}/0/${l.x - 1}/inputs.pb`);
    const tasks = (await h!.admin.listTaskExecutions({ nodeExecutionId: { executionId: id, nodeId: arr }, limit: 10 })).taskExecutions;
    expect(tasks.map((x) => TaskExecution_Phase[x.closure!.phase])).toEqual(["SUCCEEDED"]);
    const array = generatedName(name, arr, 0);
    expect(tasks[0]!.closure?.metadata?.externalResources.map((r) => [r.externalId, TaskExecution_Phase[r.phase]])).toEqual([0, 1, 2].map((i) => [`${array}-n${i}-0`, "SUCCEEDED"]));
    // Every slot came back: another run's three elements all run.
    const again = await launch(h!.admin, outer.id!, `${name}2`, literals({ x: intLiteral(1), xs: list(4, 5, 6) }));
    await waitForPhase(h!.admin, again, ["SUCCEEDED"]);
    expect((await h!.admin.getExecutionData({ id: again })).fullOutputs?.literals.o0).toEqual(list(5, 6, 7));
  });
});

describe("max_parallelism 1 with a launch-plan node and a task side by side", () => {
  it.each([
    ["parlp", false, false],
    ["parlp-r", false, true],
    ["partl", true, false],
    ["partl-r", true, true],
  ])("%s: one at a time, the other starts once the first ended (task first: %s, restart while the first runs: %s)", async (name, taskFirst, restart) => {
    await start();
    const slow = echo(`${name}.slow`, { sleep_ms: "400" });
    const child = workflow(`${name}.child`, {
      inputs: { x: T.int() },
      outputs: { o0: T.int() },
      nodes: [taskNode("n0", slow, { inputs: { x: promise("", "x") } })],
      outputBindings: { o0: promise("n0", "o0") },
    });
    await registerTasks(h!.admin, slow);
    await registerWorkflow(h!.admin, child);
    const [lp, task] = taskFirst ? ["n1", "n0"] : ["n0", "n1"];
    const lpNode = (id: string) => launchPlanNode(id, launchPlanId(`${name}.child`), { inputs: { x: promise("", "x") } });
    const wf = workflow(`${name}.wf`, {
      inputs: { x: T.int() },
      outputs: { a: T.int(), b: T.int() },
      // The walk reaches n0 first.
      nodes: [lpNode(taskFirst ? "n1" : "n0"), taskNode(taskFirst ? "n0" : "n1", slow, { inputs: { x: promise("", "x") } })].sort((a, b) => a.id.localeCompare(b.id)),
      outputBindings: { a: promise(lp, "o0"), b: promise(task, "o0") },
    });
    await registerWorkflow(h!.admin, wf);
    const id = await launch(h!.admin, wf.id!, name, literals({ x: intLiteral(6) }), { maxParallelism: 1 });
    if (restart) {
      await waitForLine(name, "N n0 RUNNING");
      await h!.restart();
    }
    await waitForPhase(h!.admin, id, ["SUCCEEDED"]);
    expect((await h!.admin.getExecutionData({ id })).fullOutputs?.literals).toEqual({ a: intLiteral(6), b: intLiteral(6) });
    const lpLines = [`N ${lp} QUEUED`, `N ${lp} RUNNING`, `N ${lp} SUCCEEDED`];
    const taskLines = [`N ${task} QUEUED`, `T ${task}#0 QUEUED v0`, `N ${task} RUNNING`, `T ${task}#0 RUNNING v0`, `T ${task}#0 SUCCEEDED v0`, `N ${task} SUCCEEDED`];
    expect(linesOf(name)).toEqual([
      "WF RUNNING",
      "N start-node SUCCEEDED",
      // The first ends before the second is even queued.
      ...(taskFirst ? [...taskLines, ...lpLines] : [...lpLines, ...taskLines]),
      "N end-node QUEUED",
      "N end-node SUCCEEDED",
      "WF SUCCEEDING",
      "WF SUCCEEDED",
    ]);
    expect(h!.events.filter((r) => r.refused && r.refused !== "AlreadyExists")).toEqual([]);
    // The child inherited max_parallelism 1, and was created only when the launch-plan node's turn came.
    const childId = execId(childExecutionName(name, lp, 0));
    expect((await h!.admin.getExecution({ id: childId })).spec?.maxParallelism).toBe(1);
    const createdAt = h!.events.findIndex((r) => r.kind === "workflow" && r.event.executionId?.name === childId.name);
    const taskQueuedAt = h!.events.findIndex((r) => r.kind === "node" && r.event.id?.executionId?.name === name && r.event.id.nodeId === task);
    const taskDoneAt = h!.events.findIndex((r) => r.kind === "node" && r.event.id?.executionId?.name === name && r.event.id.nodeId === task && r.event.phase === NodeExecution_Phase.SUCCEEDED);
    const childDoneAt = h!.events.findIndex((r) => r.kind === "workflow" && r.event.executionId?.name === childId.name && r.event.phase === WorkflowExecution_Phase.SUCCEEDED);
    if (taskFirst) expect(createdAt).toBeGreaterThan(taskDoneAt);
    else expect(taskQueuedAt).toBeGreaterThan(childDoneAt);
    const all = await h!.admin.listExecutions({ id: { project: id.project, domain: id.domain }, limit: 100 });
    expect(all.executions.map((e) => e.id?.name).sort()).toEqual([name, childId.name].sort());
  });
});

describe("a node's own timeout ending a subworkflow or launch-plan node", () => {
  const timeout = (n: Node, seconds: number) => {
    n.metadata!.timeout = create(DurationSchema, { seconds: BigInt(seconds) });
    return n;
  };

  it("stops the subworkflow's running nodes: no process or slot outlives the failed node", { timeout: 30_000 }, async () => {
    await start({ config: { maxConcurrentTasks: 1 } });
    const hang = taskOfType("scripted", "to.hang", { x: T.int() }, { o0: T.int() }, { config: { script: "hang" } });
    const after = echo("to.after");
    const inner = workflow("to.inner", { inputs: { x: T.int() }, nodes: [taskNode("n0", hang, { inputs: { x: promise("", "x") } })] });
    const outer = workflow("to.outer", { inputs: { x: T.int() }, nodes: [timeout(subWorkflowNode("n0", inner, { inputs: { x: promise("", "x") } }), 1)] });
    await registerTasks(h!.admin, hang, after);
    await registerWorkflow(h!.admin, outer, [inner]);
    const id = await launch(h!.admin, outer.id!, "tosub", literals({ x: intLiteral(1) }));
    const e = await waitForPhase(h!.admin, id, ["FAILED"]);
    expect(e.closure?.outputResult.value).toMatchObject({ code: "RetriesExhausted|TimeoutExpired", message: "[1/1] currentAttempt done. Last Error: USER::task execution timeout [1s] expired" });
    expect(linesOf("tosub").slice(-6)).toEqual(["T n0-0-n0#0 RUNNING v0", "T n0-0-n0#0 ABORTED v0", "N n0-0-n0 ABORTED", "N n0 FAILED", "WF FAILING", "WF FAILED"]);
    expect(nodeEvents("tosub", "n0-0-n0").at(-1)!.outputResult).toEqual({ case: "error", value: expect.objectContaining({ code: "NodeAborted", message: "node failing" }) });
    expect(scripted.aborted).toEqual([generatedName("tosub", "n0-0-n0", 0)]);
    expect(scripted.running).toBe(0);
    expect(await childrenOf(id, "n0")).toEqual(["n0-0-n0:ABORTED", "n0-0-start-node:SUCCEEDED"]);
    // The one CPU slot is free again: the next execution's task runs.
    const next = workflow("to.next", { inputs: { x: T.int() }, nodes: [taskNode("n0", after, { inputs: { x: promise("", "x") } })] });
    await registerWorkflow(h!.admin, next);
    await waitForPhase(h!.admin, await launch(h!.admin, next.id!, "tonext", literals({ x: intLiteral(1) })), ["SUCCEEDED"]);
  });

  it("retries a timed-out subworkflow node with fresh nodes, stopping each attempt's nodes, until its active deadline ends it", { timeout: 30_000 }, async () => {
    await start();
    const hang = taskOfType("scripted", "to.hang3", { x: T.int() }, { o0: T.int() }, { config: { script: "hang" } });
    const inner = workflow("to.inner3", { inputs: { x: T.int() }, nodes: [taskNode("n0", hang, { inputs: { x: promise("", "x") } })] });
    // A 1 s timeout per attempt, one retry, and the 2 s active deadline over both.
    const n0 = timeout(subWorkflowNode("n0", inner, { inputs: { x: promise("", "x") } }), 1);
    n0.metadata!.retries = create(RetryStrategySchema, { retries: 1 });
    const outer = workflow("to.outer3", { inputs: { x: T.int() }, nodes: [n0] });
    await registerTasks(h!.admin, hang);
    await registerWorkflow(h!.admin, outer, [inner]);
    const id = await launch(h!.admin, outer.id!, "toretry", literals({ x: intLiteral(1) }));
    const e = await waitForPhase(h!.admin, id, ["FAILED"]);
    expect(e.closure?.outputResult.value).toMatchObject({ code: "Timeout", message: "Timeout in node" });
    expect(linesOf("toretry")).toEqual([
      "WF RUNNING",
      "N start-node SUCCEEDED",
      "N n0 QUEUED",
      "N n0-0-start-node SUCCEEDED",
      "N n0 RUNNING",
      "N n0-0-n0 QUEUED",
      "T n0-0-n0#0 QUEUED v0",
      "N n0-0-n0 RUNNING",
      "T n0-0-n0#0 RUNNING v0",
      // The first attempt's execution deadline: its nodes are aborted, the second attempt starts afresh.
      "T n0-0-n0#0 ABORTED v0",
      "N n0-0-n0 ABORTED",
      "N n0-1-start-node SUCCEEDED",
      "N n0-1-n0 QUEUED",
      "T n0-1-n0#0 QUEUED v0",
      "N n0-1-n0 RUNNING",
      "T n0-1-n0#0 RUNNING v0",
      // The active deadline: the node times out for good, its nodes stopped first.
      "T n0-1-n0#0 ABORTED v0",
      "N n0-1-n0 ABORTED",
      "N n0 TIMED_OUT",
      "WF FAILING",
      "WF FAILED",
    ]);
    expect(nodeEvents("toretry", "n0-1-n0").at(-1)!.outputResult).toEqual({ case: "error", value: expect.objectContaining({ code: "NodeAborted", message: "node timed out" }) });
    expect(scripted.aborted).toEqual([generatedName("toretry", "n0-0-n0", 0), generatedName("toretry", "n0-1-n0", 0)]);
    expect(scripted.running).toBe(0);
    // (An ABORTED event names no parent, as propeller's abort event does not.)
    for (const e of nodeEvents("toretry", "n0-1-n0").slice(0, -1)) expect(e).toMatchObject({ parentNodeMetadata: { nodeId: "n0" }, retryGroup: "1" });
  });

  it("terminates the launch-plan node's child execution", { timeout: 30_000 }, async () => {
    await start();
    const hang = taskOfType("scripted", "to.hang2", { x: T.int() }, { o0: T.int() }, { config: { script: "hang" } });
    const child = workflow("to.child", { inputs: { x: T.int() }, nodes: [taskNode("n0", hang, { inputs: { x: promise("", "x") } })] });
    await registerTasks(h!.admin, hang);
    await registerWorkflow(h!.admin, child);
    const outer = workflow("to.parent", { inputs: { x: T.int() }, nodes: [timeout(launchPlanNode("n0", launchPlanId("to.child"), { inputs: { x: promise("", "x") } }), 1)] });
    await registerWorkflow(h!.admin, outer);
    const id = await launch(h!.admin, outer.id!, "tolp", literals({ x: intLiteral(1) }));
    await waitForPhase(h!.admin, id, ["FAILED"]);
    const childId = execId(childExecutionName("tolp", "n0", 0));
    const c = await waitForPhase(h!.admin, childId, ["ABORTED"]);
    expect(c.closure?.outputResult).toMatchObject({ case: "abortMetadata", value: { cause: "cascading abort as parent execution id [tolp] aborted, reason [node failing]" } });
    expect(linesOf("tolp")).toEqual(["WF RUNNING", "N start-node SUCCEEDED", "N n0 QUEUED", "N n0 RUNNING", "N n0 FAILED", "WF FAILING", "WF FAILED"]);
    await waitFor("the child's task to stop", () => (scripted.running === 0 ? true : undefined));
    expect(scripted.aborted).toEqual([generatedName(childId.name, "n0", 0)]);
  });
});
