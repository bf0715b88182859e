import { create } from "@bufbuild/protobuf";
import { afterEach, describe, expect, it } from "vitest";
import { ExecutionClosureSchema, ExecutionSchema } from "../gen/flyteidl/admin/execution_pb.js";
import { NodeExecutionClosureSchema, NodeExecutionMetaDataSchema, NodeExecutionSchema } from "../gen/flyteidl/admin/node_execution_pb.js";
import { TaskExecutionClosureSchema, TaskExecutionSchema } from "../gen/flyteidl/admin/task_execution_pb.js";
import {
  NodeExecution_Phase as NodePhase,
  TaskExecution_Phase as TaskPhase,
  WorkflowExecution_Phase as Phase,
} from "../gen/flyteidl/core/execution_pb.js";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { IdentifierSchema, ResourceType } from "../gen/flyteidl/core/identifier_pb.js";
import {
  EXECUTION_COLUMNS,
  EXECUTION_LAUNCH_PLAN_COLUMNS,
  EXECUTION_TAG_COLUMNS,
  EXECUTION_TASK_COLUMNS,
  EXECUTION_WORKFLOW_COLUMNS,
  TASK_EXECUTION_COLUMNS,
} from "../src/core/entity-columns.js";
import { parseListRequest } from "../src/core/list-query.js";
import { createSqlStore } from "../src/storage/sql-store.js";
import type { Store, StoredExecution } from "../src/storage/store.js";
import { backends } from "./helpers/backends.js";

const P = "p";
const D = "d";
const scope = [EXECUTION_COLUMNS, EXECUTION_LAUNCH_PLAN_COLUMNS, EXECUTION_WORKFLOW_COLUMNS, EXECUTION_TASK_COLUMNS, EXECUTION_TAG_COLUMNS] as const;
const query = (filters = "") => parseListRequest({ filters, limit: 100, token: "" }, { scope, op: "ListExecutions" });

const execution = (name: string, lp: string): StoredExecution => ({
  execution: create(ExecutionSchema, {
    id: { project: P, domain: D, name },
    spec: { launchPlan: { resourceType: ResourceType.LAUNCH_PLAN, project: P, domain: D, name: lp, version: "v1" } },
    closure: create(ExecutionClosureSchema, { phase: Phase.UNDEFINED }),
  }),
  launchPlan: create(IdentifierSchema, { resourceType: ResourceType.LAUNCH_PLAN, project: P, domain: D, name: lp, version: "v1" }),
  workflow: create(IdentifierSchema, { resourceType: ResourceType.WORKFLOW, project: P, domain: D, name: `wf-${lp}`, version: "v1" }),
  launchEntity: "launch_plan",
  inputsUri: "",
  userInputsUri: "",
  user: "",
  cluster: "",
});

describe.each(backends)("Execution store on $name", ({ open }) => {
  let store: Store;
  afterEach(async () => store?.close());

  it("creates once, lists by joined keys and tags, and counts by phase", async () => {
    store = createSqlStore(await open());
    expect(await store.executions.create(execution("e1", "lp"), [["team", "ml"], ["nightly", ""], ["team", "ml"]])).toBe(true);
    expect(await store.executions.create(execution("e2", "lp"), [["team", "ops"]])).toBe(true);
    expect(await store.executions.create(execution("e3", "other"), [])).toBe(true);
    expect(await store.executions.create(execution("e1", "lp"), [])).toBe(false);
    const names = async (filters: string) => (await store.executions.list({ project: P, domain: D }, query(filters))).map((e) => e.id?.name).sort();
    expect(await names("eq(launch_plan.name,lp)")).toEqual(["e1", "e2"]);
    expect(await names("eq(workflow.name,wf-other)")).toEqual(["e3"]);
    expect(await names("eq(execution_tag.key,team)")).toEqual(["e1", "e2"]);
    expect(await names("eq(execution_tag.key,team)+eq(execution_tag.value,ml)")).toEqual(["e1"]);
    expect(await names("eq(phase,UNDEFINED)+gt(created_at,2000-01-01T00:00:00Z)")).toEqual(["e1", "e2", "e3"]);
    expect(await store.executions.countByLaunchPlan({ project: P, domain: D, name: "lp" }, ["RUNNING"])).toBe(0);
  });

  it("updates the closure only from the phase it expects", async () => {
    store = createSqlStore(await open());
    await store.executions.create(execution("e1", "lp"), []);
    const key = { project: P, domain: D, name: "e1" };
    const running = create(ExecutionClosureSchema, { phase: Phase.RUNNING });
    const results = await Promise.all([1, 2, 3, 4].map(() => store.executions.updateClosure(key, Phase.UNDEFINED, running)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await store.executions.get(key))?.execution.closure?.phase).toBe(Phase.RUNNING);
    expect(await store.executions.countByLaunchPlan({ project: P, domain: D, name: "lp" }, ["QUEUED", "RUNNING"])).toBe(1);
    expect(await store.executions.updateClosure({ ...key, name: "nope" }, Phase.UNDEFINED, running)).toBe(false);
  });

  it("reads an execution's cluster alone, assigned or not", async () => {
    store = createSqlStore(await open());
    await store.executions.create(execution("e1", "lp"), []);
    const key = { project: P, domain: D, name: "e1" };
    expect(await store.executions.clusterOf(key)).toBe("");
    await store.executions.updateClosure(key, Phase.UNDEFINED, create(ExecutionClosureSchema, { phase: Phase.QUEUED }), { cluster: "c1" });
    expect(await store.executions.clusterOf(key)).toBe("c1");
    expect(await store.executions.clusterOf({ ...key, name: "nope" })).toBeUndefined();
  });

  it("bulk-loads many executions in one call, or none when a name is taken", async () => {
    store = createSqlStore(await open());
    const many = Array.from({ length: 1203 }, (_, i) => execution(`bulk-${i}`, i % 2 ? "odd" : "even"));
    await store.executions.createMany(many);
    const all = await store.executions.list({ project: P, domain: D }, parseListRequest({ filters: "eq(launch_plan.name,odd)", limit: 2000, token: "" }, { scope, op: "ListExecutions" }));
    expect(all).toHaveLength(601);
    expect((await store.executions.get({ project: P, domain: D, name: "bulk-1202" }))?.launchPlan?.name).toBe("even");
    await expect(store.executions.createMany([execution("fresh", "lp"), execution("bulk-7", "lp")])).rejects.toThrow();
    expect(await store.executions.exists({ project: P, domain: D, name: "fresh" })).toBe(false);
  });

  it("stores node and task executions: creates once, moves each only from the phase it expects, and reads an attempt's parenthood", async () => {
    store = createSqlStore(await open());
    await store.executions.create(execution("e1", "lp"), []);
    const exec = { project: P, domain: D, name: "e1" };
    const nodeKey = { ...exec, nodeId: "n0" };
    const ne = (nodeId: string, phase: NodePhase, extra: Record<string, unknown> = {}) =>
      create(NodeExecutionSchema, { id: { nodeId, executionId: exec }, inputUri: `s3://in/${nodeId}`, closure: { phase, createdAt: timestampFromDate(new Date(1000)), ...extra } });
    expect(await store.nodeExecutions.create(ne("n0", NodePhase.QUEUED), {}, 1)).toBe(true);
    expect(await store.nodeExecutions.create(ne("n0", NodePhase.RUNNING), {}, 1)).toBe(false);
    const meta = create(NodeExecutionMetaDataSchema, { isParentNode: true });
    const running = create(NodeExecutionClosureSchema, { phase: NodePhase.RUNNING, updatedAt: timestampFromDate(new Date(2000)) });
    expect(await store.nodeExecutions.update(nodeKey, NodePhase.SUCCEEDED, running, meta)).toBe(false);
    expect(await store.nodeExecutions.update(nodeKey, NodePhase.QUEUED, running, meta, { startedAt: new Date(2000), dynamicWorkflowUri: "s3://dyn" })).toBe(true);
    const failed = create(NodeExecutionClosureSchema, { phase: NodePhase.FAILED, outputResult: { case: "error", value: { code: "E1", message: "m" } } });
    expect(await store.nodeExecutions.update(nodeKey, NodePhase.RUNNING, failed, meta, { durationNs: 5 })).toBe(true);
    const stored = await store.nodeExecutions.get(nodeKey);
    expect([stored?.closure?.phase, stored?.metadata?.isParentNode, stored?.inputUri]).toEqual([NodePhase.FAILED, true, "s3://in/n0"]);
    expect(await store.nodeExecutions.dynamicWorkflowUri(nodeKey)).toBe("s3://dyn");
    // A later update without a reference leaves it.
    expect(await store.nodeExecutions.update(nodeKey, NodePhase.FAILED, running, meta)).toBe(true);
    expect(await store.nodeExecutions.dynamicWorkflowUri(nodeKey)).toBe("s3://dyn");

    const taskId = { resourceType: ResourceType.TASK, project: P, domain: D, name: "t", version: "v1" };
    const taskKey = { ...nodeKey, retryAttempt: 0, task: { project: P, domain: D, name: "t", version: "v1" } };
    const te = (phase: TaskPhase) =>
      create(TaskExecutionSchema, { id: { taskId, nodeExecutionId: { nodeId: "n0", executionId: exec }, retryAttempt: 0 }, inputUri: "s3://in/t", closure: { phase } });
    expect(await store.taskExecutions.get(taskKey)).toBeUndefined();
    expect(await store.taskExecutions.create(te(TaskPhase.QUEUED), 0)).toBe(true);
    expect(await store.taskExecutions.create(te(TaskPhase.RUNNING), 0)).toBe(false);
    let found = await store.taskExecutions.get(taskKey);
    expect([found?.execution.closure?.phase, found?.execution.isParent, found?.phaseVersion]).toEqual([TaskPhase.QUEUED, false, 0]);
    expect(await store.taskExecutions.get({ ...taskKey, retryAttempt: 1 })).toBeUndefined();
    const taskRunning = create(TaskExecutionClosureSchema, { phase: TaskPhase.RUNNING });
    expect(await store.taskExecutions.update(taskKey, { phase: TaskPhase.QUEUED, phaseVersion: 1 }, taskRunning, 2)).toBe(false);
    expect(await store.taskExecutions.update(taskKey, { phase: TaskPhase.QUEUED, phaseVersion: 0 }, taskRunning, 2, { startedAt: new Date(3000) })).toBe(true);
    // A node execution naming the attempt as its parent makes it one; another attempt's child does not.
    expect(await store.nodeExecutions.create(ne("n0-0-c", NodePhase.QUEUED), { nodeId: "n0", taskExecution: { ...taskKey, retryAttempt: 1 } }, 1)).toBe(true);
    expect((await store.taskExecutions.get(taskKey))?.execution.isParent).toBe(false);
    expect(await store.nodeExecutions.create(ne("n0-0-d", NodePhase.QUEUED), { nodeId: "n0", taskExecution: taskKey }, 1)).toBe(true);
    found = await store.taskExecutions.get(taskKey);
    expect([found?.execution.closure?.phase, found?.execution.isParent, found?.phaseVersion]).toEqual([TaskPhase.RUNNING, true, 2]);
    const listed = await store.taskExecutions.list(nodeKey, parseListRequest({ filters: "", limit: 10, token: "" }, { scope: [TASK_EXECUTION_COLUMNS], op: "ListTaskExecutions" }));
    expect(listed.map((t) => t.isParent)).toEqual([true]);
  });

  it("reads what an event needs in one call: the execution's cluster, the node execution and the attempt", async () => {
    store = createSqlStore(await open());
    await store.executions.create({ ...execution("e1", "lp"), cluster: "c1" }, []);
    const exec = { project: P, domain: D, name: "e1" };
    const nodeKey = { ...exec, nodeId: "n0" };
    const taskKey = { ...nodeKey, retryAttempt: 0, task: { project: P, domain: D, name: "t", version: "v1" } };
    const missing = { project: P, domain: D, name: "nope", nodeId: "n0" };
    expect(await store.nodeExecutions.getForEvent(missing)).toEqual({ cluster: undefined, nodeExecution: undefined });
    expect(await store.taskExecutions.getForEvent({ ...taskKey, name: "nope" })).toEqual({ cluster: undefined, nodeExists: false, attempt: undefined });
    expect(await store.nodeExecutions.getForEvent(nodeKey)).toEqual({ cluster: "c1", nodeExecution: undefined });
    expect(await store.taskExecutions.getForEvent(taskKey)).toEqual({ cluster: "c1", nodeExists: false, attempt: undefined });

    const closure = { phase: NodePhase.RUNNING, createdAt: timestampFromDate(new Date(1000)) };
    await store.nodeExecutions.create(create(NodeExecutionSchema, { id: { nodeId: "n0", executionId: exec }, inputUri: "s3://in/n0", closure }), {}, 1);
    const node = await store.nodeExecutions.getForEvent(nodeKey);
    expect([node.cluster, node.nodeExecution?.closure?.phase, node.nodeExecution?.inputUri]).toEqual(["c1", NodePhase.RUNNING, "s3://in/n0"]);
    expect(node.nodeExecution).toEqual(await store.nodeExecutions.get(nodeKey));
    expect(await store.taskExecutions.getForEvent(taskKey)).toEqual({ cluster: "c1", nodeExists: true, attempt: undefined });

    const taskId = { resourceType: ResourceType.TASK, project: P, domain: D, name: "t", version: "v1" };
    const te = create(TaskExecutionSchema, { id: { taskId, nodeExecutionId: { nodeId: "n0", executionId: exec }, retryAttempt: 0 }, closure: { phase: TaskPhase.RUNNING } });
    await store.taskExecutions.create(te, 3);
    await store.nodeExecutions.create(create(NodeExecutionSchema, { id: { nodeId: "n0-0-c", executionId: exec }, closure }), { nodeId: "n0", taskExecution: taskKey }, 1);
    const task = await store.taskExecutions.getForEvent(taskKey);
    expect([task.cluster, task.nodeExists, task.attempt?.phaseVersion, task.attempt?.execution.isParent]).toEqual(["c1", true, 3, true]);
    expect(task.attempt).toEqual(await store.taskExecutions.get(taskKey));
    // Another attempt of the same node is not this one.
    expect((await store.taskExecutions.getForEvent({ ...taskKey, retryAttempt: 1 })).attempt).toBeUndefined();
  });
});
