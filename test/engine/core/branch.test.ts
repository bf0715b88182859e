import { create } from "@bufbuild/protobuf";
import { afterEach, describe, expect, it } from "vitest";
import { type BooleanExpression, BooleanExpressionSchema, ComparisonExpression_Operator as Op, ConjunctionExpression_LogicalOperator as Logical } from "../../../gen/flyteidl/core/condition_pb.js";
import { ExecutionError_ErrorKind as Kind, NodeExecution_Phase, TaskExecution_Phase } from "../../../gen/flyteidl/core/execution_pb.js";
import { type BindingData, type Literal, LiteralMapSchema, LiteralSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import { type Node, NodeSchema } from "../../../gen/flyteidl/core/workflow_pb.js";
import type { NodeExecutionEvent } from "../../../gen/flyteidl/event/event_pb.js";
import { createEchoPlugin } from "../../../src/engine/local/echo-plugin.js";
import { nodeUniqueId } from "../../../src/engine/local/ids.js";
import { promise, strValue, T, taskNode, workflow } from "../../fixtures/flyte-builders.js";
import { eventLines, type Harness, intLiteral, launch, literals, registerTasks, registerWorkflow, startHarness, taskOfType, waitFor, waitForPhase } from "./harness.js";
import { createScriptedPlugin, type ScriptedPlugin } from "./scripted-plugin.js";

/**
 * Branch nodes (engine-spec §2.4.4, §5.1) driven by the echo and scripted
 * plugins: the event sequence, ids and parent links of the chosen node, no
 * trace of untaken nodes, else_fail, failures, terminate and restart.
 */
let h: Harness;
let scripted: ScriptedPlugin;
afterEach(() => h?.close());

const start = async () => {
  scripted = createScriptedPlugin();
  h = await startHarness({ plugins: [createEchoPlugin(), scripted] });
};

// ---- flytekit-shaped conditionals ----------------------------------------------------------
const cmp = (variable: string, operator: Op, n: number): BooleanExpression =>
  create(BooleanExpressionSchema, {
    expr: {
      case: "comparison",
      value: { operator, leftValue: { val: { case: "var", value: variable } }, rightValue: { val: { case: "primitive", value: { value: { case: "integer", value: BigInt(n) } } } } },
    },
  });
const and = (l: BooleanExpression, r: BooleanExpression): BooleanExpression =>
  create(BooleanExpressionSchema, { expr: { case: "conjunction", value: { operator: Logical.AND, leftExpression: l, rightExpression: r } } });

/** `conditional(name).if_(…).then(…).elif_(…)….else_().then(…)` or `.fail(message)`, as flytekit serialises it (unprefixed then-node ids). */
function conditional(
  id: string,
  name: string,
  inputs: Record<string, BindingData>,
  cases: Array<[BooleanExpression, Node]>,
  otherwise: Node | { fail: string },
): Node {
  const [first, ...rest] = cases;
  return create(NodeSchema, {
    id,
    metadata: { name, retries: {} },
    inputs: Object.entries(inputs).map(([v, binding]) => ({ var: v, binding })),
    target: {
      case: "branchNode",
      value: {
        ifElse: {
          case: { condition: first![0], thenNode: first![1] },
          other: rest.map(([condition, thenNode]) => ({ condition, thenNode })),
          default: "fail" in otherwise ? { case: "error", value: { failedNodeId: name, message: otherwise.fail } } : { case: "elseNode", value: otherwise },
        },
      },
    },
  });
}

const say = taskOfType("echo", "br.say", { s: T.str() }, { o0: T.str() });
const shout = taskOfType("echo", "br.shout", { s: T.str() }, { o0: T.str() });
const strLiteral = (s: string): Literal =>
  create(LiteralSchema, { value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "stringValue", value: s } } } } } });

/** sign(x) -> str: n0 = if x > 0 say("positive") elif x < 0 say("negative") else say("zero"); n1 = shout(n0.o0). */
const signWf = workflow("br.sign", {
  inputs: { x: T.int() },
  outputs: { o0: T.str() },
  nodes: [
    conditional(
      "n0",
      "sign",
      { ".x": promise("", "x") },
      [
        [cmp(".x", Op.GT, 0), taskNode("n0", say, { inputs: { s: strValue("positive") }, name: "say" })],
        [cmp(".x", Op.LT, 0), taskNode("n1", say, { inputs: { s: strValue("negative") }, name: "say" })],
      ],
      taskNode("n2", say, { inputs: { s: strValue("zero") }, name: "say" }),
    ),
    taskNode("n1", shout, { inputs: { s: promise("n0", "o0") }, upstream: ["n0"], name: "shout" }),
  ],
  outputBindings: { o0: promise("n1", "o0") },
});

const nodeEvents = (exec: string) =>
  h.events.filter((r) => r.kind === "node" && r.event.id?.executionId?.name === exec).map((r) => r.event as NodeExecutionEvent);

const M = (exec: string) => `${h.blobs.base}/metadata/propeller/flytesnacks-development-${exec}`;

describe("a branch node takes the first true case (engine-spec §2.4.4)", () => {
  it("reports the branch, then its chosen node as a child, then the branch's success with the chosen node's outputs", async () => {
    await start();
    await registerTasks(h.admin, say, shout);
    await registerWorkflow(h.admin, signWf);
    const id = await launch(h.admin, signWf.id!, "pos", literals({ x: intLiteral(5) }));
    await waitForPhase(h.admin, id, ["SUCCEEDED"]);

    expect(eventLines(h.events, "pos")).toEqual([
      "WF RUNNING",
      "N start-node SUCCEEDED",
      "N n0 QUEUED",
      // One step: the branch decides, its chosen node is queued, then the branch reports RUNNING.
      "N n0-0-n0-n0 QUEUED",
      "N n0 RUNNING",
      "T n0-0-n0-n0#0 QUEUED v0",
      "N n0-0-n0-n0 RUNNING",
      "T n0-0-n0-n0#0 RUNNING v0",
      "T n0-0-n0-n0#0 SUCCEEDED v0",
      "N n0-0-n0-n0 SUCCEEDED",
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
    expect(h.events.every((e) => !e.refused)).toBe(true);

    const m = M("pos");
    const events = nodeEvents("pos");
    const branch = events.filter((e) => e.id?.nodeId === "n0");
    for (const e of branch) {
      expect(e.specNodeId).toBe("n0");
      expect(e.nodeName).toBe("sign");
      expect(e.isParent).toBe(false);
      expect(e.parentNodeMetadata).toBeUndefined();
      expect(e.retryGroup).toBe("");
      expect(e.targetEntity).toBeUndefined();
      expect(e.inputValue).toEqual({ case: "inputUri", value: `${m}/n0/data/inputs.pb` });
    }
    expect(branch.at(-1)!.outputResult).toEqual({ case: "outputUri", value: `${m}/n0/data/0/outputs.pb` });
    // The branch's inputs are its condition variables, named as flytekit names them.
    const branchInputs = await h.blobs.getMessage(`metadata/propeller/flytesnacks-development-pos/n0/data/inputs.pb`, LiteralMapSchema);
    expect(branchInputs?.literals).toEqual({ ".x": intLiteral(5) });

    const child = events.filter((e) => e.id?.nodeId === "n0-0-n0-n0");
    expect(child.map((e) => NodeExecution_Phase[e.phase])).toEqual(["QUEUED", "RUNNING", "SUCCEEDED"]);
    for (const e of child) {
      expect(e.parentNodeMetadata?.nodeId).toBe("n0");
      expect(e.retryGroup).toBe("0");
      expect(e.specNodeId).toBe("n0-n0");
      expect(e.nodeName).toBe("say");
      expect(e.targetEntity?.name).toBe("br.say");
      expect(e.inputValue).toEqual({ case: "inputUri", value: `${m}/n0/data/0/n0-n0/inputs.pb` });
    }
    expect(child.at(-1)!.outputResult).toEqual({ case: "outputUri", value: `${m}/n0/data/0/n0-n0/0/outputs.pb` });

    // The branch's outputs are the chosen node's; the node after it reads them.
    const out = await h.blobs.getMessage(`metadata/propeller/flytesnacks-development-pos/n0/data/0/outputs.pb`, LiteralMapSchema);
    expect(out?.literals.o0).toEqual(strLiteral("positive"));
    expect((await h.admin.getExecutionData({ id })).fullOutputs?.literals.o0).toEqual(strLiteral("positive"));

    // Through the API: the chosen node is a child of the branch; the untaken nodes do not exist.
    const top = await h.admin.listNodeExecutions({ workflowExecutionId: id, limit: 100 });
    expect(top.nodeExecutions.map((n) => n.id?.nodeId).sort()).toEqual(["end-node", "n0", "n1", "start-node"]);
    const children = await h.admin.listNodeExecutions({ workflowExecutionId: id, limit: 100, uniqueParentId: "n0" });
    expect(children.nodeExecutions.map((n) => `${n.id?.nodeId}:${NodeExecution_Phase[n.closure!.phase]}`)).toEqual(["n0-0-n0-n0:SUCCEEDED"]);
    const tasks = await h.admin.listTaskExecutions({ nodeExecutionId: { executionId: id, nodeId: "n0-0-n0-n0" }, limit: 10 });
    expect(tasks.taskExecutions.map((t) => TaskExecution_Phase[t.closure!.phase])).toEqual(["SUCCEEDED"]);
    const row = await h.store.engine.get({ project: id.project, domain: id.domain, name: id.name });
    expect(row?.active).toBe(false);
  });

  it.each([
    ["neg", -1, "n0-n1", "negative"],
    ["zero", 0, "n0-n2", "zero"],
  ])("execution %s (x = %i) takes %s and nothing else", async (name, x, spec, said) => {
    await start();
    await registerTasks(h.admin, say, shout);
    await registerWorkflow(h.admin, signWf);
    const id = await launch(h.admin, signWf.id!, name, literals({ x: intLiteral(x) }));
    await waitForPhase(h.admin, id, ["SUCCEEDED"]);
    const ids = new Set(nodeEvents(name).map((e) => e.id?.nodeId));
    expect([...ids].sort()).toEqual(["end-node", `n0-0-${spec}`, "n0", "n1", "start-node"].sort());
    const child = nodeEvents(name).filter((e) => e.id?.nodeId === `n0-0-${spec}`);
    expect(child.every((e) => e.specNodeId === spec && e.parentNodeMetadata?.nodeId === "n0" && e.retryGroup === "0")).toBe(true);
    expect((await h.admin.getExecutionData({ id })).fullOutputs?.literals.o0).toEqual(strLiteral(said));
    // No task ran for the untaken nodes.
    const tasksRun = h.events.filter((r) => r.kind === "task" && r.event.parentNodeExecutionId?.executionId?.name === name);
    expect(new Set(tasksRun.map((r) => (r.kind === "task" ? r.event.parentNodeExecutionId?.nodeId : "")))).toEqual(new Set([`n0-0-${spec}`, "n1"]));
  });
});

describe("a branch node that fails", () => {
  it("fails with the user's message when no case matches and the else fails (else_fail)", async () => {
    await start();
    const double = taskOfType("echo", "br.double", { x: T.int() }, { o0: T.int() });
    const wf = workflow("br.onlypos", {
      inputs: { x: T.int() },
      outputs: { o0: T.int() },
      nodes: [conditional("n0", "only_positive", { ".x": promise("", "x") }, [[cmp(".x", Op.GT, 0), taskNode("n0", double, { inputs: { x: promise("", "x") } })]], { fail: "x must be positive" })],
      outputBindings: { o0: promise("n0", "o0") },
    });
    await registerTasks(h.admin, double);
    await registerWorkflow(h.admin, wf);
    const id = await launch(h.admin, wf.id!, "elsefail", literals({ x: intLiteral(-2) }));
    const e = await waitForPhase(h.admin, id, ["FAILED"]);
    expect(eventLines(h.events, "elsefail")).toEqual(["WF RUNNING", "N start-node SUCCEEDED", "N n0 QUEUED", "N n0 FAILED", "WF FAILING", "WF FAILED"]);
    const failed = nodeEvents("elsefail").find((x) => x.phase === NodeExecution_Phase.FAILED)!;
    const expected = { kind: Kind.USER, code: "UserProvidedError", message: "[UserProvidedError] x must be positive" };
    expect(failed.outputResult).toMatchObject({ case: "error", value: expected });
    expect(e.closure?.outputResult).toMatchObject({ case: "error", value: expected });

    // x = 3 takes the then-node and doubles... well, echoes: the same workflow succeeds.
    const ok = await launch(h.admin, wf.id!, "elseok", literals({ x: intLiteral(3) }));
    await waitForPhase(h.admin, ok, ["SUCCEEDED"]);
    expect((await h.admin.getExecutionData({ id: ok })).fullOutputs?.literals.o0).toEqual(intLiteral(3));
  });

  it("fails as malformed when a condition compares values that are not primitives", async () => {
    await start();
    const t = taskOfType("echo", "br.any", { s: T.str() }, { o0: T.str() });
    const listCmp = create(BooleanExpressionSchema, {
      expr: { case: "comparison", value: { operator: Op.EQ, leftValue: { val: { case: "var", value: ".a" } }, rightValue: { val: { case: "var", value: ".b" } } } },
    });
    const wf = workflow("br.lists", {
      inputs: { a: T.list(T.int()), b: T.list(T.int()) },
      nodes: [conditional("n0", "lists", { ".a": promise("", "a"), ".b": promise("", "b") }, [[listCmp, taskNode("n0", t, { inputs: { s: strValue("same") } })]], taskNode("n1", t, { inputs: { s: strValue("other") } }))],
    });
    await registerTasks(h.admin, t);
    await registerWorkflow(h.admin, wf);
    const list = create(LiteralSchema, { value: { case: "collection", value: { literals: [intLiteral(1)] } } });
    const id = await launch(h.admin, wf.id!, "lists", literals({ a: list, b: list }));
    await waitForPhase(h.admin, id, ["FAILED"]);
    const failed = nodeEvents("lists").find((x) => x.phase === NodeExecution_Phase.FAILED)!;
    expect(failed.id?.nodeId).toBe("n0");
    expect(failed.outputResult).toMatchObject({
      case: "error",
      value: { kind: Kind.USER, code: "MalformedBranchUserError", message: "[MalformedBranchUserError] Only primitives can be compared. LHS Variable is non primitive." },
    });
    expect(eventLines(h.events, "lists")).toEqual(["WF RUNNING", "N start-node SUCCEEDED", "N n0 QUEUED", "N n0 FAILED", "WF FAILING", "WF FAILED"]);
  });

  it("fails with the chosen node's error, never retrying the branch", async () => {
    await start();
    const bad = taskOfType("scripted", "br.bad", { x: T.int() }, { o0: T.int() }, { config: { script: "user" } });
    const wf = workflow("br.bad", {
      inputs: { x: T.int() },
      nodes: [conditional("n0", "bad", { ".x": promise("", "x") }, [[cmp(".x", Op.GT, 0), taskNode("n0", bad, { inputs: { x: promise("", "x") } })]], { fail: "no" })],
    });
    await registerTasks(h.admin, bad);
    await registerWorkflow(h.admin, wf);
    const id = await launch(h.admin, wf.id!, "childfails", literals({ x: intLiteral(1) }));
    const e = await waitForPhase(h.admin, id, ["FAILED"]);
    expect(eventLines(h.events, "childfails")).toEqual([
      "WF RUNNING",
      "N start-node SUCCEEDED",
      "N n0 QUEUED",
      "N n0-0-n0-n0 QUEUED",
      "N n0 RUNNING",
      "T n0-0-n0-n0#0 QUEUED v0",
      "N n0-0-n0-n0 RUNNING",
      "T n0-0-n0-n0#0 RUNNING v0",
      "T n0-0-n0-n0#0 FAILED v0",
      "N n0-0-n0-n0 FAILED",
      "N n0 FAILED",
      "WF FAILING",
      "WF FAILED",
    ]);
    const expected = { kind: Kind.USER, code: "USER:RuntimeError", message: "boom in attempt 0" };
    const [childFailed, branchFailed] = nodeEvents("childfails").filter((x) => x.phase === NodeExecution_Phase.FAILED);
    expect(childFailed!.outputResult).toMatchObject({ case: "error", value: expected });
    expect(branchFailed!.outputResult).toMatchObject({ case: "error", value: expected });
    expect(e.closure?.outputResult).toMatchObject({ case: "error", value: expected });
    expect(scripted.launched).toEqual(["childfails-n0-0-n0-n0-0"]);
  });
});

describe("a branch node whose data cannot be read or written", () => {
  const simple = () =>
    workflow("br.io", {
      inputs: { x: T.int() },
      outputs: { o0: T.str() },
      nodes: [conditional("n0", "io", { ".x": promise("", "x") }, [[cmp(".x", Op.GT, 0), taskNode("n0", say, { inputs: { s: strValue("yes") } })]], { fail: "no" })],
      outputBindings: { o0: promise("n0", "o0") },
    });

  it("fails as a SYSTEM RuntimeExecutionError when its inputs cannot be read", async () => {
    await start();
    const get = h.blobs.getMessage.bind(h.blobs);
    h.blobs.getMessage = (async (key: string, schema: never) => {
      if (key.endsWith("-noinputs/n0/data/inputs.pb")) throw new Error("disk on fire");
      return get(key, schema);
    }) as typeof h.blobs.getMessage;
    await registerTasks(h.admin, say);
    await registerWorkflow(h.admin, simple());
    const id = await launch(h.admin, simple().id!, "noinputs", literals({ x: intLiteral(1) }));
    await waitForPhase(h.admin, id, ["FAILED"]);
    expect(eventLines(h.events, "noinputs")).toEqual(["WF RUNNING", "N start-node SUCCEEDED", "N n0 QUEUED", "N n0 FAILED", "WF FAILING", "WF FAILED"]);
    const failed = nodeEvents("noinputs").find((x) => x.phase === NodeExecution_Phase.FAILED)!;
    expect(failed.outputResult).toMatchObject({ case: "error", value: { kind: Kind.SYSTEM, code: "RuntimeExecutionError", message: "Failed to read input. Error [disk on fire]" } });
  });

  it("fails as a SYSTEM OutputsNotFoundError when the chosen node's outputs cannot be copied", async () => {
    await start();
    const get = h.blobs.get.bind(h.blobs);
    h.blobs.get = (async (key: string) => {
      if (key.endsWith("-nocopy/n0/data/0/n0-n0/0/outputs.pb") && eventLines(h.events, "nocopy").includes("N n0-0-n0-n0 SUCCEEDED")) throw new Error("disk on fire");
      return get(key);
    }) as typeof h.blobs.get;
    await registerTasks(h.admin, say);
    await registerWorkflow(h.admin, simple());
    const id = await launch(h.admin, simple().id!, "nocopy", literals({ x: intLiteral(1) }));
    await waitForPhase(h.admin, id, ["FAILED"]);
    const failed = nodeEvents("nocopy").find((x) => x.id?.nodeId === "n0" && x.phase === NodeExecution_Phase.FAILED)!;
    const m = M("nocopy");
    expect(failed.outputResult).toMatchObject({
      case: "error",
      value: { kind: Kind.SYSTEM, code: "OutputsNotFoundError", message: `Failed to copy child node outputs from [${m}/n0/data/0/n0-n0/0/outputs.pb] to [${m}/n0/data/0/outputs.pb]` },
    });
  });
});

describe("a branch node being stopped", () => {
  it("aborts the chosen node on terminate: task, chosen node, branch, workflow ABORTED", async () => {
    await start();
    const hang = taskOfType("scripted", "br.hang", { x: T.int() }, { o0: T.int() }, { config: { script: "hang" } });
    const wf = workflow("br.hang", {
      inputs: { x: T.int() },
      nodes: [conditional("n0", "hang", { ".x": promise("", "x") }, [[cmp(".x", Op.GT, 0), taskNode("n0", hang, { inputs: { x: promise("", "x") } })]], { fail: "no" })],
    });
    await registerTasks(h.admin, hang);
    await registerWorkflow(h.admin, wf);
    const id = await launch(h.admin, wf.id!, "term", literals({ x: intLiteral(1) }));
    await waitFor("the chosen node to run", () => (scripted.running > 0 ? true : undefined));
    await h.admin.terminateExecution({ id, cause: "enough" });
    await waitForPhase(h.admin, id, ["ABORTED"]);
    expect(eventLines(h.events, "term").slice(-4)).toEqual(["T n0-0-n0-n0#0 ABORTED v0", "N n0-0-n0-n0 ABORTED", "N n0 ABORTED", "WF ABORTED"]);
    for (const e of nodeEvents("term").filter((x) => x.phase === NodeExecution_Phase.ABORTED)) {
      expect(e.outputResult).toMatchObject({ case: "error", value: { code: "NodeAborted", message: "Workflow aborted." } });
    }
    expect(scripted.aborted).toEqual(["term-n0-0-n0-n0-0"]);
    expect(scripted.running).toBe(0);
    expect(h.events.every((r) => !r.refused)).toBe(true);
    const child = await h.admin.getNodeExecution({ id: { executionId: id, nodeId: "n0-0-n0-n0" } });
    expect(NodeExecution_Phase[child.closure!.phase]).toBe("ABORTED");
  });

  it("aborts the chosen node when another node fails the workflow", async () => {
    await start();
    const hang = taskOfType("scripted", "br.hang2", { x: T.int() }, { o0: T.int() }, { config: { script: "hang" } });
    const bad = taskOfType("scripted", "br.bad2", { x: T.int() }, { o0: T.int() }, { config: { script: "user:300" } });
    const wf = workflow("br.sibling", {
      inputs: { x: T.int() },
      nodes: [
        conditional("n0", "hang", { ".x": promise("", "x") }, [[cmp(".x", Op.GT, 0), taskNode("n0", hang, { inputs: { x: promise("", "x") } })]], { fail: "no" }),
        taskNode("n1", bad, { inputs: { x: promise("", "x") } }),
      ],
    });
    await registerTasks(h.admin, hang, bad);
    await registerWorkflow(h.admin, wf);
    const id = await launch(h.admin, wf.id!, "sibling", literals({ x: intLiteral(1) }));
    await waitForPhase(h.admin, id, ["FAILED"]);
    const lines = eventLines(h.events, "sibling");
    expect(lines.slice(-5)).toEqual(["WF FAILING", "T n0-0-n0-n0#0 ABORTED v0", "N n0-0-n0-n0 ABORTED", "N n0 ABORTED", "WF FAILED"]);
    const aborted = nodeEvents("sibling").filter((x) => x.phase === NodeExecution_Phase.ABORTED);
    for (const e of aborted) expect(e.outputResult).toMatchObject({ case: "error", value: { code: "NodeAborted", message: "Some node execution failed, auto-abort." } });
    expect(scripted.running).toBe(0);
  });

  it("resumes after a restart in the middle of the chosen node, with one task execution and no duplicate events", async () => {
    await start();
    const slow = taskOfType("echo", "br.slow", { s: T.str() }, { o0: T.str() }, { config: { sleep_ms: "800" } });
    const wf = workflow("br.restart", {
      inputs: { x: T.int() },
      outputs: { o0: T.str() },
      nodes: [
        conditional(
          "n0",
          "sign",
          { ".x": promise("", "x") },
          [[cmp(".x", Op.GT, 0), taskNode("n0", slow, { inputs: { s: strValue("positive") } })]],
          taskNode("n1", slow, { inputs: { s: strValue("not positive") } }),
        ),
      ],
      outputBindings: { o0: promise("n0", "o0") },
    });
    await registerTasks(h.admin, slow);
    await registerWorkflow(h.admin, wf);
    const id = await launch(h.admin, wf.id!, "restart", literals({ x: intLiteral(4) }));
    await waitFor("the chosen node to run", () => (eventLines(h.events, "restart").includes("T n0-0-n0-n0#0 RUNNING v0") ? true : undefined));
    await h.restart([createEchoPlugin(), scripted]);
    await waitForPhase(h.admin, id, ["SUCCEEDED"]);
    expect((await h.admin.getExecutionData({ id })).fullOutputs?.literals.o0).toEqual(strLiteral("positive"));
    const tasks = await h.admin.listTaskExecutions({ nodeExecutionId: { executionId: id, nodeId: "n0-0-n0-n0" }, limit: 10 });
    expect(tasks.taskExecutions.map((t) => `${t.id?.retryAttempt}:${TaskExecution_Phase[t.closure!.phase]}`)).toEqual(["0:SUCCEEDED"]);
    expect(h.events.filter((r) => r.refused && r.refused !== "AlreadyExists")).toEqual([]);
    const accepted = eventLines(h.events, "restart").filter((l) => !l.endsWith("!AlreadyExists"));
    expect(accepted.filter((l) => l.startsWith("N n0 "))).toEqual(["N n0 QUEUED", "N n0 RUNNING", "N n0 SUCCEEDED"]);
    expect(accepted.filter((l) => l.startsWith("N n0-0-n1"))).toEqual([]);
    expect(accepted.at(-1)).toBe("WF SUCCEEDED");
  });
});

describe("what a chosen node reads and runs", () => {
  it("waits for the node next to the branch whose outputs it reads, though the branch itself does not", async () => {
    await start();
    const slow = taskOfType("echo", "br.slow1", { x: T.int() }, { o0: T.int() }, { config: { sleep_ms: "300" } });
    const echo = taskOfType("echo", "br.echo", { x: T.int() }, { o0: T.int() });
    // flytekit makes the branch depend only on its condition's inputs; its then-node reads n0 too.
    const wf = workflow("br.reads", {
      inputs: { x: T.int() },
      outputs: { o0: T.int() },
      nodes: [
        taskNode("n0", slow, { inputs: { x: promise("", "x") } }),
        conditional("n1", "c", { ".x": promise("", "x") }, [[cmp(".x", Op.GT, 0), taskNode("n0", echo, { inputs: { x: promise("n0", "o0") } })]], taskNode("n1", echo, { inputs: { x: promise("", "x") } })),
      ],
      outputBindings: { o0: promise("n1", "o0") },
    });
    await registerTasks(h.admin, slow, echo);
    await registerWorkflow(h.admin, wf);
    const id = await launch(h.admin, wf.id!, "reads", literals({ x: intLiteral(9) }));
    await waitForPhase(h.admin, id, ["SUCCEEDED"]);
    const lines = eventLines(h.events, "reads");
    expect(lines.indexOf("N n1 RUNNING")).toBeLessThan(lines.indexOf("N n0 SUCCEEDED"));
    expect(lines.indexOf("N n1-0-n1-n0 QUEUED")).toBeGreaterThan(lines.indexOf("N n0 SUCCEEDED"));
    expect((await h.admin.getExecutionData({ id })).fullOutputs?.literals.o0).toEqual(intLiteral(9));
  });

  it("runs a branch whose chosen node is itself a branch (nested ids, parents and outputs)", async () => {
    await start();
    const echo = taskOfType("echo", "br.e", { x: T.int() }, { o0: T.int() });
    const inner = conditional(
      "n0",
      "inner",
      { ".x": promise("", "x") },
      [[cmp(".x", Op.LT, 10), taskNode("n0", echo, { inputs: { x: promise("", "x") }, name: "small" })]],
      taskNode("n1", echo, { inputs: { x: promise("", "x") }, name: "big" }),
    );
    const wf = workflow("br.nested", {
      inputs: { x: T.int() },
      outputs: { o0: T.int() },
      nodes: [conditional("n0", "outer", { ".x": promise("", "x") }, [[and(cmp(".x", Op.GT, 0), cmp(".x", Op.LT, 100)), inner]], { fail: "x is out of range" })],
      outputBindings: { o0: promise("n0", "o0") },
    });
    await registerTasks(h.admin, echo);
    await registerWorkflow(h.admin, wf);

    for (const [name, x, leafSpec] of [
      ["nested5", 5, "n0-n0-n0"],
      ["nested50", 50, "n0-n0-n1"],
    ] as const) {
      const id = await launch(h.admin, wf.id!, name, literals({ x: intLiteral(x) }));
      await waitForPhase(h.admin, id, ["SUCCEEDED"]);
      const innerId = nodeUniqueId({ uniqueId: "n0", attempt: 0 }, "n0-n0");
      const leafId = nodeUniqueId({ uniqueId: innerId, attempt: 0 }, leafSpec);
      expect(innerId).toBe("n0-0-n0-n0");
      // Longer than 20 bytes: hashed (engine-spec §1.1).
      expect(leafId).toMatch(/^f[a-z1-6]{7}$/);
      expect(eventLines(h.events, name)).toEqual([
        "WF RUNNING",
        "N start-node SUCCEEDED",
        "N n0 QUEUED",
        `N ${innerId} QUEUED`,
        "N n0 RUNNING",
        `N ${leafId} QUEUED`,
        `N ${innerId} RUNNING`,
        `T ${leafId}#0 QUEUED v0`,
        `N ${leafId} RUNNING`,
        `T ${leafId}#0 RUNNING v0`,
        `T ${leafId}#0 SUCCEEDED v0`,
        `N ${leafId} SUCCEEDED`,
        `N ${innerId} SUCCEEDED`,
        "N n0 SUCCEEDED",
        "N end-node QUEUED",
        "N end-node SUCCEEDED",
        "WF SUCCEEDING",
        "WF SUCCEEDED",
      ]);
      const events = nodeEvents(name);
      for (const e of events.filter((x) => x.id?.nodeId === innerId)) {
        expect([e.parentNodeMetadata?.nodeId, e.retryGroup, e.specNodeId, e.nodeName]).toEqual(["n0", "0", "n0-n0", "inner"]);
      }
      for (const e of events.filter((x) => x.id?.nodeId === leafId)) {
        expect([e.parentNodeMetadata?.nodeId, e.retryGroup, e.specNodeId]).toEqual([innerId, "0", leafSpec]);
        expect(e.inputValue).toEqual({ case: "inputUri", value: `${M(name)}/n0/data/0/n0-n0/0/${leafSpec}/inputs.pb` });
      }
      expect((await h.admin.getExecutionData({ id })).fullOutputs?.literals.o0).toEqual(intLiteral(x));
      const children = await h.admin.listNodeExecutions({ workflowExecutionId: id, limit: 100, uniqueParentId: innerId });
      expect(children.nodeExecutions.map((n) => n.id?.nodeId)).toEqual([leafId]);
    }

    // Out of range: the outer branch fails with the user's message, the inner one never starts.
    const id = await launch(h.admin, wf.id!, "nested500", literals({ x: intLiteral(500) }));
    await waitForPhase(h.admin, id, ["FAILED"]);
    expect(eventLines(h.events, "nested500")).toEqual(["WF RUNNING", "N start-node SUCCEEDED", "N n0 QUEUED", "N n0 FAILED", "WF FAILING", "WF FAILED"]);
  });
});
