import { clone } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { type Execution, ExecutionSchema } from "../../gen/flyteidl/admin/execution_pb.js";
import type { NodeExecution } from "../../gen/flyteidl/admin/node_execution_pb.js";
import type { TaskExecution } from "../../gen/flyteidl/admin/task_execution_pb.js";
import { type CompiledWorkflowClosure, CompiledWorkflowClosureSchema } from "../../gen/flyteidl/core/compiler_pb.js";
import type { Identifier, NodeExecutionIdentifier, WorkflowExecutionIdentifier } from "../../gen/flyteidl/core/identifier_pb.js";
import type { Node } from "../../gen/flyteidl/core/workflow_pb.js";
import type { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import { END_NODE_ID, executionSpan, lookupExecution, MetricsSnapshot, START_NODE_ID, workflowKeyOf } from "../core/execution-metrics.js";
import type { ListQuery } from "../core/list-query.js";
import { nodeExecutionOfListed } from "../core/listed-node-execution.js";
import type { NodeParent } from "../storage/store.js";
import type { ApiDeps } from "./deps.js";
import { checkIdentifierText } from "../core/text-limits.js";

type Impl = Pick<ServiceImpl<typeof AdminService>, "getExecutionMetrics">;

/** What GetExecutionMetrics reads: the store, and the blob store for dynamic nodes' generated workflows. */
export type MetricsDeps = Pick<ApiDeps, "store" | "blobs">;

/** FlyteAdmin's MetricsManager pages its list calls 50 at a time. */
const PAGE = 50;

/**
 * AdminService.GetExecutionMetrics (FlyteAdmin's MetricsManager): loads what
 * the requested depth can reach, then builds the span tree in core.
 */
export function metricsHandlers(deps: MetricsDeps): Impl {
  return {
    async getExecutionMetrics(req) {
      const source = new MetricsSnapshot();
      const root = await loadExecution(deps, req.id);
      if (root) await preload(deps, source, root, req.depth);
      // Validation and NOT_FOUND come from the same lookup core uses for launch-plan children.
      const execution = lookupExecution(source, req.id);
      return { span: executionSpan(source, execution, req.depth) };
    },
  };
}

/** An execution with closure.workflow_id filled from the stored row when the closure lacks it. */
async function loadExecution({ store }: MetricsDeps, id: WorkflowExecutionIdentifier | undefined): Promise<Execution | undefined> {
  if (!id || id.project === "" || id.domain === "" || id.name === "") return undefined;
  checkIdentifierText(id);
  const stored = await store.executions.get({ project: id.project, domain: id.domain, name: id.name });
  if (!stored) return undefined;
  if (stored.execution.closure?.workflowId) return stored.execution;
  const execution = clone(ExecutionSchema, stored.execution);
  if (execution.closure) execution.closure.workflowId = stored.workflow;
  return execution;
}

/** Subworkflow references of a workflow's nodes, branch cases included. */
function subworkflowRefs(nodes: readonly Node[], out: Identifier[] = []): Identifier[] {
  for (const node of nodes) {
    const t = node.target;
    if (t.case === "workflowNode" && t.value.reference.case === "subWorkflowRef") out.push(t.value.reference.value);
    if (t.case === "branchNode") {
      const ifElse = t.value.ifElse;
      const cases = [ifElse?.case?.thenNode, ...(ifElse?.other ?? []).map((o) => o.thenNode), ifElse?.default.case === "elseNode" ? ifElse.default.value : undefined];
      subworkflowRefs(cases.filter((n): n is Node => n !== undefined), out);
    }
  }
  return out;
}

/**
 * Loads into `source` everything the span builder can read at `depth`: the
 * workflows, node executions (children of every node too), task attempts,
 * dynamic workflows and launch-plan child executions. Missing entities are
 * left out; core reports them only if it needs them, as FlyteAdmin does.
 */
export async function preload(deps: MetricsDeps, source: MetricsSnapshot, root: Execution, depth: number): Promise<void> {
  const { store, blobs } = deps;
  const triedWorkflows = new Set<string>();

  const loadWorkflow = async (id: Identifier): Promise<void> => {
    const key = workflowKeyOf(id);
    if (triedWorkflows.has(key)) return;
    triedWorkflows.add(key);
    const closure = (await store.workflows.get(id))?.closure?.compiledWorkflow;
    if (!closure) return;
    source.addWorkflow(id, closure);
    await loadReferencedWorkflows(closure);
  };
  const loadReferencedWorkflows = async (closure: CompiledWorkflowClosure) => {
    for (const ref of subworkflowRefs(closure.primary?.template?.nodes ?? [])) await loadWorkflow(ref);
  };

  const listNodes = async (exec: WorkflowExecutionIdentifier, parent: NodeParent): Promise<NodeExecution[]> => {
    const all: NodeExecution[] = [];
    for (let offset = 0; ; offset += PAGE) {
      const query: ListQuery = { filters: [], limit: PAGE, offset };
      const page = (await store.nodeExecutions.list({ project: exec.project, domain: exec.domain, name: exec.name }, parent, query)).map(nodeExecutionOfListed);
      all.push(...page);
      if (page.length < PAGE) return all;
    }
  };
  const listTasks = async (id: NodeExecutionIdentifier): Promise<TaskExecution[]> => {
    const exec = id.executionId!;
    const all: TaskExecution[] = [];
    for (let offset = 0; ; offset += PAGE) {
      const query: ListQuery = { filters: [], limit: PAGE, offset };
      const page = await store.taskExecutions.list({ project: exec.project, domain: exec.domain, name: exec.name, nodeId: id.nodeId }, query);
      all.push(...page);
      if (page.length < PAGE) return all;
    }
  };
  const loadDynamicWorkflow = async (id: NodeExecutionIdentifier): Promise<void> => {
    const exec = id.executionId!;
    const uri = await store.nodeExecutions.dynamicWorkflowUri({ project: exec.project, domain: exec.domain, name: exec.name, nodeId: id.nodeId });
    const blobKey = uri ? blobs.keyOf(uri) : undefined;
    if (!blobKey) return;
    const closure = await blobs.getMessage(blobKey, CompiledWorkflowClosureSchema);
    if (!closure?.primary?.template) throw new Error(`dynamic workflow closure at ${uri} is unreadable or has no primary workflow`);
    source.addDynamicWorkflow(id, closure);
    await loadReferencedWorkflows(closure);
  };

  /** Lists the node executions under `parentNodeId`; their contents when `budget` ≠ 0. */
  const loadNodes = async (exec: WorkflowExecutionIdentifier, parentNodeId: string, budget: number): Promise<void> => {
    const list = await listNodes(exec, parentNodeId === "" ? { kind: "top" } : { kind: "node", nodeId: parentNodeId });
    source.addNodeExecutions(exec, parentNodeId, list);
    if (budget === 0) return;
    for (const ne of list) {
      const spec = ne.metadata?.specNodeId ?? "";
      if (!ne.id || spec === START_NODE_ID || spec === END_NODE_ID) continue;
      source.addTaskExecutions(ne.id, await listTasks(ne.id));
      await loadNodes(exec, ne.id.nodeId, budget - 1);
      if (ne.metadata?.isParentNode && source.nodeExecutions(exec, ne.id.nodeId).length > 0) await loadDynamicWorkflow(ne.id);
      const target = ne.closure?.targetMetadata;
      if (target?.case === "workflowNodeMetadata") {
        const child = await loadExecution(deps, target.value.executionId);
        if (child && !source.hasExecution(child.id!)) await loadExecutionTree(child, budget - 1);
      }
    }
  };

  const loadExecutionTree = async (execution: Execution, budget: number): Promise<void> => {
    source.addExecution(execution);
    if (budget === 0 || !execution.id) return;
    const workflowId = execution.closure?.workflowId;
    if (workflowId) await loadWorkflow(workflowId);
    await loadNodes(execution.id, "", budget - 1);
  };

  await loadExecutionTree(root, depth);
}
