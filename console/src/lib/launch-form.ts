import { create, equals, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import type { Parameter, Variable } from "../../../gen/flyteidl/core/interface_pb.js";
import type { Literal } from "../../../gen/flyteidl/core/literals_pb.js";
import { LiteralTypeSchema } from "../../../gen/flyteidl/core/types_pb.js";
import { type FieldShape, noneVariant, shapeOf, type SubField } from "./form-shape.js";
import {
  blobLiteral,
  datasetLiteral,
  jsonToLiteral,
  literalToJson,
  noneLiteral,
  primitiveLiteral,
  schemaLiteral,
  unionLiteral,
  ValueError,
} from "./literal-json.js";
import { formatDatetime, formatDuration, parseDatetimeText, parseDurationText, parseFloatText, parseIntegerText } from "./literal-text.js";

/**
 * The launch form as data: fields from a launch plan's parameters (or a
 * task's inputs), the value each control holds, and the LiteralMap those
 * values make. React only renders it.
 *
 * A control's value is text for most kinds (what the user typed, parsed on
 * submit), a boolean for checkboxes, `null` for None, a variant choice for
 * unions, a value per field for a dataclass edited as a sub-form, or a
 * literal kept as it is where the form cannot show it (a msgpack-encoded
 * dataclass default, say).
 */
export type FieldValue = string | boolean | null | UnionValue | KeptValue | RecordValue;

/** A dataclass's sub-form: each field's control value, by field name. */
export interface RecordValue {
  fields: Record<string, FieldValue>;
}

export interface UnionValue {
  variant: number;
  value: FieldValue;
}

export interface KeptValue {
  kept: Literal;
  /** Why it is kept, for the user. */
  note: string;
}

export interface FormField extends FieldShape {
  name: string;
  description: string;
  /** No default: the user must give a value. */
  required: boolean;
  /** A launch plan's fixed input: shown, never sent (the server adds it and refuses an override). */
  fixed: boolean;
  /** The launch plan's default or fixed value. */
  preset?: Literal;
  initial: FieldValue;
}

export const isUnionValue = (v: FieldValue): v is UnionValue => typeof v === "object" && v !== null && "variant" in v;
export const isKeptValue = (v: FieldValue): v is KeptValue => typeof v === "object" && v !== null && "kept" in v;
export const isRecordValue = (v: FieldValue): v is RecordValue => typeof v === "object" && v !== null && "fields" in v;

const byName = (a: FormField, b: FormField) => a.name.localeCompare(b.name);

/** Fields for a launch plan: its default inputs (`closure.expectedInputs` or `spec.defaultInputs`) and fixed inputs. */
export function launchPlanFields(parameters: Record<string, Parameter>, fixedInputs: Record<string, Literal> = {}): FormField[] {
  const fields: FormField[] = [];
  for (const [name, p] of Object.entries(parameters)) {
    if (!p.var?.type) continue;
    const shape = shapeOf(p.var.type);
    const preset = p.behavior.case === "default" ? p.behavior.value : undefined;
    // An artifact query or id is resolved by the server; it is not the user's to fill.
    const required = p.behavior.case === "required" ? p.behavior.value : false;
    fields.push({ ...shape, name, description: p.var.description, required, fixed: false, ...(preset ? { preset } : {}), initial: initialValue(shape, preset) });
  }
  for (const [name, literal] of Object.entries(fixedInputs)) {
    if (fields.some((f) => f.name === name)) continue;
    // Fixed inputs come without a declared type; they are shown read-only, so an unknown type is enough.
    const shape = shapeOf(create(LiteralTypeSchema));
    fields.push({ ...shape, name, description: "", required: false, fixed: true, preset: literal, initial: initialValue(shape, literal) });
  }
  // Required first, then by name: what must be filled is at the top.
  return fields.sort((a, b) => Number(b.required) - Number(a.required) || byName(a, b));
}

/** Fields for launching a task directly: its interface, every input required (its generated launch plan has no defaults). */
export function taskFields(variables: Record<string, Variable>): FormField[] {
  return Object.entries(variables)
    .filter(([, v]) => v.type)
    .map(([name, v]) => {
      const shape = shapeOf(v.type!);
      return { ...shape, name, description: v.description, required: true, fixed: false, initial: emptyValue(shape) };
    })
    .sort(byName);
}


export function emptyValue(shape: FieldShape): FieldValue {
  switch (shape.kind) {
    case "boolean":
      return false;
    case "none":
      return null;
    case "struct":
      return shape.fields ? { fields: Object.fromEntries(shape.fields.map((f) => [f.name, emptyValue(f.shape)])) } : "";
    case "union": {
      // Optional values start at None: an optional input is usually left out.
      const none = noneVariant(shape);
      const variant = none >= 0 ? none : 0;
      return { variant, value: emptyValue(shape.variants![variant]!) };
    }
    default:
      return "";
  }
}

export function initialValue(shape: FieldShape, preset: Literal | undefined): FieldValue {
  return preset ? valueFromLiteral(shape, preset) : emptyValue(shape);
}

const kept = (literal: Literal, note = "This value cannot be edited in the form; it is sent as it is."): KeptValue => ({ kept: literal, note });

/** The control value showing a literal; a kept value where the form cannot show it. */
export function valueFromLiteral(shape: FieldShape, literal: Literal): FieldValue {
  const scalar = literal.value.case === "scalar" ? literal.value.value.value : undefined;
  const primitive = scalar?.case === "primitive" ? scalar.value.value : undefined;
  switch (shape.kind) {
    case "integer":
    case "float":
    case "string":
    case "enum":
      if (primitive?.case === "integer" || primitive?.case === "floatValue" || primitive?.case === "stringValue") return String(primitive.value);
      break;
    case "boolean":
      if (primitive?.case === "boolean") return primitive.value;
      break;
    case "datetime":
      if (primitive?.case === "datetime") return formatDatetime(primitive.value);
      break;
    case "duration":
      if (primitive?.case === "duration") return formatDuration(primitive.value);
      break;
    case "none":
      return null;
    case "collection":
    case "map":
    case "struct": {
      if (scalar?.case === "binary") {
        const instead = shape.fields ? "fill in its fields" : "replace it with JSON";
        return kept(literal, `A ${scalar.value.tag || "binary"}-encoded value (${scalar.value.value.length} bytes), sent as it is unless you ${instead}.`);
      }
      const json = literalToJson(literal);
      const record = shape.fields && isJsonObject(json) ? recordFromJson(shape.fields, json) : undefined;
      if (record) return record;
      if (json !== undefined) return JSON.stringify(json, null, 2);
      break;
    }
    case "blob":
    case "structuredDataset":
    case "schema":
      if (scalar?.case === "blob" || scalar?.case === "structuredDataset" || scalar?.case === "schema") return scalar.value.uri;
      break;
    case "union":
      return unionValueFromLiteral(shape, literal);
  }
  return kept(literal);
}

const isJsonObject = (v: JsonValue | undefined): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * A dataclass's sub-form from its JSON, each field shown as its control shows it (absent fields
 * empty); undefined when a field's value is not of its declared type, and the JSON text is shown.
 */
function recordFromJson(fields: SubField[], json: JsonObject): RecordValue | undefined {
  const out: Record<string, FieldValue> = {};
  for (const f of fields) {
    const v = json[f.name];
    if (v === undefined) {
      out[f.name] = emptyValue(f.shape);
      continue;
    }
    try {
      // A timedelta comes as seconds (see subFieldJson).
      const given = f.shape.kind === "duration" && typeof v === "number" ? `${v}s` : v;
      const value = valueFromLiteral(f.shape, jsonToLiteral(f.shape.type, given));
      if (isKeptValue(value)) return undefined;
      out[f.name] = value;
    } catch (e) {
      if (!(e instanceof ValueError)) throw e;
      return undefined;
    }
  }
  // Fields the type does not declare would be lost in the sub-form.
  return Object.keys(json).every((k) => fields.some((f) => f.name === k)) ? { fields: out } : undefined;
}

function unionValueFromLiteral(shape: FieldShape, literal: Literal): FieldValue {
  const variants = shape.variants!;
  const scalar = literal.value.case === "scalar" ? literal.value.value.value : undefined;
  if (scalar?.case === "noneType" && noneVariant(shape) >= 0) return { variant: noneVariant(shape), value: null };
  const inner = scalar?.case === "union" ? scalar.value.value : literal;
  const tagged = scalar?.case === "union" ? scalar.value.type : undefined;
  if (!inner) return kept(literal);
  // The variant the literal names, else the first one that can show it.
  let variant = tagged ? variants.findIndex((v) => equals(LiteralTypeSchema, v.type, tagged)) : -1;
  if (variant < 0) variant = variants.findIndex((v) => !isKeptValue(valueFromLiteral(v, inner)) && v.kind !== "none");
  if (variant < 0) return kept(literal);
  return { variant, value: valueFromLiteral(variants[variant]!, inner) };
}

/**
 * The literal a control's value makes; undefined when the control is empty.
 * Throws ValueError with a message for the user when the value is not valid.
 */
export function fieldToLiteral(shape: FieldShape, value: FieldValue, required = false): Literal | undefined {
  if (isKeptValue(value)) return value.kept;
  if (isRecordValue(value)) {
    if (!shape.fields) throw new ValueError("", "Unexpected value");
    return jsonToLiteral(shape.type, recordJson(shape.fields, value));
  }
  if (isUnionValue(value)) {
    const variant = shape.variants?.[value.variant];
    if (!variant) throw new ValueError("", "Choose a type");
    const inner = fieldToLiteral(variant, value.value, required);
    return inner && unionLiteral(inner, variant.type);
  }
  if (value === null) return shape.kind === "none" ? noneLiteral() : undefined;
  if (typeof value === "boolean") {
    if (shape.kind !== "boolean") throw new ValueError("", "Unexpected value");
    return primitiveLiteral({ case: "boolean", value });
  }
  // A string input keeps an empty text as the empty string, unless a value is required.
  if (value.trim() === "" && (shape.kind !== "string" || required)) return undefined;
  const parsed = <T>(result: T | string): T => {
    if (typeof result === "string") throw new ValueError("", result);
    return result;
  };
  switch (shape.kind) {
    case "integer":
      return primitiveLiteral({ case: "integer", value: parsed(parseIntegerText(value)) });
    case "float":
      return primitiveLiteral({ case: "floatValue", value: parsed(parseFloatText(value)) });
    case "string":
      return primitiveLiteral({ case: "stringValue", value });
    case "datetime":
      return primitiveLiteral({ case: "datetime", value: parsed(parseDatetimeText(value)) });
    case "duration":
      return primitiveLiteral({ case: "duration", value: parsed(parseDurationText(value)) });
    case "enum":
      if (!shape.values!.includes(value)) throw new ValueError("", `Choose one of ${shape.values!.join(", ")}`);
      return primitiveLiteral({ case: "stringValue", value });
    case "collection":
    case "map":
    case "struct": {
      let json: unknown;
      try {
        json = JSON.parse(value);
      } catch (e) {
        throw new ValueError("", `Not valid JSON: ${(e as Error).message}`);
      }
      return jsonToLiteral(shape.type, json);
    }
    case "blob":
      return blobLiteral(value.trim(), shape.type);
    case "structuredDataset":
      return datasetLiteral(value.trim(), shape.type);
    case "schema":
      return schemaLiteral(value.trim(), shape.type);
    default:
      throw new ValueError("", `Values of type ${shape.label} cannot be entered here`);
  }
}

/** The JSON object a dataclass sub-form makes; empty optional fields are left to the dataclass's defaults. */
function recordJson(fields: SubField[], value: RecordValue): JsonObject {
  const json: JsonObject = {};
  for (const f of fields) {
    let literal: Literal | undefined;
    try {
      literal = fieldToLiteral(f.shape, value.fields[f.name] ?? emptyValue(f.shape), f.required);
    } catch (e) {
      if (!(e instanceof ValueError)) throw e;
      throw new ValueError(e.path === "" ? f.name : e.path.startsWith("[") ? `${f.name}${e.path}` : `${f.name}.${e.path}`, e.reason);
    }
    if (!literal) {
      if (f.required) throw new ValueError(f.name, "A value is required");
      continue;
    }
    const j = subFieldJson(literal);
    if (j === undefined) throw new ValueError(f.name, "This value cannot be written into a dataclass");
    json[f.name] = j;
  }
  return json;
}

/** A field's JSON as flytekit reads a dataclass: a timedelta is a number of seconds, the rest as `literalToJson` writes it. */
function subFieldJson(literal: Literal): JsonValue | undefined {
  const scalar = literal.value.case === "scalar" ? literal.value.value.value : undefined;
  const inner = scalar?.case === "union" ? scalar.value.value : undefined;
  if (inner) return subFieldJson(inner);
  const p = scalar?.case === "primitive" ? scalar.value.value : undefined;
  if (p?.case === "duration") return Number(p.value.seconds) + p.value.nanos / 1e9;
  return literalToJson(literal);
}

export interface FormResult {
  /** The inputs to send: every field that has a value, fixed inputs left out. */
  literals: Record<string, Literal>;
  /** A message per field name; empty when the form can be sent. */
  errors: Record<string, string>;
}

export function formLiterals(fields: FormField[], values: Record<string, FieldValue>): FormResult {
  const literals: Record<string, Literal> = {};
  const errors: Record<string, string> = {};
  for (const field of fields) {
    if (field.fixed) continue;
    const value = values[field.name] ?? field.initial;
    // The launch plan's own default, untouched: the server fills it in, and it need not cross the wire.
    if (isKeptValue(value) && value.kept === field.preset) continue;
    try {
      const literal = fieldToLiteral(field, value, field.required);
      if (literal) literals[field.name] = literal;
      else if (field.required) errors[field.name] = "A value is required";
    } catch (e) {
      if (!(e instanceof ValueError)) throw e;
      errors[field.name] = e.message;
    }
  }
  return { literals, errors };
}

/** Control values from an earlier execution's inputs (relaunch); fields it lacks keep their initial value. */
export function valuesFromLiterals(fields: FormField[], literals: Record<string, Literal>): Record<string, FieldValue> {
  return Object.fromEntries(fields.map((f) => [f.name, !f.fixed && literals[f.name] ? valueFromLiteral(f, literals[f.name]!) : f.initial]));
}
