import type { CompiledWorkflow } from "../../../gen/flyteidl/core/compiler_pb.js";
import type { ExecutionError } from "../../../gen/flyteidl/core/execution_pb.js";
import type { Identifier } from "../../../gen/flyteidl/core/identifier_pb.js";
import { LiteralMapSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import type { Node, WorkflowTemplate } from "../../../gen/flyteidl/core/workflow_pb.js";
import { identifierKey, identifierText } from "../../core/compiler/index.js";
import { readMessage } from "./blob-uris.js";
import { type DagScope, type Graph, graphOf } from "./dag-scope.js";
import { ErrorKind, errorText, executionError } from "./execution-error.js";
import { copyEndOutputs, endOutputsUri, writeStartOutputs } from "./nested-graph.js";
import { START_NODE } from "./node-events.js";
import type { NodeExecutor } from "./node-executor.js";
import { outputsPath } from "./paths.js";
import { type HandlerResult, type NodeContext, type NodeHandler, result } from "./round-context.js";
import { errorFromJson, errorToJson, type SubworkflowState } from "./status.js";

/** Why a subworkflow node aborts the rest of its graph once a child failed (propeller's HandleFailingSubWorkflow). */
export const SUBWORKFLOW_FAILED_REASON = "subworkflow failed";

/**
 * Subworkflows inside subworkflows, at most this deep. The compiler rejects a
 * subworkflow that contains itself; this keeps a definition that slipped past
 * it from growing one level per round forever.
 */
export const MAX_SUBWORKFLOW_DEPTH = 64;

interface Subworkflow {
  template: WorkflowTemplate;
  graph: Graph;
}

/** Graphs of compiled subworkflows, built once per compiled workflow (the definition's or a dynamic workflow's). */
const graphs = new WeakMap<CompiledWorkflow, Subworkflow>();

/** The compiled subworkflow `ref` names, from the scope's own (a dynamic workflow's) before the enclosing ones. */
function findSubworkflow(scope: DagScope, ref: Identifier): Subworkflow | undefined {
  const key = identifierKey(ref);
  const compiled = scope.subWorkflows.find((w) => w.template?.id && identifierKey(w.template.id) === key);
  if (!compiled?.template) return undefined;
  let sub = graphs.get(compiled);
  if (!sub) {
    sub = { template: compiled.template, graph: graphOf(compiled.template, compiled.connections) };
    graphs.set(compiled, sub);
  }
  return sub;
}

const subworkflowRef = (node: Node) =>
  node.target.case === "workflowNode" && node.target.value.reference.case === "subWorkflowRef" ? node.target.value.reference.value : undefined;

/** How many subworkflow levels a scope is below the workflow (only scopes this handler made count). */
const depthOf = new WeakMap<DagScope, number>();

const failure = (n: NodeContext, code: string, message: string, kind = ErrorKind.SYSTEM): HandlerResult =>
  result("Failure", n.round.now(), message, executionError(kind, code, message));

/**
 * Subworkflow nodes (engine-spec §2.4.5, §5.6; propeller's subworkflow
 * handler): the node runs the compiled subworkflow as a nested graph under
 * itself, as the workflow runs its own nodes — start node outputs = the
 * node's inputs, the subworkflow's failure policy and failure node inside —
 * and ends with its outputs or its first failure. Never retried by itself.
 */
export function createSubworkflowHandler(nodes: NodeExecutor): NodeHandler {
  /** The running subworkflow's graph, its statuses in the node's status; its failure node's `err` is the failure being handled. */
  const scopeOf = (n: NodeContext, sub: Subworkflow): DagScope => {
    const scope = nodes.childScope(n, sub.graph, { failureError: () => errorFromJson(n.status.subworkflow?.error) });
    depthOf.set(scope, (depthOf.get(n.scope) ?? 0) + 1);
    return scope;
  };

  const lookup = (n: NodeContext): Subworkflow | HandlerResult => {
    const ref = subworkflowRef(n.node);
    if (!ref) return failure(n, "BadSpecificationError", "workflow wfNode does not have a subworkflow or child workflow reference");
    const sub = findSubworkflow(n.scope, ref);
    if (!sub) return failure(n, "SubWorkflowExecutionFailed", `failed to find sub workflow with ID [${identifierText(ref)}]`);
    if ((depthOf.get(n.scope) ?? 0) >= MAX_SUBWORKFLOW_DEPTH) {
      return failure(n, "SubWorkflowExecutionFailed", `subworkflow [${identifierText(ref)}] is nested more than ${MAX_SUBWORKFLOW_DEPTH} subworkflows deep`);
    }
    return sub;
  };

  /** First step: the node's inputs become the subworkflow's start node outputs, then the graph starts. */
  const start = async (n: NodeContext, state: SubworkflowState, scope: DagScope, sub: Subworkflow): Promise<HandlerResult> => {
    let inputs;
    try {
      inputs = await readMessage(n.round.services.blobs, n.inputsUri, LiteralMapSchema);
    } catch (e) {
      return failure(n, "RuntimeExecutionError", `Failed to read input. Error [${errorText(e)}]`);
    }
    await writeStartOutputs(n.round, scope, inputs);
    state.phase = "running";
    return step(n, state, scope, sub);
  };

  /** One walk of the subworkflow's graph (propeller's handleSubWorkflow). */
  const step = async (n: NodeContext, state: SubworkflowState, scope: DagScope, sub: Subworkflow): Promise<HandlerResult> => {
    const outcome = await nodes.handle(n.round, scope, START_NODE);
    const now = n.round.now();
    switch (outcome.kind) {
      case "failed":
      case "timedOut": {
        // The rest of the graph is aborted (and the failure node run) from the next step on; the node reports nothing yet.
        const error = outcome.kind === "failed" ? outcome.error : executionError(ErrorKind.USER, "Timeout", "Timeout in node");
        state.phase = "failing";
        state.error = errorToJson(error);
        return result("Running", now);
      }
      case "complete":
        return complete(n, scope, sub);
      default:
        return result("Running", now);
    }
  };

  /** The graph completed: its outputs (when it declares any) become the node's. */
  const complete = async (n: NodeContext, scope: DagScope, sub: Subworkflow): Promise<HandlerResult> => {
    if (sub.template.outputs.length === 0) return result("Success", n.round.now());
    const target = outputsPath(n.outputDir);
    if (!(await copyEndOutputs(n.round, scope, target))) {
      return failure(n, "SubWorkflowExecutionFailed", `Subworkflow is expected to produce outputs but no outputs file was written to ${endOutputsUri(scope)}.`);
    }
    return result("Success", n.round.now(), "", undefined, { outputUri: target });
  };

  /** A child failed: abort the rest, then fail, or run the subworkflow's failure node first (propeller's HandleFailingSubWorkflow). */
  const failing = async (n: NodeContext, state: SubworkflowState, scope: DagScope): Promise<HandlerResult> => {
    await nodes.abort(n.round, scope, START_NODE, SUBWORKFLOW_FAILED_REASON);
    if (!scope.failureNodeId) return failed(n, state);
    state.phase = "handlingFailureNode";
    return handlingFailureNode(n, state, scope);
  };

  /** The subworkflow's failure node runs to its end; the node then fails with the original error, or the failure node's own. */
  const handlingFailureNode = async (n: NodeContext, state: SubworkflowState, scope: DagScope): Promise<HandlerResult> => {
    const outcome = await nodes.handle(n.round, scope, scope.failureNodeId!);
    switch (outcome.kind) {
      case "failed":
        return result("Failure", n.round.now(), outcome.error.message, outcome.error);
      case "complete":
      case "timedOut":
      case "recovered":
        return failed(n, state);
      default:
        // Queued, running, or between two attempts ("pending", which propeller takes as done: see workflow-step.ts).
        return result("Running", n.round.now());
    }
  };

  const failed = (n: NodeContext, state: SubworkflowState): HandlerResult => {
    const error: ExecutionError = errorFromJson(state.error) ?? executionError(ErrorKind.UNKNOWN, "SubworkflowNodeFailing", "");
    return result("Failure", n.round.now(), error.message, error);
  };

  return {
    finalizeRequired: false,
    eventFlags: () => ({ isParent: true }),

    async handle(n) {
      const sub = lookup(n);
      if ("phase" in sub) return sub;
      const state = (n.status.subworkflow ??= {});
      const scope = scopeOf(n, sub);
      switch (state.phase) {
        case undefined:
          return start(n, state, scope, sub);
        case "running":
          return step(n, state, scope, sub);
        case "failing":
          return failing(n, state, scope);
        case "handlingFailureNode":
          return handlingFailureNode(n, state, scope);
        default:
          return failure(n, "SubWorkflowExecutionFailed", `unknown subworkflow state [${String(state.phase)}]`);
      }
    },

    async abort(n, reason) {
      const sub = lookup(n);
      if ("phase" in sub) return;
      const scope = scopeOf(n, sub);
      const phase = n.status.subworkflow?.phase;
      // Once the failure node runs, the rest of the graph was aborted already (an abort leaves the phases as they were).
      if (phase !== "handlingFailureNode") await nodes.abort(n.round, scope, START_NODE, reason);
      else if (scope.failureNodeId) await nodes.abort(n.round, scope, scope.failureNodeId, reason);
    },

    async finalize() {},
  };
}
