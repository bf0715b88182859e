import { type DescMessage, fromBinary, toBinary } from "@bufbuild/protobuf";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { TimestampSchema, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { ExecutionClosureSchema, ExecutionSchema, ExecutionSpecSchema } from "../../gen/flyteidl/admin/execution_pb.js";
import { ExecutionErrorSchema } from "../../gen/flyteidl/core/execution_pb.js";
import { LIST_ERROR_MESSAGE_BYTES, type ListedExecution, listedExecution, trimUtf8 } from "../core/listed-execution.js";
import { BINARY_READ_OPTIONS } from "../core/proto-limits.js";

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

/** What toBinary's form of a message's top level is checked against. */
interface Shape {
  readonly known: ReadonlySet<number>;
  /** Repeated and map fields: their elements come one after another, each a field. */
  readonly repeatable: ReadonlySet<number>;
  /** The fields rewritten here: all messages, so any other wire type is left to the decoder to judge. */
  readonly rewritten: ReadonlySet<number>;
}
const shapeOf = (schema: DescMessage, rewritten: number[]): Shape => ({
  rewritten: new Set(rewritten),
  known: new Set(schema.fields.map((f) => f.number)),
  repeatable: new Set(schema.fields.filter((f) => f.fieldKind === "list" || f.fieldKind === "map").map((f) => f.number)),
});
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

interface Field {
  readonly no: number;
  /** The whole field: tag, length and payload. */
  readonly bytes: Uint8Array;
}

/** The top-level fields of `bytes` if they are in toBinary's form (else undefined). */
function fieldsOf(bytes: Uint8Array, shape: Shape): Field[] | undefined {
  const out: Field[] = [];
  const reader = new BinaryReader(bytes);
  let last = 0;
  let unknownSeen = false;
  try {
    while (reader.pos < reader.len) {
      const start = reader.pos;
      const [no, wireType] = reader.tag();
      reader.skip(wireType, no);
      if (shape.known.has(no)) {
        // Known fields in number order, each once, and all before the unknown ones (which toBinary keeps as read).
        if (unknownSeen || no < last || (no === last && !shape.repeatable.has(no))) return undefined;
        last = no;
      } else {
        unknownSeen = true;
      }
      if (shape.rewritten.has(no) && wireType !== WireType.LengthDelimited) return undefined;
      out.push({ no, bytes: bytes.subarray(start, reader.pos) });
    }
  } catch {
    return undefined;
  }
  return out;
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

const EMPTY = new Uint8Array(0);

/** A one-byte tag, the length and the payload. */
const field = (len: number) => 1 + varintSize(len) + len;

/** Bytes of a non-negative integer's varint (up to 2^53: no 32-bit operators). */
function varintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

function writeVarint(out: Uint8Array, pos: number, v: number): number {
  while (v >= 0x80) {
    out[pos++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  out[pos++] = v;
  return pos;
}

/** A one-byte tag and a non-negative varint. */
function varintField(tag: number, v: number): Uint8Array {
  const out = new Uint8Array(1 + varintSize(v));
  out[0] = tag;
  writeVarint(out, 1, v);
  return out;
}

/** A one-byte tag and a length (the payload follows as parts of its own). */
function header(tag: number, len: number): Uint8Array {
  const out = new Uint8Array(1 + varintSize(len));
  out[0] = tag;
  writeVarint(out, 1, len);
  return out;
}

/** A string field; proto3 leaves an empty one out. */
function stringField(tag: number, s: string): Uint8Array {
  if (s === "") return EMPTY;
  const payload = Buffer.from(s, "utf8");
  return concat([header(tag, payload.length), payload], field(payload.length));
}

const lengthOf = (parts: readonly Uint8Array[]) => parts.reduce((n, p) => n + p.length, 0);

function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  const out = Buffer.allocUnsafe(total);
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return new Uint8Array(out.buffer, out.byteOffset, total);
}
