import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ExecutionError_ErrorKind as Kind, NodeExecution_Phase, TaskExecution_Phase } from "../../../gen/flyteidl/core/execution_pb.js";
import type { NodeExecutionEvent } from "../../../gen/flyteidl/event/event_pb.js";
import { createEchoPlugin } from "../../../src/engine/local/echo-plugin.js";
import { promise, T, taskNode, workflow } from "../../fixtures/flyte-builders.js";
import { eventLines, type Harness, intLiteral, launch, literals, registerTasks, registerWorkflow, startHarness, taskOfType, waitForPhase } from "./harness.js";
import { createScriptedPlugin, type ScriptedPlugin } from "./scripted-plugin.js";

let h: Harness;
let plugin: ScriptedPlugin;
beforeEach(async () => {
  plugin = createScriptedPlugin();
  h = await startHarness({ plugins: [createEchoPlugin(), plugin] });
});
afterEach(() => h.close());

/** Runs `wf(x) = n0: t(x)` with a scripted task and returns the execution once it ended. */
async function runOne(name: string, script: string, retries = 0) {
  const t = taskOfType("scripted", `wf.${name}_t`, { x: T.int() }, { o0: T.int() }, { config: { script }, retries });
  const wf = workflow(`wf.${name}`, {
    inputs: { x: T.int() },
    outputs: { o0: T.int() },
    nodes: [taskNode("n0", t, { inputs: { x: promise("", "x") } })],
    outputBindings: { o0: promise("n0", "o0") },
  });
  await registerTasks(h.admin, t);
  await registerWorkflow(h.admin, wf);
  const id = await launch(h.admin, wf.id!, name, literals({ x: intLiteral(3) }));
  const execution = await waitForPhase(h.admin, id);
  const tasks = await h.admin.listTaskExecutions({ nodeExecutionId: { executionId: id, nodeId: "n0" }, limit: 20 });
  const node = await h.admin.getNodeExecution({ id: { executionId: id, nodeId: "n0" } });
  return { id, execution, tasks: tasks.taskExecutions.sort((a, b) => a.id!.retryAttempt - b.id!.retryAttempt), node, lines: eventLines(h.events, name) };
}

const nodeError = (r: Awaited<ReturnType<typeof runOne>>) => (r.node.closure?.outputResult.case === "error" ? r.node.closure.outputResult.value : undefined);

describe("task failures and retries (engine-spec §2.5, §6.2)", () => {
  it("does not retry a permanent user failure", async () => {
    const r = await runOne("user", "user", 2);
    expect(r.tasks.map((t) => TaskExecution_Phase[t.closure!.phase])).toEqual(["FAILED"]);
    expect(nodeError(r)).toMatchObject({ code: "USER:RuntimeError", kind: Kind.USER, message: "boom in attempt 0" });
    expect(r.execution.closure?.outputResult.case).toBe("error");
    expect(r.lines).toEqual([
      "WF RUNNING",
      "N start-node SUCCEEDED",
      "N n0 QUEUED",
      "T n0#0 QUEUED v0",
      "N n0 RUNNING",
      "T n0#0 RUNNING v0",
      "T n0#0 FAILED v0",
      "N n0 FAILED",
      "WF FAILING",
      "WF FAILED",
    ]);
  });

  it("retries recoverable failures and succeeds, with one output dir per attempt", async () => {
    const r = await runOne("recover", "recoverable,recoverable,success", 2);
    expect(r.tasks.map((t) => TaskExecution_Phase[t.closure!.phase])).toEqual(["FAILED", "FAILED", "SUCCEEDED"]);
    expect(r.tasks.map((t) => t.closure?.outputResult.case === "outputUri" && t.closure.outputResult.value.replace(/.*\/n0\//, ""))).toEqual([
      false,
      false,
      "data/2/outputs.pb",
    ]);
    const nodeLines = r.lines.filter((l) => l.startsWith("N n0"));
    expect(nodeLines).toEqual(["N n0 QUEUED", "N n0 RUNNING", "N n0 SUCCEEDED"]);
    expect(r.lines.filter((l) => l.startsWith("T n0"))).toEqual([
      "T n0#0 QUEUED v0",
      "T n0#0 RUNNING v0",
      "T n0#0 FAILED v0",
      "T n0#1 QUEUED v0",
      "T n0#1 RUNNING v0",
      "T n0#1 FAILED v0",
      "T n0#2 QUEUED v0",
      "T n0#2 RUNNING v0",
      "T n0#2 SUCCEEDED v0",
    ]);
    expect(plugin.started).toEqual(["recover-n0-0", "recover-n0-1", "recover-n0-2"]);
    expect(r.execution.closure?.phase).toBe(4);
    // The retried attempts name the previous attempt's checkpoint.
    const done = h.events.find((e) => e.kind === "node" && e.event.id?.nodeId === "n0" && e.event.phase === NodeExecution_Phase.SUCCEEDED)!.event as NodeExecutionEvent;
    expect(done.targetMetadata.value).toMatchObject({ checkpointUri: expect.stringMatching(/\/recover-n0-2\/_flytecheckpoints$/) });
  });

  it("fails with RetriesExhausted once the user budget is spent", async () => {
    const r = await runOne("exhaust", "recoverable", 1);
    expect(r.tasks.map((t) => TaskExecution_Phase[t.closure!.phase])).toEqual(["FAILED", "FAILED"]);
    expect(nodeError(r)).toMatchObject({
      kind: Kind.USER,
      code: "RetriesExhausted|USER:Recoverable",
      message: "[2/2] currentAttempt done. Last Error: USER::try again (attempt 1)",
    });
    const wfError = r.execution.closure?.outputResult.case === "error" ? r.execution.closure.outputResult.value : undefined;
    expect(wfError?.code).toBe("RetriesExhausted|USER:Recoverable");
  });

  it("gives SYSTEM failures a budget of three retries of their own", async () => {
    const r = await runOne("system", "system", 0);
    expect(r.tasks.map((t) => TaskExecution_Phase[t.closure!.phase])).toEqual(["FAILED", "FAILED", "FAILED", "FAILED"]);
    expect(nodeError(r)).toMatchObject({
      kind: Kind.USER,
      code: "RetriesExhausted|LocalProcessLost",
      message: "[3/3] currentAttempt done. Last Error: SYSTEM::lost attempt 3",
    });
  });

  it("does not spend user retries on SYSTEM failures", async () => {
    const r = await runOne("mixed", "system,recoverable,system,success", 1);
    expect(r.tasks.map((t) => TaskExecution_Phase[t.closure!.phase])).toEqual(["FAILED", "FAILED", "FAILED", "SUCCEEDED"]);
    expect(r.execution.closure?.phase).toBe(4);
  });

  it("retries a missing outputs file and then reports it", async () => {
    const r = await runOne("noout", "nooutputs", 0);
    expect(nodeError(r)).toMatchObject({
      code: "RetriesExhausted|OutputsNotFound",
      message: "[1/1] currentAttempt done. Last Error: UNKNOWN::Outputs not generated by task execution",
    });
  });

  it("fails outputs of the wrong type permanently, naming the variable", async () => {
    const r = await runOne("badout", "badoutputs", 3);
    expect(r.tasks).toHaveLength(1);
    expect(nodeError(r)).toMatchObject({ kind: Kind.USER, code: "OutputsMismatch" });
    expect(nodeError(r)?.message).toContain("output [o0]");
  });

  it("survives a plugin that throws: the round is retried", async () => {
    const r = await runOne("throws", "throwonce", 0);
    expect(r.execution.closure?.phase).toBe(4);
    expect(r.tasks.map((t) => TaskExecution_Phase[t.closure!.phase])).toEqual(["SUCCEEDED"]);
    expect(plugin.thrown.size).toBe(1);
  });
});
