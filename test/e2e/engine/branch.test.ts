import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NodeExecution } from "../../../gen/flyteidl/admin/node_execution_pb.js";
import type { WorkflowExecutionIdentifier } from "../../../gen/flyteidl/core/identifier_pb.js";
import { ExecutionError_ErrorKind as ErrorKind, NodeExecution_Phase as NodePhase, TaskExecution_Phase as TaskPhase, WorkflowExecution_Phase as WfPhase } from "../../../gen/flyteidl/core/execution_pb.js";
import { nodeUniqueId } from "../../../src/engine/local/ids.js";
import { type EngineServer, registerEngineWorkflows, startEngineServer } from "../../fixtures/engine/engine-server.js";
import { errorOf, execError, launch, lit, metadataPrefix, nodeOf, nodesById, outputsOf, outputUri, primitive, readLiteralMap, taskAttempts, waitForTerminal } from "../../fixtures/engine/executions.js";
import { findFlytekit, SKIP_MESSAGE } from "../../fixtures/engine/flytekit-kit.js";
import { expectNoLeftovers, expectNoRefusedEvents, expectTaskNodeOrder, killLeftoverTasks, workflowEventPhases } from "../../fixtures/engine/invariants.js";

/**
 * engine-spec §10 scenario 12: flytekit `conditional`s (branches.py) run by
 * the local engine. sign_wf (if x > 0 / elif x < 0 / else, its output read by
 * the next node) and positive_only_wf (`.else_().fail(...)`) for x = 5, -1, 0;
 * nested_wf (a conditional inside a conditional, conjunctions) for one x.
 */
const kit = findFlytekit();
const VERSION = "v1";
let h: EngineServer;
const ids: Record<string, WorkflowExecutionIdentifier> = {};
const XS = [5, -1, 0] as const;

/** A node's children through the API (ListNodeExecutions with unique_parent_id). */
async function childrenOf(id: WorkflowExecutionIdentifier, parent: string): Promise<NodeExecution[]> {
  const res = await h.admin.listNodeExecutions({ workflowExecutionId: id, uniqueParentId: parent, limit: 100 });
  return res.nodeExecutions;
}

describe.skipIf(!kit)(`local engine: branch nodes (flytekit conditional) ${kit ? "" : SKIP_MESSAGE}`, () => {
  beforeAll(async () => {
    h = await startEngineServer(kit!);
    await registerEngineWorkflows(kit!, h, VERSION, ["branches"]);
    for (const x of XS) {
      ids[`sign${x}`] = await launch(h, "branches.sign_wf", { version: VERSION, inputs: { x: lit.int(x) } });
      ids[`pos${x}`] = await launch(h, "branches.positive_only_wf", { version: VERSION, inputs: { x: lit.int(x) } });
    }
    ids.nested = await launch(h, "branches.nested_wf", { version: VERSION, inputs: { x: lit.int(5) } });
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    if (h) killLeftoverTasks(h);
    if (h && !process.env.E2E_KEEP) h.remove();
  });

  it.each([
    [5, "n0-n0", "positive", "5 is positive"],
    [-1, "n0-n1", "negative", "-1 is negative"],
    [0, "n0-n2", "zero", "0 is zero"],
  ])("sign_wf(x = %i) runs %s (%s) as the branch's child; the next node reads the branch's output", async (x, spec, task, said) => {
    const id = ids[`sign${x}`]!;
    const exec = await waitForTerminal(h.admin, id);
    expect(execError(exec)?.message ?? "", "the execution's error").toBe("");
    expect(exec.closure?.phase).toBe(WfPhase.SUCCEEDED);
    expect(primitive((await outputsOf(h.admin, id)).o0)).toBe(`${said.toUpperCase()}!`);

    // Top level: the branch n0 and the node after it; the chosen node only below the branch.
    const top = await nodesById(h.admin, id);
    expect(Object.keys(top).sort()).toEqual(["end-node", "n0", "n1", "start-node"]);
    const m = metadataPrefix(h, id.name);
    const branch = top.n0!;
    expect(branch.closure?.phase).toBe(NodePhase.SUCCEEDED);
    expect(branch.metadata?.specNodeId).toBe("n0");
    expect(branch.metadata?.isParentNode).toBe(false);
    expect(branch.inputUri).toBe(`${m}/n0/data/inputs.pb`);
    // The branch's inputs are its condition's variables, named "<node id>.<var>" by flytekit ("" for a workflow input).
    expect(Object.keys(readLiteralMap(branch.inputUri).literals)).toEqual([".x"]);
    expect(primitive(readLiteralMap(branch.inputUri).literals[".x"])).toBe(x);
    expect(outputUri(branch)).toBe(`${m}/n0/data/0/outputs.pb`);
    expect(primitive(readLiteralMap(outputUri(branch)).literals.o0)).toBe(said);

    const uniqueId = `n0-0-${spec}`;
    const children = await childrenOf(id, "n0");
    expect(children.map((c) => c.id?.nodeId)).toEqual([uniqueId]);
    const child = await nodeOf(h.admin, id, uniqueId);
    expect(child.closure?.phase).toBe(NodePhase.SUCCEEDED);
    expect(child.metadata?.specNodeId).toBe(spec);
    expect(child.metadata?.retryGroup).toBe("0");
    expect(child.inputUri).toBe(`${m}/n0/data/0/${spec}/inputs.pb`);
    expect(outputUri(child)).toBe(`${m}/n0/data/0/${spec}/0/outputs.pb`);
    const attempts = await taskAttempts(h.admin, id, uniqueId);
    expect(attempts.map((t) => [t.id?.taskId?.name, t.closure?.phase])).toEqual([[`engine_e2e.branches.${task}`, TaskPhase.SUCCEEDED]]);
    expectTaskNodeOrder(child, attempts);

    // The untaken nodes left no trace: no node executions, no processes.
    const untaken = ["n0-n0", "n0-n1", "n0-n2"].filter((s) => s !== spec);
    for (const s of untaken) await expect(nodeOf(h.admin, id, `n0-0-${s}`)).rejects.toThrow(/not.?found/i);
    const marks = await expectNoLeftovers(h, id.name);
    expect(marks.map((mk) => mk.tag).sort()).toEqual([task, "shout"].sort());
    expect(workflowEventPhases(h, id.name)).toEqual(["RUNNING", "SUCCEEDING", "SUCCEEDED"]);
  }, 120_000);

  it("positive_only_wf(x = 5) doubles: the then-node ran as the branch's child", async () => {
    const id = ids.pos5!;
    const exec = await waitForTerminal(h.admin, id);
    expect(exec.closure?.phase).toBe(WfPhase.SUCCEEDED);
    expect(primitive((await outputsOf(h.admin, id)).o0)).toBe(10);
    expect((await childrenOf(id, "n0")).map((c) => [c.id?.nodeId, c.metadata?.specNodeId, c.closure?.phase])).toEqual([["n0-0-n0-n0", "n0-n0", NodePhase.SUCCEEDED]]);
    await expectNoLeftovers(h, id.name);
  }, 120_000);

  it.each([-1, 0])("positive_only_wf(x = %i) fails with the user's message (else_fail): UserProvidedError, no child", async (x) => {
    const id = ids[`pos${x}`]!;
    const exec = await waitForTerminal(h.admin, id);
    expect(exec.closure?.phase).toBe(WfPhase.FAILED);
    const expected = { kind: ErrorKind.USER, code: "UserProvidedError", message: "[UserProvidedError] x must be positive" };
    expect(execError(exec)).toMatchObject(expected);
    const branch = await nodeOf(h.admin, id, "n0");
    expect(branch.closure?.phase).toBe(NodePhase.FAILED);
    expect(errorOf(branch)).toMatchObject(expected);
    expect(await childrenOf(id, "n0")).toEqual([]);
    expect(Object.keys(await nodesById(h.admin, id)).sort()).toEqual(["n0", "start-node"]);
    expect(await expectNoLeftovers(h, id.name)).toEqual([]);
    expect(workflowEventPhases(h, id.name)).toEqual(["RUNNING", "FAILING", "FAILED"]);
  }, 120_000);

  it("nested_wf(x = 5) runs the inner conditional as the outer one's child, and its then-node below that", async () => {
    const id = ids.nested!;
    const exec = await waitForTerminal(h.admin, id);
    expect(execError(exec)?.message ?? "", "the execution's error").toBe("");
    expect(primitive((await outputsOf(h.admin, id)).o0)).toBe("5 is small");
    const inner = nodeUniqueId({ uniqueId: "n0", attempt: 0 }, "n0-n0");
    const leaf = nodeUniqueId({ uniqueId: inner, attempt: 0 }, "n0-n0-n0");
    expect(inner).toBe("n0-0-n0-n0");
    const [innerNode] = await childrenOf(id, "n0");
    expect([innerNode?.id?.nodeId, innerNode?.metadata?.specNodeId, innerNode?.closure?.phase]).toEqual([inner, "n0-n0", NodePhase.SUCCEEDED]);
    const [leafNode] = await childrenOf(id, inner);
    expect([leafNode?.id?.nodeId, leafNode?.metadata?.specNodeId, leafNode?.closure?.phase]).toEqual([leaf, "n0-n0-n0", NodePhase.SUCCEEDED]);
    expect(leafNode?.inputUri).toBe(`${metadataPrefix(h, id.name)}/n0/data/0/n0-n0/0/n0-n0-n0/inputs.pb`);
    const marks = await expectNoLeftovers(h, id.name);
    expect(marks.map((mk) => mk.tag)).toEqual(["small"]);
    await expectNoRefusedEvents(h);
  }, 120_000);
});
