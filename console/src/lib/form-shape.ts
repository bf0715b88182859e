import { type LiteralType, SimpleType } from "../../../gen/flyteidl/core/types_pb.js";
import { formatLiteralType as typeLabel } from "./literal-type.js";

/**
 * What kind of input control a literal type gets. Lists, maps and structs
 * (dataclasses, dicts) are edited as JSON text, which nests without limit;
 * unions pick a variant and then edit it; blobs and datasets are URIs.
 */
export type FieldKind =
  | "integer"
  | "float"
  | "string"
  | "boolean"
  | "datetime"
  | "duration"
  | "enum"
  | "none"
  | "collection"
  | "map"
  | "struct"
  | "blob"
  | "structuredDataset"
  | "schema"
  | "union"
  // Types a form cannot produce (binary, error, unset): a default is kept as it is.
  | "unsupported";

export interface FieldShape {
  kind: FieldKind;
  type: LiteralType;
  /** The type as a Python user writes it, such as `List[int]` or `Optional[float]`. */
  label: string;
  /** Enum symbols, for kind `enum`. */
  values?: string[];
  /** The variants, for kind `union`. */
  variants?: FieldShape[];
}

const SIMPLE: Partial<Record<SimpleType, FieldKind>> = {
  [SimpleType.INTEGER]: "integer",
  [SimpleType.FLOAT]: "float",
  [SimpleType.STRING]: "string",
  [SimpleType.BOOLEAN]: "boolean",
  [SimpleType.DATETIME]: "datetime",
  [SimpleType.DURATION]: "duration",
  [SimpleType.NONE]: "none",
  [SimpleType.STRUCT]: "struct",
};

export function shapeOf(type: LiteralType): FieldShape {
  const t = type.type;
  switch (t.case) {
    case "simple":
      return { kind: SIMPLE[t.value] ?? "unsupported", type, label: typeLabel(type) };
    case "enumType":
      return { kind: "enum", type, label: typeLabel(type), values: [...t.value.values] };
    case "unionType":
      return { kind: "union", type, label: typeLabel(type), variants: t.value.variants.map(shapeOf) };
    case "collectionType":
      return { kind: "collection", type, label: typeLabel(type) };
    case "mapValueType":
      return { kind: "map", type, label: typeLabel(type) };
    case "blob":
      return { kind: "blob", type, label: typeLabel(type) };
    case "structuredDatasetType":
      return { kind: "structuredDataset", type, label: typeLabel(type) };
    case "schema":
      return { kind: "schema", type, label: typeLabel(type) };
    default:
      return { kind: "unsupported", type, label: typeLabel(type) };
  }
}

/** The index of a union's `None` variant, or -1. */
export function noneVariant(shape: FieldShape): number {
  return shape.variants?.findIndex((v) => v.kind === "none") ?? -1;
}
