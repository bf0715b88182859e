import { create, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import { type Literal, LiteralSchema, type Scalar } from "../../../gen/flyteidl/core/literals_pb.js";
import { BlobType_BlobDimensionality, type LiteralType } from "../../../gen/flyteidl/core/types_pb.js";
import { shapeOf } from "./form-shape.js";
import { formatDatetime, formatDuration, parseDatetimeText, parseDurationText, parseFloatText, parseIntegerText } from "./literal-text.js";

/**
 * Literals ⇄ JSON values, guided by the declared type: how list, map and
 * struct inputs are typed into the form, and how defaults and earlier inputs
 * are shown in it. Integers may be JSON numbers or strings of digits (JSON
 * numbers lose precision past 2^53); datetimes and durations are strings.
 */

/** A message for the user, with the place inside the value it concerns (`[2].x`). */
export class ValueError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(path === "" ? reason : `${path}: ${reason}`);
  }
}

export function scalarLiteral(value: Scalar["value"]): Literal {
  return create(LiteralSchema, { value: { case: "scalar", value: { value } } });
}

export function primitiveLiteral(value: Extract<Scalar["value"], { case: "primitive" }>["value"]["value"]): Literal {
  return scalarLiteral({ case: "primitive", value: { value } } as Scalar["value"]);
}

export function noneLiteral(): Literal {
  return scalarLiteral({ case: "noneType", value: {} } as Scalar["value"]);
}

/** A union literal carries the variant's declared type (structure tag included), which the server casts against. */
export function unionLiteral(value: Literal, variantType: LiteralType): Literal {
  return scalarLiteral({ case: "union", value: { value, type: variantType } } as Scalar["value"]);
}

export function blobLiteral(uri: string, type: LiteralType): Literal {
  const blobType = type.type.case === "blob" ? type.type.value : undefined;
  return scalarLiteral({ case: "blob", value: { uri, metadata: { type: blobType } } } as Scalar["value"]);
}

export function datasetLiteral(uri: string, type: LiteralType): Literal {
  const sdType = type.type.case === "structuredDatasetType" ? type.type.value : undefined;
  return scalarLiteral({ case: "structuredDataset", value: { uri, metadata: { structuredDatasetType: sdType } } } as Scalar["value"]);
}

export function schemaLiteral(uri: string, type: LiteralType): Literal {
  const schemaType = type.type.case === "schema" ? type.type.value : undefined;
  return scalarLiteral({ case: "schema", value: { uri, type: schemaType } } as Scalar["value"]);
}

function text<T>(parsed: T | string, path: string): T {
  if (typeof parsed === "string") throw new ValueError(path, parsed);
  return parsed;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A URI given as a string, or as an object with a `uri` (the shape `literalToJson` writes for blobs). */
function uriOf(value: unknown, path: string): string {
  const uri = isObject(value) ? value["uri"] : value;
  if (typeof uri !== "string" || uri.trim() === "") throw new ValueError(path, "Enter a URI such as s3://bucket/key");
  return uri.trim();
}

/**
 * The literal for a JSON value of the given type. In `strict` mode (used to
 * choose a union's variant) nothing is converted across JSON types: a string
 * is never read as a number.
 */
export function jsonToLiteral(type: LiteralType, value: unknown, path = "", strict = false): Literal {
  const shape = shapeOf(type);
  const wrong = (expected: string) => new ValueError(path, `Expected ${expected}, got ${value === null ? "null" : Array.isArray(value) ? "a list" : typeof value}`);
  switch (shape.kind) {
    case "integer": {
      if (typeof value === "number" && Number.isSafeInteger(value)) return primitiveLiteral({ case: "integer", value: BigInt(value) });
      if (typeof value === "string" && !strict) return primitiveLiteral({ case: "integer", value: text(parseIntegerText(value), path) });
      throw typeof value === "number" ? new ValueError(path, "Enter a whole number (numbers past 2^53 as strings)") : wrong("a whole number");
    }
    case "float": {
      if (typeof value === "number") return primitiveLiteral({ case: "floatValue", value });
      if (typeof value === "string" && !strict) return primitiveLiteral({ case: "floatValue", value: text(parseFloatText(value), path) });
      throw wrong("a number");
    }
    case "string":
      if (typeof value === "string") return primitiveLiteral({ case: "stringValue", value });
      throw wrong("a string");
    case "boolean":
      if (typeof value === "boolean") return primitiveLiteral({ case: "boolean", value });
      throw wrong("true or false");
    case "datetime":
      if (typeof value === "string") return primitiveLiteral({ case: "datetime", value: text(parseDatetimeText(value), path) });
      throw wrong("a date and time string");
    case "duration":
      if (typeof value === "string") return primitiveLiteral({ case: "duration", value: text(parseDurationText(value), path) });
      throw wrong("a duration string such as 1h30m");
    case "enum":
      if (typeof value === "string" && shape.values!.includes(value)) return primitiveLiteral({ case: "stringValue", value });
      throw new ValueError(path, `Expected one of ${shape.values!.join(", ")}`);
    case "none":
      if (value === null) return noneLiteral();
      throw wrong("null");
    case "collection": {
      if (!Array.isArray(value)) throw wrong("a list");
      const item = type.type.value as LiteralType;
      const literals = value.map((v, i) => jsonToLiteral(item, v, `${path}[${i}]`, strict));
      return create(LiteralSchema, { value: { case: "collection", value: { literals } } });
    }
    case "map": {
      if (!isObject(value)) throw wrong("an object");
      const item = type.type.value as LiteralType;
      const literals = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonToLiteral(item, v, path === "" ? k : `${path}.${k}`, strict)]));
      return create(LiteralSchema, { value: { case: "map", value: { literals } } });
    }
    case "struct":
      // A dataclass or untyped dict goes as a protobuf Struct: flytekit reads it as JSON into the declared type.
      if (isObject(value)) return scalarLiteral({ case: "generic", value: value as JsonObject });
      throw wrong("an object");
    case "blob":
      return blobLiteral(uriOf(value, path), type);
    case "structuredDataset":
      return datasetLiteral(uriOf(value, path), type);
    case "schema":
      return schemaLiteral(uriOf(value, path), type);
    case "union": {
      // The first variant that takes the value as it is, else the first that takes it with conversions.
      for (const pass of strict ? [true] : [true, false]) {
        for (const variant of shape.variants!) {
          try {
            return unionLiteral(jsonToLiteral(variant.type, value, path, pass), variant.type);
          } catch (e) {
            if (!(e instanceof ValueError)) throw e;
          }
        }
      }
      throw new ValueError(path, `Expected ${shape.label}`);
    }
    default:
      throw new ValueError(path, `Values of type ${shape.label} cannot be entered here`);
  }
}

/**
 * The JSON value of a literal, for showing it in the form; undefined when a
 * form cannot show it (binary msgpack, offloaded literals, errors).
 */
export function literalToJson(literal: Literal): JsonValue | undefined {
  const v = literal.value;
  switch (v.case) {
    case "collection": {
      const items = v.value.literals.map(literalToJson);
      return items.every((i) => i !== undefined) ? (items as JsonValue[]) : undefined;
    }
    case "map": {
      const entries = Object.entries(v.value.literals).map(([k, l]) => [k, literalToJson(l)] as const);
      return entries.every(([, j]) => j !== undefined) ? (Object.fromEntries(entries) as JsonObject) : undefined;
    }
    case "scalar":
      return scalarToJson(v.value);
    default:
      return undefined;
  }
}

function scalarToJson(scalar: Scalar): JsonValue | undefined {
  const s = scalar.value;
  switch (s.case) {
    case "primitive": {
      const p = s.value.value;
      switch (p.case) {
        case "integer":
          return Number.isSafeInteger(Number(p.value)) ? Number(p.value) : p.value.toString();
        case "floatValue":
        case "stringValue":
        case "boolean":
          return p.value;
        case "datetime":
          return formatDatetime(p.value);
        case "duration":
          return formatDuration(p.value);
        default:
          return undefined;
      }
    }
    case "noneType":
      return null;
    case "generic":
      return s.value;
    case "blob":
      return s.value.metadata?.type?.dimensionality === BlobType_BlobDimensionality.MULTIPART ? { uri: s.value.uri, directory: true } : { uri: s.value.uri };
    case "structuredDataset":
    case "schema":
      return { uri: s.value.uri };
    case "union":
      return s.value.value ? literalToJson(s.value.value) : undefined;
    default:
      return undefined;
  }
}
