import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { NodeExecution_Phase, TaskExecution_Phase } from "../../../gen/flyteidl/core/execution_pb.js";
import { LiteralMapSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import type { NodeExecutionEvent, TaskExecutionEvent } from "../../../gen/flyteidl/event/event_pb.js";
import { promise, T, taskNode, workflow } from "../../fixtures/flyte-builders.js";
import { eventLines, type Harness, intLiteral, launch, literals, registerTasks, registerWorkflow, startHarness, taskOfType, waitForPhase } from "./harness.js";

/**
 * engine-spec §2.7: `wf(x: int) -> int = n0: t1(x) -> n1: t2(n0.o0)` run by
 * the echo plugin, event for event: ids, uris, order, versions and names.
 */
let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(() => h.close());

const t1 = taskOfType("echo", "wf.t1", { x: T.int() }, { o0: T.int() });
const t2 = taskOfType("echo", "wf.t2", { x: T.int() }, { o0: T.int() });
const wf = workflow("wf.wf", {
  inputs: { x: T.int() },
  outputs: { o0: T.int() },
  nodes: [
    taskNode("n0", t1, { inputs: { x: promise("", "x") }, name: "t1" }),
    taskNode("n1", t2, { inputs: { x: promise("n0", "o0") }, name: "t2" }),
  ],
  outputBindings: { o0: promise("n1", "o0") },
});

describe("the worked example (engine-spec §2.7)", () => {
  it("reports every event in order with propeller's fields", async () => {
    await registerTasks(h.admin, t1, t2);
    await registerWorkflow(h.admin, wf);
    const id = await launch(h.admin, wf.id!, "abc123", literals({ x: intLiteral(7) }));
    await waitForPhase(h.admin, id, ["SUCCEEDED"]);

    expect(eventLines(h.events)).toEqual([
      "WF RUNNING",
      "N start-node SUCCEEDED",
      "N n0 QUEUED",
      "T n0#0 QUEUED v0",
      "N n0 RUNNING",
      "T n0#0 RUNNING v0",
      "T n0#0 SUCCEEDED v0",
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

    const M = `${h.blobs.base}/metadata/propeller/flytesnacks-development-abc123`;
    expect(M).toMatch(/^file:\/\/\/.+\/blobs\/metadata\/propeller\/flytesnacks-development-abc123$/);
    const nodes = h.events.filter((e) => e.kind === "node").map((e) => e.event as NodeExecutionEvent);
    const tasks = h.events.filter((e) => e.kind === "task").map((e) => e.event as TaskExecutionEvent);
    for (const e of [...nodes, ...tasks]) expect(e.producerId).toBe("local");
    for (const e of h.events) if (e.kind === "workflow") expect(e.event.producerId).toBe("local");

    const start = nodes[0]!;
    expect(start.outputResult).toEqual({ case: "outputUri", value: `${M}/start-node/data/0/outputs.pb` });
    expect(start.inputValue.case).toBeUndefined();
    expect(start.eventVersion).toBe(1);
    expect(start.specNodeId).toBe("start-node");

    const n0Queued = nodes.find((e) => e.id?.nodeId === "n0" && e.phase === NodeExecution_Phase.QUEUED)!;
    expect(n0Queued.inputValue).toEqual({ case: "inputUri", value: `${M}/n0/data/inputs.pb` });
    expect(n0Queued.specNodeId).toBe("n0");
    expect(n0Queued.nodeName).toBe("t1");
    expect(n0Queued.eventVersion).toBe(1);
    expect(n0Queued.targetEntity?.name).toBe("wf.t1");
    expect(n0Queued.targetEntity?.version).toBe("v1");
    expect(n0Queued.id?.executionId?.name).toBe("abc123");

    const t0 = tasks.filter((e) => e.parentNodeExecutionId?.nodeId === "n0");
    expect(t0.map((e) => TaskExecution_Phase[e.phase])).toEqual(["QUEUED", "RUNNING", "SUCCEEDED"]);
    for (const e of t0) {
      expect(e.inputValue).toEqual({ case: "inputUri", value: `${M}/n0/data/inputs.pb` });
      expect(e.taskType).toBe("echo");
      expect(e.eventVersion).toBe(1);
      expect(e.metadata?.generatedName).toBe("abc123-n0-0");
      expect(e.metadata?.pluginIdentifier).toBe("echo");
      expect(e.taskId?.name).toBe("wf.t1");
      expect(e.retryAttempt).toBe(0);
    }
    expect(t0[2]!.outputResult).toEqual({ case: "outputUri", value: `${M}/n0/data/0/outputs.pb` });

    const n0Done = nodes.find((e) => e.id?.nodeId === "n0" && e.phase === NodeExecution_Phase.SUCCEEDED)!;
    expect(n0Done.outputResult).toEqual({ case: "outputUri", value: `${M}/n0/data/0/outputs.pb` });
    expect(n0Done.targetMetadata.case).toBe("taskNodeMetadata");
    expect(n0Done.targetMetadata.value).toMatchObject({ checkpointUri: h.blobs.uri("data/0l/abc123-n0-0/_flytecheckpoints") });

    const n1Inputs = await h.blobs.getMessage("metadata/propeller/flytesnacks-development-abc123/n1/data/inputs.pb", LiteralMapSchema);
    expect(n1Inputs?.literals.x).toEqual(intLiteral(7));

    const endQueued = nodes.find((e) => e.id?.nodeId === "end-node" && e.phase === NodeExecution_Phase.QUEUED)!;
    expect(endQueued.inputValue).toEqual({ case: "inputUri", value: `${M}/end-node/data/inputs.pb` });
    const endDone = nodes.find((e) => e.id?.nodeId === "end-node" && e.phase === NodeExecution_Phase.SUCCEEDED)!;
    expect(endDone.outputResult.case).toBeUndefined();

    const wfDone = h.events.at(-1)!;
    expect(wfDone.kind === "workflow" && wfDone.event.outputResult).toEqual({ case: "outputUri", value: `${M}/end-node/data/0/outputs.pb` });
    expect(h.events.every((e) => !e.refused)).toBe(true);

    // Through the API.
    const data = await h.admin.getExecutionData({ id });
    expect(data.fullOutputs?.literals.o0).toEqual(intLiteral(7));
    const list = await h.admin.listNodeExecutions({ workflowExecutionId: id, limit: 100 });
    expect(list.nodeExecutions.map((n) => `${n.id?.nodeId}:${NodeExecution_Phase[n.closure!.phase]}`).sort()).toEqual([
      "end-node:SUCCEEDED",
      "n0:SUCCEEDED",
      "n1:SUCCEEDED",
      "start-node:SUCCEEDED",
    ]);
    const taskList = await h.admin.listTaskExecutions({ nodeExecutionId: { executionId: id, nodeId: "n0" }, limit: 10 });
    expect(taskList.taskExecutions.map((t) => TaskExecution_Phase[t.closure!.phase])).toEqual(["SUCCEEDED"]);
    const row = await h.store.engine.get({ project: "flytesnacks", domain: "development", name: "abc123" });
    expect(row?.active).toBe(false);
  });
});
