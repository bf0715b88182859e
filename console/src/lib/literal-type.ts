import type { JsonObject } from "@bufbuild/protobuf";
import { BlobType_BlobDimensionality, type LiteralType, SimpleType } from "../../../gen/flyteidl/core/types_pb.js";

const SIMPLE: Record<SimpleType, string> = {
  [SimpleType.NONE]: "None",
  [SimpleType.INTEGER]: "int",
  [SimpleType.FLOAT]: "float",
  [SimpleType.STRING]: "str",
  [SimpleType.BOOLEAN]: "bool",
  [SimpleType.DATETIME]: "datetime",
  [SimpleType.DURATION]: "timedelta",
  [SimpleType.BINARY]: "bytes",
  [SimpleType.ERROR]: "error",
  [SimpleType.STRUCT]: "dict",
};

/**
 * A Flyte type as a Python user reads it: `List[int]`, `Dict[str, float]`, `Optional[str]`,
 * `FlyteFile[csv]`, a dataclass's own name. Deeply nested types stop at a bounded depth so a
 * pathological interface cannot hang the page.
 */
export function formatLiteralType(type: LiteralType | undefined, depth = 0): string {
  if (!type) return "unknown";
  if (depth > 12) return "…";
  const inner = (t: LiteralType | undefined) => formatLiteralType(t, depth + 1);
  const t = type.type;
  switch (t.case) {
    case "simple":
      if (t.value === SimpleType.STRUCT) return structName(type.metadata) ?? "dict";
      return SIMPLE[t.value] ?? `simple(${t.value})`;
    case "collectionType":
      return `List[${inner(t.value)}]`;
    case "mapValueType":
      return `Dict[str, ${inner(t.value)}]`;
    case "blob": {
      const multipart = t.value.dimensionality === BlobType_BlobDimensionality.MULTIPART;
      if (t.value.format === "PythonPickle") return "Pickle";
      const base = multipart ? "FlyteDirectory" : "FlyteFile";
      return t.value.format ? `${base}[${t.value.format}]` : base;
    }
    case "enumType":
      return `Enum[${t.value.values.join(" | ")}]`;
    case "structuredDatasetType":
      return t.value.format ? `StructuredDataset[${t.value.format}]` : "StructuredDataset";
    case "schema":
      return "Schema";
    case "unionType": {
      const variants = t.value.variants;
      const none = variants.filter((v) => v.type.case === "simple" && v.type.value === SimpleType.NONE);
      const rest = variants.filter((v) => !none.includes(v));
      if (none.length > 0 && rest.length === 1) return `Optional[${inner(rest[0])}]`;
      return `Union[${variants.map(inner).join(", ")}]`;
    }
    default:
      return "unknown";
  }
}

/** A dataclass or pydantic model carries its JSON schema in the type's metadata; its title is the class name. */
function structName(metadata: JsonObject | undefined): string | undefined {
  const title = metadata?.["title"];
  return typeof title === "string" && title ? title : undefined;
}
