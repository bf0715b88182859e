import { NodeExecution_Phase, TaskExecution_Phase, WorkflowExecution_Phase } from "../../../gen/flyteidl/core/execution_pb.js";
import type { NodeExecutionEvent, TaskExecutionEvent, WorkflowExecutionEvent } from "../../../gen/flyteidl/event/event_pb.js";
import { type EventSink, isEventError } from "./event-sink.js";

/**
 * The control plane considers this execution another engine's, or has a
 * terminal phase where the engine has a running one: the engine stops it
 * locally without reporting anything more (engine-spec §2.1 "Admin answers").
 */
export class StopExecution extends Error {
  override name = "StopExecution";
  constructor(
    /** StateMismatch: a node or task is terminal there; WorkflowTerminal: the execution itself is. */
    readonly why: "IncompatibleCluster" | "StateMismatch" | "WorkflowTerminal",
    message: string,
  ) {
    super(message);
  }
}

const TERMINAL_NODE = new Set([
  NodeExecution_Phase.SUCCEEDED,
  NodeExecution_Phase.FAILED,
  NodeExecution_Phase.ABORTED,
  NodeExecution_Phase.SKIPPED,
  NodeExecution_Phase.TIMED_OUT,
  NodeExecution_Phase.RECOVERED,
]);
const TERMINAL_TASK = new Set([TaskExecution_Phase.SUCCEEDED, TaskExecution_Phase.FAILED, TaskExecution_Phase.ABORTED]);

export interface EventRecorder {
  /** A node event; repeats and late terminal events are absorbed. */
  node(event: NodeExecutionEvent): Promise<void>;
  /** The node ABORTED event: also tolerates NOT_FOUND and another cluster. */
  nodeAborted(event: NodeExecutionEvent): Promise<void>;
  task(event: TaskExecutionEvent): Promise<void>;
  /** The task ABORTED event: also tolerates NOT_FOUND and another cluster. */
  taskAborted(event: TaskExecutionEvent): Promise<void>;
  /** A workflow phase change; "mismatch" when the control plane already has it terminal. */
  workflow(event: WorkflowExecutionEvent): Promise<"ok" | "mismatch">;
}

/** Propeller's event recorders and their error rules around a sink. */
export function createEventRecorder(sink: EventSink): EventRecorder {
  const node = async (event: NodeExecutionEvent) => {
    try {
      await sink.node(event);
    } catch (e) {
      // Propeller ignores every answer to end-node events.
      if (event.id?.nodeId === "end-node") return;
      if (isEventError(e, "AlreadyExists")) return;
      if (isEventError(e, "AlreadyInTerminalState")) {
        if (TERMINAL_NODE.has(event.phase)) return;
        throw new StopExecution("StateMismatch", `phase mismatch between the engine and the control plane for node ${event.id?.nodeId}: ${e.message}`);
      }
      if (isEventError(e, "IncompatibleCluster")) throw new StopExecution("IncompatibleCluster", e.message);
      throw e;
    }
  };
  const task = async (event: TaskExecutionEvent) => {
    try {
      await sink.task(event);
    } catch (e) {
      if (isEventError(e, "AlreadyExists")) return;
      if (isEventError(e, "AlreadyInTerminalState")) {
        if (TERMINAL_TASK.has(event.phase)) return;
        throw new StopExecution("StateMismatch", `phase mismatch between the engine and the control plane for a task of node ${event.parentNodeExecutionId?.nodeId}: ${e.message}`);
      }
      if (isEventError(e, "IncompatibleCluster")) throw new StopExecution("IncompatibleCluster", e.message);
      throw e;
    }
  };
  const tolerant = <E>(send: (e: E) => Promise<void>) => async (event: E) => {
    try {
      await send(event);
    } catch (e) {
      if (isEventError(e, "NotFound") || (e instanceof StopExecution && e.why === "IncompatibleCluster")) return;
      throw e;
    }
  };
  return {
    node,
    nodeAborted: tolerant(node),
    task,
    taskAborted: tolerant(task),
    async workflow(event) {
      try {
        await sink.workflow(event);
        return "ok";
      } catch (e) {
        if (isEventError(e, "AlreadyExists")) return "ok";
        if (isEventError(e, "AlreadyInTerminalState")) return "mismatch";
        const failing = event.phase === WorkflowExecution_Phase.FAILING || event.phase === WorkflowExecution_Phase.FAILED;
        if (failing && isEventError(e, "NotFound", "IncompatibleCluster")) return "ok";
        // RUNNING refused because a terminate has set ABORTING: the abort path finishes the execution.
        if (event.phase === WorkflowExecution_Phase.RUNNING && isEventError(e, "FailedPrecondition")) return "ok";
        if (isEventError(e, "IncompatibleCluster")) throw new StopExecution("IncompatibleCluster", e.message);
        throw e;
      }
    },
  };
}
