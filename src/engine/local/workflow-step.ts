import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type ExecutionError, WorkflowExecution_Phase as Phase } from "../../../gen/flyteidl/core/execution_pb.js";
import { LiteralMapSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import { WorkflowExecutionEventSchema } from "../../../gen/flyteidl/event/event_pb.js";
import { readMessage, writeMessage } from "./blob-uris.js";
import { ErrorKind, errorText, executionError, truncateError } from "./execution-error.js";
import { END_NODE, START_NODE } from "./node-events.js";
import { StopExecution } from "./event-recorder.js";
import type { NodeExecutor } from "./node-executor.js";
import { outputsPath, workflowDir } from "./paths.js";
import type { RoundContext } from "./round-context.js";
import { errorFromJson, errorToJson, type WorkflowPhase } from "./status.js";

export const FAILING_ABORT_REASON = "Some node execution failed, auto-abort.";
export const TERMINATE_REASON = "Workflow aborted.";

const EVENT_PHASE: Partial<Record<WorkflowPhase, Phase>> = {
  Running: Phase.RUNNING,
  Succeeding: Phase.SUCCEEDING,
  Success: Phase.SUCCEEDED,
  Failing: Phase.FAILING,
  HandlingFailureNode: Phase.FAILING,
  Failed: Phase.FAILED,
  Aborted: Phase.ABORTED,
};

const defaultError = () => executionError(ErrorKind.UNKNOWN, "RuntimeExecutionError", "Unknown error");

/**
 * propeller's TransitionToPhase (engine-spec §2.2): one event per phase
 * change; when the control plane already has the execution terminal the
 * engine fails it locally without reporting ("state mismatch").
 */
export async function transitionTo(ctx: RoundContext, to: WorkflowPhase, error?: ExecutionError): Promise<void> {
  const s = ctx.status;
  if (s.phase === to) return;
  const now = ctx.now();
  const phase = EVENT_PHASE[to];
  if (phase === undefined) throw new Error(`illegal workflow transition from ${s.phase} to ${to}`);
  const event = create(WorkflowExecutionEventSchema, { executionId: ctx.def.executionId, producerId: ctx.producerId, phase });
  const failure = to === "Failing" || to === "HandlingFailureNode" || to === "Failed";
  if (failure) {
    const e = truncateError(error ?? errorFromJson(s.error) ?? defaultError());
    event.outputResult = { case: "error", value: e };
    s.error = errorToJson(e);
  }
  if (to === "Running") s.startedAt ??= now.toISOString();
  if (to === "Success" || to === "Failed" || to === "Aborted") s.stoppedAt ??= now.toISOString();
  if (to === "Success" && s.outputRef) event.outputResult = { case: "outputUri", value: s.outputRef };
  const at = to === "Running" ? s.startedAt! : to === "Success" || to === "Failed" || to === "Aborted" ? s.stoppedAt! : now.toISOString();
  event.occurredAt = timestampFromDate(new Date(at));
  const answer = await ctx.recorder.workflow(event);
  if (answer === "mismatch") {
    ctx.services.logger.warn("engine: execution already terminal at the control plane", { execution: ctx.key.name, phase: Phase[phase] });
    // The round stops the execution locally (its started nodes are cleaned up) without reporting more.
    throw new StopExecution("WorkflowTerminal", `workflow state mismatch between the engine and the control plane; engine state: ${Phase[phase]}`);
  }
  s.phase = to;
}

/** One step of a workflow that is not being aborted (propeller's HandleFlyteWorkflow). */
export async function stepWorkflow(ctx: RoundContext, nodes: NodeExecutor): Promise<void> {
  const s = ctx.status;
  switch (s.phase) {
    case "Ready": {
      s.dataDir = workflowDir(ctx.services.metadataBase, ctx.key);
      const start = nodes.context(ctx, ctx.top, START_NODE);
      let inputs;
      try {
        inputs = await readMessage(ctx.services.blobs, ctx.def.json.inputsUri, LiteralMapSchema);
        if (!inputs) throw new Error(`no inputs at ${ctx.def.json.inputsUri}`);
      } catch (e) {
        return transitionTo(ctx, "Failing", executionError(ErrorKind.SYSTEM, "OffloadedInputsReadFailure", errorText(e)));
      }
      await writeMessage(ctx.services.blobs, outputsPath(start.outputDir), LiteralMapSchema, inputs);
      return transitionTo(ctx, "Running");
    }
    case "Running": {
      const outcome = await nodes.handle(ctx, ctx.top, START_NODE);
      if (outcome.kind === "failed") return transitionTo(ctx, "Failing", outcome.error);
      if (outcome.kind === "timedOut") return transitionTo(ctx, "Failing", executionError(ErrorKind.USER, "Timeout", "Timeout in node"));
      if (outcome.kind === "complete") return transitionTo(ctx, "Succeeding");
      return;
    }
    case "Succeeding": {
      const end = s.nodes[END_NODE];
      if ((end?.phase === "Succeeded" || end?.phase === "Recovered") && end.outputDir) s.outputRef = outputsPath(end.outputDir);
      return transitionTo(ctx, "Success");
    }
    case "Failing":
      await nodes.abort(ctx, ctx.top, START_NODE, FAILING_ABORT_REASON);
      // With a failure node the workflow reports FAILING once more (absorbed) and runs it first.
      return transitionTo(ctx, ctx.top.failureNodeId ? "HandlingFailureNode" : "Failed", errorFromJson(s.error));
    case "HandlingFailureNode": {
      const outcome = await nodes.handle(ctx, ctx.top, ctx.top.failureNodeId!);
      if (outcome.kind === "failed") return transitionTo(ctx, "Failed", outcome.error);
      if (outcome.kind === "timedOut") return transitionTo(ctx, "Failed", executionError(ErrorKind.USER, "TimedOut", "FailureNode Timed-out"));
      // "pending" is a failure node between two attempts: propeller takes it as done and fails the workflow,
      // which leaves the handler's node RUNNING for good and its retry never run; the engine waits for it.
      if (outcome.kind === "queued" || outcome.kind === "running" || outcome.kind === "success" || outcome.kind === "pending") return;
      return transitionTo(ctx, "Failed", errorFromJson(s.error));
    }
    default:
      return;
  }
}

/** TerminateExecution (engine-spec §2.6): abort every started node, then report ABORTED. */
export async function abortWorkflow(ctx: RoundContext, nodes: NodeExecutor): Promise<void> {
  if (ctx.status.phase !== "Ready") await nodes.abort(ctx, ctx.top, START_NODE, TERMINATE_REASON);
  // The failure node is outside the graph the walk follows.
  if (ctx.top.failureNodeId && ctx.status.phase === "HandlingFailureNode") await nodes.abort(ctx, ctx.top, ctx.top.failureNodeId, TERMINATE_REASON);
  return transitionTo(ctx, "Aborted");
}

/** The code of the failure an execution ends with when its rounds kept failing (propeller's HandleAbortedWorkflow). */
export const ABORT_FAILED_CODE = "Workflow abort failed";

/** Best-effort abort of every started node (slots released, processes stopped); failures are only logged. */
export async function cleanUp(ctx: RoundContext, nodes: NodeExecutor, reason: string, recorder = ctx.recorder): Promise<void> {
  const c: RoundContext = { ...ctx, recorder };
  const log = (e: unknown) => ctx.services.logger.warn("engine: cleanup of an execution failed", { execution: ctx.key.name, error: errorText(e) });
  if (ctx.status.phase !== "Ready") await nodes.abort(c, ctx.top, START_NODE, reason).catch(log);
  if (ctx.top.failureNodeId && ctx.status.nodes[ctx.top.failureNodeId]) await nodes.abort(c, ctx.top, ctx.top.failureNodeId, reason).catch(log);
}

/** Rounds kept failing: clean up what can be, then report FAILED {SYSTEM, `message`}. */
export async function giveUp(ctx: RoundContext, nodes: NodeExecutor, reason: string, message: string): Promise<void> {
  await cleanUp(ctx, nodes, reason);
  return transitionTo(ctx, "Failed", executionError(ErrorKind.SYSTEM, ABORT_FAILED_CODE, message));
}
