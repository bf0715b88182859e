import { WorkflowExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import { EventFailureReasonSchema } from "../../gen/flyteidl/admin/event_pb.js";
import { AdminError, missingField } from "../core/errors.js";
import { ChildExecutionError, type ChildExecutions, type ChildExecutionStatus } from "../engine/local/child-executions.js";
import type { ApiDeps } from "./deps.js";
import { recoverExecution } from "./execution-again.js";
import { createExecution } from "./execution-create.js";
import { terminateExecution } from "./execution-terminate.js";

/** A domain failure as the gRPC answer a remote caller would have seen (unexpected errors are Internal). */
function asChildError(e: unknown): ChildExecutionError {
  if (e instanceof AdminError) return new ChildExecutionError(e.kind, e.message, { cause: e });
  return new ChildExecutionError("Internal", e instanceof Error ? e.message : String(e), { cause: e });
}

const isAlreadyTerminal = (e: unknown) =>
  e instanceof AdminError &&
  e.kind === "FailedPrecondition" &&
  e.details.some((d) => d.desc.typeName === EventFailureReasonSchema.typeName && (d.value as { reason?: { case?: string } }).reason?.case === "alreadyInTerminalState");

/**
 * The child executions of launch-plan nodes, over the same domain functions
 * as the CreateExecution, RecoverExecution, GetExecution(+Data) and
 * TerminateExecution RPCs.
 * `deps` is read at each call: the API's dependencies include the engine's
 * executor, so they exist only after the engine does.
 */
export function createChildExecutions(deps: () => ApiDeps): ChildExecutions {
  return {
    async create(request) {
      try {
        await createExecution(deps(), request);
      } catch (e) {
        throw asChildError(e);
      }
    },

    async recover(request) {
      const id = request.id;
      try {
        if (!id) throw missingField("id");
        await recoverExecution(deps(), { project: id.project, domain: id.domain, name: id.name }, request.name, request.metadata?.parentNodeExecution);
      } catch (e) {
        throw asChildError(e);
      }
    },

    async status(id) {
      let stored;
      try {
        stored = await deps().store.executions.get({ project: id.project, domain: id.domain, name: id.name });
      } catch (e) {
        throw asChildError(e);
      }
      const closure = stored?.execution.closure;
      if (!closure) return undefined;
      const result = closure.outputResult;
      const status: ChildExecutionStatus = { phase: closure.phase };
      if (result.case === "error") status.error = result.value;
      if (closure.phase === Phase.SUCCEEDED) {
        // By reference when the closure has a URI: the outputs are read whole, whatever their size.
        if (result.case === "outputs" && result.value.data.case === "uri" && result.value.data.value !== "") status.outputs = { uri: result.value.data.value };
        else if (result.case === "outputs" && result.value.data.case === "values") status.outputs = { values: result.value.data.value };
        else if (result.case === "outputData") status.outputs = { values: result.value };
      }
      return status;
    },

    async terminate(id, cause) {
      try {
        await terminateExecution(deps(), { project: id.project, domain: id.domain, name: id.name }, cause);
      } catch (e) {
        if (e instanceof AdminError && e.kind === "NotFound") return;
        if (isAlreadyTerminal(e)) return;
        throw asChildError(e);
      }
    },
  };
}
