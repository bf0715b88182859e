import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExecutionMetadata_ExecutionMode as Mode } from "../../../gen/flyteidl/admin/execution_pb.js";
import { NodeExecution_Phase as NodePhase, TaskExecution_Phase as TaskPhase, WorkflowExecution_Phase as WfPhase } from "../../../gen/flyteidl/core/execution_pb.js";
import { type EngineServer, registerEngineWorkflows, startEngineServer } from "../../fixtures/engine/engine-server.js";
import { errorOf, launch, lit, metadataPrefix, nodeOf, nodesById, outputsOf, outputUri, primitive, taskAttempts, uniqueName, waitForTerminal } from "../../fixtures/engine/executions.js";
import { findFlytekit, SKIP_MESSAGE } from "../../fixtures/engine/flytekit-kit.js";
import { expectNoLeftovers, expectNoRefusedEvents, killLeftoverTasks, workflowEventPhases } from "../../fixtures/engine/invariants.js";

/**
 * engine-spec §10 scenario 19 with the real flytekit: a run of a 3-task chain
 * fails at its last task; RecoverExecution, once the cause is gone, recovers
 * the first two (RECOVERED, same outputs, no process started for them) and
 * runs the third. A dynamic workflow whose third child failed is recovered
 * the same way: its task is not run again and its children keep their ids.
 */
const kit = findFlytekit();
const VERSION = "v1";
let h: EngineServer;

describe.skipIf(!kit)(`local engine: recovery mode ${kit ? "" : SKIP_MESSAGE}`, () => {
  beforeAll(async () => {
    h = await startEngineServer(kit!);
    await registerEngineWorkflows(kit!, h, VERSION, ["recovery"]);
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    if (h) killLeftoverTasks(h);
    if (h && !process.env.E2E_KEEP) h.remove();
  });

  it("recovers the two tasks that succeeded and runs the one that failed (scenario 19)", async () => {
    const marker = join(h.dataDir, "finish-fails");
    writeFileSync(marker, "the finish task fails while this file exists\n");
    const ref = await launch(h, "recovery.recovery_chain_wf", { version: VERSION, inputs: { x: lit.int(1), marker: lit.str(marker) } });
    const failed = await waitForTerminal(h.admin, ref);
    expect(failed.closure?.phase).toBe(WfPhase.FAILED);
    const before = await nodesById(h.admin, ref);
    expect([before.n0?.closure?.phase, before.n1?.closure?.phase, before.n2?.closure?.phase]).toEqual([NodePhase.SUCCEEDED, NodePhase.SUCCEEDED, NodePhase.FAILED]);
    // (Lists cut error messages short: the node itself has the whole message.)
    expect(errorOf(await nodeOf(h.admin, ref, "n2"))?.message).toContain("finish told to fail by");
    await expectNoLeftovers(h, ref.name);

    // The fix.
    rmSync(marker);
    const name = uniqueName("r");
    const { id } = await h.admin.recoverExecution({ id: ref, name });
    const exec = await waitForTerminal(h.admin, id!);
    expect(exec.closure?.phase).toBe(WfPhase.SUCCEEDED);
    expect(exec.spec?.metadata?.mode).toBe(Mode.RECOVERED);
    expect(exec.spec?.metadata?.referenceExecution?.name).toBe(ref.name);
    expect(primitive((await outputsOf(h.admin, id!)).o0)).toBe("finished 3");

    const nodes = await nodesById(h.admin, id!);
    const M = metadataPrefix(h, name);
    for (const n of ["n0", "n1"]) {
      const node = nodes[n]!;
      expect([n, node.closure?.phase]).toEqual([n, NodePhase.RECOVERED]);
      expect(node.inputUri).toBe(`${M}/${n}/data/inputs.pb`);
      expect(outputUri(node)).toBe(`${M}/${n}/data/0/outputs.pb`);
      // The same outputs as the reference's, now in this execution's own folder.
      expect(readFileSync(fileURLToPath(outputUri(node)))).toEqual(readFileSync(fileURLToPath(outputUri(before[n]!))));
      expect(await taskAttempts(h.admin, id!, n)).toEqual([]);
    }
    expect(nodes.n2?.closure?.phase).toBe(NodePhase.SUCCEEDED);
    expect((await taskAttempts(h.admin, id!, "n2")).map((t) => t.closure?.phase)).toEqual([TaskPhase.SUCCEEDED]);
    const n1Outputs = await h.admin.getNodeExecutionData({ id: { executionId: id, nodeId: "n1" } });
    expect(primitive(n1Outputs.fullOutputs?.literals.o0)).toBe(3);

    // Processes: three in the reference, only the third task's in the recovery.
    expect((await expectNoLeftovers(h, ref.name)).map((m) => m.tag)).toEqual(["add_one-1", "add_one-2", "finish"]);
    expect((await expectNoLeftovers(h, name)).map((m) => [m.tag, m.attempt])).toEqual([["finish", 0]]);
    expect(workflowEventPhases(h, name)).toEqual(["RUNNING", "SUCCEEDING", "SUCCEEDED"]);
    await expectNoRefusedEvents(h);
  }, 180_000);

  it("recovers a failed dynamic workflow: the task does not run again, its children keep their ids and those that succeeded are RECOVERED (scenario 19)", async () => {
    const marker = join(h.dataDir, "square-fails");
    writeFileSync(marker, "the third square fails while this file exists\n");
    const ref = await launch(h, "recovery.recovery_dynamic_wf", { version: VERSION, inputs: { n: lit.int(3), marker: lit.str(marker) } });
    expect((await waitForTerminal(h.admin, ref)).closure?.phase).toBe(WfPhase.FAILED);
    const refChildren = await h.admin.listNodeExecutions({ workflowExecutionId: ref, uniqueParentId: "n0", limit: 100 });
    const refPhase = (id: string) => refChildren.nodeExecutions.find((n) => n.id?.nodeId === id)?.closure?.phase;
    expect([refPhase("n0-0-dn0"), refPhase("n0-0-dn1"), refPhase("n0-0-dn2")]).toEqual([NodePhase.SUCCEEDED, NodePhase.SUCCEEDED, NodePhase.FAILED]);
    await expectNoLeftovers(h, ref.name);

    rmSync(marker);
    const name = uniqueName("d");
    const { id } = await h.admin.recoverExecution({ id: ref, name });
    const exec = await waitForTerminal(h.admin, id!);
    expect(exec.closure?.phase).toBe(WfPhase.SUCCEEDED);
    const out = (await outputsOf(h.admin, id!)).o0;
    expect(out?.value.case === "collection" ? out.value.value.literals.map(primitive) : undefined).toEqual([0, 1, 4]);

    const parent = (await nodesById(h.admin, id!)).n0!;
    expect(parent.closure?.phase).toBe(NodePhase.SUCCEEDED);
    expect(parent.metadata?.isDynamic).toBe(true);
    // The parent task never ran again: no task execution, no process.
    expect(await taskAttempts(h.admin, id!, "n0")).toEqual([]);
    const children = await h.admin.listNodeExecutions({ workflowExecutionId: id, uniqueParentId: "n0", limit: 100 });
    const phase = (nodeId: string) => children.nodeExecutions.find((n) => n.id?.nodeId === nodeId)?.closure?.phase;
    expect([phase("n0-0-dn0"), phase("n0-0-dn1"), phase("n0-0-dn2")]).toEqual([NodePhase.RECOVERED, NodePhase.RECOVERED, NodePhase.SUCCEEDED]);
    const served = await h.admin.getDynamicNodeWorkflow({ id: { executionId: id, nodeId: "n0" } });
    expect(served.compiledWorkflow?.primary?.template?.nodes.map((n) => n.id).filter((n) => n.startsWith("dn")).sort()).toEqual(["dn0", "dn1", "dn2"]);

    expect((await expectNoLeftovers(h, ref.name)).map((m) => m.tag).sort()).toEqual(["square_unless-0", "square_unless-1", "square_unless-2", "squares_unless"]);
    expect((await expectNoLeftovers(h, name)).map((m) => m.tag)).toEqual(["square_unless-2"]);
    await expectNoRefusedEvents(h);
  }, 180_000);
});
