import { create } from "@bufbuild/protobuf";
import type { Identifier } from "../../../gen/flyteidl/core/identifier_pb.js";
import { TaskNodeMetadataSchema } from "../../../gen/flyteidl/event/event_pb.js";
import type { LaunchPlanInterface } from "../../core/compiler/index.js";
import { checkIdentifierText } from "../../core/text-limits.js";
import type { Store } from "../../storage/store.js";
import { blobExists } from "./blob-uris.js";
import type { DagScope } from "./dag-scope.js";
import { createDynamicWorkflows, type DynamicWorkflow, type DynamicWorkflowsOptions } from "./dynamic-closure.js";
import { ErrorKind, executionError } from "./execution-error.js";
import { copyEndOutputs, endOutputsUri } from "./nested-graph.js";
import { START_NODE } from "./node-events.js";
import type { NodeExecutor } from "./node-executor.js";
import { checkTaskOutputs } from "./output-check.js";
import { futuresPath, outputsPath } from "./paths.js";
import { type HandlerResult, type NodeContext, type NodeHandler, result } from "./round-context.js";
import { type DynamicState, errorFromJson, errorToJson, type NodeStatus } from "./status.js";
import { taskTemplateOf } from "./task-handler.js";

/**
 * Levels of nested graphs (subworkflows, branches, dynamic workflows) above
 * which a dynamic node no longer builds its workflow: a dynamic task that
 * keeps yielding itself would otherwise nest without end.
 */
export const MAX_DYNAMIC_NESTING = 32;

const FAILED_REASON = "Dynamic workflow failed";

export type DynamicHandlerOptions = DynamicWorkflowsOptions;

/** Launch plan interfaces from the registry, as registration compiles against them. */
export function registeredLaunchPlans(store: Pick<Store, "launchPlans">): DynamicHandlerOptions["launchPlan"] {
  return async (id: Identifier): Promise<LaunchPlanInterface | undefined> => {
    checkIdentifierText(id);
    const lp = await store.launchPlans.get(id);
    return lp && { id, expectedInputs: lp.closure?.expectedInputs, expectedOutputs: lp.closure?.expectedOutputs };
  };
}

/**
 * Task nodes, dynamic or not (propeller's dynamic node handler, engine-spec
 * §5.4, §2.4.9): the task runs through `task`; when it succeeds having
 * written a futures file, the node stays running while the parent task is
 * finalized, its workflow is built, compiled, cached and reported
 * (DYNAMIC_RUNNING), and its children run as a nested graph in a dynamic
 * chain. Their end node's outputs become the node's outputs, checked like
 * a task's; failed children fail the node, timed-out ones retry it.
 */
export function createDynamicTaskHandler(nodes: NodeExecutor, task: NodeHandler, options: DynamicHandlerOptions): NodeHandler {
  const workflows = createDynamicWorkflows(options);
  // Node statuses whose event of this step carries the dynamic workflow (is_parent); statuses are re-read each round.
  const announcing = new WeakSet<NodeStatus>();

  const setState = (n: NodeContext, s: DynamicState) => {
    n.status.dynamic = s;
  };
  const failing = (n: NodeContext, error: ReturnType<typeof executionError> | undefined, permanent: boolean, reason = FAILED_REASON) =>
    setState(n, { phase: "Failing", reason, permanent, ...(error ? { error: errorToJson(error) } : {}) });

  /** The node's workflow, or why there is none: the user's (a spec that does not build) or a lost template. */
  const loadWorkflow = async (n: NodeContext): Promise<DynamicWorkflow | { error: ReturnType<typeof executionError> }> => {
    const parent = taskTemplateOf(n);
    if (!parent) return { error: executionError(ErrorKind.SYSTEM, "TaskTemplateNotFound", `task template of node [${n.specId}] is not in the compiled workflow`) };
    const wf = await workflows.load(n, parent);
    return "userError" in wf ? { error: executionError(ErrorKind.USER, "DynamicWorkflowBuildFailed", wf.userError) } : wf;
  };
  /** The node's workflow; without one the node fails (and its state says so, for abort and finalize). */
  const load = async (n: NodeContext): Promise<DynamicWorkflow | HandlerResult> => {
    const wf = await loadWorkflow(n);
    if (!("error" in wf)) return wf;
    failing(n, wf.error, true, wf.error.message);
    return result("Failure", n.round.now(), "", wf.error);
  };
  const isResult = (x: DynamicWorkflow | HandlerResult): x is HandlerResult => "phase" in x;
  const scopeOf = (n: NodeContext, wf: DynamicWorkflow): DagScope => nodes.childScope(n, wf.graph, { tasks: wf.tasks, subWorkflows: wf.closure.subWorkflows, dynamic: true });

  /** Aborts every started child (each reported ABORTED, its process stopped); nothing to do before any started. */
  const abortChildren = async (n: NodeContext, reason: string) => {
    if (!n.status.nodes || Object.keys(n.status.nodes).length === 0) return;
    const wf = await loadWorkflow(n);
    if ("error" in wf) return;
    await nodes.abort(n.round, scopeOf(n, wf), START_NODE, reason);
  };

  /** None: the task runs; its success with a futures file makes the node dynamic. */
  const handleParent = async (n: NodeContext): Promise<HandlerResult> => {
    const r = await task.handle(n);
    if (r.phase !== "Success" || !(await blobExists(n.round.services.blobs, futuresPath(n.outputDir)))) return r;
    setState(n, { phase: "ParentFinalizing" });
    // The outputs are the children's, later: nothing of the task's success is reported now.
    return result("Running", r.occurredAt, r.reason, undefined, r.info?.taskNodeMetadata ? { taskNodeMetadata: r.info.taskNodeMetadata } : undefined);
  };

  /** ParentFinalized: build (or reuse) the workflow and report it. */
  const produce = async (n: NodeContext): Promise<HandlerResult> => {
    const nesting = nestingLevel(n);
    if (nesting >= MAX_DYNAMIC_NESTING) {
      const message = `dynamic workflow of node [${n.uniqueId}] would be nested ${nesting + 1} levels deep, more than the ${MAX_DYNAMIC_NESTING} allowed`;
      const error = executionError(ErrorKind.USER, "DynamicWorkflowBuildFailed", message);
      failing(n, error, true, message);
      return result("Failure", n.round.now(), "", error);
    }
    const wf = await load(n);
    if (isResult(wf)) return wf;
    setState(n, { phase: "Executing" });
    announcing.add(n.status);
    const taskNodeMetadata = create(TaskNodeMetadataSchema, {
      dynamicWorkflow: { id: wf.closure.primary!.template!.id, compiledWorkflow: wf.closure, dynamicJobSpecUri: futuresPath(n.outputDir) },
    });
    return result("DynamicRunning", n.round.now(), "", undefined, { taskNodeMetadata });
  };

  /** Executing: one step of the children; once they are done, their outputs become the node's. */
  const execute = async (n: NodeContext): Promise<HandlerResult> => {
    const ctx = n.round;
    const wf = await load(n);
    if (isResult(wf)) return wf;
    const scope = scopeOf(n, wf);
    const outcome = await nodes.handle(ctx, scope, START_NODE);
    if (outcome.kind === "failed" || outcome.kind === "timedOut") {
      // Failure nodes of a dynamic workflow are not run (propeller does not support them either).
      failing(n, outcome.kind === "failed" ? outcome.error : undefined, outcome.kind === "failed");
      return result("DynamicRunning", ctx.now());
    }
    if (outcome.kind !== "complete") return result("DynamicRunning", ctx.now());
    let info: HandlerResult["info"];
    if (wf.closure.primary!.template!.outputs.length > 0) {
      const target = outputsPath(n.outputDir);
      if (!(await copyEndOutputs(ctx, scope, target))) {
        const error = executionError(ErrorKind.SYSTEM, "DynamicWorkflowOutputsNotFound", `dynamic workflow is expected to produce outputs but no outputs file was written to ${endOutputsUri(scope)}.`);
        failing(n, error, false, "DynamicWorkflow is expected to produce outputs but no outputs file was written");
        return result("RetryableFailure", ctx.now(), "", error);
      }
      info = { outputUri: target };
    }
    const problem = await checkTaskOutputs(ctx.services.blobs, taskTemplateOf(n)!, n.outputDir);
    if (problem) {
      failing(n, problem.error, !problem.recoverable, problem.error.message);
      return result(problem.recoverable ? "RetryableFailure" : "Failure", ctx.now(), "", problem.error);
    }
    return result("Success", ctx.now(), "", undefined, info);
  };

  /** Failing: the children are stopped, then the node fails (permanently when a child failed, else it may retry). */
  const fail = async (n: NodeContext, s: DynamicState): Promise<HandlerResult> => {
    const reason = s.reason ?? FAILED_REASON;
    if (!s.childrenAborted) await abortChildren(n, reason);
    s.childrenAborted = true;
    const error = errorFromJson(s.error) ?? executionError(ErrorKind.UNKNOWN, "DynamicNodeFailing", reason);
    return result(s.permanent ? "Failure" : "RetryableFailure", n.round.now(), "", error);
  };

  return {
    finalizeRequired: true,

    async handle(n) {
      announcing.delete(n.status);
      const s = n.status.dynamic;
      switch (s?.phase) {
        case undefined:
          return handleParent(n);
        case "ParentFinalizing":
          // The task is done: its slot and whatever its plugin holds are released before the children start.
          await task.finalize(n);
          setState(n, { phase: "ParentFinalized" });
          return result("Running", n.round.now());
        case "ParentFinalized":
          return produce(n);
        case "Executing":
          return execute(n);
        case "Failing":
          return fail(n, s);
      }
    },

    async abort(n, reason, final) {
      const s = n.status.dynamic;
      if (s?.phase === "Executing" || (s?.phase === "Failing" && !s.childrenAborted)) await abortChildren(n, reason);
      // A task attempt that already ended has nothing to stop (the task handler knows).
      await task.abort(n, reason, final);
    },

    finalize: (n) => task.finalize(n),

    eventFlags(n) {
      if (!n.status.dynamic) return {};
      return { isDynamic: true, isParent: announcing.has(n.status) };
    },
  };
}

/**
 * How many nested graphs the node sits in: a top-level node's output dir is
 * `W/<id>/data/<a>`, and each level below adds `<id>/<attempt>` (engine-spec §3.1).
 */
function nestingLevel(n: NodeContext): number {
  const segments = (uri: string) => uri.split("/").filter((s) => s !== "").length;
  const top = n.round.status.dataDir;
  if (!top) return 0;
  return Math.max(0, Math.floor((segments(n.outputDir) - segments(top) - 3) / 2));
}
