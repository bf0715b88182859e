// Flyte's type-castability rules (flytepropeller validators/typing.go).
//
// isCastable(upstream, downstream) answers "may a value of type `upstream` be
// bound to an input of type `downstream`?". The checker is chosen by the
// *downstream* type; each one mirrors a Go checker so that a workflow which
// registers against FlyteAdmin registers here too, and vice versa.
import { equals } from "@bufbuild/protobuf";
import { isJsonSchemaSuperType, isSameJsonSchema } from "./json-schema-compat.js";
import {
  type LiteralType,
  LiteralTypeSchema,
  type SchemaType,
  SchemaType_SchemaColumn_SchemaColumnType as ColumnType,
  SimpleType,
  type StructuredDatasetType,
} from "../../../gen/flyteidl/core/types_pb.js";

type Checker = (upstream: LiteralType) => boolean;

export function isCastable(upstream: LiteralType, downstream: LiteralType): boolean {
  const castsFrom = checkerFor(downstream);
  // A single-variant union upstream (what a literal union value infers to) may
  // be consumed as its only variant.
  const u = upstream.type.case === "unionType" ? upstream.type.value.variants : [];
  if (u.length === 1 && u[0] !== undefined && castsFrom(u[0])) return true;
  return castsFrom(upstream);
}

export const isNoneType = (t: LiteralType | undefined): boolean =>
  t?.type.case === "simple" && t.type.value === SimpleType.NONE;

const simpleOf = (t: LiteralType): SimpleType | undefined => (t.type.case === "simple" ? t.type.value : undefined);

const tagOf = (t: LiteralType): string => t.structure?.tag ?? "";

function checkerFor(down: LiteralType): Checker {
  switch (down.type.case) {
    case "collectionType": {
      const inner = down.type.value;
      // An empty collection literal infers collection<none>: it fits any collection.
      return (up) => {
        if (up.type.case !== "collectionType") return false;
        return isNoneType(up.type.value) || checkerFor(inner)(up.type.value);
      };
    }
    case "mapValueType": {
      const inner = down.type.value;
      return (up) => {
        if (up.type.case !== "mapValueType") return false;
        return isNoneType(up.type.value) || checkerFor(inner)(up.type.value);
      };
    }
    case "blob": {
      const format = down.type.value.format;
      // A blob without format is generic and accepts (or is accepted by) any blob.
      return (up) => up.type.case === "blob" && (up.type.value.format === "" || format === "" || up.type.value.format === format);
    }
    case "schema":
      return schemaChecker(down.type.value);
    case "structuredDatasetType":
      return structuredDatasetChecker(down.type.value);
    case "unionType":
      return unionChecker(down.type.value.variants);
    default:
      if (isNoneType(down)) return (up) => isNoneType(up);
      return (up) => trivialCastsFrom(up, down);
  }
}

function trivialCastsFrom(up: LiteralType, down: LiteralType): boolean {
  // Enums are constrained strings: both directions are allowed.
  if (up.type.case === "enumType" && simpleOf(down) === SimpleType.STRING) return true;
  if (down.type.case === "enumType" && simpleOf(up) === SimpleType.STRING) return true;
  // A tagged upstream type (e.g. a flytekit custom transformer) only fits the same tag.
  if (tagOf(up) !== "" && tagOf(down) !== tagOf(up)) return false;
  if (simpleOf(up) === SimpleType.STRUCT && simpleOf(down) === SimpleType.STRUCT) {
    // Old flytekit versions sent no JSON schema; stay compatible with them.
    if (up.metadata === undefined || down.metadata === undefined) return true;
    return isSameJsonSchema(up.metadata, down.metadata) || isJsonSchemaSuperType(up.metadata, down.metadata);
  }
  // Compare everything but the descriptive parts (metadata, structure, annotation).
  const strip = (t: LiteralType): LiteralType => ({ ...t, metadata: undefined, structure: undefined, annotation: undefined });
  return equals(LiteralTypeSchema, strip(up), strip(down));
}

function unionChecker(variants: readonly LiteralType[]): Checker {
  return (up) => {
    if (up.type.case === "unionType") {
      // Every upstream variant needs some downstream variant to land in.
      return up.type.value.variants.every((u) => variants.some((d) => isCastable(u, d)));
    }
    // Otherwise exactly one variant must match, or the choice would be ambiguous.
    return variants.filter((d) => isCastable(up, d)).length === 1;
  };
}

function schemaChecker(down: SchemaType): Checker {
  return (up) => {
    if (up.type.case === "schema") return schemaFromSchema(up.type.value, down);
    if (up.type.case !== "structuredDatasetType") return false;
    // A FlyteSchema can only be read from parquet.
    const format = up.type.value.format;
    if (format !== "" && format.toLowerCase() !== "parquet") return false;
    return schemaFromStructuredDataset(up.type.value, down);
  };
}

function structuredDatasetChecker(down: StructuredDatasetType): Checker {
  return (up) => {
    if (isNoneType(up)) return true; // structured datasets are nullable
    if (up.type.case === "schema") {
      if (down.format !== "" && down.format.toLowerCase() !== "parquet") return false;
      return structuredDatasetFromSchema(up.type.value, down);
    }
    if (up.type.case !== "structuredDatasetType") return false;
    return structuredDatasetFromStructuredDataset(up.type.value, down);
  };
}

// Column rules: no columns on either side means "generic"; otherwise every
// downstream column must exist upstream with a compatible type.
function schemaFromSchema(up: SchemaType, down: SchemaType): boolean {
  if (up.columns.length === 0 || down.columns.length === 0) return true;
  const types = new Map(up.columns.map((c) => [c.name, c.type]));
  return down.columns.every((c) => types.has(c.name) && types.get(c.name) === c.type);
}

function structuredDatasetFromStructuredDataset(up: StructuredDatasetType, down: StructuredDatasetType): boolean {
  if (up.format !== "" && down.format !== "" && up.format.toLowerCase() !== down.format.toLowerCase()) return false;
  if (up.columns.length === 0 || down.columns.length === 0) return true;
  const types = new Map(up.columns.map((c) => [c.name, c.literalType]));
  return down.columns.every((c) => {
    const u = types.get(c.name);
    if (!types.has(c.name)) return false;
    return c.literalType !== undefined && u !== undefined && checkerFor(c.literalType)(u);
  });
}

function structuredDatasetFromSchema(up: SchemaType, down: StructuredDatasetType): boolean {
  if (up.columns.length === 0 || down.columns.length === 0) return true;
  const types = new Map(up.columns.map((c) => [c.name, c.type]));
  return down.columns.every((c) => {
    const u = types.get(c.name);
    return u !== undefined && columnMatches(u, c.literalType ? simpleOf(c.literalType) : undefined);
  });
}

function schemaFromStructuredDataset(up: StructuredDatasetType, down: SchemaType): boolean {
  if (up.columns.length === 0 || down.columns.length === 0) return true;
  const types = new Map(up.columns.map((c) => [c.name, c.literalType ? simpleOf(c.literalType) : undefined]));
  return down.columns.every((c) => types.has(c.name) && columnMatches(c.type, types.get(c.name)));
}

function columnMatches(column: ColumnType, simple: SimpleType | undefined): boolean {
  switch (column) {
    case ColumnType.INTEGER:
      return simple === SimpleType.INTEGER;
    case ColumnType.FLOAT:
      return simple === SimpleType.FLOAT;
    case ColumnType.STRING:
      return simple === SimpleType.STRING;
    case ColumnType.BOOLEAN:
      return simple === SimpleType.BOOLEAN;
    case ColumnType.DATETIME:
      return simple === SimpleType.DATETIME;
    case ColumnType.DURATION:
      return simple === SimpleType.DURATION;
    default:
      return false;
  }
}
