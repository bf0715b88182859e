import { clone, create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { ExecutionClosureSchema } from "../../gen/flyteidl/admin/execution_pb.js";
import { EventErrorAlreadyInTerminalStateSchema, EventFailureReasonSchema } from "../../gen/flyteidl/admin/event_pb.js";
import { WorkflowExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import { AdminError, notFound } from "../core/errors.js";
import type { ExecutionKey } from "../storage/store.js";
import type { ApiDeps } from "./deps.js";

const TERMINAL = new Set([Phase.SUCCEEDED, Phase.FAILED, Phase.TIMED_OUT, Phase.ABORTED]);

export const executionNotFound = (id: ExecutionKey) =>
  notFound(`missing entity of type execution with identifier project:"${id.project}" domain:"${id.domain}" name:"${id.name}"`);

/** FailedPrecondition with FlyteAdmin's AlreadyInTerminalState detail: the execution ended before the terminate. */
const alreadyTerminal = (current: Phase) =>
  new AdminError("FailedPrecondition", "Cannot abort an already terminated workflow execution", [
    {
      desc: EventFailureReasonSchema,
      value: create(EventFailureReasonSchema, {
        reason: { case: "alreadyInTerminalState", value: create(EventErrorAlreadyInTerminalStateSchema, { currentPhase: Phase[current] }) },
      }),
    },
  ]);

/**
 * TerminateExecution: records ABORTING with the cause (compare-and-set, so a
 * concurrent event is never overwritten), then asks the executor to stop it.
 * Shared by the RPC and by the cascading abort of a launch-plan node's child.
 */
export async function terminateExecution(deps: Pick<ApiDeps, "store" | "executor">, id: ExecutionKey, cause: string, principal = ""): Promise<void> {
  const { store, executor } = deps;
  for (;;) {
    const stored = await store.executions.get(id);
    if (!stored) throw executionNotFound(id);
    const closure = clone(ExecutionClosureSchema, stored.execution.closure!);
    const current = closure.phase;
    if (TERMINAL.has(current)) throw alreadyTerminal(current);
    closure.phase = Phase.ABORTING;
    closure.updatedAt = timestampFromDate(new Date());
    closure.outputResult = { case: "abortMetadata", value: { $typeName: "flyteidl.admin.AbortMetadata", cause, principal } };
    if (await store.executions.updateClosure(id, current, closure, { abortCause: cause, expectedClosure: stored.closureBytes })) break;
  }
  await executor.abort({ $typeName: "flyteidl.core.WorkflowExecutionIdentifier", ...id, org: "" }, cause);
}
