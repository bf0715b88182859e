import type { ExecutionError } from "../../../gen/flyteidl/core/execution_pb.js";
import type { TaskTemplate } from "../../../gen/flyteidl/core/tasks_pb.js";
import type { CompiledWorkflow, ConnectionSet } from "../../../gen/flyteidl/core/compiler_pb.js";
import type { LiteralMap } from "../../../gen/flyteidl/core/literals_pb.js";
import type { Node, WorkflowTemplate } from "../../../gen/flyteidl/core/workflow_pb.js";
import { WorkflowMetadata_OnFailurePolicy } from "../../../gen/flyteidl/core/workflow_pb.js";
import { nodeUniqueId } from "./ids.js";
import { nestedNodeDataDir, topNodeDataDir } from "./paths.js";
import type { NodeStatus } from "./status.js";

/** The node a nested graph runs under (engine-spec §1.2 "parent info"). */
export interface ParentInfo {
  uniqueId: string;
  /** The parent node's current attempt (`retry_group` of the children's events). */
  attempt: number;
  /** Below a dynamic node at any depth. */
  inDynamicChain: boolean;
}

/** The nodes and edges of one (sub)workflow, as the compiler connected them. */
export interface Graph {
  nodes: ReadonlyMap<string, Node>;
  upstream: ReadonlyMap<string, readonly string[]>;
  downstream: ReadonlyMap<string, readonly string[]>;
  failAfterExecutableNodes: boolean;
  /** The graph's failure node (flytekit's `on_failure`), run after the graph failed. */
  failureNodeId: string | undefined;
}

/**
 * A graph being executed (propeller's ExecutionContext, DAGStructure and
 * NodeLookup together): the top-level workflow, or the graph a subworkflow,
 * branch, dynamic or array node runs under itself. Node statuses of a nested
 * graph live in its parent node's status, so retrying the parent drops them.
 */
export interface DagScope extends Graph {
  /** Where this graph's node statuses are kept, by spec id. */
  statuses: Record<string, NodeStatus>;
  /** undefined at the top level. */
  parent: ParentInfo | undefined;
  /** Task templates nodes of this graph may reference, by `taskKey`. */
  tasks: ReadonlyMap<string, TaskTemplate>;
  /** Compiled subworkflows nodes of this graph may reference (the closure's; a dynamic workflow's too). */
  subWorkflows: readonly CompiledWorkflow[];
  /** Data dir of a node of this graph: `W/<id>/data` at the top, `<parent's output dir>/<id>` below. */
  dataDirOf(specId: string): string;
  /** The error the graph failed with, which its failure node receives as `err`. */
  failureError(): ExecutionError | undefined;
  /**
   * The graph whose nodes this one's bindings may also name: a branch's
   * then-nodes bind to nodes next to the branch node, not inside it.
   */
  outer: DagScope | undefined;
  /** Set on the one-node graph of an array node's element (engine-spec §5.3). */
  element?: ArrayElement | undefined;
}

/** What an array node's element gets instead of bindings, and what its task process reads of the array node. */
export interface ArrayElement {
  index: number;
  /** The element's inputs, written as its node's inputs.pb in place of resolving bindings. */
  inputs(): Promise<LiteralMap>;
  /** The array node's `D/inputs.pb` and `D`: `{{.input}}` and `{{.inputPrefix}}` of the element's task. */
  arrayInputsUri: string;
  arrayDataDir: string;
}

/** A node's unique id in a scope (engine-spec §1.2). */
export const uniqueIdIn = (scope: Pick<DagScope, "parent">, specId: string): string => nodeUniqueId(scope.parent, specId);

/** The graph of a compiled (sub)workflow; its failure node hangs off the start node alone and leads nowhere (propeller's FailureNodeLookup). */
export function graphOf(template: WorkflowTemplate, connections: ConnectionSet | undefined): Graph {
  const nodes = new Map(template.nodes.map((n) => [n.id, n] as const));
  const edges = (m: Record<string, { ids: string[] }> | undefined) => new Map(Object.entries(m ?? {}).map(([k, v]) => [k, v.ids] as const));
  const upstream = edges(connections?.upstream);
  const downstream = edges(connections?.downstream);
  const failure = template.failureNode;
  if (failure) {
    nodes.set(failure.id, failure);
    upstream.set(failure.id, ["start-node"]);
    downstream.set(failure.id, []);
  }
  return {
    nodes,
    upstream,
    downstream,
    failureNodeId: failure?.id,
    failAfterExecutableNodes: template.metadata?.onFailure === WorkflowMetadata_OnFailurePolicy.FAIL_AFTER_EXECUTABLE_NODES_COMPLETE,
  };
}

/** The top-level workflow's scope. */
export function topScope(
  graph: Graph,
  statuses: Record<string, NodeStatus>,
  tasks: ReadonlyMap<string, TaskTemplate>,
  subWorkflows: readonly CompiledWorkflow[],
  workflowDir: string,
  failureError: () => ExecutionError | undefined,
): DagScope {
  return { ...graph, statuses, parent: undefined, tasks, subWorkflows, dataDirOf: (id) => topNodeDataDir(workflowDir, id), failureError, outer: undefined };
}

export interface ChildScopeOptions {
  /** The child graph's own task templates on top of the enclosing ones (a dynamic workflow's). */
  tasks?: ReadonlyMap<string, TaskTemplate>;
  /** The child graph's own compiled subworkflows, looked up before the enclosing ones (a dynamic workflow's). */
  subWorkflows?: readonly CompiledWorkflow[];
  /** Children of a dynamic node (and everything below them) are in a dynamic chain. */
  dynamic?: boolean;
  /** Bindings may name nodes of the enclosing graph (a branch's then-nodes). */
  bindsOuter?: boolean;
  failureError?: () => ExecutionError | undefined;
}

/**
 * The scope of a graph run by a node: children get unique ids under the
 * node's unique id and current attempt, data dirs under its current output
 * dir, and statuses inside the node's status.
 */
export function childScope(
  parent: { scope: DagScope; uniqueId: string; status: NodeStatus; outputDir: string },
  graph: Graph,
  options: ChildScopeOptions = {},
): DagScope {
  const enclosing = parent.scope;
  const tasks = options.tasks ? new Map([...enclosing.tasks, ...options.tasks]) : enclosing.tasks;
  return {
    ...graph,
    statuses: (parent.status.nodes ??= {}),
    parent: {
      uniqueId: parent.uniqueId,
      attempt: parent.status.attempts,
      inDynamicChain: (options.dynamic ?? false) || (enclosing.parent?.inDynamicChain ?? false),
    },
    tasks,
    subWorkflows: options.subWorkflows?.length ? [...options.subWorkflows, ...enclosing.subWorkflows] : enclosing.subWorkflows,
    dataDirOf: (id) => nestedNodeDataDir(parent.outputDir, id),
    failureError: options.failureError ?? (() => undefined),
    outer: options.bindsOuter ? enclosing : undefined,
  };
}

/** The scope that holds the status of `specId` for binding resolution: this one, or an enclosing one a branch binds to. */
export function scopeHolding(scope: DagScope, specId: string): DagScope | undefined {
  for (let s: DagScope | undefined = scope; s; s = s.outer) {
    if (s.nodes.has(specId)) return s;
  }
  return undefined;
}

/** Calls `fn` for every node status below `statuses`, with its unique id (nested graphs included). */
export function forEachNodeStatus(
  statuses: Record<string, NodeStatus>,
  fn: (uniqueId: string, ns: NodeStatus) => void,
  parent?: { uniqueId: string; attempt: number },
): void {
  for (const [specId, ns] of Object.entries(statuses)) {
    const id = nodeUniqueId(parent, specId);
    fn(id, ns);
    if (ns.nodes) forEachNodeStatus(ns.nodes, fn, { uniqueId: id, attempt: ns.attempts });
  }
}
