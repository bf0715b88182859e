import { constants } from "node:os";
import { create, fromBinary } from "@bufbuild/protobuf";
import { ContainerError_Kind, ErrorDocumentSchema } from "../../../../gen/flyteidl/core/errors_pb.js";
import { ExecutionError_ErrorKind, ExecutionErrorSchema } from "../../../../gen/flyteidl/core/execution_pb.js";
import type { PhaseInfo } from "../task-plugin.js";
import type { ProcRecord } from "./proc-record.js";

export const LOST = "LocalProcessLost";

export function failure(
  phase: "RetryableFailure" | "PermanentFailure",
  kind: "USER" | "SYSTEM",
  code: string,
  message: string,
): PhaseInfo {
  const error = create(ExecutionErrorSchema, { code, message, kind: ExecutionError_ErrorKind[kind] });
  return { phase, version: 0, reason: code, error };
}

export function lost(message: string): PhaseInfo {
  return failure("RetryableFailure", "SYSTEM", LOST, message);
}

// Signals that end a process from outside (an operator, a shutdown, the OOM killer): the
// attempt was interrupted, not broken, so it is a system failure (propeller counts a
// SIGKILLed container as one). Anything else (SIGSEGV, SIGABRT…) is the program crashing.
const EXTERNAL = new Set(["SIGKILL", "SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT"]);

/**
 * The verdict on a task that ended other than with exit code 0 (engine-spec §4.5 rules 2 and
 * 3), for an attempt the engine did not abort. `logTail` is the end of its log.
 */
export function classifyFailedExit(r: ProcRecord, containerName: string, logTail: string): PhaseInfo {
  if (r.launchFault) {
    return failure("RetryableFailure", "SYSTEM", "LocalLaunchFailed", `the process shim could not start the task: ${r.error ?? "unknown error"}${logTail ? `; last log lines:\n${logTail}` : ""}`);
  }
  const text = (code: number, reason: string) =>
    `\r\n[${containerName}] terminated with exit code (${code}). Reason [${reason}]. Message: \n${logTail}.`;
  if (r.signal) {
    const signum = (constants.signals as Record<string, number | undefined>)[r.signal] ?? 0;
    if (r.oomKilled) return failure("RetryableFailure", "USER", "OOMKilled", text(128 + signum, "OOMKilled"));
    if (EXTERNAL.has(r.signal)) {
      return lost(`the task process was ended by ${r.signal}, which the engine did not send${logTail ? `; last log lines:\n${logTail}` : ""}`);
    }
    // What a container runtime reports for a process a signal ended: 128 + the signal's number.
    return failure("RetryableFailure", "USER", "Error", text(128 + signum, "Error"));
  }
  return failure("RetryableFailure", "USER", "Error", text(r.exitCode ?? -1, "Error"));
}

/**
 * The verdict on `error.pb` (engine-spec §4.5 rule 1, propeller's `errorDoc2ExecutionError`):
 * RECOVERABLE → RetryableFailure, else PermanentFailure, kind = the document's origin. A file
 * that does not parse or holds no error → RetryableFailure SYSTEM `ErrorFileBadFormat`.
 */
export function classifyErrorDocument(bytes: Uint8Array, uri: string): PhaseInfo {
  let doc;
  try {
    doc = fromBinary(ErrorDocumentSchema, bytes);
  } catch (e) {
    return failure("RetryableFailure", "SYSTEM", "ErrorFileBadFormat", `error not formatted correctly, unreadable @path [${uri}]: ${(e as Error).message}`);
  }
  const err = doc.error;
  if (!err) return failure("RetryableFailure", "SYSTEM", "ErrorFileBadFormat", `error not formatted correctly, nil error @path [${uri}]`);
  const phase = err.kind === ContainerError_Kind.RECOVERABLE ? "RetryableFailure" : "PermanentFailure";
  const error = create(ExecutionErrorSchema, { code: err.code, message: err.message, kind: err.origin, timestamp: err.timestamp, worker: err.worker });
  return { phase, version: 0, reason: err.code, error };
}
