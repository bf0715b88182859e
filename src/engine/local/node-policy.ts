import type { ExecutionError } from "../../../gen/flyteidl/core/execution_pb.js";
import type { TaskTemplate } from "../../../gen/flyteidl/core/tasks_pb.js";
import type { Node } from "../../../gen/flyteidl/core/workflow_pb.js";
import { durationNanos, goDurationString } from "../../core/go-duration.js";
import { ErrorKind, executionError, kindName, truncateError } from "./execution-error.js";
import type { NodeStatus } from "./status.js";

/** propeller's maxNodeRetriesOnSystemFailures: SYSTEM failures have their own budget of 3 retries. */
export const MAX_SYSTEM_FAILURES = 3;

/**
 * Attempts a node may make for user failures: `retries + 1` from the node's
 * metadata, else from its task's (the compiler's computeRetryStrategy), else 1.
 */
export function maxAttempts(node: Node, task: TaskTemplate | undefined): number {
  const nodeRetries = node.metadata?.retries?.retries ?? 0;
  if (nodeRetries !== 0) return nodeRetries + 1;
  const taskRetries = task?.metadata?.retries?.retries ?? 0;
  if (taskRetries !== 0) return taskRetries + 1;
  return 1;
}

/** propeller's isEligibleForRetry (engine-spec §6.2). */
export function retryEligibility(ns: NodeStatus, maxUserAttempts: number, error: ExecutionError): { current: number; max: number; eligible: boolean } {
  if (error.kind === ErrorKind.SYSTEM) {
    return { current: ns.systemFailures, max: MAX_SYSTEM_FAILURES, eligible: ns.systemFailures < MAX_SYSTEM_FAILURES };
  }
  const current = ns.attempts + 1 - ns.systemFailures;
  return { current, max: maxUserAttempts, eligible: current < maxUserAttempts };
}

/** The failure a node ends with when it may not retry (engine-spec §2.5). */
export const retriesExhausted = (e: ExecutionError, current: number, max: number): ExecutionError =>
  truncateError(executionError(ErrorKind.USER, `RetriesExhausted|${e.code}`, `[${current}/${max}] currentAttempt done. Last Error: ${kindName(e.kind)}::${e.message}`));

/** The node's timeout (node metadata, copied from the task by flytekit) in milliseconds; 0 = none. */
export function executionDeadlineMs(node: Node): number {
  const t = node.metadata?.timeout;
  if (!t) return 0;
  const ns = durationNanos(t);
  return ns > 0n ? Number(ns / 1_000_000n) : 0;
}

/** Go's Duration.String() of a deadline in milliseconds, as propeller's timeout messages print it. */
export const deadlineText = (deadlineMs: number) => goDurationString(BigInt(deadlineMs) * 1_000_000n);
