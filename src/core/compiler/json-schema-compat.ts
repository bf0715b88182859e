// JSON-schema compatibility of STRUCT types (dataclasses / pydantic models).
//
// flytekit stores a dataclass's JSON schema (draft 2020-12, from mashumaro) in
// LiteralType.metadata. flytepropeller lets a STRUCT flow into another STRUCT
// when the schemas are identical, or when the upstream schema is a "super type"
// of the downstream one as judged by a JSON-schema comparison library. We do
// not carry that library; isJsonSchemaSuperType is a structural approximation
// of the same idea: every value the upstream schema admits must satisfy the
// downstream schema (downstream fields exist upstream with compatible schemas,
// downstream-required fields are required upstream, same primitive types).
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";

export function isSameJsonSchema(a: JsonObject, b: JsonObject): boolean {
  return deepEqual(a, b);
}

// Keywords that describe a schema without constraining the values it accepts.
const DESCRIPTIVE = new Set(["title", "description", "default", "examples", "$schema", "additionalProperties"]);

export function isJsonSchemaSuperType(upstream: JsonObject, downstream: JsonObject): boolean {
  return admits(upstream, downstream);
}

function admits(up: JsonValue | undefined, down: JsonValue | undefined): boolean {
  if (down === undefined || down === true) return true;
  if (!isObject(up) || !isObject(down)) return deepEqual(up, down);
  if (down.type !== undefined && !deepEqual(up.type, down.type)) return false;

  const downProps = isObject(down.properties) ? down.properties : {};
  const upProps = isObject(up.properties) ? up.properties : {};
  const upRequired = new Set(Array.isArray(up.required) ? up.required : []);
  for (const name of Array.isArray(down.required) ? down.required : []) {
    if (typeof name === "string" && !upRequired.has(name)) return false;
  }
  for (const [name, schema] of Object.entries(downProps)) {
    if (name in upProps && !admits(upProps[name], schema)) return false;
  }
  if (down.items !== undefined && !admits(up.items, down.items)) return false;

  // Any other constraining keyword must be the same on both sides.
  for (const [key, value] of Object.entries(down)) {
    if (DESCRIPTIVE.has(key) || ["type", "properties", "required", "items"].includes(key)) continue;
    if (!deepEqual(up[key], value)) return false;
  }
  return true;
}

function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function deepEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}
