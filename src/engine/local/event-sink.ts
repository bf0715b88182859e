import type { NodeExecutionEvent, TaskExecutionEvent, WorkflowExecutionEvent } from "../../../gen/flyteidl/event/event_pb.js";

/**
 * Where the engine reports progress (engine-spec §8.6). Every method resolves
 * once the event is recorded and rejects with an `EventSinkError` saying why
 * it was refused, classified like flytepropeller's events/errors.
 */
export interface EventSink {
  workflow(event: WorkflowExecutionEvent): Promise<void>;
  node(event: NodeExecutionEvent): Promise<void>;
  task(event: TaskExecutionEvent): Promise<void>;
}

/**
 * Why the control plane refused an event. `AlreadyInTerminalState` and
 * `IncompatibleCluster` come from FAILED_PRECONDITION with FlyteAdmin's
 * EventFailureReason detail; a FAILED_PRECONDITION without one is
 * `FailedPrecondition` (e.g. RUNNING sent to an ABORTING execution).
 */
export type EventErrorCode =
  | "AlreadyExists"
  | "AlreadyInTerminalState"
  | "IncompatibleCluster"
  | "FailedPrecondition"
  | "NotFound"
  | "InvalidArgument"
  | "TooLarge"
  | "ResourceExhausted"
  | "Other";

export class EventSinkError extends Error {
  override name = "EventSinkError";
  constructor(
    readonly code: EventErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const isEventError = (e: unknown, ...codes: EventErrorCode[]): e is EventSinkError =>
  e instanceof EventSinkError && (codes.length === 0 || codes.includes(e.code));
