// Go's `proto.Message.String()` (prototext, single line) for protobuf-es messages.
//
// Why: flytepropeller keys everything by `Identifier.String()` (task and launch
// plan lookups match on the *full* identifier text) and embeds
// `LiteralType.String()` / `Binding.String()` in error descriptions that
// FlyteAdmin returns to clients. Reproducing that text keeps our matching rules
// and messages the same. Layout: fields in declaration order, `name:value`
// separated by one space (Go randomly doubles some spaces; we never do),
// messages as `name:{...}`, map entries sorted by key, a nil message as "<nil>".
import { type DescField, type DescMessage, type Message, ScalarType } from "@bufbuild/protobuf";
import { type ReflectMessage, reflect } from "@bufbuild/protobuf/reflect";
import { type Identifier, IdentifierSchema } from "../../../gen/flyteidl/core/identifier_pb.js";
import { type LiteralType, LiteralTypeSchema, SimpleType } from "../../../gen/flyteidl/core/types_pb.js";

/** Single-line text of `message`, or "<nil>" when it is absent (Go's nil pointer). */
export function protoText<Desc extends DescMessage>(schema: Desc, message: Message | undefined): string {
  if (message === undefined) return "<nil>";
  return messageBody(reflect(schema, message as never));
}

const RESOURCE_TYPES = IdentifierSchema.field.resourceType!.enum!.values;

/**
 * protoText of an Identifier, written out: the compiler keys every task, launch
 * plan and sub-workflow lookup by it, and the reflective walk was a tenth of a
 * workflow's compile. Same fields, order and escaping (all implicit presence).
 */
export function identifierText(id: Identifier | undefined): string {
  if (id === undefined) return "<nil>";
  const parts: string[] = [];
  if (id.resourceType !== 0) parts.push(`resource_type:${enumText(RESOURCE_TYPES, id.resourceType)}`);
  if (id.project !== "") parts.push(`project:${quoteGo(id.project)}`);
  if (id.domain !== "") parts.push(`domain:${quoteGo(id.domain)}`);
  if (id.name !== "") parts.push(`name:${quoteGo(id.name)}`);
  if (id.version !== "") parts.push(`version:${quoteGo(id.version)}`);
  if (id.org !== "") parts.push(`org:${quoteGo(id.org)}`);
  return parts.join(" ");
}

export const literalTypeText = (t: LiteralType | undefined): string => protoText(LiteralTypeSchema, t);

/**
 * common.LiteralTypeToStr: the type text used in MismatchingTypes descriptions.
 * STRUCT types print their dataclass fields instead of the (large) JSON schema.
 * Go iterates a map here (random order); we sort the keys to stay deterministic.
 */
export function literalTypeToStr(t: LiteralType | undefined): string {
  if (t === undefined) return "None";
  if (t.type.case === "simple" && t.type.value === SimpleType.STRUCT) {
    const fields = t.structure?.dataclassType ?? {};
    const parts = Object.keys(fields)
      .sort()
      .map((k) => `dataclass_type:{key:${k} value:{${literalTypeToStr(fields[k])}}`);
    return `simple: STRUCT structure{${parts.join(", ")}}`;
  }
  return literalTypeText(t);
}

function messageBody(msg: ReflectMessage): string {
  const parts: string[] = [];
  for (const field of msg.fields) {
    if (!msg.isSet(field)) continue;
    parts.push(...fieldParts(field, msg.get(field)));
  }
  return parts.join(" ");
}

function fieldParts(field: DescField, value: unknown): string[] {
  const name = field.name;
  switch (field.fieldKind) {
    case "scalar":
      return [`${name}:${scalarText(field.scalar, value)}`];
    case "enum":
      return [`${name}:${enumText(field.enum.values, value as number)}`];
    case "message":
      return [`${name}:{${messageBody(value as ReflectMessage)}}`];
    case "list": {
      const items = [...(value as Iterable<unknown>)];
      if (field.listKind === "message") return items.map((i) => `${name}:{${messageBody(i as ReflectMessage)}}`);
      if (field.listKind === "enum") return items.map((i) => `${name}:${enumText(field.enum.values, i as number)}`);
      return items.map((i) => `${name}:${scalarText(field.scalar, i)}`);
    }
    case "map": {
      const entries = [...(value as ReadonlyMap<unknown, unknown>)].sort(([a], [b]) => compareKeys(a, b));
      return entries.map(([k, v]) => {
        let valueText: string;
        if (field.mapKind === "message") valueText = `{${messageBody(v as ReflectMessage)}}`;
        else if (field.mapKind === "enum") valueText = enumText(field.enum.values, v as number);
        else valueText = scalarText(field.scalar, v);
        return `${name}:{key:${scalarText(field.mapKey, k)} value:${valueText}}`;
      });
    }
  }
}

function compareKeys(a: unknown, b: unknown): number {
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  const x = typeof a === "boolean" ? Number(a) : (a as number | bigint);
  const y = typeof b === "boolean" ? Number(b) : (b as number | bigint);
  return x < y ? -1 : x > y ? 1 : 0;
}

function enumText(values: readonly { number: number; name: string }[], n: number): string {
  return values.find((v) => v.number === n)?.name ?? String(n);
}

function scalarText(type: ScalarType, value: unknown): string {
  switch (type) {
    case ScalarType.STRING:
      return quoteGo(value as string);
    case ScalarType.BYTES:
      return quoteGo(String.fromCharCode(...(value as Uint8Array)), true);
    case ScalarType.BOOL:
      return value ? "true" : "false";
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return goFloat(value as number);
    default:
      return String(value);
  }
}

/** strconv.FormatFloat(n, 'g', -1, 64) as prototext uses it (exponent from 1e6 up). */
export function goFloat(n: number): string {
  if (Number.isNaN(n)) return "nan";
  if (n === Infinity) return "inf";
  if (n === -Infinity) return "-inf";
  if (n === 0) return Object.is(n, -0) ? "-0" : "0";
  const [mantissa = "", expText = "0"] = n.toExponential().split("e");
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) {
    const sign = exp < 0 ? "-" : "+";
    return `${mantissa}e${sign}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  return String(n);
}

// Go's text escaping: quotes/backslash/\n/\r/\t, other control bytes as \xHH,
// C1 controls as \u00HH. Raw bytes (bytes fields) at or above 0x80 become \xHH.
function quoteGo(s: string, rawBytes = false): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (c < 0x20 || c === 0x7f || (rawBytes && c >= 0x80)) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else if (c >= 0x80 && c <= 0x9f) out += `\\u${c.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}
