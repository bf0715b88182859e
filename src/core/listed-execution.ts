import { create, fromBinary } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type Execution, ExecutionClosureSchema, ExecutionSchema, ExecutionSpecSchema } from "../../gen/flyteidl/admin/execution_pb.js";
import { BINARY_READ_OPTIONS } from "./proto-limits.js";

/**
 * An execution as its row keeps it: the key, the spec and closure as the
 * protobuf bytes they were stored as, and the row's timestamps (which the
 * answer's `closure.created_at` / `updated_at` carry).
 */
export interface ListedExecution {
  readonly id: { readonly project: string; readonly domain: string; readonly name: string };
  readonly spec: Uint8Array;
  readonly closure: Uint8Array;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** The Execution message of a stored row. */
export function executionOfListed(row: ListedExecution): Execution {
  const closure = fromBinary(ExecutionClosureSchema, row.closure, BINARY_READ_OPTIONS);
  closure.createdAt = timestampFromDate(row.createdAt);
  closure.updatedAt = timestampFromDate(row.updatedAt);
  return create(ExecutionSchema, {
    id: { project: row.id.project, domain: row.id.domain, name: row.id.name },
    spec: fromBinary(ExecutionSpecSchema, row.spec, BINARY_READ_OPTIONS),
    closure,
  });
}

/** Lists carry no inputs and at most this many bytes of an error message (FlyteAdmin's list transform). */
export const LIST_ERROR_MESSAGE_BYTES = 100;

/** An execution as a list answers it: FlyteAdmin leaves out the inputs and cuts long error messages. */
export function listedExecution(row: ListedExecution): Execution {
  const e = executionOfListed(row);
  if (e.spec) e.spec.inputs = undefined;
  if (e.closure) {
    e.closure.computedInputs = undefined;
    if (e.closure.outputResult.case === "error") e.closure.outputResult.value.message = trimUtf8(e.closure.outputResult.value.message, LIST_ERROR_MESSAGE_BYTES);
  }
  return e;
}

/** Cuts a string to at most n UTF-8 bytes without splitting a character. */
export function trimUtf8(text: string, n: number): string {
  const bytes = Buffer.from(text, "utf8");
  return bytes.length <= n ? text : bytes.subarray(0, n).toString("utf8").replace(/\uFFFD$/, "");
}
