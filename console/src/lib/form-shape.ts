import { BlobType_BlobDimensionality, type LiteralType, SimpleType } from "../../../gen/flyteidl/core/types_pb.js";

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
  /** A short type description such as `List<integer>` or `Optional<float>`. */
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

/** The type in words, the way a Python user wrote it where that is clear. */
export function typeLabel(type: LiteralType): string {
  const t = type.type;
  switch (t.case) {
    case "simple": {
      if (t.value === SimpleType.STRUCT) {
        const title = type.metadata?.["title"];
        return typeof title === "string" ? `${title} (JSON)` : "JSON object";
      }
      return SimpleType[t.value]?.toLowerCase() ?? "unknown";
    }
    case "enumType":
      return `enum (${t.value.values.join(", ")})`;
    case "collectionType":
      return `List<${typeLabel(t.value)}>`;
    case "mapValueType":
      return `Dict<string, ${typeLabel(t.value)}>`;
    case "unionType": {
      const variants = t.value.variants;
      const others = variants.filter((v) => !(v.type.case === "simple" && v.type.value === SimpleType.NONE));
      if (others.length === 1 && variants.length === 2) return `Optional<${typeLabel(others[0]!)}>`;
      return `Union<${variants.map(typeLabel).join(", ")}>`;
    }
    case "blob":
      return `${t.value.dimensionality === BlobType_BlobDimensionality.MULTIPART ? "directory" : "file"}${t.value.format ? ` (${t.value.format})` : ""}`;
    case "structuredDatasetType":
      return `structured dataset${t.value.format ? ` (${t.value.format})` : ""}`;
    case "schema":
      return "schema";
    default:
      return "unknown";
  }
}

/** The index of a union's `None` variant, or -1. */
export function noneVariant(shape: FieldShape): number {
  return shape.variants?.findIndex((v) => v.kind === "none") ?? -1;
}
