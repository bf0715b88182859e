import { create } from "@bufbuild/protobuf";
import { DurationSchema } from "@bufbuild/protobuf/wkt";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ExecutionError_ErrorKind as Kind, NodeExecution_Phase, TaskExecution_Phase } from "../../../gen/flyteidl/core/execution_pb.js";
import { BindingDataSchema, LiteralMapSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import { LiteralTypeSchema, SimpleType } from "../../../gen/flyteidl/core/types_pb.js";
import { WorkflowMetadata_OnFailurePolicy } from "../../../gen/flyteidl/core/workflow_pb.js";
import type { NodeExecutionEvent, TaskExecutionEvent } from "../../../gen/flyteidl/event/event_pb.js";
import { createEchoPlugin } from "../../../src/engine/local/echo-plugin.js";
import { promise, T, taskNode, workflow } from "../../fixtures/flyte-builders.js";
import { failure } from "../../helpers/rpc-failure.js";
import { eventLines, type Harness, intLiteral, launch, literals, registerTasks, registerWorkflow, startHarness, taskOfType, waitFor, waitForPhase } from "./harness.js";
import { createScriptedPlugin, type ScriptedPlugin } from "./scripted-plugin.js";

let h: Harness;
let plugin: ScriptedPlugin;
beforeEach(async () => {
  plugin = createScriptedPlugin();
  h = await startHarness({ plugins: [createEchoPlugin(), plugin] });
});
afterEach(() => h.close());

const scripted = (name: string, script: string, retries = 0) =>
  taskOfType("scripted", `wf.${name}`, { x: T.int() }, { o0: T.int() }, { config: { script }, retries });

describe("timeouts (engine-spec §6.3)", () => {
  it("aborts an attempt past its execution deadline and fails the node when no retry is left", async () => {
    const t = scripted("sleepy", "hang");
    const n0 = taskNode("n0", t, { inputs: { x: promise("", "x") } });
    n0.metadata!.timeout = create(DurationSchema, { seconds: 1n });
    const wf = workflow("wf.timeout", { inputs: { x: T.int() }, nodes: [n0] });
    await registerTasks(h.admin, t);
    await registerWorkflow(h.admin, wf);
    const id = await launch(h.admin, wf.id!, "timeout", literals({ x: intLiteral(1) }));
    await waitForPhase(h.admin, id, ["FAILED"]);
    const node = await h.admin.getNodeExecution({ id: { executionId: id, nodeId: "n0" } });
    expect(node.closure?.outputResult.value).toMatchObject({
      kind: Kind.USER,
      code: "RetriesExhausted|TimeoutExpired",
      message: "[1/1] currentAttempt done. Last Error: USER::task execution timeout [1s] expired",
    });
    const lines = eventLines(h.events, "timeout");
    expect(lines.slice(lines.indexOf("N n0 FAILED"))).toEqual(["N n0 FAILED", "T n0#0 ABORTED v0", "WF FAILING", "WF FAILED"]);
    expect(plugin.aborted).toEqual(["timeout-n0-0"]);
    const tasks = await h.admin.listTaskExecutions({ nodeExecutionId: { executionId: id, nodeId: "n0" }, limit: 10 });
    expect(tasks.taskExecutions.map((x) => TaskExecution_Phase[x.closure!.phase])).toEqual(["ABORTED"]);
  });

  it("retries a timed-out attempt, and times the node out at twice its timeout", async () => {
    const t = scripted("sleepy2", "hang", 5);
    const n0 = taskNode("n0", t, { inputs: { x: promise("", "x") } });
    n0.metadata!.timeout = create(DurationSchema, { seconds: 1n });
    const wf = workflow("wf.timeout2", { inputs: { x: T.int() }, nodes: [n0] });
    await registerTasks(h.admin, t);
    await registerWorkflow(h.admin, wf);
    const id = await launch(h.admin, wf.id!, "timeout2", literals({ x: intLiteral(1) }));
    const e = await waitForPhase(h.admin, id, ["FAILED"]);
    expect(e.closure?.outputResult.value).toMatchObject({ kind: Kind.USER, code: "Timeout", message: "Timeout in node" });
    const lines = eventLines(h.events, "timeout2");
    expect(lines).toContain("T n0#0 ABORTED v0");
    expect(lines).toContain("T n0#1 QUEUED v0");
    expect(lines).toContain("N n0 TIMED_OUT");
    expect(plugin.aborted).toEqual(["timeout2-n0-0", "timeout2-n0-1"]);
  });
});

describe("TerminateExecution (engine-spec §2.6)", () => {
  it("aborts the running task and node, reports ABORTED and keeps the cause", async () => {
    const t = scripted("forever", "hang");
    const wf = workflow("wf.term", { inputs: { x: T.int() }, nodes: [taskNode("n0", t, { inputs: { x: promise("", "x") } })] });
    await registerTasks(h.admin, t);
    await registerWorkflow(h.admin, wf);
    const id = await launch(h.admin, wf.id!, "term", literals({ x: intLiteral(1) }));
    await waitFor("the task to run", () => (plugin.running > 0 ? true : undefined));
    await h.admin.terminateExecution({ id, cause: "enough of that" });
    const e = await waitForPhase(h.admin, id, ["ABORTED"]);
    expect(e.closure?.outputResult).toMatchObject({ case: "abortMetadata", value: { cause: "enough of that" } });
    const lines = eventLines(h.events, "term");
    expect(lines.slice(-3)).toEqual(["T n0#0 ABORTED v0", "N n0 ABORTED", "WF ABORTED"]);
    const aborted = h.events.find((r) => r.kind === "node" && r.event.phase === NodeExecution_Phase.ABORTED)!.event as NodeExecutionEvent;
    expect(aborted.outputResult).toMatchObject({ case: "error", value: { code: "NodeAborted", message: "Workflow aborted." } });
    expect(aborted.eventVersion).toBe(0);
    expect(aborted.inputValue.case).toBeUndefined();
    expect(aborted.specNodeId).toBe("");
    const taskAborted = h.events.find((r) => r.kind === "task" && r.event.phase === TaskExecution_Phase.ABORTED)!.event as TaskExecutionEvent;
    expect(taskAborted.outputResult.case).toBeUndefined();
    expect(taskAborted.reason).toBe("");
    expect(plugin.aborted).toEqual(["term-n0-0"]);
    expect(plugin.running).toBe(0);
    const err = await failure(h.admin.terminateExecution({ id, cause: "again" }));
    expect(err.code).toBe("FailedPrecondition");
    expect(h.events.every((r) => !r.refused)).toBe(true);
    const row = await h.store.engine.get({ project: id.project, domain: id.domain, name: id.name });
    expect(row?.active).toBe(false);
  });

  it("reports ABORTED for an execution the engine never took", async () => {
    const t = scripted("never", "success");
    const wf = workflow("wf.never", { inputs: { x: T.int() }, nodes: [taskNode("n0", t, { inputs: { x: promise("", "x") } })] });
    await registerTasks(h.admin, t);
    await registerWorkflow(h.admin, wf);
    // Launched while the engine cannot take executions (as if created before it was switched on).
    const executor = h.engine.executor;
    const { execute, launched } = executor;
    executor.execute = async () => ({ cluster: "" });
    executor.launched = () => {};
    const id = await launch(h.admin, wf.id!, "never", literals({ x: intLiteral(1) }));
    Object.assign(executor, { execute, launched });
    await h.admin.terminateExecution({ id, cause: "stop" });
    const e = await waitForPhase(h.admin, id, ["ABORTED"]);
    expect(e.closure?.outputResult).toMatchObject({ case: "abortMetadata", value: { cause: "stop" } });
    expect(eventLines(h.events, "never")).toEqual(["WF ABORTED !IncompatibleCluster", "WF ABORTED"]);
  });
});

describe("failure policies (engine-spec §2.2)", () => {
  it("FAIL_IMMEDIATELY aborts the nodes still running", async () => {
    const bad = scripted("bad", "user");
    const slow = scripted("slow", "hang");
    const wf = workflow("wf.immediate", {
      inputs: { x: T.int() },
      nodes: [taskNode("n0", bad, { inputs: { x: promise("", "x") } }), taskNode("n1", slow, { inputs: { x: promise("", "x") } })],
    });
    await registerTasks(h.admin, bad, slow);
    await registerWorkflow(h.admin, wf);
    const id = await launch(h.admin, wf.id!, "immediate", literals({ x: intLiteral(1) }));
    await waitForPhase(h.admin, id, ["FAILED"]);
    const n1 = h.events.find((r) => r.kind === "node" && r.event.id?.nodeId === "n1" && r.event.phase === NodeExecution_Phase.ABORTED)?.event as NodeExecutionEvent;
    expect(n1.outputResult.value).toMatchObject({ code: "NodeAborted", message: "Some node execution failed, auto-abort." });
    expect(plugin.aborted).toEqual(["immediate-n1-0"]);
  });

  it("FAIL_AFTER_EXECUTABLE_NODES_COMPLETE runs what can run and skips what depends on the failure", async () => {
    const bad = scripted("bad2", "user");
    const ok = scripted("ok2", "success:100");
    const after = scripted("after2", "success");
    const wf = workflow("wf.after", {
      inputs: { x: T.int() },
      nodes: [
        taskNode("n0", bad, { inputs: { x: promise("", "x") } }),
        taskNode("n1", ok, { inputs: { x: promise("", "x") } }),
        taskNode("n2", after, { inputs: { x: promise("n0", "o0") } }),
      ],
    });
    wf.metadata!.onFailure = WorkflowMetadata_OnFailurePolicy.FAIL_AFTER_EXECUTABLE_NODES_COMPLETE;
    await registerTasks(h.admin, bad, ok, after);
    await registerWorkflow(h.admin, wf);
    const id = await launch(h.admin, wf.id!, "after", literals({ x: intLiteral(1) }));
    const e = await waitForPhase(h.admin, id, ["FAILED"]);
    expect(e.closure?.outputResult.value).toMatchObject({ code: "USER:RuntimeError" });
    const phases = Object.fromEntries(
      (await h.admin.listNodeExecutions({ workflowExecutionId: id, limit: 10 })).nodeExecutions.map((n) => [n.id!.nodeId, NodeExecution_Phase[n.closure!.phase]]),
    );
    expect(phases).toMatchObject({ n0: "FAILED", n1: "SUCCEEDED", n2: "SKIPPED" });
    expect(plugin.aborted).toEqual([]);
  });

  it("runs the failure node with the error as its err input, then fails with the original error", async () => {
    const bad = scripted("bad3", "user");
    const errType = create(LiteralTypeSchema, { type: { case: "simple", value: SimpleType.ERROR } });
    const handler = taskOfType("scripted", "wf.on_failure", { x: T.int(), err: T.union(errType, T.none()) }, {}, { config: { script: "success" } });
    const none = create(BindingDataSchema, { value: { case: "scalar", value: { value: { case: "noneType", value: {} } } } });
    const wf = workflow("wf.handled", {
      inputs: { x: T.int() },
      nodes: [taskNode("n0", bad, { inputs: { x: promise("", "x") } })],
      failureNode: taskNode("fn0", handler, { inputs: { x: promise("", "x"), err: none } }),
    });
    await registerTasks(h.admin, bad, handler);
    await registerWorkflow(h.admin, wf);
    const id = await launch(h.admin, wf.id!, "handled", literals({ x: intLiteral(1) }));
    const e = await waitForPhase(h.admin, id, ["FAILED"]);
    expect(e.closure?.outputResult.value).toMatchObject({ code: "USER:RuntimeError", message: "boom in attempt 0" });
    const lines = eventLines(h.events, "handled");
    expect(lines.slice(lines.indexOf("N n0 FAILED"))).toEqual([
      "N n0 FAILED",
      "WF FAILING",
      "WF FAILING !AlreadyExists",
      "N fn0 QUEUED",
      "T fn0#0 QUEUED v0",
      "N fn0 RUNNING",
      "T fn0#0 RUNNING v0",
      "T fn0#0 SUCCEEDED v0",
      "N fn0 SUCCEEDED",
      "WF FAILED",
    ]);
    const inputs = await h.blobs.getMessage("metadata/propeller/flytesnacks-development-handled/fn0/data/inputs.pb", LiteralMapSchema);
    expect(inputs?.literals.err?.value).toMatchObject({
      case: "scalar",
      value: { value: { case: "union", value: { value: { value: { case: "scalar", value: { value: { case: "error", value: { failedNodeId: "fn0", message: "boom in attempt 0" } } } } } } } },
    });
  });
});
