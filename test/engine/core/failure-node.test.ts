import { create } from "@bufbuild/protobuf";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ExecutionError_ErrorKind as Kind, NodeExecution_Phase } from "../../../gen/flyteidl/core/execution_pb.js";
import { BindingDataSchema, LiteralMapSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import { LiteralTypeSchema, SimpleType } from "../../../gen/flyteidl/core/types_pb.js";
import type { TaskTemplate } from "../../../gen/flyteidl/core/tasks_pb.js";
import { createEchoPlugin } from "../../../src/engine/local/echo-plugin.js";
import { promise, subWorkflowNode, T, taskNode, workflow } from "../../fixtures/flyte-builders.js";
import { eventLines, type Harness, intLiteral, launch, literals, registerTasks, registerWorkflow, startHarness, taskOfType, waitFor, waitForPhase } from "./harness.js";
import { createScriptedPlugin, type ScriptedPlugin } from "./scripted-plugin.js";

/**
 * Top-level failure nodes (engine-spec §2.2, §6.6): after the workflow failed
 * and its running nodes were aborted, `fn0` runs with the error as `err`; the
 * workflow then fails with the original error, or with the handler's own.
 */
let h: Harness;
let plugin: ScriptedPlugin;
beforeEach(async () => {
  plugin = createScriptedPlugin();
  h = await startHarness({ plugins: [createEchoPlugin(), plugin] });
});
afterEach(() => h.close());

const scripted = (name: string, script: string) => taskOfType("scripted", name, { x: T.int() }, { o0: T.int() }, { config: { script } });
const errType = create(LiteralTypeSchema, { type: { case: "simple", value: SimpleType.ERROR } });
const none = create(BindingDataSchema, { value: { case: "scalar", value: { value: { case: "noneType", value: {} } } } });
const handlerTask = (name: string, script: string, retries?: number) =>
  taskOfType("scripted", name, { x: T.int(), err: T.union(errType, T.none()) }, {}, { config: { script }, ...(retries !== undefined ? { retries } : {}) });
const handlerNode = (t: TaskTemplate) => taskNode("fn0", t, { inputs: { x: promise("", "x"), err: none }, name: "on_failure" });

const phaseOf = async (id: Awaited<ReturnType<typeof launch>>, nodeId: string) => {
  const n = await h.admin.getNodeExecution({ id: { executionId: id, nodeId } });
  return NodeExecution_Phase[n.closure!.phase];
};

describe("top-level failure node (engine-spec §6.6)", () => {
  it("waits for a retried failure handler instead of leaving it half done", async () => {
    const bad = scripted("fn.bad1", "user");
    const handler = handlerTask("fn.handler1", "recoverable,success", 1);
    const wf = workflow("fn.retried", { inputs: { x: T.int() }, nodes: [taskNode("n0", bad, { inputs: { x: promise("", "x") } })], failureNode: handlerNode(handler) });
    await registerTasks(h.admin, bad, handler);
    await registerWorkflow(h.admin, wf);
    const id = await launch(h.admin, wf.id!, "fnretry", literals({ x: intLiteral(1) }));
    const e = await waitForPhase(h.admin, id, ["FAILED"]);
    expect(e.closure?.outputResult.value).toMatchObject({ kind: Kind.USER, code: "USER:RuntimeError", message: "boom in attempt 0" });
    const lines = eventLines(h.events, "fnretry");
    expect(lines.slice(lines.indexOf("WF FAILING !AlreadyExists"))).toEqual([
      "WF FAILING !AlreadyExists",
      "N fn0 QUEUED",
      "T fn0#0 QUEUED v0",
      "N fn0 RUNNING",
      "T fn0#0 RUNNING v0",
      "T fn0#0 FAILED v0",
      "T fn0#1 QUEUED v0",
      "T fn0#1 RUNNING v0",
      "T fn0#1 SUCCEEDED v0",
      "N fn0 SUCCEEDED",
      "WF FAILED",
    ]);
    expect(await phaseOf(id, "fn0")).toBe("SUCCEEDED");
  });

  it("fails the workflow with the handler's own error when the handler fails", async () => {
    const bad = scripted("fn.bad2", "user");
    const handler = handlerTask("fn.handler2", "recoverable");
    const wf = workflow("fn.broken", { inputs: { x: T.int() }, nodes: [taskNode("n0", bad, { inputs: { x: promise("", "x") } })], failureNode: handlerNode(handler) });
    await registerTasks(h.admin, bad, handler);
    await registerWorkflow(h.admin, wf);
    const id = await launch(h.admin, wf.id!, "fnbroken", literals({ x: intLiteral(1) }));
    const e = await waitForPhase(h.admin, id, ["FAILED"]);
    expect(e.closure?.outputResult.value).toMatchObject({ kind: Kind.USER, code: "RetriesExhausted|USER:Recoverable" });
    expect(eventLines(h.events, "fnbroken").slice(-3)).toEqual(["T fn0#0 FAILED v0", "N fn0 FAILED", "WF FAILED"]);
  });

  it("aborts the running handler when the execution is terminated", async () => {
    const bad = scripted("fn.bad3", "user");
    const handler = handlerTask("fn.handler3", "hang");
    const wf = workflow("fn.hanging", { inputs: { x: T.int() }, nodes: [taskNode("n0", bad, { inputs: { x: promise("", "x") } })], failureNode: handlerNode(handler) });
    await registerTasks(h.admin, bad, handler);
    await registerWorkflow(h.admin, wf);
    const id = await launch(h.admin, wf.id!, "fnterm", literals({ x: intLiteral(1) }));
    await waitFor("the handler to run", () => (eventLines(h.events, "fnterm").includes("T fn0#0 RUNNING v0") ? true : undefined));
    await h.admin.terminateExecution({ id, cause: "enough" });
    await waitForPhase(h.admin, id, ["ABORTED"]);
    expect(eventLines(h.events, "fnterm").slice(-3)).toEqual(["T fn0#0 ABORTED v0", "N fn0 ABORTED", "WF ABORTED"]);
    expect(plugin.aborted).toEqual(["fnterm-fn0-0"]);
  });

  it("hands a failed subworkflow's error to the workflow's failure node", async () => {
    const bad = scripted("fn.bad4", "user");
    const handler = handlerTask("fn.handler4", "success");
    const inner = workflow("fn.inner", { inputs: { x: T.int() }, nodes: [taskNode("n0", bad, { inputs: { x: promise("", "x") } })] });
    const wf = workflow("fn.outer", {
      inputs: { x: T.int() },
      nodes: [subWorkflowNode("n0", inner, { inputs: { x: promise("", "x") } })],
      failureNode: handlerNode(handler),
    });
    await registerTasks(h.admin, bad, handler);
    await registerWorkflow(h.admin, wf, [inner]);
    const id = await launch(h.admin, wf.id!, "fnsub", literals({ x: intLiteral(1) }));
    const e = await waitForPhase(h.admin, id, ["FAILED"]);
    expect(e.closure?.outputResult.value).toMatchObject({ kind: Kind.USER, code: "USER:RuntimeError", message: "boom in attempt 0" });
    const lines = eventLines(h.events, "fnsub");
    expect(lines.slice(lines.indexOf("N n0-0-n0 FAILED"), lines.indexOf("N fn0 QUEUED") + 1)).toEqual([
      "N n0-0-n0 FAILED",
      "N n0 FAILED",
      "WF FAILING",
      "WF FAILING !AlreadyExists",
      "N fn0 QUEUED",
    ]);
    expect(lines.at(-1)).toBe("WF FAILED");
    const inputs = await h.blobs.getMessage("metadata/propeller/flytesnacks-development-fnsub/fn0/data/inputs.pb", LiteralMapSchema);
    expect(inputs?.literals.err?.value).toMatchObject({
      case: "scalar",
      value: { value: { case: "union", value: { value: { value: { case: "scalar", value: { value: { case: "error", value: { failedNodeId: "fn0", message: "boom in attempt 0" } } } } } } } },
    });
  });
});
