import { create } from "@bufbuild/protobuf";
import { DurationSchema, timestampMs } from "@bufbuild/protobuf/wkt";
import { type Client, createClient, createRouterTransport } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { ExecutionError_ErrorKind as Kind, NodeExecution_Phase, WorkflowExecution_Phase } from "../../../gen/flyteidl/core/execution_pb.js";
import type { WorkflowExecutionIdentifier } from "../../../gen/flyteidl/core/identifier_pb.js";
import { type Literal, LiteralSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import { type Node, NodeSchema } from "../../../gen/flyteidl/core/workflow_pb.js";
import type { NodeExecutionEvent } from "../../../gen/flyteidl/event/event_pb.js";
import { SignalService } from "../../../gen/flyteidl/service/signal_pb.js";
import { createEchoPlugin } from "../../../src/engine/local/echo-plugin.js";
import { approveNode, promise, signalNode, T, taskNode, workflow } from "../../fixtures/flyte-builders.js";
import { failure } from "../../helpers/rpc-failure.js";
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
  waitFor,
  waitForPhase,
} from "./harness.js";
import { createScriptedPlugin } from "./scripted-plugin.js";

// A poll far beyond any test's wait: a gate that moves did so because SetSignal woke it (or its deadline did).
const NO_POLL: HarnessOptions["config"] = { signalPollMs: 600_000 };

let h: Harness | undefined;
afterEach(() => h?.close());

const start = async (config: HarnessOptions["config"] = NO_POLL) => {
  h = await startHarness({ plugins: [createEchoPlugin(), createScriptedPlugin()], config });
  const transport = createRouterTransport(h.app.routes, { router: { interceptors: h.app.interceptors } });
  return { h, signals: createClient(SignalService, transport) };
};

const str = (v: string): Literal => create(LiteralSchema, { value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "stringValue", value: v } } } } } });
const bool = (v: boolean): Literal => create(LiteralSchema, { value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "boolean", value: v } } } } } });
const seconds = (s: number) => create(DurationSchema, { seconds: BigInt(Math.floor(s)), nanos: Math.round((s % 1) * 1e9) });

const sleepNode = (id: string, secs: number, upstream: string[] = []): Node =>
  create(NodeSchema, {
    id,
    metadata: { name: "sleep-gate", retries: {} },
    upstreamNodeIds: upstream,
    target: { case: "gateNode", value: { condition: { case: "sleep", value: { duration: seconds(secs) } } } },
  });

const withTimeout = (n: Node, secs: number): Node => {
  n.metadata!.timeout = seconds(secs);
  return n;
};

const signalId = (id: WorkflowExecutionIdentifier, signal: string) => ({ executionId: id, signalId: signal });
const setSignal = (signals: Client<typeof SignalService>, id: WorkflowExecutionIdentifier, signal: string, value: Literal) =>
  signals.setSignal({ id: signalId(id, signal), value });

const lines = (name: string, node?: string) => eventLines(h!.events, name).filter((l) => node === undefined || l.startsWith(`N ${node} `));
const waitForLine = (name: string, line: string) => waitFor(`"${line}" of ${name}`, () => (eventLines(h!.events, name).includes(line) ? true : undefined));
const nodeEvent = (name: string, nodeId: string, phase: NodeExecution_Phase) =>
  h!.events.find((r) => r.kind === "node" && r.event.id?.executionId?.name === name && r.event.id.nodeId === nodeId && r.event.phase === phase)?.event as
    | NodeExecutionEvent
    | undefined;
const nodeClosure = async (id: WorkflowExecutionIdentifier, nodeId: string) => (await h!.admin.getNodeExecution({ id: { executionId: id, nodeId } })).closure!;

/** `wait_for_input("title", ..., str)` then a task on its value; the workflow returns the task's output. */
async function signalWorkflow(name: string, gate: (n: Node) => Node = (n) => n) {
  const t = taskOfType("echo", `wf.${name}.t`, { x: T.str() }, { o0: T.str() });
  const wf = workflow(`wf.${name}`, {
    outputs: { o0: T.str() },
    nodes: [gate(signalNode("n0", "title", "o0", T.str())), taskNode("n1", t, { inputs: { x: promise("n0", "o0") } })],
    outputBindings: { o0: promise("n1", "o0") },
  });
  await registerTasks(h!.admin, t);
  await registerWorkflow(h!.admin, wf);
  return wf;
}

/** A task's output held back by `approve(x, "review", ...)`; the workflow returns the approved value. */
async function approveWorkflow(name: string) {
  const t = taskOfType("echo", `wf.${name}.t`, { x: T.int() }, { o0: T.int() });
  const wf = workflow(`wf.${name}`, {
    inputs: { x: T.int() },
    outputs: { o0: T.int() },
    nodes: [taskNode("n0", t, { inputs: { x: promise("", "x") } }), approveNode("n1", "review", { inputs: { o0: promise("n0", "o0") } })],
    outputBindings: { o0: promise("n1", "o0") },
  });
  await registerTasks(h!.admin, t);
  await registerWorkflow(h!.admin, wf);
  return wf;
}

describe("signal gates (wait_for_input)", () => {
  it("waits QUEUED, RUNNING; SetSignal wakes it and the value flows to the next node and the workflow outputs", async () => {
    const { signals } = await start();
    const wf = await signalWorkflow("sig");
    const id = await launch(h!.admin, wf.id!, "sig");
    await waitForLine("sig", "N n0 RUNNING");
    // The gate created its typed signal, still without a value.
    const listed = await signals.listSignals({ workflowExecutionId: id, limit: 10 });
    expect(listed.signals.map((s) => [s.id?.signalId, s.type, s.value])).toEqual([["title", T.str(), undefined]]);
    expect((await h!.admin.getExecution({ id })).closure?.phase).toBe(WorkflowExecution_Phase.RUNNING);

    await setSignal(signals, id, "title", str("hi"));
    await waitForPhase(h!.admin, id, ["SUCCEEDED"]);
    expect((await h!.admin.getExecutionData({ id })).fullOutputs?.literals.o0).toEqual(str("hi"));
    expect(lines("sig")).toEqual([
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
    const done = nodeEvent("sig", "n0", NodeExecution_Phase.SUCCEEDED)!;
    expect(done.outputResult).toEqual({ case: "outputUri", value: expect.stringMatching(/\/n0\/data\/0\/outputs\.pb$/) });
    expect(done.targetEntity).toBeUndefined();
    expect(done.isParent || done.isDynamic || done.isArray).toBe(false);
    expect((await h!.admin.getNodeExecutionData({ id: { executionId: id, nodeId: "n0" } })).fullOutputs?.literals).toEqual({ o0: str("hi") });
    expect(h!.events.filter((r) => r.refused)).toEqual([]);
  });

  it("succeeds at its first look, without RUNNING, when the signal already has a value", async () => {
    const { signals } = await start();
    const wf = await signalWorkflow("early");
    const id = execId("early");
    // The signal is keyed by the execution's id, so it can be created and set before the launch.
    await signals.getOrCreateSignal({ id: signalId(id, "title"), type: T.str() });
    await setSignal(signals, id, "title", str("ready"));
    await launch(h!.admin, wf.id!, "early");
    await waitForPhase(h!.admin, id, ["SUCCEEDED"]);
    expect(lines("early", "n0")).toEqual(["N n0 QUEUED", "N n0 SUCCEEDED"]);
    expect((await h!.admin.getExecutionData({ id })).fullOutputs?.literals.o0).toEqual(str("ready"));
  });

  it("keeps waiting through a SetSignal of the wrong type; answers SetSignal as FlyteAdmin does", async () => {
    const { signals } = await start({ signalPollMs: 50 });
    const wf = await signalWorkflow("wrong");
    const id = await launch(h!.admin, wf.id!, "wrong");
    await waitForLine("wrong", "N n0 RUNNING");

    const wrongType = await failure(setSignal(signals, id, "title", intLiteral(3)));
    expect(wrongType.code).toBe("InvalidArgument");
    expect(wrongType.message).toMatch(/^requested signal value \[scalar:\{primitive:\{integer:3\}\}\] is not castable to existing signal type \[/);
    const unknown = await failure(setSignal(signals, id, "nosuch", str("x")));
    expect(unknown).toEqual({ code: "InvalidArgument", message: `failed to validate that signal [{{flytesnacks development wrong} nosuch}] exists, err: [signal does not exist]` });

    // Several polls later the gate is still waiting.
    const rounds = h!.events.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(h!.events.length).toBe(rounds);
    expect((await nodeClosure(id, "n0")).phase).toBe(NodeExecution_Phase.RUNNING);

    await setSignal(signals, id, "title", str("right"));
    await waitForPhase(h!.admin, id, ["SUCCEEDED"]);
    expect((await h!.admin.getExecutionData({ id })).fullOutputs?.literals.o0).toEqual(str("right"));
    // A second value is stored (FlyteAdmin overwrites) and changes nothing that ran.
    await setSignal(signals, id, "title", str("late"));
    expect((await signals.listSignals({ workflowExecutionId: id, limit: 10 })).signals[0]?.value).toEqual(str("late"));
    expect(lines("wrong", "n0")).toEqual(["N n0 QUEUED", "N n0 RUNNING", "N n0 SUCCEEDED"]);
    expect((await h!.admin.getExecutionData({ id })).fullOutputs?.literals.o0).toEqual(str("right"));
  });

  it("a signal of an execution the engine does not run is stored and wakes nothing", async () => {
    const { signals } = await start();
    const id = execId("ghost");
    await signals.getOrCreateSignal({ id: signalId(id, "title"), type: T.str() });
    await setSignal(signals, id, "title", str("boo"));
    expect((await signals.listSignals({ workflowExecutionId: id, limit: 10 })).signals[0]?.value).toEqual(str("boo"));
    // The engine is still healthy: an execution launched afterwards runs.
    const wf = await signalWorkflow("after");
    const other = await launch(h!.admin, wf.id!, "after");
    await waitForLine("after", "N n0 RUNNING");
    await setSignal(signals, other, "title", str("fine"));
    await waitForPhase(h!.admin, other, ["SUCCEEDED"]);
    expect(eventLines(h!.events, "ghost")).toEqual([]);
  });

  it("finds a value set without a notification (another replica) at its next poll", async () => {
    await start({ signalPollMs: 100 });
    const wf = await signalWorkflow("polled");
    const id = await launch(h!.admin, wf.id!, "polled");
    await waitForLine("polled", "N n0 RUNNING");
    // Straight into the store: nothing tells the engine.
    await h!.store.signals.setValue({ project: id.project, domain: id.domain, name: id.name, signalId: "title" }, str("quiet"));
    await waitForPhase(h!.admin, id, ["SUCCEEDED"]);
    expect((await h!.admin.getExecutionData({ id })).fullOutputs?.literals.o0).toEqual(str("quiet"));
  });

  it("fails the node when its signal id is taken by a signal of another type", async () => {
    const { signals } = await start();
    const wf = await signalWorkflow("taken");
    const id = execId("taken");
    await signals.getOrCreateSignal({ id: signalId(id, "title"), type: T.int() });
    await launch(h!.admin, wf.id!, "taken");
    await waitForPhase(h!.admin, id, ["FAILED"]);
    const closure = await nodeClosure(id, "n0");
    expect(closure.phase).toBe(NodeExecution_Phase.FAILED);
    expect(closure.outputResult.value).toMatchObject({ kind: Kind.USER, code: "SignalUnavailable" });
    expect((closure.outputResult.value as { message: string }).message).toContain("gate node [n0] cannot wait for signal [title] of type [simple:STRING]");
    expect(lines("taken", "n0")).toEqual(["N n0 QUEUED", "N n0 FAILED"]);
  });
});

describe("approve gates", () => {
  it("true passes the held-back value on", async () => {
    const { signals } = await start();
    const wf = await approveWorkflow("yes");
    const id = await launch(h!.admin, wf.id!, "yes", literals({ x: intLiteral(7) }));
    await waitForLine("yes", "N n1 RUNNING");
    const listed = await signals.listSignals({ workflowExecutionId: id, limit: 10 });
    expect(listed.signals.map((s) => [s.id?.signalId, s.type])).toEqual([["review", T.bool()]]);
    await setSignal(signals, id, "review", bool(true));
    await waitForPhase(h!.admin, id, ["SUCCEEDED"]);
    expect((await h!.admin.getExecutionData({ id })).fullOutputs?.literals.o0).toEqual(intLiteral(7));
    expect(lines("yes", "n1")).toEqual(["N n1 QUEUED", "N n1 RUNNING", "N n1 SUCCEEDED"]);
    const data = await h!.admin.getNodeExecutionData({ id: { executionId: id, nodeId: "n1" } });
    expect(data.fullOutputs?.literals).toEqual(data.fullInputs?.literals);
  });

  it("false fails the node ReceivedRejectSignal and the workflow with it", async () => {
    const { signals } = await start();
    const wf = await approveWorkflow("no");
    const id = await launch(h!.admin, wf.id!, "no", literals({ x: intLiteral(7) }));
    await waitForLine("no", "N n1 RUNNING");
    await setSignal(signals, id, "review", bool(false));
    const e = await waitForPhase(h!.admin, id, ["FAILED"]);
    const rejected = { kind: Kind.USER, code: "ReceivedRejectSignal", message: "received a reject signal to disapprove the node input values" };
    expect((await nodeClosure(id, "n1")).outputResult.value).toMatchObject(rejected);
    expect(e.closure?.outputResult.value).toMatchObject(rejected);
    expect(lines("no").slice(-4)).toEqual(["N n1 RUNNING", "N n1 FAILED", "WF FAILING", "WF FAILED"]);
  });

  it("a value that is not a boolean fails the node RuntimeExecutionError", async () => {
    await start();
    const wf = await approveWorkflow("odd");
    const id = await launch(h!.admin, wf.id!, "odd", literals({ x: intLiteral(7) }));
    await waitForLine("odd", "N n1 RUNNING");
    // SetSignal refuses it (not castable to BOOLEAN); a value stored by other means still ends the wait.
    await h!.store.signals.setValue({ project: id.project, domain: id.domain, name: id.name, signalId: "review" }, intLiteral(1));
    h!.engine.executor.signalled?.(id);
    await waitForPhase(h!.admin, id, ["FAILED"]);
    expect((await nodeClosure(id, "n1")).outputResult.value).toMatchObject({
      kind: Kind.UNKNOWN,
      code: "RuntimeExecutionError",
      message: "received a non-boolean approve signal value [scalar:{primitive:{integer:1}}]",
    });
  });
});

describe("sleep gates", () => {
  it("succeeds once its duration has passed, without outputs", async () => {
    await start();
    const t = taskOfType("echo", "wf.nap.t", { x: T.int() }, { o0: T.int() });
    const wf = workflow("wf.nap", {
      inputs: { x: T.int() },
      outputs: { o0: T.int() },
      nodes: [sleepNode("n0", 1.2), taskNode("n1", t, { inputs: { x: promise("", "x") }, upstream: ["n0"] })],
      outputBindings: { o0: promise("n1", "o0") },
    });
    await registerTasks(h!.admin, t);
    await registerWorkflow(h!.admin, wf);
    const id = await launch(h!.admin, wf.id!, "nap", literals({ x: intLiteral(2) }));
    await waitForPhase(h!.admin, id, ["SUCCEEDED"]);
    expect(lines("nap", "n0")).toEqual(["N n0 QUEUED", "N n0 RUNNING", "N n0 SUCCEEDED"]);
    const queued = nodeEvent("nap", "n0", NodeExecution_Phase.QUEUED)!;
    const done = nodeEvent("nap", "n0", NodeExecution_Phase.SUCCEEDED)!;
    expect(done.outputResult.case).toBeUndefined();
    expect(timestampMs(done.occurredAt!) - timestampMs(queued.occurredAt!)).toBeGreaterThanOrEqual(1200);
    // n1 started only after the sleep.
    const n1 = nodeEvent("nap", "n1", NodeExecution_Phase.QUEUED)!;
    expect(timestampMs(n1.occurredAt!)).toBeGreaterThanOrEqual(timestampMs(done.occurredAt!));
    expect((await h!.admin.getExecutionData({ id })).fullOutputs?.literals.o0).toEqual(intLiteral(2));
  });

  it("a zero sleep succeeds at its first look", async () => {
    await start();
    const wf = workflow("wf.nonap", { nodes: [sleepNode("n0", 0)] });
    await registerWorkflow(h!.admin, wf);
    const id = await launch(h!.admin, wf.id!, "nonap");
    await waitForPhase(h!.admin, id, ["SUCCEEDED"]);
    expect(lines("nonap", "n0")).toEqual(["N n0 QUEUED", "N n0 SUCCEEDED"]);
  });
});

describe("gates and the rest of the engine", () => {
  it("a gate past its timeout fails RetriesExhausted|TimeoutExpired, woken at the deadline", async () => {
    await start();
    const wf = await signalWorkflow("late", (n) => withTimeout(n, 1));
    const id = await launch(h!.admin, wf.id!, "late");
    const e = await waitForPhase(h!.admin, id, ["FAILED"]);
    const expected = { kind: Kind.USER, code: "RetriesExhausted|TimeoutExpired", message: "[1/1] currentAttempt done. Last Error: USER::task execution timeout [1s] expired" };
    expect((await nodeClosure(id, "n0")).outputResult.value).toMatchObject(expected);
    expect(e.closure?.outputResult.value).toMatchObject(expected);
    expect(lines("late")).toEqual(["WF RUNNING", "N start-node SUCCEEDED", "N n0 QUEUED", "N n0 RUNNING", "N n0 FAILED", "WF FAILING", "WF FAILED"]);
    const running = nodeEvent("late", "n0", NodeExecution_Phase.RUNNING)!;
    const failed = nodeEvent("late", "n0", NodeExecution_Phase.FAILED)!;
    expect(timestampMs(failed.occurredAt!) - timestampMs(running.occurredAt!)).toBeGreaterThan(1000);
  });

  it("a sleep longer than its timeout fails at the timeout", async () => {
    await start();
    const wf = workflow("wf.oversleep", { nodes: [withTimeout(sleepNode("n0", 60), 1)] });
    await registerWorkflow(h!.admin, wf);
    const id = await launch(h!.admin, wf.id!, "oversleep");
    await waitForPhase(h!.admin, id, ["FAILED"]);
    expect((await nodeClosure(id, "n0")).outputResult.value).toMatchObject({ code: "RetriesExhausted|TimeoutExpired" });
  });

  it("TerminateExecution while a gate waits aborts it", async () => {
    await start();
    const wf = await signalWorkflow("stop");
    const id = await launch(h!.admin, wf.id!, "stop");
    await waitForLine("stop", "N n0 RUNNING");
    await h!.admin.terminateExecution({ id, cause: "no answer" });
    const e = await waitForPhase(h!.admin, id, ["ABORTED"]);
    expect(e.closure?.outputResult).toMatchObject({ case: "abortMetadata", value: { cause: "no answer" } });
    expect(lines("stop").slice(-2)).toEqual(["N n0 ABORTED", "WF ABORTED"]);
    expect(nodeEvent("stop", "n0", NodeExecution_Phase.ABORTED)!.outputResult).toMatchObject({ case: "error", value: { code: "NodeAborted", message: "Workflow aborted." } });
    expect(h!.events.filter((r) => r.refused)).toEqual([]);
  });

  it("a gate waiting across an engine restart is released by SetSignal to the new engine", async () => {
    const { signals } = await start();
    const wf = await signalWorkflow("again");
    const id = await launch(h!.admin, wf.id!, "again");
    await waitForLine("again", "N n0 RUNNING");
    await h!.restart();
    await setSignal(signals, id, "title", str("back"));
    await waitForPhase(h!.admin, id, ["SUCCEEDED"]);
    expect((await h!.admin.getExecutionData({ id })).fullOutputs?.literals.o0).toEqual(str("back"));
    const accepted = eventLines(h!.events, "again").filter((l) => !l.endsWith("!AlreadyExists"));
    expect(accepted.filter((l) => l.startsWith("N n0 "))).toEqual(["N n0 QUEUED", "N n0 RUNNING", "N n0 SUCCEEDED"]);
    expect(h!.events.filter((r) => r.refused && r.refused !== "AlreadyExists")).toEqual([]);
  });
});
