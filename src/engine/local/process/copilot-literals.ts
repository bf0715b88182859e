/**
 * Literals the copilot uploader builds from output files (flyteidl coreutils
 * MakeLiteralForSimpleType / MakeLiteralForBlob). Pure.
 */
import { create, type JsonObject } from "@bufbuild/protobuf";
import { DurationSchema, TimestampSchema } from "@bufbuild/protobuf/wkt";
import { type Literal, LiteralSchema, type Primitive, PrimitiveSchema, type Scalar, ScalarSchema, BinarySchema, BlobSchema, BlobMetadataSchema, VoidSchema } from "../../../../gen/flyteidl/core/literals_pb.js";
import { BlobType_BlobDimensionality, BlobTypeSchema, ErrorSchema, SimpleType } from "../../../../gen/flyteidl/core/types_pb.js";
import { parseGoBool, parseGoDuration, parseGoFloat, parseGoInt, parseRfc3339 } from "./copilot-parse.js";

export function simpleTypeName(t: SimpleType): string {
  return SimpleType[t] ?? String(t);
}

/** Go's strings.Trim(s, " \n\t"), on bytes (a binary output is trimmed the same way; `\r` is kept). */
function trimBytes(b: Uint8Array): Uint8Array {
  const ws = (c: number) => c === 0x20 || c === 0x0a || c === 0x09;
  let start = 0;
  let end = b.length;
  while (start < end && ws(b[start]!)) start++;
  while (end > start && ws(b[end - 1]!)) end--;
  return b.subarray(start, end);
}

/** Go keeps any bytes in a string, but protobuf refuses to write invalid UTF-8 into a string field. */
function utf8(b: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(b);
  } catch {
    throw new Error("string field contains invalid UTF-8");
  }
}

function scalarLiteral(value: Scalar["value"]): Literal {
  return create(LiteralSchema, { value: { case: "scalar", value: create(ScalarSchema, { value }) } });
}

function wrap(message: string, f: () => Primitive["value"]): Primitive["value"] {
  try {
    return f();
  } catch (e) {
    throw new Error(`${message}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** MakePrimitiveForType: the Go parse of each simple type; STRING is the trimmed text as is. */
function primitive(t: SimpleType, s: string): Primitive {
  let value: Primitive["value"];
  switch (t) {
    case SimpleType.INTEGER:
      value = wrap("failed to parse integer value", () => ({ case: "integer", value: parseGoInt(s) }));
      break;
    case SimpleType.FLOAT:
      value = wrap("failed to parse Float value", () => ({ case: "floatValue", value: parseGoFloat(s) }));
      break;
    case SimpleType.BOOLEAN:
      value = wrap("failed to parse Bool value", () => ({ case: "boolean", value: parseGoBool(s) }));
      break;
    case SimpleType.STRING:
      value = { case: "stringValue", value: s };
      break;
    case SimpleType.DURATION:
      value = wrap("failed to parse Duration, valid formats: e.g. 300ms, -1.5h, 2h45m", () => ({
        case: "duration",
        value: create(DurationSchema, parseGoDuration(s)),
      }));
      break;
    case SimpleType.DATETIME:
      value = wrap("failed to parse Datetime in RFC3339 format", () => ({ case: "datetime", value: create(TimestampSchema, parseRfc3339(s)) }));
      break;
    default:
      throw new Error(`unsupported type ${simpleTypeName(t)}`);
  }
  return create(PrimitiveSchema, { value });
}

/** MakeLiteralForSimpleType of an output file's bytes (trimmed of spaces, newlines and tabs first). */
export function simpleLiteral(t: SimpleType, bytes: Uint8Array): Literal {
  const b = trimBytes(bytes);
  switch (t) {
    case SimpleType.BINARY:
      return scalarLiteral({ case: "binary", value: create(BinarySchema, { value: b.slice(), tag: "msgpack" }) });
    case SimpleType.NONE:
      return scalarLiteral({ case: "noneType", value: create(VoidSchema) });
    case SimpleType.ERROR:
      return scalarLiteral({ case: "error", value: create(ErrorSchema, { message: utf8(b) }) });
    case SimpleType.STRUCT: {
      let parsed: unknown;
      try {
        parsed = JSON.parse(utf8(b));
      } catch (e) {
        throw new Error(`failed to load generic type as json.: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
        throw new Error("failed to load generic type as json.: a JSON object is required");
      }
      return scalarLiteral({ case: "generic", value: parsed as JsonObject });
    }
    default:
      return scalarLiteral({ case: "primitive", value: primitive(t, utf8(b)) });
  }
}

/** MakeLiteralForBlob(uri, isDir, ""): copilot never knows a format. */
export function blobLiteral(uri: string, dimensionality: BlobType_BlobDimensionality): Literal {
  const blob = create(BlobSchema, {
    uri,
    metadata: create(BlobMetadataSchema, { type: create(BlobTypeSchema, { dimensionality, format: "" }) }),
  });
  return scalarLiteral({ case: "blob", value: blob });
}
