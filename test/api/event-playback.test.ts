import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EventFailureReasonSchema } from "../../gen/flyteidl/admin/event_pb.js";
import {
  NodeExecution_Phase as NodePhase,
  TaskExecution_Phase as TaskPhase,
  WorkflowExecution_Phase as Phase,
} from "../../gen/flyteidl/core/execution_pb.js";
import { LiteralMapSchema } from "../../gen/flyteidl/core/literals_pb.js";
import type { App } from "../../src/app.js";
import { inMemoryAdmin } from "../helpers/app.js";
import { failure } from "../helpers/rpc-failure.js";
import { loadFlytekitPackage, registerPackage } from "../fixtures/flytekit.js";

/**
 * The events flytepropeller sends for hello world (start node, one task node
 * whose first attempt fails retryably, end node), played back in order, and
 * what the console's execution page then reads.
 */
type Admin = Awaited<ReturnType<typeof inMemoryAdmin>>["admin"];
const P = "flytesnacks";
const D = "development";
const exec = { project: P, domain: D, name: "hello-run" };
const pkg = loadFlytekitPackage("hello", P, D, "v1");
const taskId = pkg.tasks[0]!.id;
const t0 = Date.parse("2026-03-01T12:00:00Z");
const at = (s: number) => timestampFromDate(new Date(t0 + s * 1000));
const str = (v: string) => create(LiteralMapSchema, { literals: { o0: { value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "stringValue", value: v } } } } } } } });

let app: App;
let admin: Admin;
beforeEach(async () => {
  ({ app, admin } = await inMemoryAdmin());
  await admin.registerProject({ project: { id: P, name: P } });
  await registerPackage(admin, pkg);
  await admin.createExecution({ ...exec, spec: { launchPlan: pkg.launchPlans[0]!.id }, inputs: {} });
});
afterEach(() => app.close());

const wf = (phase: Phase, s: number, extra: Record<string, unknown> = {}) =>
  admin.createWorkflowEvent({ event: { executionId: exec, phase, occurredAt: at(s), producerId: "propeller", ...extra } });
const node = (nodeId: string, phase: NodePhase, s: number, extra: Record<string, unknown> = {}) =>
  admin.createNodeEvent({ event: { id: { nodeId, executionId: exec }, phase, occurredAt: at(s), producerId: "propeller", specNodeId: nodeId, eventVersion: 2, ...extra } });
const task = (retryAttempt: number, phase: TaskPhase, s: number, extra: Record<string, unknown> = {}) =>
  admin.createTaskEvent({
    event: { taskId, parentNodeExecutionId: { nodeId: "n0", executionId: exec }, retryAttempt, phase, occurredAt: at(s), producerId: "propeller", taskType: "python-task", ...extra },
  });
const log = (name: string, uri: string) => ({ name, uri });

describe("propeller's events for hello world", () => {
  it("leave the execution, its nodes and task attempts as the console reads them", async () => {
    await wf(Phase.RUNNING, 0);
    await node("start-node", NodePhase.SUCCEEDED, 1);
    await node("n0", NodePhase.QUEUED, 2, { inputValue: { case: "inputUri", value: "s3://bucket/metadata/n0/inputs.pb" } });
    await node("n0", NodePhase.RUNNING, 3);
    await task(0, TaskPhase.QUEUED, 3);
    await task(0, TaskPhase.RUNNING, 4, { logs: [log("Kubernetes Logs", "http://logs/0")] });
    await task(0, TaskPhase.RUNNING, 5, { phaseVersion: 1, logs: [log("Console", "http://console/0")], reason: "pulling image" });
    expect((await failure(task(0, TaskPhase.RUNNING, 5, { phaseVersion: 1 }))).code).toBe("AlreadyExists");
    await task(0, TaskPhase.FAILED, 10, { outputResult: { case: "error", value: { code: "OOMKilled", message: "out of memory", kind: 2 } } });
    await task(1, TaskPhase.QUEUED, 11);
    await task(1, TaskPhase.RUNNING, 12, { logs: [log("Kubernetes Logs", "http://logs/1")] });
    await task(1, TaskPhase.SUCCEEDED, 20, { outputResult: { case: "outputData", value: str("hello world") } });
    const late = await failure(task(1, TaskPhase.RUNNING, 21));
    expect(late.err.findDetails(EventFailureReasonSchema)[0]?.reason.case).toBe("alreadyInTerminalState");
    await node("n0", NodePhase.SUCCEEDED, 21, { outputResult: { case: "outputData", value: str("hello world") } });
    await node("end-node", NodePhase.SUCCEEDED, 22);
    await wf(Phase.SUCCEEDED, 23, { outputResult: { case: "outputData", value: str("hello world") } });

    const e = await admin.getExecution({ id: exec });
    expect([e.closure?.phase, e.closure?.duration?.seconds]).toEqual([Phase.SUCCEEDED, 23n]);
    const outputs = await admin.getExecutionData({ id: exec });
    expect(outputs.fullOutputs?.literals.o0).toBeDefined();

    const nodes = await admin.listNodeExecutions({ workflowExecutionId: exec, limit: 100 });
    expect(nodes.nodeExecutions.map((n) => [n.id?.nodeId, n.closure?.phase, n.closure?.duration?.seconds ?? 0n])).toEqual([
      ["start-node", NodePhase.SUCCEEDED, 0n],
      ["n0", NodePhase.SUCCEEDED, 18n],
      ["end-node", NodePhase.SUCCEEDED, 0n],
    ]);
    const n0 = await admin.getNodeExecutionData({ id: { nodeId: "n0", executionId: exec } });
    expect(n0.fullOutputs?.literals.o0).toBeDefined();

    const attempts = await admin.listTaskExecutions({ nodeExecutionId: { nodeId: "n0", executionId: exec }, limit: 10 });
    expect(attempts.taskExecutions.map((t) => [t.id?.retryAttempt, t.closure?.phase])).toEqual([
      [0, TaskPhase.FAILED],
      [1, TaskPhase.SUCCEEDED],
    ]);
    const first = attempts.taskExecutions[0]!.closure!;
    expect(first.logs.map((l) => l.name)).toEqual(["Console", "Kubernetes Logs"]);
    expect(first.reason).toBe("pulling image");
    expect(first.outputResult).toMatchObject({ case: "error", value: { code: "OOMKilled" } });
    expect(first.duration?.seconds).toBe(6n);
    const second = await admin.getTaskExecutionData({ id: attempts.taskExecutions[1]!.id });
    expect(second.fullOutputs?.literals.o0).toBeDefined();
    expect(second.flyteUrls?.outputs).toBe(`flyte://v1/${P}/${D}/hello-run/n0/1/o`);
    const got = await admin.getTaskExecution({ id: attempts.taskExecutions[1]!.id });
    expect(got.closure?.taskType).toBe("python-task");
  });

  it("refuse task events for a node that has not been reported", async () => {
    await wf(Phase.RUNNING, 0);
    expect((await failure(task(0, TaskPhase.RUNNING, 1))).code).toBe("NotFound");
    expect((await failure(admin.createTaskEvent({ event: { taskId: { ...taskId, resourceType: 0 }, parentNodeExecutionId: { nodeId: "n0", executionId: exec }, occurredAt: at(1) } }))).code).toBe("InvalidArgument");
  });
});

describe("a dynamic node", () => {
  it("records its generated workflow and its children under the parent task attempt", async () => {
    const wfId = pkg.workflows[0]!.id;
    const compiled = (await admin.getWorkflow({ id: wfId })).closure!.compiledWorkflow!;
    await wf(Phase.RUNNING, 0);
    await node("n0", NodePhase.RUNNING, 1, { isParent: true, isDynamic: true });
    await task(0, TaskPhase.RUNNING, 2);
    await node("n0", NodePhase.DYNAMIC_RUNNING, 3, {
      targetMetadata: { case: "taskNodeMetadata", value: { dynamicWorkflow: { id: wfId, compiledWorkflow: compiled, dynamicJobSpecUri: "s3://b/futures.pb" } } },
    });
    const parentTask = { taskId, nodeExecutionId: { nodeId: "n0", executionId: exec }, retryAttempt: 0 };
    await node("n0-0-dn0", NodePhase.RUNNING, 4, { parentNodeMetadata: { nodeId: "n0" }, parentTaskMetadata: { id: parentTask } });

    const dynamic = await admin.getDynamicNodeWorkflow({ id: { nodeId: "n0", executionId: exec } });
    expect(dynamic.compiledWorkflow?.primary?.template?.id?.name).toBe(wfId.name);
    const data = await admin.getNodeExecutionData({ id: { nodeId: "n0", executionId: exec } });
    expect(data.dynamicWorkflow?.dynamicJobSpecUri).toBe("s3://b/futures.pb");
    const meta = (await admin.getNodeExecution({ id: { nodeId: "n0", executionId: exec } })).metadata;
    expect([meta?.isParentNode, meta?.isDynamic]).toEqual([true, true]);
    const children = await admin.listNodeExecutionsForTask({ taskExecutionId: parentTask, limit: 10 });
    expect(children.nodeExecutions.map((n) => n.id?.nodeId)).toEqual(["n0-0-dn0"]);
    expect((await admin.listNodeExecutions({ workflowExecutionId: exec, limit: 10, uniqueParentId: "n0" })).nodeExecutions).toHaveLength(1);
    expect((await admin.getTaskExecution({ id: parentTask })).isParent).toBe(true);
    expect((await failure(admin.getDynamicNodeWorkflow({ id: { nodeId: "n0-0-dn0", executionId: exec } }))).message).toBe("node does not contain dynamic workflow");
  });
});

describe("a launch plan node", () => {
  it("launches a child execution that inherits from its parent node's run", async () => {
    await wf(Phase.RUNNING, 0);
    await node("n0", NodePhase.RUNNING, 1);
    const child = await admin.createExecution({
      project: P,
      domain: D,
      name: "child-run",
      spec: { launchPlan: pkg.launchPlans[0]!.id, metadata: { mode: 5, nesting: 7, parentNodeExecution: { nodeId: "n0", executionId: exec } } },
      inputs: {},
    });
    expect((await admin.getExecution({ id: child.id })).spec?.metadata?.nesting).toBe(1);
    await node("n0", NodePhase.SUCCEEDED, 2, { targetMetadata: { case: "workflowNodeMetadata", value: { executionId: child.id } } });
    const n0 = await admin.getNodeExecution({ id: { nodeId: "n0", executionId: exec } });
    expect(n0.closure?.targetMetadata).toMatchObject({ case: "workflowNodeMetadata", value: { executionId: { name: "child-run" } } });
    const orphan = await failure(
      admin.createExecution({ project: P, domain: D, name: "orphan", spec: { launchPlan: pkg.launchPlans[0]!.id, metadata: { parentNodeExecution: { nodeId: "nope", executionId: exec } } }, inputs: {} }),
    );
    expect(orphan.code).toBe("NotFound");
  });
});
