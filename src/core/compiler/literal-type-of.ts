// Type inference for literal values (flytepropeller validators/utils.go).
//
// A binding may carry a constant instead of a promise; the compiler infers the
// constant's LiteralType and checks it with the castability rules. Inference is
// deliberately shallow — a value does not know e.g. its enum or its dataclass
// schema — which is why the castability rules accept string→enum and
// STRUCT-without-schema.
import { create } from "@bufbuild/protobuf";
import type { Literal, Primitive, Scalar } from "../../../gen/flyteidl/core/literals_pb.js";
import {
  type LiteralType,
  LiteralTypeSchema,
  SchemaTypeSchema,
  SimpleType,
  StructuredDatasetTypeSchema,
  BlobTypeSchema,
} from "../../../gen/flyteidl/core/types_pb.js";
import { isCastable } from "./type-castable.js";
import { literalTypeText } from "./proto-text.js";

// flytekit tags msgpack-encoded dataclasses/dicts this way (coreutils.MESSAGEPACK).
const MESSAGEPACK = "msgpack";

const simple = (value: SimpleType): LiteralType => create(LiteralTypeSchema, { type: { case: "simple", value } });

export function literalTypeOfPrimitive(p: Primitive | undefined): LiteralType {
  switch (p?.value.case) {
    case "integer":
      return simple(SimpleType.INTEGER);
    case "floatValue":
      return simple(SimpleType.FLOAT);
    case "stringValue":
      return simple(SimpleType.STRING);
    case "boolean":
      return simple(SimpleType.BOOLEAN);
    case "datetime":
      return simple(SimpleType.DATETIME);
    case "duration":
      return simple(SimpleType.DURATION);
    default:
      return simple(SimpleType.NONE);
  }
}

/** The type of a scalar, or undefined when it cannot be told (unset value, blob without metadata). */
export function literalTypeOfScalar(s: Scalar): LiteralType | undefined {
  const v = s.value;
  switch (v.case) {
    case "primitive":
      return literalTypeOfPrimitive(v.value);
    case "blob":
      if (!v.value.metadata) return undefined;
      return create(LiteralTypeSchema, { type: { case: "blob", value: v.value.metadata.type ?? create(BlobTypeSchema) } });
    case "binary":
      return simple(v.value.tag === MESSAGEPACK ? SimpleType.STRUCT : SimpleType.BINARY);
    case "schema":
      return create(LiteralTypeSchema, { type: { case: "schema", value: v.value.type ?? create(SchemaTypeSchema) } });
    case "structuredDataset": {
      const sd = v.value.metadata?.structuredDatasetType ?? create(StructuredDatasetTypeSchema);
      return create(LiteralTypeSchema, { type: { case: "structuredDatasetType", value: sd } });
    }
    case "noneType":
      return simple(SimpleType.NONE);
    case "error":
      return simple(SimpleType.ERROR);
    case "generic":
      return simple(SimpleType.STRUCT);
    case "union":
      // A union value knows the variant it was created as.
      return create(LiteralTypeSchema, {
        type: { case: "unionType", value: { variants: [v.value.type ?? create(LiteralTypeSchema)] } },
      });
    default:
      return undefined;
  }
}

/** LiteralTypeForLiteral: collections and maps infer their element type from their members. */
export function literalTypeOf(l: Literal): LiteralType | undefined {
  switch (l.value.case) {
    case "scalar":
      return literalTypeOfScalar(l.value.value);
    case "collection":
      return create(LiteralTypeSchema, {
        type: { case: "collectionType", value: elementType(l.value.value.literals) },
      });
    case "map":
      return create(LiteralTypeSchema, {
        type: { case: "mapValueType", value: elementType(Object.values(l.value.value.literals)) },
      });
    case "offloadedMetadata":
      return l.value.value.inferredType;
    default:
      return undefined;
  }
}

/** True when the literal's inferred type may be bound to `type`. */
export function literalMatchesType(l: Literal, type: LiteralType): boolean {
  const inferred = literalTypeOf(l);
  return inferred !== undefined && isCastable(inferred, type);
}

// Distinct member types; none → NONE, one → itself, several → a union of them
// (sorted by text so the same members always give the same union).
function elementType(literals: readonly Literal[]): LiteralType {
  const distinct = new Map<string, LiteralType>();
  let emptyCollectionType: LiteralType | undefined;
  for (const x of literals) {
    const t = literalTypeOf(x) ?? create(LiteralTypeSchema);
    if (x.value.case === "collection" && x.value.value.literals.length === 0) {
      emptyCollectionType = t; // only used when nothing else is known
      continue;
    }
    distinct.set(literalTypeText(t), t);
  }
  const types = [...distinct.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, t]) => t);
  if (types.length === 0 && emptyCollectionType) types.push(emptyCollectionType);
  if (types.length === 0) return simple(SimpleType.NONE);
  if (types.length === 1 && types[0]) return types[0];
  return unionOf(types);
}

// buildMultipleTypeUnion: members that are themselves collection<union> are
// flattened, and then the result is collection<union>.
function unionOf(types: LiteralType[]): LiteralType {
  let nested = false;
  const variants: LiteralType[] = [];
  for (const t of types) {
    const inner = t.type.case === "collectionType" ? t.type.value : undefined;
    if (inner?.type.case === "unionType") {
      nested = true;
      variants.push(...inner.type.value.variants);
    } else {
      variants.push(t);
    }
  }
  const union = create(LiteralTypeSchema, { type: { case: "unionType", value: { variants } } });
  return nested ? create(LiteralTypeSchema, { type: { case: "collectionType", value: union } }) : union;
}
