import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NodeExecution } from "../../../gen/flyteidl/admin/node_execution_pb.js";
import type { WorkflowExecutionIdentifier } from "../../../gen/flyteidl/core/identifier_pb.js";
import {
  ExecutionError_ErrorKind as ErrorKind,
  NodeExecution_Phase as NodePhase,
  TaskExecution_Phase as TaskPhase,
  WorkflowExecution_Phase as WfPhase,
} from "../../../gen/flyteidl/core/execution_pb.js";
import { type EngineServer, registerEngineWorkflows, startEngineServer } from "../../fixtures/engine/engine-server.js";
import {
  errorOf,
  execError,
  launch,
  metadataPrefix,
  nodeOf,
  nodesById,
  outputsOf,
  outputUri,
  primitive,
  taskAttempts,
  waitForTerminal,
} from "../../fixtures/engine/executions.js";
import { findFlytekit, SKIP_MESSAGE } from "../../fixtures/engine/flytekit-kit.js";
import { expectNoLeftovers, expectNoRefusedEvents, expectTaskNodeOrder, killLeftoverTasks, workflowEventPhases } from "../../fixtures/engine/invariants.js";

/**
 * engine-spec §10 scenario 13: flytekit subworkflows (engine_e2e/subwf.py)
 * run under their node — children `n0-0-…` listed by their parent, outputs
 * passed on, an inner failure failing the node and the workflow — plus a
 * subworkflow inside a subworkflow and a subworkflow with its own on_failure.
 */
const kit = findFlytekit();
const VERSION = "v1";
let h: EngineServer;
const ids: Record<string, WorkflowExecutionIdentifier> = {};
const WORKFLOWS = ["subwf_wf", "subwf_fail_wf", "nested_subwf_wf", "subwf_guarded_wf"] as const;

/** The node executions under `parent` (ListNodeExecutions with unique_parent_id), by node id. */
async function childrenOf(id: WorkflowExecutionIdentifier, parent: string): Promise<Record<string, NodeExecution>> {
  const res = await h.admin.listNodeExecutions({ workflowExecutionId: id, uniqueParentId: parent, limit: 100 });
  return Object.fromEntries(res.nodeExecutions.map((n) => [n.id!.nodeId, n]));
}

const phases = (nodes: Record<string, NodeExecution>) => Object.fromEntries(Object.entries(nodes).map(([k, n]) => [k, NodePhase[n.closure!.phase]]));

describe.skipIf(!kit)(`local engine: subworkflows ${kit ? "" : SKIP_MESSAGE}`, () => {
  beforeAll(async () => {
    h = await startEngineServer(kit!);
    await registerEngineWorkflows(kit!, h, VERSION, ["subwf"]);
    for (const wf of WORKFLOWS) ids[wf] = await launch(h, `subwf.${wf}`, { version: VERSION });
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    if (h) killLeftoverTasks(h);
    if (h && !process.env.E2E_KEEP) h.remove();
  });

  it("runs the subworkflow under its node: is_parent, children n0-0-…, outputs passed on (scenario 13)", async () => {
    const id = ids.subwf_wf!;
    const exec = await waitForTerminal(h.admin, id);
    expect(execError(exec)?.message ?? "").toBe("");
    expect(exec.closure?.phase).toBe(WfPhase.SUCCEEDED);
    // (3 + 1) * 2 inside, + 10 after it.
    expect(primitive((await outputsOf(h.admin, id)).o0)).toBe(18);
    expect(workflowEventPhases(h, id.name)).toEqual(["RUNNING", "SUCCEEDING", "SUCCEEDED"]);

    const M = metadataPrefix(h, id.name);
    const top = await nodesById(h.admin, id);
    expect(Object.keys(top).sort()).toEqual(["end-node", "n0", "n1", "start-node"]);
    const n0 = top.n0!;
    expect(n0.closure?.phase).toBe(NodePhase.SUCCEEDED);
    expect(n0.metadata?.isParentNode).toBe(true);
    expect(n0.metadata?.specNodeId).toBe("n0");
    expect(n0.inputUri).toBe(`${M}/n0/data/inputs.pb`);
    expect(outputUri(n0)).toBe(`${M}/n0/data/0/outputs.pb`);
    const data = await h.admin.getNodeExecutionData({ id: { executionId: id, nodeId: "n0" } });
    expect(primitive(data.fullInputs?.literals.x)).toBe(3);
    expect(primitive(data.fullOutputs?.literals.o0)).toBe(8);
    expect(top.n1!.metadata?.isParentNode).toBe(false);

    const children = await childrenOf(id, "n0");
    expect(phases(children)).toEqual({ "n0-0-start-node": "SUCCEEDED", "n0-0-n0": "SUCCEEDED", "n0-0-n1": "SUCCEEDED", "n0-0-end-node": "SUCCEEDED" });
    for (const [nodeId, child] of Object.entries(children)) {
      expect(child.metadata?.retryGroup, nodeId).toBe("0");
      expect(child.metadata?.specNodeId, nodeId).toBe(nodeId.slice("n0-0-".length));
      expect(child.metadata?.isParentNode, nodeId).toBe(false);
    }
    expect(outputUri(children["n0-0-start-node"]!)).toBe(`${M}/n0/data/0/start-node/0/outputs.pb`);
    expect(children["n0-0-n0"]!.inputUri).toBe(`${M}/n0/data/0/n0/inputs.pb`);
    expect(outputUri(children["n0-0-n1"]!)).toBe(`${M}/n0/data/0/n1/0/outputs.pb`);
    // The inner tasks' attempts belong to the children's unique ids.
    for (const nodeId of ["n0-0-n0", "n0-0-n1"]) {
      const attempts = await taskAttempts(h.admin, id, nodeId);
      expect(attempts.map((t) => t.closure?.phase), nodeId).toEqual([TaskPhase.SUCCEEDED]);
      expectTaskNodeOrder(children[nodeId]!, attempts);
    }
    // The subworkflow node's first event came before its children's, its last after theirs.
    const created = (n: NodeExecution) => Number(n.closure?.createdAt?.seconds ?? 0n) * 1000 + (n.closure?.createdAt?.nanos ?? 0) / 1e6;
    const updated = (n: NodeExecution) => Number(n.closure?.updatedAt?.seconds ?? 0n) * 1000 + (n.closure?.updatedAt?.nanos ?? 0) / 1e6;
    for (const child of Object.values(children)) {
      expect(created(child)).toBeGreaterThanOrEqual(created(n0));
      expect(updated(n0)).toBeGreaterThanOrEqual(updated(child));
    }
    const marks = await expectNoLeftovers(h, id.name);
    expect(marks.map((m) => m.tag).sort()).toEqual(["add-3-1", "add-8-10", "twice-4"]);
  }, 90_000);

  it("a failing inner task fails the subworkflow node and the workflow with its error (scenario 13)", async () => {
    const id = ids.subwf_fail_wf!;
    const exec = await waitForTerminal(h.admin, id);
    expect(exec.closure?.phase).toBe(WfPhase.FAILED);
    const inner = await nodeOf(h.admin, id, "n0-0-n0");
    expect(inner.closure?.phase).toBe(NodePhase.FAILED);
    const innerError = errorOf(inner)!;
    expect([innerError.code, innerError.kind]).toEqual(["USER:RuntimeError", ErrorKind.USER]);
    expect(innerError.message).toContain("negative input -1 to the subworkflow");
    const n0 = await nodeOf(h.admin, id, "n0");
    expect(n0.closure?.phase).toBe(NodePhase.FAILED);
    expect(errorOf(n0)).toMatchObject({ code: innerError.code, kind: innerError.kind, message: innerError.message });
    expect(execError(exec)).toMatchObject({ code: innerError.code, kind: ErrorKind.USER });
    expect(execError(exec)?.message).toContain("negative input -1 to the subworkflow");
    expect(workflowEventPhases(h, id.name)).toEqual(["RUNNING", "FAILING", "FAILED"]);
    expect(phases(await childrenOf(id, "n0"))).toEqual({ "n0-0-start-node": "SUCCEEDED", "n0-0-n0": "FAILED" });
    expect(phases(await nodesById(h.admin, id))).toEqual({ "start-node": "SUCCEEDED", n0: "FAILED" });
    await expectNoLeftovers(h, id.name);
  }, 90_000);

  it("runs a subworkflow inside a subworkflow: grandchildren n0-0-n0-0-…", async () => {
    const id = ids.nested_subwf_wf!;
    const exec = await waitForTerminal(h.admin, id);
    expect(execError(exec)?.message ?? "").toBe("");
    expect(exec.closure?.phase).toBe(WfPhase.SUCCEEDED);
    expect(primitive((await outputsOf(h.admin, id)).o0)).toBe(6);
    const middle = await childrenOf(id, "n0");
    expect(phases(middle)).toEqual({ "n0-0-start-node": "SUCCEEDED", "n0-0-n0": "SUCCEEDED", "n0-0-end-node": "SUCCEEDED" });
    expect(middle["n0-0-n0"]!.metadata?.isParentNode).toBe(true);
    const inner = await childrenOf(id, "n0-0-n0");
    expect(phases(inner)).toEqual({
      "n0-0-n0-0-start-node": "SUCCEEDED",
      "n0-0-n0-0-n0": "SUCCEEDED",
      "n0-0-n0-0-n1": "SUCCEEDED",
      "n0-0-n0-0-end-node": "SUCCEEDED",
    });
    const M = metadataPrefix(h, id.name);
    expect(inner["n0-0-n0-0-n1"]!.inputUri).toBe(`${M}/n0/data/0/n0/0/n1/inputs.pb`);
    await expectNoLeftovers(h, id.name);
  }, 90_000);

  it("a subworkflow's own on_failure handler runs with the error, then the node fails with the original error", async () => {
    const id = ids.subwf_guarded_wf!;
    const exec = await waitForTerminal(h.admin, id);
    expect(exec.closure?.phase).toBe(WfPhase.FAILED);
    // The handler raises when it got no error, which would have replaced the workflow's error.
    expect(execError(exec)?.code).toBe("USER:RuntimeError");
    expect(execError(exec)?.message).toContain("negative input -2 to the subworkflow");
    const children = await childrenOf(id, "n0");
    expect(phases(children)).toEqual({ "n0-0-start-node": "SUCCEEDED", "n0-0-n0": "FAILED", "n0-0-fn0": "SUCCEEDED" });
    const data = await h.admin.getNodeExecutionData({ id: { executionId: id, nodeId: "n0-0-fn0" } });
    const err = data.fullInputs?.literals.err;
    expect(err?.value.case === "scalar" && err.value.value.value.case === "union" ? err.value.value.value.value.value?.value : undefined).toMatchObject({
      case: "scalar",
      value: { value: { case: "error", value: { failedNodeId: "fn0" } } },
    });
    const marks = await expectNoLeftovers(h, id.name);
    expect(marks.map((m) => m.tag).sort()).toEqual(["inner_handler--2", "must_be_positive--2"]);
    await expectNoRefusedEvents(h);
  }, 90_000);
});
