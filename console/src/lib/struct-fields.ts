import { create, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import { type LiteralType, LiteralTypeSchema, SimpleType } from "../../../gen/flyteidl/core/types_pb.js";

/**
 * The fields of a dataclass (or pydantic model) input, as Flyte types, so the form can edit it
 * field by field. flytekit 1.16 sends them in `structure.dataclass_type`; older flytekit only in
 * the type's metadata, a JSON schema (mashumaro's, or marshmallow's with `$ref` into
 * `definitions`), which is read here for the types a form can edit. Unknown: JSON text instead.
 */
export interface StructField {
  name: string;
  type: LiteralType;
  /** The schema lists the field as required (it has no default). */
  required: boolean;
}

/** Nested dataclasses deeper than this are edited as JSON: a self-referencing schema must end. */
export const MAX_STRUCT_DEPTH = 6;

type Schema = JsonObject;
const isSchema = (v: JsonValue | undefined): v is Schema => typeof v === "object" && v !== null && !Array.isArray(v);

/** The fields of a STRUCT type, alphabetically; undefined when neither the structure nor a schema names them. */
export function structFields(type: LiteralType, depth = 0): StructField[] | undefined {
  if (depth >= MAX_STRUCT_DEPTH) return undefined;
  const required = new Set(schemaRequired(type.metadata));
  const declared = type.structure?.dataclassType;
  let fields: StructField[] | undefined;
  if (declared && Object.keys(declared).length > 0) {
    fields = Object.entries(declared).map(([name, t]) => ({ name, type: t, required: required.has(name) }));
  } else if (type.metadata) {
    fields = schemaFields(type.metadata, type.metadata, 0);
  }
  return fields?.sort((a, b) => a.name.localeCompare(b.name));
}

/** The object schema a (possibly `$ref`-ing) schema stands for. */
function resolve(schema: Schema, root: Schema, hops = 0): Schema | undefined {
  const ref = schema["$ref"];
  if (typeof ref !== "string") return schema;
  const m = /^#\/(definitions|\$defs)\/(.+)$/.exec(ref);
  const target = m ? (root[m[1]!] as Schema | undefined)?.[decodeURIComponent(m[2]!)] : undefined;
  return hops < 8 && isSchema(target) ? resolve(target, root, hops + 1) : undefined;
}

/** The schema's own `required` list (a field with a default or a default factory is not in it). */
function schemaRequired(metadata: Schema | undefined): string[] {
  const req = metadata ? resolve(metadata, metadata)?.["required"] : undefined;
  return Array.isArray(req) ? req.filter((r): r is string => typeof r === "string") : [];
}

function schemaFields(schema: Schema, root: Schema, depth: number): StructField[] | undefined {
  const object = resolve(schema, root);
  const props = object?.["properties"];
  if (!isSchema(props)) return undefined;
  const required = new Set(schemaRequired(object));
  const fields: StructField[] = [];
  for (const [name, prop] of Object.entries(props)) {
    const type = isSchema(prop) ? schemaType(prop, root, depth + 1) : undefined;
    // A field the form cannot type makes the whole value JSON: a half-typed form would send half a value.
    if (!type) return undefined;
    fields.push({ name, type, required: required.has(name) });
  }
  return fields;
}

const simple = (value: SimpleType) => create(LiteralTypeSchema, { type: { case: "simple", value } });

/** A JSON schema property as the Flyte type flytekit would declare for it; undefined when unsure. */
export function schemaType(prop: Schema, root: Schema, depth = 0): LiteralType | undefined {
  if (depth > MAX_STRUCT_DEPTH) return undefined;
  const s = resolve(prop, root);
  if (!s) return undefined;
  const variants = s["anyOf"] ?? s["oneOf"];
  if (Array.isArray(variants)) {
    const types = variants.map((v) => (isSchema(v) ? schemaType(v, root, depth + 1) : undefined));
    if (types.some((t) => !t)) return undefined;
    return create(LiteralTypeSchema, { type: { case: "unionType", value: { variants: types as LiteralType[] } } });
  }
  const values = s["enum"];
  if (Array.isArray(values) && values.every((v) => typeof v === "string")) {
    return create(LiteralTypeSchema, { type: { case: "enumType", value: { values: values as string[] } } });
  }
  switch (s["type"]) {
    case "integer":
      return simple(SimpleType.INTEGER);
    case "number":
      return simple(SimpleType.FLOAT);
    case "boolean":
      return simple(SimpleType.BOOLEAN);
    case "null":
      return simple(SimpleType.NONE);
    case "string":
      return simple(s["format"] === "date-time" ? SimpleType.DATETIME : SimpleType.STRING);
    case "array": {
      const items = isSchema(s["items"]) ? schemaType(s["items"], root, depth + 1) : undefined;
      return items && create(LiteralTypeSchema, { type: { case: "collectionType", value: items } });
    }
    case "object": {
      if (isSchema(s["properties"])) {
        // A nested dataclass: its own schema (with the root's definitions, for its `$ref`s) is its metadata.
        const metadata: Schema = { ...s, ...(root["definitions"] ? { definitions: root["definitions"] } : {}), ...(root["$defs"] ? { $defs: root["$defs"] } : {}) };
        return create(LiteralTypeSchema, { type: { case: "simple", value: SimpleType.STRUCT }, metadata });
      }
      const values = isSchema(s["additionalProperties"]) ? schemaType(s["additionalProperties"], root, depth + 1) : undefined;
      return values ? create(LiteralTypeSchema, { type: { case: "mapValueType", value: values } }) : simple(SimpleType.STRUCT);
    }
    default:
      return undefined;
  }
}
