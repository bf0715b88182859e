import { AdminError, type ErrorKind } from "../errors.js";

/**
 * Why a FlyteWorkflow object could not be built. `InvalidArgument` means the
 * closure or inputs are not something propeller could run (what Go's builder
 * reports as compile errors); `Internal` means a fault of ours (a closure that
 * passed our compiler but cannot be rendered). The executor maps `kind` to the
 * gRPC code like any other AdminError.
 */
export class FlyteWorkflowBuildError extends AdminError {
  constructor(kind: Extract<ErrorKind, "InvalidArgument" | "Internal">, message: string) {
    super(kind, message);
    this.name = "FlyteWorkflowBuildError";
  }
}

export const buildInvalid = (message: string) => new FlyteWorkflowBuildError("InvalidArgument", message);
