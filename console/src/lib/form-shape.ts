import { type LiteralType, SimpleType } from "../../../gen/flyteidl/core/types_pb.js";
import { formatLiteralType as typeLabel } from "./literal-type.js";
import { structFields } from "./struct-fields.js";

/**
 * What kind of input control a literal type gets. Lists, maps and untyped
 * dicts are edited as JSON text, which nests without limit; a dataclass whose
 * fields are known is a sub-form of its fields (JSON text otherwise); unions
 * pick a variant and then edit it; blobs and datasets are URIs.
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
  /** A dataclass's fields, for kind `struct` when they are known and each can be edited in a sub-form. */
  fields?: SubField[];
}

export interface SubField {
  name: string;
  required: boolean;
  shape: FieldShape;
}

/** Kinds a dataclass sub-form edits. Files and datasets inside a dataclass are written as flytekit's JSON. */
const SUB_FORM_KINDS = new Set<FieldKind>(["integer", "float", "string", "boolean", "datetime", "duration", "enum", "none", "collection", "map", "struct", "union"]);
const editable = (shape: FieldShape): boolean => SUB_FORM_KINDS.has(shape.kind) && (shape.variants ?? []).every(editable);

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

export function shapeOf(type: LiteralType, depth = 0): FieldShape {
  const t = type.type;
  switch (t.case) {
    case "simple": {
      const shape: FieldShape = { kind: SIMPLE[t.value] ?? "unsupported", type, label: typeLabel(type) };
      if (t.value === SimpleType.STRUCT) {
        const fields = structFields(type, depth)?.map((f) => ({ name: f.name, required: f.required, shape: shapeOf(f.type, depth + 1) }));
        if (fields && fields.length > 0 && fields.every((f) => editable(f.shape))) shape.fields = fields;
      }
      return shape;
    }
    case "enumType":
      return { kind: "enum", type, label: typeLabel(type), values: [...t.value.values] };
    case "unionType":
      return { kind: "union", type, label: typeLabel(type), variants: t.value.variants.map((v) => shapeOf(v, depth + 1)) };
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
