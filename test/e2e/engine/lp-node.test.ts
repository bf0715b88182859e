import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExecutionMetadata_ExecutionMode as Mode } from "../../../gen/flyteidl/admin/execution_pb.js";
import type { WorkflowExecutionIdentifier } from "../../../gen/flyteidl/core/identifier_pb.js";
import { ExecutionError_ErrorKind as ErrorKind, NodeExecution_Phase as NodePhase, WorkflowExecution_Phase as WfPhase } from "../../../gen/flyteidl/core/execution_pb.js";
import { DOMAIN, type EngineServer, PROJECT, registerEngineWorkflows, startEngineServer } from "../../fixtures/engine/engine-server.js";
import { errorOf, execError, execId, launch, lit, metadataPrefix, nodeOf, nodesById, outputsOf, outputUri, primitive, uniqueName, waitForTerminal, waitUntil } from "../../fixtures/engine/executions.js";
import { childExecutionName } from "../../fixtures/engine/expected-names.js";
import { findFlytekit, SKIP_MESSAGE } from "../../fixtures/engine/flytekit-kit.js";
import { expectNoLeftovers, expectNoRefusedEvents, killLeftoverTasks, workflowEventPhases } from "../../fixtures/engine/invariants.js";
import { readMarks } from "../../fixtures/engine/marks.js";

/**
 * engine-spec §10 scenario 14: flytekit workflows that call other workflows'
 * launch plans (`LaunchPlan.get_or_create(...)(...)` inside a @workflow), run
 * by the real server. The three parents are launched together up front.
 */
const kit = findFlytekit();
const VERSION = "v1";
let h: EngineServer;
const ids: Record<string, WorkflowExecutionIdentifier> = {};
const childOf = (parent: WorkflowExecutionIdentifier) => execId(childExecutionName(parent.name, "n0", 0));

describe.skipIf(!kit)(`local engine: launch-plan nodes ${kit ? "" : SKIP_MESSAGE}`, () => {
  beforeAll(async () => {
    h = await startEngineServer(kit!, { taskSlots: 3, gracePeriodMs: 3000 });
    await registerEngineWorkflows(kit!, h, VERSION, ["lp_node"]);
    ids.ok = await launch(h, "lp_node.parent_wf", { version: VERSION, name: uniqueName("lpok"), inputs: { x: lit.int(5) } });
    ids.failing = await launch(h, "lp_node.failing_parent_wf", { version: VERSION, name: uniqueName("lpfail") });
    ids.napping = await launch(h, "lp_node.napping_parent_wf", { version: VERSION, name: uniqueName("lpnap"), inputs: { secs: lit.int(60) } });
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    if (h) killLeftoverTasks(h);
    if (h && !process.env.E2E_KEEP) h.remove();
  });

  it("runs the called launch plan as a child execution linked to the node, and passes its outputs on", async () => {
    const id = ids.ok!;
    const exec = await waitForTerminal(h.admin, id);
    expect(execError(exec)?.message ?? "").toBe("");
    expect(exec.closure?.phase).toBe(WfPhase.SUCCEEDED);
    // double(double(5)): once in the child, once in the parent.
    expect(primitive((await outputsOf(h.admin, id)).o0)).toBe(20);

    const child = childOf(id);
    const c = await h.admin.getExecution({ id: child });
    expect(c.closure?.phase).toBe(WfPhase.SUCCEEDED);
    expect(c.spec?.launchPlan).toMatchObject({ project: PROJECT, domain: DOMAIN, name: "engine_e2e.lp_node.child_lp", version: VERSION });
    expect(c.spec?.metadata).toMatchObject({ mode: Mode.CHILD_WORKFLOW, nesting: 1, parentNodeExecution: { executionId: { name: id.name }, nodeId: "n0" } });
    expect(primitive((await outputsOf(h.admin, child)).o0)).toBe(10);
    expect(workflowEventPhases(h, child.name)).toEqual(["RUNNING", "SUCCEEDING", "SUCCEEDED"]);

    const nodes = await nodesById(h.admin, id);
    expect(Object.keys(nodes).sort()).toEqual(["end-node", "n0", "n1", "start-node"]);
    const n0 = nodes.n0!;
    expect(n0.closure?.phase).toBe(NodePhase.SUCCEEDED);
    expect(n0.closure?.targetMetadata.case).toBe("workflowNodeMetadata");
    expect(n0.closure?.targetMetadata.case === "workflowNodeMetadata" && n0.closure.targetMetadata.value.executionId?.name).toBe(child.name);
    const M = metadataPrefix(h, id.name);
    expect(n0.inputUri).toBe(`${M}/n0/data/inputs.pb`);
    expect(outputUri(n0)).toBe(`${M}/n0/data/0/outputs.pb`);
    expect(primitive((await h.admin.getNodeExecutionData({ id: { executionId: id, nodeId: "n0" } })).fullOutputs?.literals.o0)).toBe(10);
    // The child has no node of its own in the parent: its nodes are its own execution's.
    expect(Object.keys(await nodesById(h.admin, child)).sort()).toEqual(["end-node", "n0", "start-node"]);

    // The child's task ran as the child execution, with the parent's envs.
    const [mark] = await expectNoLeftovers(h, child.name);
    expect(mark!.env).toMatchObject({ FLYTE_INTERNAL_EXECUTION_ID: child.name, FLYTE_INTERNAL_TASK_NAME: "engine_e2e.lp_node.double", E2E_MARK_DIR: h.markDir });
    await expectNoLeftovers(h, id.name);
  }, 120_000);

  it("a failing child fails the node and the parent with the child's error", async () => {
    const id = ids.failing!;
    const exec = await waitForTerminal(h.admin, id);
    expect(exec.closure?.phase).toBe(WfPhase.FAILED);
    const child = childOf(id);
    const c = await h.admin.getExecution({ id: child });
    expect(c.closure?.phase).toBe(WfPhase.FAILED);
    expect(c.spec?.launchPlan?.name).toBe("engine_e2e.lp_node.failing_child_wf");
    const childError = execError(c)!;
    expect([childError.code, childError.kind]).toEqual(["USER:RuntimeError", ErrorKind.USER]);
    expect(childError.message).toContain("the child cannot take 7");

    const n0 = await nodeOf(h.admin, id, "n0");
    expect(n0.closure?.phase).toBe(NodePhase.FAILED);
    expect(errorOf(n0)).toMatchObject({ code: childError.code, kind: childError.kind, message: childError.message });
    expect(execError(exec)).toMatchObject({ code: childError.code, kind: childError.kind, message: childError.message });
    expect(workflowEventPhases(h, id.name)).toEqual(["RUNNING", "FAILING", "FAILED"]);
    await expectNoLeftovers(h, child.name);
  }, 120_000);

  it("terminating the parent terminates the child (cascading abort) and its task", async () => {
    const id = ids.napping!;
    const child = childOf(id);
    await waitUntil("the child's task to start", () => readMarks(h.markDir, child.name).length > 0, 90_000);
    await h.admin.terminateExecution({ id, cause: "stop the family" });
    const exec = await waitForTerminal(h.admin, id, 60_000);
    expect(exec.closure?.phase).toBe(WfPhase.ABORTED);
    const n0 = await nodeOf(h.admin, id, "n0");
    expect(n0.closure?.phase).toBe(NodePhase.ABORTED);
    expect(errorOf(n0)).toMatchObject({ code: "NodeAborted", message: "Workflow aborted." });

    const c = await waitForTerminal(h.admin, child, 60_000);
    expect(c.closure?.phase).toBe(WfPhase.ABORTED);
    expect(c.closure?.outputResult.case === "abortMetadata" && c.closure.outputResult.value.cause).toBe(
      `cascading abort as parent execution id [${id.name}] aborted, reason [Workflow aborted.]`,
    );
    expect((await nodeOf(h.admin, child, "n0")).closure?.phase).toBe(NodePhase.ABORTED);
    // The child's sleeping task was stopped, never finishing.
    const marks = await expectNoLeftovers(h, child.name);
    expect(marks.map((m) => m.end)).toEqual([null]);
    await expectNoRefusedEvents(h);
  }, 150_000);
});
