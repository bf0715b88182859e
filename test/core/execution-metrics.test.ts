import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { ExecutionSchema } from "../../gen/flyteidl/admin/execution_pb.js";
import { type NodeExecution, NodeExecutionSchema } from "../../gen/flyteidl/admin/node_execution_pb.js";
import { type TaskExecution, TaskExecutionSchema } from "../../gen/flyteidl/admin/task_execution_pb.js";
import { type CompiledWorkflowClosure, CompiledWorkflowClosureSchema } from "../../gen/flyteidl/core/compiler_pb.js";
import { type Identifier, IdentifierSchema, ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import type { Span } from "../../gen/flyteidl/core/metrics_pb.js";
import { type Node, NodeSchema } from "../../gen/flyteidl/core/workflow_pb.js";
import { executionSpan, MetricsSnapshot } from "../../src/core/execution-metrics.js";
import { AdminError } from "../../src/core/errors.js";

const exec = { project: "p", domain: "d", name: "e1" };
const wfId = create(IdentifierSchema, { resourceType: ResourceType.WORKFLOW, project: "p", domain: "d", name: "wf", version: "v1" });
const taskId = create(IdentifierSchema, { resourceType: ResourceType.TASK, project: "p", domain: "d", name: "t", version: "v1" });
const at = (s: number) => timestampFromMs(s * 1000);

type Kind = "task" | "gate" | "branch" | "subworkflow" | "launchplan";
/** A node of the given kind; `branchCases` are the branch's then-node ids. */
function specNode(id: string, kind: Kind, extra: { branchCases?: string[]; sub?: Identifier } = {}): Node {
  const target: MessageInitShape<typeof NodeSchema>["target"] =
    kind === "task"
      ? { case: "taskNode" as const, value: { reference: { case: "referenceId" as const, value: taskId } } }
      : kind === "gate"
        ? { case: "gateNode" as const, value: { condition: { case: "sleep" as const, value: { duration: durationFromMs(1000) } } } }
        : kind === "branch"
          ? {
              case: "branchNode" as const,
              value: {
                ifElse: {
                  case: { thenNode: specNode(extra.branchCases![0]!, "task") },
                  other: extra.branchCases!.slice(1).map((c) => ({ thenNode: specNode(c, "task") })),
                },
              },
            }
          : kind === "subworkflow"
            ? { case: "workflowNode" as const, value: { reference: { case: "subWorkflowRef" as const, value: extra.sub! } } }
            : { case: "workflowNode" as const, value: { reference: { case: "launchplanRef" as const, value: { ...wfId, resourceType: ResourceType.LAUNCH_PLAN } } } };
  return create(NodeSchema, { id, target });
}

/** A compiled workflow: its nodes plus start and end, with the given upstream lists. */
function compiled(id: Identifier, nodes: Node[], upstream: Record<string, string[]>): CompiledWorkflowClosure {
  return create(CompiledWorkflowClosureSchema, {
    primary: {
      template: { id, nodes: [specNode("start-node", "task"), ...nodes, specNode("end-node", "task")] },
      connections: { upstream: Object.fromEntries(Object.entries(upstream).map(([k, ids]) => [k, { ids }])) },
    },
  });
}

interface Times {
  created: number;
  updated: number;
  started?: number;
  duration?: number;
}
function nodeExec(nodeId: string, t: Times, meta: { spec?: string; isParent?: boolean; childExecution?: string; e?: typeof exec } = {}): NodeExecution {
  return create(NodeExecutionSchema, {
    id: { nodeId, executionId: meta.e ?? exec },
    metadata: { specNodeId: meta.spec ?? nodeId, isParentNode: meta.isParent ?? false },
    closure: {
      createdAt: at(t.created),
      updatedAt: at(t.updated),
      ...(t.started !== undefined ? { startedAt: at(t.started) } : {}),
      ...(t.duration !== undefined ? { duration: durationFromMs(t.duration * 1000) } : {}),
      ...(meta.childExecution
        ? { targetMetadata: { case: "workflowNodeMetadata" as const, value: { executionId: { ...exec, name: meta.childExecution } } } }
        : {}),
    },
  });
}
function taskExec(nodeId: string, attempt: number, t: Times, e = exec): TaskExecution {
  return create(TaskExecutionSchema, {
    id: { taskId, nodeExecutionId: { nodeId, executionId: e }, retryAttempt: attempt },
    closure: {
      createdAt: at(t.created),
      updatedAt: at(t.updated),
      ...(t.started !== undefined ? { startedAt: at(t.started) } : {}),
      ...(t.duration !== undefined ? { duration: durationFromMs(t.duration * 1000) } : {}),
    },
  });
}
function execution(name: string, created: number, updated: number, workflowId = wfId) {
  return create(ExecutionSchema, { id: { ...exec, name }, closure: { createdAt: at(created), updatedAt: at(updated), workflowId } });
}

/** A span tree as [label, start s, end s, children?] (children left out when empty), for readable assertions. */
type Shape = [string, number | null, number | null, Shape[]?];
function shape(span: Span): Shape {
  const secs = (t: Span["startTime"]) => (t ? Number(t.seconds) + t.nanos / 1e9 : null);
  const id = span.id;
  const label =
    id.case === "operationId"
      ? id.value
      : id.case === "workflowId"
        ? `wf:${id.value.name}`
        : id.case === "nodeId"
          ? `node:${id.value.nodeId}`
          : id.case === "taskId"
            ? `task:${id.value.nodeExecutionId?.nodeId}/${id.value.retryAttempt}`
            : "?";
  const out: Shape = [label, secs(span.startTime), secs(span.endTime)];
  if (span.spans.length > 0) out.push(span.spans.map(shape));
  return out;
}

/**
 * start-node → n0 (task, attempt 0 fails, attempt 1 succeeds) → n1 (gate) → n2 (task, attempt never started) → end-node;
 * n2 also depends on n0. Node executions are listed out of created_at order on purpose.
 */
function threeNodeWorkflow(): MetricsSnapshot {
  const closure = compiled(wfId, [specNode("n0", "task"), specNode("n1", "gate"), specNode("n2", "task")], {
    n0: ["start-node"],
    n1: ["n0"],
    n2: ["n0", "n1"],
    "end-node": ["n2"],
  });
  return new MetricsSnapshot()
    .addExecution(execution("e1", 0, 100))
    .addWorkflow(wfId, closure)
    .addNodeExecutions(exec, "", [
      nodeExec("n2", { created: 56, updated: 70 }),
      nodeExec("start-node", { created: 1, updated: 2 }),
      nodeExec("n1", { created: 32, updated: 54, started: 33, duration: 20 }),
      nodeExec("n0", { created: 3, updated: 30 }),
      nodeExec("end-node", { created: 71, updated: 72 }),
    ])
    .addTaskExecutions({ nodeId: "n0", executionId: exec }, [
      taskExec("n0", 1, { created: 12, updated: 25, started: 13, duration: 10 }),
      taskExec("n0", 0, { created: 4, updated: 11, started: 5, duration: 5 }),
    ])
    .addTaskExecutions({ nodeId: "n2", executionId: exec }, [taskExec("n2", 0, { created: 57, updated: 60 })]);
}

const build = (s: MetricsSnapshot, depth: number, name = "e1") => shape(executionSpan(s, s.execution({ ...exec, name })!, depth));

describe("executionSpan for a three-node workflow with a retried task", () => {
  it("breaks the execution into setup, node, task and teardown spans at depth 3", () => {
    expect(build(threeNodeWorkflow(), 3)).toEqual([
      "wf:e1", 0, 100,
      [
        ["WORKFLOW_SETUP", 0, 2],
        ["node:n0", 3, 30, [
          ["NODE_TRANSITION", 2, 3],
          ["NODE_SETUP", 3, 4],
          ["task:n0/0", 4, 11, [["TASK_SETUP", 4, 5], ["TASK_RUNTIME", 5, 10], ["TASK_TEARDOWN", 10, 11]]],
          ["NODE_RESET", 11, 12],
          ["task:n0/1", 12, 25, [["TASK_SETUP", 12, 13], ["TASK_RUNTIME", 13, 23], ["TASK_TEARDOWN", 23, 25]]],
          ["NODE_TEARDOWN", 25, 30],
        ]],
        ["node:n1", 32, 54, [["NODE_TRANSITION", 30, 32], ["NODE_SETUP", 32, 33], ["NODE_IDLE", 33, 53], ["NODE_TEARDOWN", 53, 54]]],
        // the latest upstream of n2 is n1 (updated 54), not n0 (30)
        ["node:n2", 56, 70, [["NODE_TRANSITION", 54, 56], ["NODE_SETUP", 56, 57], ["task:n2/0", 57, 60, [["TASK_SETUP", 57, 60]]], ["NODE_TEARDOWN", 60, 70]]],
        ["WORKFLOW_TEARDOWN", 70, 100],
      ],
    ]);
  });

  it("leaves out task attempt spans at depth 2 but keeps NODE_RESET between attempts", () => {
    const root = build(threeNodeWorkflow(), 2);
    const n0 = root[3]![1]!;
    expect(n0[3]!.map((s) => s[0])).toEqual(["NODE_TRANSITION", "NODE_SETUP", "NODE_RESET", "NODE_TEARDOWN"]);
  });

  it("gives node spans only their transition at depth 1", () => {
    expect(build(threeNodeWorkflow(), 1)[3]!.map((s) => [s[0], s[3]?.map((c) => c[0])])).toEqual([
      ["WORKFLOW_SETUP", undefined],
      ["node:n0", ["NODE_TRANSITION"]],
      ["node:n1", ["NODE_TRANSITION"]],
      ["node:n2", ["NODE_TRANSITION"]],
      ["WORKFLOW_TEARDOWN", undefined],
    ]);
  });

  it("gives only the root span at depth 0 (no workflow needed)", () => {
    const s = new MetricsSnapshot().addExecution(execution("e1", 0, 100));
    expect(build(s, 0)).toEqual(["wf:e1", 0, 100]);
  });

  it("treats a negative depth as unlimited", () => {
    expect(build(threeNodeWorkflow(), -1)).toEqual(build(threeNodeWorkflow(), 3));
  });

  it("spans the whole execution with WORKFLOW_SETUP while the start node has not run", () => {
    const s = new MetricsSnapshot().addExecution(execution("e1", 0, 9)).addWorkflow(wfId, compiled(wfId, [], {}));
    expect(build(s, 5)).toEqual(["wf:e1", 0, 9, [["WORKFLOW_SETUP", 0, 9]]]);
  });

  it("omits teardown spans that would run backwards", () => {
    const s = threeNodeWorkflow().addExecution(execution("e1", 0, 65));
    const root = build(s, 3);
    expect(root[3]!.map((x) => x[0])).not.toContain("WORKFLOW_TEARDOWN");
  });

  it("fails when a node execution's spec node is not in the workflow, or the workflow is missing", () => {
    const s = threeNodeWorkflow().addWorkflow(wfId, compiled(wfId, [specNode("n0", "task")], {}));
    expect(() => build(s, 2)).toThrow(/failed to discover workflow node 'n1'/);
    const noWorkflow = new MetricsSnapshot().addExecution(execution("e1", 0, 9));
    expect(() => build(noWorkflow, 1)).toThrow(AdminError);
    expect(() => build(noWorkflow, 1)).toThrow(/missing entity of type WORKFLOW/);
  });
});

describe("executionSpan for other node kinds", () => {
  it("a branch node holds the single taken case's node span", () => {
    const closure = compiled(wfId, [specNode("b", "branch", { branchCases: ["b-then", "b-other"] })], { b: ["start-node"], "end-node": ["b"] });
    const s = new MetricsSnapshot()
      .addExecution(execution("e1", 0, 50))
      .addWorkflow(wfId, closure)
      .addNodeExecutions(exec, "", [nodeExec("start-node", { created: 1, updated: 2 }), nodeExec("b", { created: 3, updated: 40 })])
      .addNodeExecutions(exec, "b", [nodeExec("b-0-b-other", { created: 5, updated: 30 }, { spec: "b-other" })])
      .addTaskExecutions({ nodeId: "b-0-b-other", executionId: exec }, [taskExec("b-0-b-other", 0, { created: 6, updated: 29 })]);
    expect(build(s, 4)).toEqual([
      "wf:e1", 0, 50,
      [
        ["WORKFLOW_SETUP", 0, 2],
        ["node:b", 3, 40, [
          ["NODE_TRANSITION", 2, 3],
          ["NODE_SETUP", 3, 5],
          ["node:b-0-b-other", 5, 30, [["NODE_SETUP", 5, 6], ["task:b-0-b-other/0", 6, 29, [["TASK_SETUP", 6, 29]]], ["NODE_TEARDOWN", 29, 30]]],
          ["NODE_TEARDOWN", 30, 40],
        ]],
        ["WORKFLOW_TEARDOWN", 40, 50],
      ],
    ]);
    s.addNodeExecutions(exec, "b", [nodeExec("x", { created: 5, updated: 6 }, { spec: "b-then" }), nodeExec("y", { created: 5, updated: 6 }, { spec: "b-other" })]);
    expect(() => build(s, 4)).toThrow("invalid branch node execution: expected 1 but found 2 node execution(s)");
  });

  it("a dynamic node has its task spans, NODE_RESET to the generated start node, then the child node spans", () => {
    const dynId = create(IdentifierSchema, { ...wfId, name: "dyn" });
    const s = new MetricsSnapshot()
      .addExecution(execution("e1", 0, 60))
      .addWorkflow(wfId, compiled(wfId, [specNode("d", "task")], { d: ["start-node"], "end-node": ["d"] }))
      .addNodeExecutions(exec, "", [nodeExec("start-node", { created: 1, updated: 2 }), nodeExec("d", { created: 3, updated: 50 }, { isParent: true })])
      .addTaskExecutions({ nodeId: "d", executionId: exec }, [taskExec("d", 0, { created: 4, updated: 10 })])
      .addNodeExecutions(exec, "d", [
        nodeExec("d-0-start-node", { created: 11, updated: 12 }, { spec: "start-node" }),
        nodeExec("d-0-c0", { created: 13, updated: 40 }, { spec: "c0" }),
      ])
      .addDynamicWorkflow({ nodeId: "d", executionId: exec }, compiled(dynId, [specNode("c0", "task")], { c0: ["start-node"], "end-node": ["c0"] }));
    expect(build(s, 2)).toEqual([
      "wf:e1", 0, 60,
      [
        ["WORKFLOW_SETUP", 0, 2],
        ["node:d", 3, 50, [
          ["NODE_TRANSITION", 2, 3],
          ["NODE_SETUP", 3, 4],
          ["NODE_RESET", 10, 12],
          ["node:d-0-c0", 13, 40, [["NODE_TRANSITION", 12, 13]]],
          ["NODE_TEARDOWN", 40, 50],
        ]],
        ["WORKFLOW_TEARDOWN", 50, 60],
      ],
    ]);
  });

  it("a subworkflow node holds its children's spans; a launch-plan node holds the child execution's span", () => {
    const subId = create(IdentifierSchema, { ...wfId, name: "sub" });
    const s = new MetricsSnapshot()
      .addExecution(execution("e1", 0, 100))
      .addExecution(execution("child", 45, 70))
      .addWorkflow(wfId, compiled(wfId, [specNode("s", "subworkflow", { sub: subId }), specNode("l", "launchplan")], { s: ["start-node"], l: ["s"], "end-node": ["l"] }))
      .addWorkflow(subId, compiled(subId, [specNode("x", "task")], { x: ["start-node"], "end-node": ["x"] }))
      .addNodeExecutions(exec, "", [
        nodeExec("start-node", { created: 1, updated: 2 }),
        nodeExec("s", { created: 3, updated: 30 }),
        nodeExec("l", { created: 40, updated: 80 }, { childExecution: "child" }),
      ])
      .addNodeExecutions(exec, "s", [nodeExec("s-0-start-node", { created: 4, updated: 5 }, { spec: "start-node" }), nodeExec("s-0-x", { created: 6, updated: 20 }, { spec: "x" })]);
    expect(build(s, 2)).toEqual([
      "wf:e1", 0, 100,
      [
        ["WORKFLOW_SETUP", 0, 2],
        ["node:s", 3, 30, [["NODE_TRANSITION", 2, 3], ["NODE_SETUP", 3, 5], ["node:s-0-x", 6, 20, [["NODE_TRANSITION", 5, 6]]], ["NODE_TEARDOWN", 20, 30]]],
        // the child execution is parsed at depth 0 here: only its own span
        ["node:l", 40, 80, [["NODE_TRANSITION", 30, 40], ["NODE_SETUP", 40, 45], ["wf:child", 45, 70], ["NODE_TEARDOWN", 70, 80]]],
        ["WORKFLOW_TEARDOWN", 80, 100],
      ],
    ]);
    const missingChild = s.addNodeExecutions(exec, "", [nodeExec("start-node", { created: 1, updated: 2 }), nodeExec("l", { created: 40, updated: 80 }, { childExecution: "gone" })]);
    expect(() => build(missingChild, 2)).toThrow('missing entity of type execution with identifier project:"p" domain:"d" name:"gone"');
  });
});
