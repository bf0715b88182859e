/**
 * Attribute paths on promises (`wf_output.a["b"][0]`), as propeller's
 * attr_path_resolver walks them: through literal maps and collections, then
 * inside a msgpack `Binary` or a protobuf `Struct` (`generic`) value.
 *
 * Deliberate differences, all on inputs flytekit's compiler never produces:
 * an attribute of the wrong kind (a name on a list, an index on a map) and a
 * path continuing into a plain scalar are errors (propeller would look up the
 * empty key, take element 0 or silently ignore the rest), and a JSON `null`
 * reached inside a Struct becomes a none literal (propeller yields an empty literal).
 */
import { create, type JsonObject, type JsonValue, type MessageInitShape } from "@bufbuild/protobuf";
import { LiteralSchema, type Literal } from "../../../gen/flyteidl/core/literals_pb.js";
import type { PromiseAttribute } from "../../../gen/flyteidl/core/types_pb.js";
import { decodeMsgpack, type MsgpackNode } from "./msgpack-value.js";

/** A failure with propeller's error code (PromiseAttributeResolveError, InvalidPrimitiveType, …). */
export class AttrPathError extends Error {
  override name = "AttrPathError";
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface AttrPathOptions {
  /** Reads the literal an offloaded literal points at (LiteralOffloadedMetadata.uri). */
  readOffloaded?: (uri: string) => Promise<Literal>;
  /** Nesting limit when decoding msgpack values. */
  maxMsgpackDepth?: number;
}

const MAX_INT64 = 0x7fffffffffffffffn;
const utf8 = new TextEncoder();

function describe(attr: PromiseAttribute): string {
  return attr.value.case === undefined ? "<empty>" : String(attr.value.value);
}

function stringAttr(attr: PromiseAttribute, where: string): string {
  if (attr.value.case !== "stringValue") throw new AttrPathError("PromiseAttributeResolveError", `unexpected attribute [${describe(attr)}] for ${where}: a key name is needed`);
  return attr.value.value;
}

function indexAttr(attr: PromiseAttribute, length: number): number {
  if (attr.value.case !== "intValue") throw new AttrPathError("PromiseAttributeResolveError", `unexpected attribute [${describe(attr)}] for a list: an index is needed`);
  const index = attr.value.value;
  if (index < 0 || index >= length) throw new AttrPathError("PromiseAttributeResolveError", `index [${index}] is out of range of a list of ${length}`);
  return index;
}

function literalOf(value: MessageInitShape<typeof LiteralSchema>["value"]): Literal {
  return create(LiteralSchema, { value });
}

function primitive(value: { case: "integer"; value: bigint } | { case: "floatValue"; value: number } | { case: "stringValue"; value: string } | { case: "boolean"; value: boolean }): Literal {
  return literalOf({ case: "scalar", value: { value: { case: "primitive", value: { value } } } });
}

function binaryLiteral(bytes: Uint8Array, tag: string): Literal {
  return literalOf({ case: "scalar", value: { value: { case: "binary", value: { value: bytes.slice(), tag } } } });
}

/** Walks `path` inside a msgpack value; lists come back as collections of msgpack binaries, primitives as primitives, the rest as msgpack binary. */
function resolveInBinary(bytes: Uint8Array, tag: string, path: readonly PromiseAttribute[], options: AttrPathOptions): Literal {
  if (tag !== "msgpack") {
    throw new AttrPathError("PromiseAttributeResolveError", `Unsupported format '${tag}' found for literal value.\nPlease ensure the serialization format is supported.`);
  }
  let cur: MsgpackNode;
  try {
    cur = decodeMsgpack(bytes, { maxDepth: options.maxMsgpackDepth });
  } catch (err) {
    throw new AttrPathError("PromiseAttributeResolveError", (err as Error).message);
  }
  for (const attr of path) {
    if (cur.kind === "map") {
      const key = utf8.encode(stringAttr(attr, "a map"));
      // A decoded Go map keeps the last of duplicate keys.
      const hit = cur.entries.findLast(([k]) => k.kind === "str" && k.bytes.length === key.length && k.bytes.every((b, i) => b === key[i]));
      if (!hit) throw new AttrPathError("PromiseAttributeResolveError", `key [${describe(attr)}] does not exist in a map with keys [${cur.entries.map(([k]) => (k.kind === "str" ? k.value : k.kind)).join(", ")}]`);
      cur = hit[1];
    } else if (cur.kind === "array") {
      cur = cur.items[indexAttr(attr, cur.items.length)]!;
    } else {
      throw new AttrPathError("PromiseAttributeResolveError", `unexpected type [${cur.kind}] for attribute [${describe(attr)}]`);
    }
  }
  switch (cur.kind) {
    case "array":
      return literalOf({ case: "collection", value: { literals: cur.items.map((item) => binaryLiteral(item.raw, tag)) } });
    case "str": return primitive({ case: "stringValue", value: cur.value });
    case "bool": return primitive({ case: "boolean", value: cur.value });
    case "float": return primitive({ case: "floatValue", value: cur.value });
    case "int":
      if (cur.value > MAX_INT64) throw new AttrPathError("InvalidPrimitiveType", "uint64 value is too large to be converted to int64");
      return primitive({ case: "integer", value: cur.value });
    default:
      return binaryLiteral(cur.raw, tag);
  }
}

function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function fromJson(v: JsonValue): Literal {
  if (Array.isArray(v)) return literalOf({ case: "collection", value: { literals: v.map(fromJson) } });
  if (isObject(v)) return literalOf({ case: "scalar", value: { value: { case: "generic", value: v } } });
  if (typeof v === "string") return primitive({ case: "stringValue", value: v });
  if (typeof v === "number") return primitive({ case: "floatValue", value: v });
  if (typeof v === "boolean") return primitive({ case: "boolean", value: v });
  return literalOf({ case: "scalar", value: { value: { case: "noneType", value: {} } } });
}

/** Walks `path` inside a Struct; objects come back as Structs, lists as collections, numbers as floats. */
function resolveInStruct(struct: JsonObject, path: readonly PromiseAttribute[]): Literal {
  let cur: JsonValue = struct;
  for (const attr of path) {
    if (isObject(cur)) {
      const key = stringAttr(attr, "a struct");
      if (!Object.hasOwn(cur, key)) throw new AttrPathError("PromiseAttributeResolveError", `key [${key}] does not exist in a struct with keys [${Object.keys(cur).join(", ")}]`);
      cur = cur[key]!;
    } else if (Array.isArray(cur)) {
      cur = cur[indexAttr(attr, cur.length)]!;
    } else {
      throw new AttrPathError("PromiseAttributeResolveError", `unexpected type [${cur === null ? "null" : typeof cur}] for attribute [${describe(attr)}]`);
    }
  }
  return fromJson(cur);
}

/** Applies a promise's attribute path to the literal it points at. */
export async function resolveAttrPath(literal: Literal, path: readonly PromiseAttribute[], options: AttrPathOptions = {}): Promise<Literal> {
  let cur = literal;
  let used = 0;
  for (const attr of path) {
    if (cur.value.case === "offloadedMetadata") {
      const uri = cur.value.value.uri;
      if (!options.readOffloaded) throw new AttrPathError("PromiseAttributeResolveError", "failed to read offloaded metadata for promise");
      try {
        cur = await options.readOffloaded(uri);
      } catch (err) {
        throw new AttrPathError("PromiseAttributeResolveError", `failed to read offloaded metadata for promise: ${(err as Error).message}`);
      }
      if (cur.value.case === "offloadedMetadata") throw new AttrPathError("PromiseAttributeResolveError", "unexpected offloaded metadata type");
    }
    if (cur.value.case === "map") {
      const key = stringAttr(attr, "a map");
      const next = Object.hasOwn(cur.value.value.literals, key) ? cur.value.value.literals[key] : undefined;
      if (!next) throw new AttrPathError("PromiseAttributeResolveError", `key [${key}] does not exist in a map with keys [${Object.keys(cur.value.value.literals).join(", ")}]`);
      cur = next;
    } else if (cur.value.case === "collection") {
      cur = cur.value.value.literals[indexAttr(attr, cur.value.value.literals.length)]!;
    } else {
      break;
    }
    used++;
  }
  const rest = path.slice(used);
  const scalar = cur.value.case === "scalar" ? cur.value.value : undefined;
  if (scalar?.value.case === "binary") return resolveInBinary(scalar.value.value.value, scalar.value.value.tag, rest, options);
  if (scalar?.value.case === "generic") return resolveInStruct(scalar.value.value, rest);
  if (rest.length > 0) {
    throw new AttrPathError("PromiseAttributeResolveError", `attribute [${describe(rest[0]!)}] cannot be applied to a ${scalar?.value.case ?? cur.value.case ?? "empty"} literal`);
  }
  return cur;
}
