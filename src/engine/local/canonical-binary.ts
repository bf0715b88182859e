import { type DescField, type DescMessage, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { PROTO_RECURSION_LIMIT } from "../../core/proto-limits.js";

type Obj = Record<string, unknown>;

/**
 * The binary encoding of a message, the same for equal messages however
 * their maps were built. protobuf-es writes map entries (and the fields of a
 * google.protobuf.Struct, which it holds as a plain JSON object) in the
 * order of the JavaScript object, which is insertion order for most keys; so
 * every map and JSON object is rebuilt with its keys inserted in sorted order
 * first, making the order a function of the key set alone.
 * Throws when the message nests deeper than PROTO_RECURSION_LIMIT levels.
 */
export function canonicalBinary<D extends DescMessage>(schema: D, message: MessageShape<D>): Uint8Array {
  return toBinary(schema, canonicalMessage(schema, message as unknown as Obj, 0) as MessageShape<D>);
}

function canonicalMessage(desc: DescMessage, message: Obj, depth: number): Obj {
  if (depth > PROTO_RECURSION_LIMIT) throw new Error(`message nested deeper than ${PROTO_RECURSION_LIMIT} levels`);
  const out: Obj = { ...message };
  for (const field of desc.fields) {
    if (field.oneof) {
      const chosen = message[field.oneof.localName] as { case?: string; value?: unknown } | undefined;
      if (chosen?.case === field.localName && field.fieldKind === "message") {
        out[field.oneof.localName] = { case: chosen.case, value: messageValue(field.message, chosen.value, depth + 1) };
      }
      continue;
    }
    const value = message[field.localName];
    if (value !== undefined) out[field.localName] = fieldValue(field, value, depth + 1);
  }
  return out;
}

function fieldValue(field: DescField, value: unknown, depth: number): unknown {
  switch (field.fieldKind) {
    case "message":
      return messageValue(field.message, value, depth);
    case "list":
      return field.listKind === "message" ? (value as unknown[]).map((v) => messageValue(field.message, v, depth)) : value;
    case "map": {
      const out: Obj = {};
      for (const k of Object.keys(value as Obj).sort()) {
        const v = (value as Obj)[k];
        out[k] = field.mapKind === "message" ? messageValue(field.message, v, depth) : v;
      }
      return out;
    }
    default:
      return value;
  }
}

/** A message field's value: a message, or the JSON protobuf-es holds for google.protobuf.Struct, Value and ListValue. */
function messageValue(desc: DescMessage, value: unknown, depth: number): unknown {
  if (value !== null && typeof value === "object" && "$typeName" in value) return canonicalMessage(desc, value as Obj, depth);
  return sortedJson(value, depth);
}

function sortedJson(value: unknown, depth: number): unknown {
  if (depth > PROTO_RECURSION_LIMIT) throw new Error(`message nested deeper than ${PROTO_RECURSION_LIMIT} levels`);
  if (Array.isArray(value)) return value.map((v) => sortedJson(v, depth + 1));
  if (value === null || typeof value !== "object") return value;
  const out: Obj = {};
  for (const k of Object.keys(value).sort()) out[k] = sortedJson((value as Obj)[k], depth + 1);
  return out;
}
