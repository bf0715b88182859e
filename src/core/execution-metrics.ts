import { create } from "@bufbuild/protobuf";
import { type Duration, type Timestamp, TimestampSchema } from "@bufbuild/protobuf/wkt";
import type { Execution } from "../../gen/flyteidl/admin/execution_pb.js";
import type { NodeExecution } from "../../gen/flyteidl/admin/node_execution_pb.js";
import type { TaskExecution } from "../../gen/flyteidl/admin/task_execution_pb.js";
import type { CompiledWorkflowClosure, ConnectionSet_IdList } from "../../gen/flyteidl/core/compiler_pb.js";
import { type Identifier, ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import { type Span, SpanSchema } from "../../gen/flyteidl/core/metrics_pb.js";
import type { BranchNode, Node } from "../../gen/flyteidl/core/workflow_pb.js";
import { END_NODE_ID, START_NODE_ID } from "./compiler/index.js";
import { invalidArgument, missingField, notFound } from "./errors.js";
import { identifierText, missingEntityMessage } from "./identifier.js";
import { durationNanos } from "./go-duration.js";

/**
 * GetExecutionMetrics' span tree, built the way FlyteAdmin's MetricsManager
 * (v1.16.8, metrics_manager.go) builds it: a reference span per execution,
 * node and task attempt, with categorical (operation) spans for the time
 * between them. Everything here works over data already loaded into a
 * {@link MetricsSource}; the RPC layer does the reading.
 */

export const WORKFLOW_SETUP = "WORKFLOW_SETUP";
export const WORKFLOW_TEARDOWN = "WORKFLOW_TEARDOWN";
export const NODE_TRANSITION = "NODE_TRANSITION";
export const NODE_SETUP = "NODE_SETUP";
export const NODE_IDLE = "NODE_IDLE";
export const NODE_RESET = "NODE_RESET";
export const NODE_TEARDOWN = "NODE_TEARDOWN";
export const TASK_SETUP = "TASK_SETUP";
export const TASK_RUNTIME = "TASK_RUNTIME";
export const TASK_TEARDOWN = "TASK_TEARDOWN";

export { END_NODE_ID, START_NODE_ID };

/** An execution id as far as lookups care (a WorkflowExecutionIdentifier or a plain object). */
export interface ExecutionRef {
  readonly project: string;
  readonly domain: string;
  readonly name: string;
}
/** A node execution id as far as lookups care. */
export interface NodeRef {
  readonly nodeId: string;
  readonly executionId?: ExecutionRef | undefined;
}

/** The lookups the span builder needs; every answer comes from data loaded beforehand. */
export interface MetricsSource {
  /** An execution by id (launch-plan nodes' child executions); undefined when it does not exist. */
  execution(id: ExecutionRef): Execution | undefined;
  /** A registered workflow's compiled closure; undefined when it does not exist. */
  workflow(id: Identifier): CompiledWorkflowClosure | undefined;
  /** Node executions of an execution whose parent is `parentNodeId` ("" for the top level), in list order. */
  nodeExecutions(execution: ExecutionRef, parentNodeId: string): readonly NodeExecution[];
  /** The task attempts of one node execution, in list order. */
  taskExecutions(node: NodeRef): readonly TaskExecution[];
  /** The workflow a dynamic node generated; undefined when none was recorded. */
  dynamicWorkflow(node: NodeRef): CompiledWorkflowClosure | undefined;
}

export const executionKeyOf = (id: { project: string; domain: string; name: string }) => `${id.project}/${id.domain}/${id.name}`;
export const nodeKeyOf = (id: NodeRef) => `${executionKeyOf(id.executionId ?? { project: "", domain: "", name: "" })}#${id.nodeId}`;
/** Workflows are looked up by project, domain, name and version (the resource type is ignored). */
export const workflowKeyOf = (id: Identifier) => `${id.project}/${id.domain}/${id.name}/${id.version}`;

/** A MetricsSource over in-memory maps, filled with the `add*` methods. */
export class MetricsSnapshot implements MetricsSource {
  readonly #executions = new Map<string, Execution>();
  readonly #workflows = new Map<string, CompiledWorkflowClosure>();
  readonly #nodes = new Map<string, readonly NodeExecution[]>();
  readonly #tasks = new Map<string, readonly TaskExecution[]>();
  readonly #dynamic = new Map<string, CompiledWorkflowClosure>();

  addExecution(execution: Execution): this {
    if (execution.id) this.#executions.set(executionKeyOf(execution.id), execution);
    return this;
  }
  addWorkflow(id: Identifier, closure: CompiledWorkflowClosure): this {
    this.#workflows.set(workflowKeyOf(id), closure);
    return this;
  }
  addNodeExecutions(execution: ExecutionRef, parentNodeId: string, list: readonly NodeExecution[]): this {
    this.#nodes.set(`${executionKeyOf(execution)}#${parentNodeId}`, list);
    return this;
  }
  addTaskExecutions(node: NodeRef, list: readonly TaskExecution[]): this {
    this.#tasks.set(nodeKeyOf(node), list);
    return this;
  }
  addDynamicWorkflow(node: NodeRef, closure: CompiledWorkflowClosure): this {
    this.#dynamic.set(nodeKeyOf(node), closure);
    return this;
  }
  hasExecution(id: ExecutionRef): boolean {
    return this.#executions.has(executionKeyOf(id));
  }
  hasWorkflow(id: Identifier): boolean {
    return this.#workflows.has(workflowKeyOf(id));
  }

  execution(id: ExecutionRef) {
    return this.#executions.get(executionKeyOf(id));
  }
  workflow(id: Identifier) {
    return this.#workflows.get(workflowKeyOf(id));
  }
  nodeExecutions(execution: ExecutionRef, parentNodeId: string) {
    return this.#nodes.get(`${executionKeyOf(execution)}#${parentNodeId}`) ?? [];
  }
  taskExecutions(node: NodeRef) {
    return this.#tasks.get(nodeKeyOf(node)) ?? [];
  }
  dynamicWorkflow(node: NodeRef) {
    return this.#dynamic.get(nodeKeyOf(node));
  }
}

// ---- time helpers (nanosecond precision; an absent timestamp is the Unix epoch, as Go's AsTime of nil) ----

const nanosOf = (t: Timestamp | undefined): bigint => (t ? t.seconds * 1_000_000_000n + BigInt(t.nanos) : 0n);
const isUnset = (t: Timestamp | undefined) => !t || (t.seconds === 0n && t.nanos === 0);
const isZeroDuration = (d: Duration | undefined) => !d || (d.seconds === 0n && d.nanos === 0);
/** a is not before b. */
const notBefore = (a: Timestamp | undefined, b: Timestamp | undefined) => nanosOf(a) >= nanosOf(b);
const copyTs = (t: Timestamp | undefined) => (t ? create(TimestampSchema, { seconds: t.seconds, nanos: t.nanos }) : undefined);

function addDuration(t: Timestamp | undefined, d: Duration): Timestamp {
  const ns = nanosOf(t) + durationNanos(d);
  let seconds = ns / 1_000_000_000n;
  let nanos = ns % 1_000_000_000n;
  if (nanos < 0n) {
    nanos += 1_000_000_000n;
    seconds -= 1n;
  }
  return create(TimestampSchema, { seconds, nanos: Number(nanos) });
}

/** A categorical span: an operation between two instants. */
export function operationSpan(start: Timestamp | undefined, end: Timestamp | undefined, operation: string): Span {
  return create(SpanSchema, { startTime: copyTs(start), endTime: copyTs(end), id: { case: "operationId", value: operation } });
}

const byCreatedAt = <T extends { closure?: { createdAt?: Timestamp | undefined } | undefined }>(items: readonly T[]): T[] =>
  [...items].sort((a, b) => {
    const x = nanosOf(a.closure?.createdAt);
    const y = nanosOf(b.closure?.createdAt);
    return x < y ? -1 : x > y ? 1 : 0;
  });

/** Node executions indexed by spec node id (a later one with the same spec id replaces an earlier one, as FlyteAdmin's map does). */
function bySpecNodeId(list: readonly NodeExecution[]): Map<string, NodeExecution> {
  const map = new Map<string, NodeExecution>();
  for (const ne of list) map.set(ne.metadata?.specNodeId ?? "", ne);
  return map;
}

/** The upstream node execution of `nodeId` that was updated last (strictly after the epoch); undefined when none. */
export function latestUpstreamNodeExecution(
  nodeId: string,
  upstream: { [key: string]: ConnectionSet_IdList } | undefined,
  nodeExecutions: ReadonlyMap<string, NodeExecution>,
): NodeExecution | undefined {
  let latest: NodeExecution | undefined;
  let latestAt = 0n;
  for (const id of upstream?.[nodeId]?.ids ?? []) {
    const ne = nodeExecutions.get(id);
    if (!ne) continue;
    const t = nanosOf(ne.closure?.updatedAt);
    if (t > latestAt) {
      latest = ne;
      latestAt = t;
    }
  }
  return latest;
}

/** The node of a branch that has id `nodeId` (then nodes, other cases' then nodes, the else node). */
export function branchCaseNode(nodeId: string, branch: BranchNode): Node | undefined {
  const ifElse = branch.ifElse;
  if (ifElse?.case?.thenNode?.id === nodeId) return ifElse.case.thenNode;
  for (const other of ifElse?.other ?? []) if (other.thenNode?.id === nodeId) return other.thenNode;
  if (ifElse?.default.case === "elseNode" && ifElse.default.value.id === nodeId) return ifElse.default.value;
  return undefined;
}

// ---- task attempts ----

/** One task attempt: TASK_SETUP, then TASK_RUNTIME and TASK_TEARDOWN once the plugin started and finished. */
export function taskExecutionSpan(te: TaskExecution): Span {
  const c = te.closure;
  const spans: Span[] = [];
  if (isUnset(c?.startedAt)) {
    spans.push(operationSpan(c?.createdAt, c?.updatedAt, TASK_SETUP));
  } else {
    spans.push(operationSpan(c?.createdAt, c?.startedAt, TASK_SETUP));
    if (isZeroDuration(c?.duration)) {
      spans.push(operationSpan(c?.startedAt, c?.updatedAt, TASK_RUNTIME));
    } else {
      const end = addDuration(c?.startedAt, c!.duration!);
      spans.push(operationSpan(c?.startedAt, end, TASK_RUNTIME));
      if (notBefore(c?.updatedAt, end)) spans.push(operationSpan(end, c?.updatedAt, TASK_TEARDOWN));
    }
  }
  return create(SpanSchema, {
    startTime: copyTs(c?.createdAt),
    endTime: copyTs(c?.updatedAt),
    id: { case: "taskId", value: te.id! },
    spans,
  });
}

/** Attempts in created_at order with NODE_RESET between consecutive ones; the attempt spans only when depth ≠ 0. */
export function taskExecutionSpans(taskExecutions: readonly TaskExecution[], depth: number): Span[] {
  const spans: Span[] = [];
  const sorted = byCreatedAt(taskExecutions);
  sorted.forEach((te, i) => {
    if (i > 0) spans.push(operationSpan(sorted[i - 1]!.closure?.updatedAt, te.closure?.createdAt, NODE_RESET));
    if (depth !== 0) spans.push(taskExecutionSpan(te));
  });
  return spans;
}

// ---- node kinds ----

/**
 * A task-running node's setup (until its first attempt) and its attempts. Returns
 * the last attempt; without any, the whole node counts as setup and it is undefined.
 */
function attemptSpans(source: MetricsSource, ne: NodeExecution, spans: Span[], depth: number) {
  const c = ne.closure;
  const tasks = byCreatedAt(source.taskExecutions(ne.id!));
  const first = tasks[0];
  const last = tasks[tasks.length - 1];
  if (!first || !last) {
    spans.push(operationSpan(c?.createdAt, c?.updatedAt, NODE_SETUP));
    return undefined;
  }
  spans.push(operationSpan(c?.createdAt, first.closure?.createdAt, NODE_SETUP));
  spans.push(...taskExecutionSpans(tasks, depth));
  return last;
}

function taskNodeSpans(source: MetricsSource, ne: NodeExecution, spans: Span[], depth: number): void {
  const c = ne.closure;
  const last = attemptSpans(source, ne, spans, depth);
  if (last && notBefore(c?.updatedAt, last.closure?.updatedAt)) spans.push(operationSpan(last.closure?.updatedAt, c?.updatedAt, NODE_TEARDOWN));
}

function dynamicNodeSpans(source: MetricsSource, ne: NodeExecution, spans: Span[], depth: number): void {
  const c = ne.closure;
  const last = attemptSpans(source, ne, spans, depth);
  if (!last) return;
  const children = bySpecNodeId(source.nodeExecutions(ne.id!.executionId!, ne.id!.nodeId));
  if (children.size === 0) {
    if (notBefore(c?.updatedAt, last.closure?.updatedAt)) spans.push(operationSpan(last.closure?.updatedAt, c?.updatedAt, NODE_RESET));
    return;
  }
  spans.push(operationSpan(last.closure?.updatedAt, children.get(START_NODE_ID)?.closure?.updatedAt, NODE_RESET));
  const closure = source.dynamicWorkflow(ne.id!);
  nodeExecutionSpans(source, children, closure, spans, depth);
  const latest = latestUpstreamNodeExecution(END_NODE_ID, closure?.primary?.connections?.upstream, children);
  if (latest && notBefore(c?.updatedAt, latest.closure?.updatedAt)) spans.push(operationSpan(latest.closure?.updatedAt, c?.updatedAt, NODE_TEARDOWN));
}

function gateNodeSpans(ne: NodeExecution, spans: Span[]): void {
  const c = ne.closure;
  if (isUnset(c?.startedAt)) {
    spans.push(operationSpan(c?.createdAt, c?.updatedAt, NODE_SETUP));
    return;
  }
  spans.push(operationSpan(c?.createdAt, c?.startedAt, NODE_SETUP));
  if (isZeroDuration(c?.duration)) {
    spans.push(operationSpan(c?.startedAt, c?.updatedAt, NODE_IDLE));
  } else {
    const end = addDuration(c?.startedAt, c!.duration!);
    spans.push(operationSpan(c?.startedAt, end, NODE_IDLE));
    spans.push(operationSpan(end, c?.updatedAt, NODE_TEARDOWN));
  }
}

function branchNodeSpans(source: MetricsSource, ne: NodeExecution, branch: BranchNode, spans: Span[], depth: number): void {
  const c = ne.closure;
  const children = bySpecNodeId(source.nodeExecutions(ne.id!.executionId!, ne.id!.nodeId));
  if (children.size === 0) {
    spans.push(operationSpan(c?.createdAt, c?.updatedAt, NODE_SETUP));
    return;
  }
  if (children.size !== 1) throw new Error(`invalid branch node execution: expected 1 but found ${children.size} node execution(s)`);
  const taken = [...children.values()][0]!;
  const specNodeId = taken.metadata?.specNodeId ?? "";
  const node = branchCaseNode(specNodeId, branch);
  if (!node) throw new Error(`failed to identify branch node final node definition for nodeID '${specNodeId}' and branchNode '${branch.ifElse ? "if_else:{...}" : ""}'`);
  spans.push(operationSpan(c?.createdAt, taken.closure?.createdAt, NODE_SETUP));
  spans.push(nodeExecutionSpan(source, taken, node, depth));
  if (notBefore(c?.updatedAt, taken.closure?.updatedAt)) spans.push(operationSpan(taken.closure?.updatedAt, c?.updatedAt, NODE_TEARDOWN));
}

function subworkflowNodeSpans(source: MetricsSource, ne: NodeExecution, ref: Identifier, spans: Span[], depth: number): void {
  const c = ne.closure;
  const children = bySpecNodeId(source.nodeExecutions(ne.id!.executionId!, ne.id!.nodeId));
  if (children.size === 0) {
    spans.push(operationSpan(c?.createdAt, c?.updatedAt, NODE_SETUP));
    return;
  }
  spans.push(operationSpan(c?.createdAt, children.get(START_NODE_ID)?.closure?.updatedAt, NODE_SETUP));
  const closure = source.workflow(ref);
  if (!closure) throw notFound(missingEntityMessage(ref, ResourceType.WORKFLOW));
  nodeExecutionSpans(source, children, closure, spans, depth);
  const latest = latestUpstreamNodeExecution(END_NODE_ID, closure.primary?.connections?.upstream, children);
  if (latest && notBefore(c?.updatedAt, latest.closure?.updatedAt)) spans.push(operationSpan(latest.closure?.updatedAt, c?.updatedAt, NODE_TEARDOWN));
}

function launchPlanNodeSpans(source: MetricsSource, ne: NodeExecution, spans: Span[], depth: number): void {
  const c = ne.closure;
  if (c?.targetMetadata.case !== "workflowNodeMetadata") {
    spans.push(operationSpan(c?.createdAt, c?.updatedAt, NODE_SETUP));
    return;
  }
  const child = lookupExecution(source, c.targetMetadata.value.executionId);
  spans.push(operationSpan(c.createdAt, child.closure?.createdAt, NODE_SETUP));
  spans.push(executionSpan(source, child, depth));
  if (notBefore(c.updatedAt, child.closure?.updatedAt)) spans.push(operationSpan(child.closure?.updatedAt, c.updatedAt, NODE_TEARDOWN));
}

/** FlyteAdmin's GetExecution: the id is validated, then looked up. */
export function lookupExecution(source: MetricsSource, id: ExecutionRef | undefined): Execution {
  if (!id) throw missingField("id");
  if (id.project === "") throw missingField("project");
  if (id.domain === "") throw missingField("domain");
  if (id.name === "") throw missingField("name");
  const execution = source.execution(id);
  if (!execution) throw notFound(`missing entity of type execution with identifier project:"${id.project}" domain:"${id.domain}" name:"${id.name}"`);
  return execution;
}

/** A node execution's span: its kind's children when depth ≠ 0 (unknown kinds, e.g. array nodes, get none). */
export function nodeExecutionSpan(source: MetricsSource, ne: NodeExecution, node: Node, depth: number): Span {
  const spans: Span[] = [];
  if (depth !== 0) {
    const target = node.target;
    switch (target.case) {
      case "branchNode":
        branchNodeSpans(source, ne, target.value, spans, depth - 1);
        break;
      case "gateNode":
        gateNodeSpans(ne, spans);
        break;
      case "taskNode":
        if (ne.metadata?.isParentNode) dynamicNodeSpans(source, ne, spans, depth - 1);
        else taskNodeSpans(source, ne, spans, depth - 1);
        break;
      case "workflowNode": {
        const ref = target.value.reference;
        if (ref.case === "launchplanRef") launchPlanNodeSpans(source, ne, spans, depth - 1);
        else if (ref.case === "subWorkflowRef") subworkflowNodeSpans(source, ne, ref.value, spans, depth - 1);
        else throw new Error(`failed to identify workflow node type for node: ${node.id}`);
        break;
      }
      default:
        // FlyteAdmin only logs unsupported node types, so the other nodes still get metrics.
        break;
    }
  }
  return create(SpanSchema, {
    startTime: copyTs(ne.closure?.createdAt),
    endTime: copyTs(ne.closure?.updatedAt),
    id: { case: "nodeId", value: ne.id! },
    spans,
  });
}

/**
 * The spans of one workflow's node executions (indexed by spec node id), in
 * created_at order, start and end node skipped, each node span prefixed with
 * NODE_TRANSITION from its latest upstream node's update.
 */
export function nodeExecutionSpans(
  source: MetricsSource,
  nodeExecutions: ReadonlyMap<string, NodeExecution>,
  closure: CompiledWorkflowClosure | undefined,
  spans: Span[],
  depth: number,
): void {
  const template = closure?.primary?.template;
  for (const ne of byCreatedAt([...nodeExecutions.values()])) {
    const specNodeId = ne.metadata?.specNodeId ?? "";
    if (specNodeId === START_NODE_ID || specNodeId === END_NODE_ID) continue;
    const node = [...(template?.nodes ?? [])].reverse().find((n) => n.id === specNodeId);
    if (!node) {
      throw new Error(`failed to discover workflow node '${specNodeId}' in workflow '${template?.id ? identifierText(template.id) : "<nil>"}'`);
    }
    const span = nodeExecutionSpan(source, ne, node, depth);
    const latest = latestUpstreamNodeExecution(specNodeId, closure?.primary?.connections?.upstream, nodeExecutions);
    if (latest) span.spans.unshift(operationSpan(latest.closure?.updatedAt, ne.closure?.createdAt, NODE_TRANSITION));
    spans.push(span);
  }
}

/**
 * An execution's span (created_at → updated_at). With depth ≠ 0: WORKFLOW_SETUP
 * to the start node's update (or the whole execution when the start node has
 * not been updated), the node spans, and WORKFLOW_TEARDOWN from the end node's
 * latest upstream update. A negative depth is unlimited, as in FlyteAdmin.
 */
export function executionSpan(source: MetricsSource, execution: Execution, depth: number): Span {
  const c = execution.closure;
  const spans: Span[] = [];
  if (depth !== 0) {
    const workflowId = c?.workflowId;
    if (!workflowId) throw invalidArgument("missing id");
    const closure = source.workflow(workflowId);
    if (!closure) throw notFound(missingEntityMessage(workflowId, ResourceType.WORKFLOW));
    const nodes = bySpecNodeId(source.nodeExecutions(execution.id!, ""));
    const start = nodes.get(START_NODE_ID);
    if (isUnset(start?.closure?.updatedAt)) {
      spans.push(operationSpan(c?.createdAt, c?.updatedAt, WORKFLOW_SETUP));
    } else {
      spans.push(operationSpan(c?.createdAt, start?.closure?.updatedAt, WORKFLOW_SETUP));
      nodeExecutionSpans(source, nodes, closure, spans, depth - 1);
      const latest = latestUpstreamNodeExecution(END_NODE_ID, closure.primary?.connections?.upstream, nodes);
      if (latest && notBefore(c?.updatedAt, latest.closure?.updatedAt)) spans.push(operationSpan(latest.closure?.updatedAt, c?.updatedAt, WORKFLOW_TEARDOWN));
    }
  }
  return create(SpanSchema, {
    startTime: copyTs(c?.createdAt),
    endTime: copyTs(c?.updatedAt),
    id: { case: "workflowId", value: execution.id! },
    spans,
  });
}
