import type { ExecutionCreateRequest, ExecutionRecoverRequest } from "../../../gen/flyteidl/admin/execution_pb.js";
import type { ExecutionError, WorkflowExecution_Phase } from "../../../gen/flyteidl/core/execution_pb.js";
import type { WorkflowExecutionIdentifier } from "../../../gen/flyteidl/core/identifier_pb.js";
import type { LiteralMap } from "../../../gen/flyteidl/core/literals_pb.js";

/** What the control plane knows of a child execution (GetExecution, plus GetExecutionData once it succeeded). */
export interface ChildExecutionStatus {
  phase: WorkflowExecution_Phase;
  /** The closure's error (FAILED, TIMED_OUT). */
  error?: ExecutionError | undefined;
  /** SUCCEEDED: where the outputs are, or the outputs themselves; undefined when it recorded none. */
  outputs?: { uri: string } | { values: LiteralMap } | undefined;
}

/**
 * The control-plane calls a launch-plan node makes (flytepropeller's
 * launchplan.Executor over FlyteAdmin, engine-spec §5.5, §8.6). In process
 * these run the same domain functions as the CreateExecution, RecoverExecution,
 * GetExecution and TerminateExecution RPCs; no network is involved.
 */
export interface ChildExecutions {
  /** CreateExecution; rejects with a `ChildExecutionError` naming the gRPC code (AlreadyExists included). */
  create(request: ExecutionCreateRequest): Promise<void>;
  /** RecoverExecution (a recovery execution's launch-plan node, engine-spec §5.5); rejects like `create` (NotFound: no such reference). */
  recover(request: ExecutionRecoverRequest): Promise<void>;
  /** The execution's phase, error and outputs; undefined when there is no such execution. */
  status(id: WorkflowExecutionIdentifier): Promise<ChildExecutionStatus | undefined>;
  /** TerminateExecution; an execution that is missing or already terminal is fine. */
  terminate(id: WorkflowExecutionIdentifier, cause: string): Promise<void>;
}

/** The control plane refused a call: `code` is the gRPC code name it answered (`NotFound`, `InvalidArgument`, ...). */
export class ChildExecutionError extends Error {
  override name = "ChildExecutionError";
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
