import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeExecution_Phase as NodePhase, TaskExecution_Phase as TaskPhase } from "../../gen/flyteidl/core/execution_pb.js";
import { ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import { LiteralMapSchema } from "../../gen/flyteidl/core/literals_pb.js";
import type { App } from "../../src/app.js";
import { inMemoryAdmin } from "../helpers/app.js";
import { loadFlytekitPackage, registerPackage } from "../fixtures/flytekit.js";

/** Offloaded inputs and outputs of ids holding "/" or named like the execution's own files keep their own blobs. */
const P = "flytesnacks";
const D = "development";
const exec = { project: P, domain: D, name: "keys1" };
const at = (s: number) => timestampFromDate(new Date(Date.parse("2026-02-01T00:00:00Z") + s * 1000));
const str = (v: string) =>
  create(LiteralMapSchema, { literals: { o: { value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "stringValue", value: v } } } } } } } });
let app: App;
let admin: Awaited<ReturnType<typeof inMemoryAdmin>>["admin"];

beforeAll(async () => {
  ({ app, admin } = await inMemoryAdmin());
  await admin.registerProject({ project: { id: P, name: P } });
  const pkg = loadFlytekitPackage("hello", P, D, "v1");
  await registerPackage(admin, pkg);
  await admin.createExecution({ ...exec, spec: { launchPlan: pkg.launchPlans[0]!.id }, inputs: {} });
});
afterAll(() => app.close());

const node = (nodeId: string, phase: NodePhase, s: number, extra: Record<string, unknown> = {}) =>
  admin.createNodeEvent({ event: { id: { nodeId, executionId: exec }, phase, occurredAt: at(s), producerId: "propeller", specNodeId: nodeId, ...extra } });

describe("offloaded data keys", () => {
  it("keeps task a/b@v and task a@b/v apart", async () => {
    await node("n0", NodePhase.RUNNING, 1);
    const taskIds = [
      { resourceType: ResourceType.TASK, project: P, domain: D, name: "a/b", version: "v" },
      { resourceType: ResourceType.TASK, project: P, domain: D, name: "a", version: "b/v" },
    ];
    for (const [i, taskId] of taskIds.entries()) {
      const event = { taskId, parentNodeExecutionId: { nodeId: "n0", executionId: exec }, retryAttempt: 0, producerId: "propeller" };
      await admin.createTaskEvent({ event: { ...event, phase: TaskPhase.RUNNING, occurredAt: at(2), inputValue: { case: "inputData", value: str(`in ${i}`) } } });
      await admin.createTaskEvent({ event: { ...event, phase: TaskPhase.SUCCEEDED, occurredAt: at(3), outputResult: { case: "outputData", value: str(`out ${i}`) } } });
    }
    for (const [i, taskId] of taskIds.entries()) {
      const data = await admin.getTaskExecutionData({ id: { taskId, nodeExecutionId: { nodeId: "n0", executionId: exec }, retryAttempt: 0 } });
      expect(data.fullInputs).toEqual(str(`in ${i}`));
      expect(data.fullOutputs).toEqual(str(`out ${i}`));
    }
  });

  it("keeps nodes named like the execution's own files apart from them", async () => {
    for (const nodeId of ["inputs", "user_inputs"]) {
      await node(nodeId, NodePhase.RUNNING, 1, { inputValue: { case: "inputData", value: str(`in ${nodeId}`) } });
      await node(nodeId, NodePhase.SUCCEEDED, 2, { outputResult: { case: "outputData", value: str(`out ${nodeId}`) } });
      const data = await admin.getNodeExecutionData({ id: { nodeId, executionId: exec } });
      expect([data.fullInputs, data.fullOutputs]).toEqual([str(`in ${nodeId}`), str(`out ${nodeId}`)]);
    }
    // The execution's own inputs are still its own.
    const own = await admin.getExecutionData({ id: exec });
    expect(own.fullInputs?.literals.name).toBeDefined();
  });
});
