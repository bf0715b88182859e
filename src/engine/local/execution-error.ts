import { clone, create } from "@bufbuild/protobuf";
import { type ExecutionError, ExecutionError_ErrorKind as ErrorKind, ExecutionErrorSchema } from "../../../gen/flyteidl/core/execution_pb.js";

export { ErrorKind };

const MAX_MESSAGE_BYTES = 102_400;
const KEEP_BYTES = 51_200;
const TRUNCATED = "\n... <Message Truncated> ...\n";

export const executionError = (kind: ErrorKind, code: string, message: string): ExecutionError =>
  create(ExecutionErrorSchema, { kind, code, message });

/** The kind as propeller prints it in "Last Error: <KIND>::<message>". */
export const kindName = (kind: ErrorKind): string => ErrorKind[kind] ?? "UNKNOWN";

/** Event errors keep at most 100 KiB of message: the first and last 50 KiB around a marker (engine-spec §2.1). */
export function truncateError(e: ExecutionError): ExecutionError {
  const bytes = Buffer.from(e.message, "utf8");
  if (bytes.length <= MAX_MESSAGE_BYTES) return e;
  const out = clone(ExecutionErrorSchema, e);
  out.message = bytes.subarray(0, KEEP_BYTES).toString("utf8") + TRUNCATED + bytes.subarray(bytes.length - KEEP_BYTES).toString("utf8");
  return out;
}

/** A thrown value as text for logs and error messages. */
export const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
