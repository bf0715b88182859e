import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { BinaryReader } from "@bufbuild/protobuf/wire";
import { TimestampSchema, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { ExecutionClosureSchema, ExecutionSchema, ExecutionSpecSchema } from "../../gen/flyteidl/admin/execution_pb.js";
import { ExecutionErrorSchema } from "../../gen/flyteidl/core/execution_pb.js";
import { LIST_ERROR_MESSAGE_BYTES, type ListedExecution, listedExecution, trimUtf8 } from "../core/listed-execution.js";
import { BINARY_READ_OPTIONS } from "../core/proto-limits.js";
import { concat, EMPTY, field, fieldsOf, header, lengthOf, shapeOf, stringField, varintField, varintSize } from "./proto-splice.js";

/*
 * `admin.ExecutionList` in protobuf binary, spliced from the stored spec and
 * closure bytes: the bytes toBinary writes for the list `listedExecution`
 * makes of the same rows, without decoding 100 specs and closures and
 * encoding them again by reflection (most of a page's CPU). toBinary writes
 * a message's fields in field-number order, each once (a repeated field's
 * elements together), unknown fields last; the stored bytes are its output,
 * so a top-level field can be dropped, kept or replaced in place. A stored
 * form it would not have written (fields out of order, a singular field
 * twice, an unexpected wire type) is decoded and encoded as before.
 *
 * Field numbers (flyteidl/admin/execution.proto): ExecutionList {1 executions,
 * 2 token}; Execution {1 id, 2 spec, 3 closure}; WorkflowExecutionIdentifier
 * {1 project, 2 domain, 4 name, 5 org}; ExecutionSpec {2 inputs};
 * ExecutionClosure {2 error, 3 computed_inputs, 7 created_at, 8 updated_at};
 * ExecutionError {2 message}; Timestamp {1 seconds, 2 nanos}.
 */
const SPEC_INPUTS = 2;
const CLOSURE_ERROR = 2;
const CLOSURE_COMPUTED_INPUTS = 3;
const CLOSURE_CREATED_AT = 7;
const CLOSURE_UPDATED_AT = 8;

const SPEC = shapeOf(ExecutionSpecSchema, [SPEC_INPUTS]);
const CLOSURE = shapeOf(ExecutionClosureSchema, [CLOSURE_ERROR, CLOSURE_COMPUTED_INPUTS, CLOSURE_CREATED_AT, CLOSURE_UPDATED_AT]);

/**
 * ExecutionList in protobuf binary from stored rows, byte for byte what
 * `toBinary(ExecutionListSchema, { executions: rows.map(listedExecution), token })` writes.
 */
export function encodeExecutionList(rows: readonly ListedExecution[], token: string): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  const push = (b: Uint8Array) => {
    parts.push(b);
    total += b.length;
  };
  for (const row of rows) {
    const execution = splicedExecution(row) ?? toBinary(ExecutionSchema, listedExecution(row));
    push(header(0x0a, execution.length));
    push(execution);
  }
  if (token !== "") push(stringField(0x12, token));
  return concat(parts, total);
}

/** The Execution of a list, from the stored bytes; undefined when they are not in toBinary's form. */
function splicedExecution(row: ListedExecution): Uint8Array | undefined {
  const spec = fieldsOf(row.spec, SPEC);
  const closure = fieldsOf(row.closure, CLOSURE);
  if (!spec || !closure) return undefined;

  const specParts: Uint8Array[] = [];
  for (const f of spec) if (f.no !== SPEC_INPUTS) specParts.push(f.bytes);

  const closureParts: Uint8Array[] = [];
  let stamped = false;
  const stamp = () => {
    closureParts.push(timestampField(0x3a, row.createdAt), timestampField(0x42, row.updatedAt));
    stamped = true;
  };
  for (const f of closure) {
    if (f.no === CLOSURE_COMPUTED_INPUTS || f.no === CLOSURE_CREATED_AT || f.no === CLOSURE_UPDATED_AT) continue;
    if (!stamped && f.no > CLOSURE_UPDATED_AT) stamp();
    closureParts.push(f.no === CLOSURE_ERROR ? listedError(f.bytes) : f.bytes);
  }
  if (!stamped) stamp();

  const id = [stringField(0x0a, row.id.project), stringField(0x12, row.id.domain), stringField(0x22, row.id.name)];
  const idLen = id[0]!.length + id[1]!.length + id[2]!.length;
  const specLen = lengthOf(specParts);
  const closureLen = lengthOf(closureParts);
  return concat(
    [header(0x0a, idLen), ...id, header(0x12, specLen), ...specParts, header(0x1a, closureLen), ...closureParts],
    field(idLen) + field(specLen) + field(closureLen),
  );
}


/** The closure's error field with its message cut as lists cut it (kept as stored when short enough). */
function listedError(stored: Uint8Array): Uint8Array {
  const reader = new BinaryReader(stored);
  reader.tag();
  const error = fromBinary(ExecutionErrorSchema, reader.bytes(), BINARY_READ_OPTIONS);
  if (Buffer.byteLength(error.message, "utf8") <= LIST_ERROR_MESSAGE_BYTES) return stored;
  error.message = trimUtf8(error.message, LIST_ERROR_MESSAGE_BYTES);
  const payload = toBinary(ExecutionErrorSchema, error);
  return concat([header(0x12, payload.length), payload], field(payload.length));
}

/** A google.protobuf.Timestamp field of a Date, as timestampFromDate and toBinary make it. */
function timestampField(tag: number, date: Date): Uint8Array {
  const ms = date.getTime();
  const seconds = Math.floor(ms / 1000);
  const nanos = (ms - seconds * 1000) * 1_000_000;
  // Before 1970 the seconds are a negative int64 (ten varint bytes): rare enough for toBinary.
  const payload =
    seconds < 0 || !Number.isSafeInteger(seconds)
      ? toBinary(TimestampSchema, timestampFromDate(date))
      : concat(
          [seconds === 0 ? EMPTY : varintField(0x08, seconds), nanos === 0 ? EMPTY : varintField(0x10, nanos)],
          (seconds === 0 ? 0 : 1 + varintSize(seconds)) + (nanos === 0 ? 0 : 1 + varintSize(nanos)),
        );
  return concat([header(tag, payload.length), payload], field(payload.length));
}
