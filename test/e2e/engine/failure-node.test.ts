import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WorkflowExecutionIdentifier } from "../../../gen/flyteidl/core/identifier_pb.js";
import {
  ExecutionError_ErrorKind as ErrorKind,
  NodeExecution_Phase as NodePhase,
  TaskExecution_Phase as TaskPhase,
  WorkflowExecution_Phase as WfPhase,
} from "../../../gen/flyteidl/core/execution_pb.js";
import { type EngineServer, registerEngineWorkflows, startEngineServer } from "../../fixtures/engine/engine-server.js";
import { errorOf, execError, launch, lit, metadataPrefix, ms, nodeOf, nodesById, taskAttempts, waitForTerminal } from "../../fixtures/engine/executions.js";
import { findFlytekit, SKIP_MESSAGE } from "../../fixtures/engine/flytekit-kit.js";
import { eventCounts, expectNoLeftovers, expectNoRefusedEvents, expectTaskNodeOrder, killLeftoverTasks, workflowEventPhases } from "../../fixtures/engine/invariants.js";

/**
 * engine-spec §10 scenario 24 (engine_e2e/failure_node.py): a workflow with
 * `on_failure=clean_up` fails; the handler runs as node fn0 with the error as
 * its `err` input; the workflow reports FAILING twice (the second absorbed by
 * admin), then FAILED with the original error. A workflow as the handler
 * runs as a subworkflow node fn0 that passes `err` on to its task.
 */
const kit = findFlytekit();
const VERSION = "v1";
let h: EngineServer;
let id: WorkflowExecutionIdentifier;
let viaWorkflow: WorkflowExecutionIdentifier;

describe.skipIf(!kit)(`local engine: failure node ${kit ? "" : SKIP_MESSAGE}`, () => {
  beforeAll(async () => {
    h = await startEngineServer(kit!);
    await registerEngineWorkflows(kit!, h, VERSION, ["failure_node"]);
    id = await launch(h, "failure_node.on_failure_wf", { version: VERSION, inputs: { name: lit.str("e2e") } });
    viaWorkflow = await launch(h, "failure_node.on_failure_subwf_wf", { version: VERSION, inputs: { name: lit.str("wf") } });
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    if (h) killLeftoverTasks(h);
    if (h && !process.env.E2E_KEEP) h.remove();
  });

  it("runs the on_failure handler with the error as err, then fails with the original error (scenario 24)", async () => {
    const exec = await waitForTerminal(h.admin, id);
    expect(exec.closure?.phase).toBe(WfPhase.FAILED);
    const n0 = await nodeOf(h.admin, id, "n0");
    expect(n0.closure?.phase).toBe(NodePhase.FAILED);
    const original = errorOf(n0)!;
    expect([original.code, original.kind]).toEqual(["USER:RuntimeError", ErrorKind.USER]);
    expect(original.message).toContain("broken on purpose for e2e");
    // The handler raises when its err input lacks that message: its own failure would have replaced the workflow's error.
    expect(execError(exec)).toMatchObject({ code: original.code, kind: ErrorKind.USER, message: original.message });

    // The handler is the top-level node fn0, with the workflow's inputs and the error.
    const nodes = await nodesById(h.admin, id);
    expect(Object.fromEntries(Object.entries(nodes).map(([k, n]) => [k, NodePhase[n.closure!.phase]]))).toEqual({
      "start-node": "SUCCEEDED",
      n0: "FAILED",
      fn0: "SUCCEEDED",
    });
    const fn0 = nodes.fn0!;
    expect(fn0.metadata?.specNodeId).toBe("fn0");
    expect(fn0.inputUri).toBe(`${metadataPrefix(h, id.name)}/fn0/data/inputs.pb`);
    const data = await h.admin.getNodeExecutionData({ id: { executionId: id, nodeId: "fn0" } });
    expect(data.fullInputs?.literals.name).toEqual(lit.str("e2e"));
    const err = data.fullInputs?.literals.err;
    const union = err?.value.case === "scalar" && err.value.value.value.case === "union" ? err.value.value.value.value : undefined;
    expect(union?.type?.structure?.tag).toBe("FlyteError");
    expect(union?.value?.value).toMatchObject({ case: "scalar", value: { value: { case: "error", value: { failedNodeId: "fn0", message: original.message } } } });
    const attempts = await taskAttempts(h.admin, id, "fn0");
    expect(attempts.map((t) => t.closure?.phase)).toEqual([TaskPhase.SUCCEEDED]);
    expectTaskNodeOrder(fn0, attempts);
    // The handler started after the failed node ended.
    expect(ms(fn0.closure?.createdAt)).toBeGreaterThanOrEqual(ms(n0.closure?.updatedAt));

    // FAILING was reported twice: admin kept the first and answered the second AlreadyExists.
    expect(workflowEventPhases(h, id.name)).toEqual(["RUNNING", "FAILING", "FAILED"]);
    expect((await eventCounts(h))["refused/workflow/already_exists"]).toBeGreaterThanOrEqual(1);
    const marks = await expectNoLeftovers(h, id.name);
    expect(marks.map((m) => m.tag).sort()).toEqual(["breaks", "clean_up"]);
  }, 90_000);

  it("runs a workflow given as on_failure as a subworkflow node, its task getting the error", async () => {
    const exec = await waitForTerminal(h.admin, viaWorkflow);
    expect(exec.closure?.phase).toBe(WfPhase.FAILED);
    expect(execError(exec)?.code).toBe("USER:RuntimeError");
    expect(execError(exec)?.message).toContain("broken on purpose for wf");
    const nodes = await nodesById(h.admin, viaWorkflow);
    expect(Object.fromEntries(Object.entries(nodes).map(([k, n]) => [k, NodePhase[n.closure!.phase]]))).toEqual({
      "start-node": "SUCCEEDED",
      n0: "FAILED",
      fn0: "SUCCEEDED",
    });
    expect(nodes.fn0!.metadata?.isParentNode).toBe(true);
    const children = await h.admin.listNodeExecutions({ workflowExecutionId: viaWorkflow, uniqueParentId: "fn0", limit: 10 });
    expect(children.nodeExecutions.map((n) => [n.id?.nodeId, NodePhase[n.closure!.phase]]).sort()).toEqual([
      ["fn0-0-end-node", "SUCCEEDED"],
      ["fn0-0-n0", "SUCCEEDED"],
      ["fn0-0-start-node", "SUCCEEDED"],
    ]);
    // The clean_up task inside raises unless its err input holds the workflow's error.
    const data = await h.admin.getNodeExecutionData({ id: { executionId: viaWorkflow, nodeId: "fn0-0-n0" } });
    const err = data.fullInputs?.literals.err;
    const union = err?.value.case === "scalar" && err.value.value.value.case === "union" ? err.value.value.value.value : undefined;
    expect(union?.value?.value).toMatchObject({ case: "scalar", value: { value: { case: "error", value: { failedNodeId: "fn0" } } } });
    const marks = await expectNoLeftovers(h, viaWorkflow.name);
    expect(marks.map((m) => m.tag).sort()).toEqual(["breaks", "clean_up"]);
  }, 90_000);

  it("admin refused none of the engine's events but the repeated FAILING", async () => {
    await waitForTerminal(h.admin, id);
    await waitForTerminal(h.admin, viaWorkflow);
    expect((await eventCounts(h))["refused/workflow/already_exists"]).toBe(2);
    await expectNoRefusedEvents(h);
  });
});
