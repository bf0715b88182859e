import { create } from "@bufbuild/protobuf";
import {
  EventErrorAlreadyInTerminalStateSchema,
  EventErrorIncompatibleClusterSchema,
  EventFailureReasonSchema,
} from "../../gen/flyteidl/admin/event_pb.js";
import { WorkflowExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import { AdminError, alreadyExists, type ErrorDetail } from "./errors.js";

export const TERMINAL_WORKFLOW_PHASES = new Set([Phase.SUCCEEDED, Phase.FAILED, Phase.TIMED_OUT, Phase.ABORTED]);

/** Events from these producers never change or contest the execution's cluster. */
const isClusterProducer = (producer: string) => producer !== "" && producer !== "propeller";

const reason = (value: ErrorDetail["value"]): ErrorDetail[] => [{ desc: EventFailureReasonSchema, value }];

/** FAILED_PRECONDITION with FlyteAdmin's IncompatibleCluster detail. */
export function incompatibleCluster(message: string, cluster: string): AdminError {
  return new AdminError(
    "FailedPrecondition",
    message,
    reason(create(EventFailureReasonSchema, { reason: { case: "incompatibleCluster", value: create(EventErrorIncompatibleClusterSchema, { cluster }) } })),
  );
}

/** FAILED_PRECONDITION with FlyteAdmin's AlreadyInTerminalState detail. */
export function alreadyInTerminalState(message: string, currentPhase: string): AdminError {
  return new AdminError(
    "FailedPrecondition",
    message,
    reason(
      create(EventFailureReasonSchema, {
        reason: { case: "alreadyInTerminalState", value: create(EventErrorAlreadyInTerminalStateSchema, { currentPhase }) },
      }),
    ),
  );
}

const name = (p: Phase) => Phase[p] ?? String(p);

/**
 * Whether a workflow event may move an execution from `stored` to `event`,
 * in FlyteAdmin's order (§3.1): a repeat is ALREADY_EXISTS (before every
 * other check, so a repeated SUCCEEDED is not a conflict); a producer on
 * another cluster is refused; nothing leaves a terminal phase; RUNNING does
 * not go back to QUEUED; ABORTING only ends. Returns the cluster the
 * execution moves to, when the event assigns one.
 */
export function checkWorkflowTransition(
  executionText: string,
  stored: Phase,
  event: Phase,
  producer: string,
  storedCluster: string,
): { assignCluster?: string } {
  if (event !== Phase.QUEUED) {
    if (stored === event) throw alreadyExists(`This phase ${name(stored)} was already recorded for workflow execution ${executionText}`);
    checkCluster(producer, storedCluster);
  }
  if (TERMINAL_WORKFLOW_PHASES.has(stored)) {
    throw alreadyInTerminalState(`Invalid phase change from ${name(stored)} to ${name(event)} for workflow execution ${executionText}`, name(stored));
  }
  if (stored === Phase.RUNNING && event === Phase.QUEUED) {
    throw new AdminError("FailedPrecondition", `Cannot go from ${name(stored)} to ${name(event)} for workflow execution ${executionText}`);
  }
  if (stored === Phase.ABORTING && !TERMINAL_WORKFLOW_PHASES.has(event)) {
    throw new AdminError("FailedPrecondition", `Invalid phase change from aborting to ${name(event)} for workflow execution ${executionText}`);
  }
  if (isClusterProducer(producer) && (event === Phase.UNDEFINED || event === Phase.QUEUED)) return { assignCluster: producer };
  return {};
}

/** FlyteAdmin's ValidateCluster: a named producer must be the cluster the execution runs on. */
export function checkCluster(producer: string, storedCluster: string): void {
  if (isClusterProducer(producer) && producer !== storedCluster) {
    throw incompatibleCluster(
      `Cluster/producer from event [${producer}] does not match existing workflow execution clusterInDB: [${storedCluster}]`,
      producer,
    );
  }
}
