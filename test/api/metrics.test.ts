import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  NodeExecution_Phase as NodePhase,
  TaskExecution_Phase as TaskPhase,
  WorkflowExecution_Phase as Phase,
} from "../../gen/flyteidl/core/execution_pb.js";
import { LiteralMapSchema } from "../../gen/flyteidl/core/literals_pb.js";
import type { Span } from "../../gen/flyteidl/core/metrics_pb.js";
import type { App } from "../../src/app.js";
import { inMemoryAdmin } from "../helpers/app.js";
import { failure } from "../helpers/rpc-failure.js";
import { loadFlytekitPackage, registerPackage } from "../fixtures/flytekit.js";

/**
 * GetExecutionMetrics over what propeller's events for hello world leave in
 * the store (start node, task node n0 whose first attempt fails, end node).
 */
type Admin = Awaited<ReturnType<typeof inMemoryAdmin>>["admin"];
const P = "flytesnacks";
const D = "development";
const exec = { project: P, domain: D, name: "hello-run" };
const pkg = loadFlytekitPackage("hello", P, D, "v1");
const taskId = pkg.tasks[0]!.id;
const t0 = Date.parse("2026-03-01T12:00:00Z");
const at = (s: number) => timestampFromDate(new Date(t0 + s * 1000));
const sec = (t: Span["startTime"]) => (t ? (Number(t.seconds) * 1000 + t.nanos / 1e6 - t0) / 1000 : null);
const str = (v: string) =>
  create(LiteralMapSchema, { literals: { o0: { value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "stringValue", value: v } } } } } } } });

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
const task = (retryAttempt: number, phase: TaskPhase, s: number) =>
  admin.createTaskEvent({
    event: { taskId, parentNodeExecutionId: { nodeId: "n0", executionId: exec }, retryAttempt, phase, occurredAt: at(s), producerId: "propeller", taskType: "python-task" },
  });

async function playHelloWorld() {
  await wf(Phase.RUNNING, 0);
  await node("start-node", NodePhase.SUCCEEDED, 1);
  await node("n0", NodePhase.QUEUED, 2);
  await node("n0", NodePhase.RUNNING, 3);
  await task(0, TaskPhase.QUEUED, 3);
  await task(0, TaskPhase.RUNNING, 4);
  await task(0, TaskPhase.FAILED, 10);
  await task(1, TaskPhase.QUEUED, 11);
  await task(1, TaskPhase.RUNNING, 12);
  await task(1, TaskPhase.SUCCEEDED, 20);
  await node("n0", NodePhase.SUCCEEDED, 21, { outputResult: { case: "outputData", value: str("hello world") } });
  await node("end-node", NodePhase.SUCCEEDED, 22);
  await wf(Phase.SUCCEEDED, 23, { outputResult: { case: "outputData", value: str("hello world") } });
}

/** [label, start, end, children?] with times in seconds after t0 (the root's created_at is wall-clock, so it is left out). */
type Shape = [string, number | null, number | null, Shape[]?];
function shape(span: Span): Shape {
  const id = span.id;
  const label =
    id.case === "operationId" ? id.value : id.case === "nodeId" ? `node:${id.value.nodeId}` : id.case === "taskId" ? `task:${id.value.retryAttempt}` : `wf:${id.value?.name}`;
  const out: Shape = [label, sec(span.startTime), sec(span.endTime)];
  if (span.spans.length > 0) out.push(span.spans.map(shape));
  return out;
}

describe("GetExecutionMetrics", () => {
  it("breaks hello world into workflow, node, task attempt and overhead spans", async () => {
    await playHelloWorld();
    const { span } = await admin.getExecutionMetrics({ id: exec, depth: 10 });
    const stored = await admin.getExecution({ id: exec });
    expect(span?.id).toMatchObject({ case: "workflowId", value: exec });
    expect(span?.startTime).toEqual(stored.closure?.createdAt);
    expect(span?.endTime).toEqual(stored.closure?.updatedAt);
    const children = span!.spans.map(shape);
    expect(children[0]).toEqual(["WORKFLOW_SETUP", sec(stored.closure?.createdAt), 1]);
    expect(children.slice(1, 2)).toEqual([
      ["node:n0", 2, 21, [
        ["NODE_TRANSITION", 1, 2],
        ["NODE_SETUP", 2, 3],
        ["task:0", 3, 10, [["TASK_SETUP", 3, 4], ["TASK_RUNTIME", 4, 10], ["TASK_TEARDOWN", 10, 10]]],
        ["NODE_RESET", 10, 11],
        ["task:1", 11, 20, [["TASK_SETUP", 11, 12], ["TASK_RUNTIME", 12, 20], ["TASK_TEARDOWN", 20, 20]]],
        ["NODE_TEARDOWN", 20, 21],
      ]],
    ]);
    expect(children[2]).toEqual(["WORKFLOW_TEARDOWN", 21, sec(stored.closure?.updatedAt)]);
    expect(children).toHaveLength(3);
  });

  it("stops at the requested depth", async () => {
    await playHelloWorld();
    const root = await admin.getExecutionMetrics({ id: exec, depth: 0 });
    expect(root.span?.spans).toEqual([]);
    const two = await admin.getExecutionMetrics({ id: exec, depth: 2 });
    expect(shape(two.span!)[3]![1]![3]!.map((s) => s[0])).toEqual(["NODE_TRANSITION", "NODE_SETUP", "NODE_RESET", "NODE_TEARDOWN"]);
  });

  it("covers a queued execution with one WORKFLOW_SETUP span", async () => {
    const { span } = await admin.getExecutionMetrics({ id: exec, depth: 5 });
    expect(span?.spans.map((s) => [s.id.value, s.startTime, s.endTime])).toEqual([["WORKFLOW_SETUP", span?.startTime, span?.endTime]]);
  });

  it("rejects a missing id and reports an unknown execution as NOT_FOUND", async () => {
    const missing = await failure(admin.getExecutionMetrics({ depth: 1 }));
    expect([missing.code, missing.err.rawMessage]).toEqual(["InvalidArgument", "missing id"]);
    const noName = await failure(admin.getExecutionMetrics({ id: { ...exec, name: "" }, depth: 1 }));
    expect([noName.code, noName.err.rawMessage]).toEqual(["InvalidArgument", "missing name"]);
    const unknown = await failure(admin.getExecutionMetrics({ id: { ...exec, name: "nope" }, depth: 1 }));
    expect([unknown.code, unknown.err.rawMessage]).toEqual(["NotFound", `missing entity of type execution with identifier project:"${P}" domain:"${D}" name:"nope"`]);
  });
});
