import { type DescEnum, type DescField, type JsonValue, ScalarType } from "@bufbuild/protobuf";

/**
 * Parameter text as grpc-gateway's runtime reads it into a field (Go's
 * strconv rules: base 10, no stray spaces or fractions), returned as the JSON
 * value protobuf-es takes for the field. Failures carry strconv's wording.
 */
export function parseFieldText(field: DescField, text: string): JsonValue {
  if (field.fieldKind === "enum" || (field.fieldKind === "list" && field.listKind === "enum")) return enumValue(field.enum, text);
  if (!(field.fieldKind === "scalar" || (field.fieldKind === "list" && field.listKind === "scalar"))) return text;
  const scalar = field.scalar;
  switch (scalar) {
    case ScalarType.BOOL:
      if (["1", "t", "T", "TRUE", "true", "True"].includes(text)) return true;
      if (["0", "f", "F", "FALSE", "false", "False"].includes(text)) return false;
      throw new Error(`strconv.ParseBool: parsing ${quote(text)}: invalid syntax`);
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return Number(integer(text, "ParseInt", true, 32n));
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return integer(text, "ParseInt", true, 64n).toString();
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return Number(integer(text, "ParseUint", false, 32n));
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return integer(text, "ParseUint", false, 64n).toString();
    case ScalarType.FLOAT:
    case ScalarType.DOUBLE:
      return float(text, scalar === ScalarType.FLOAT);
    default:
      // Strings as they are; bytes in base64, which protobuf-es reads as protojson does.
      return text;
  }
}

/** An enum by name or, failing that, by a decimal number it defines (parseField). */
function enumValue(e: DescEnum, text: string): JsonValue {
  if (e.values.some((v) => v.name === text)) return text;
  if (/^[+-]?\d+$/.test(text) && e.values.some((v) => v.number === Number(text))) return Number(text);
  throw new Error(`${quote(text)} is not a valid value`);
}

/**
 * A top-level enum path variable (runtime.Enum in the generated handlers):
 * the name, or any integer spelling Go's ParseInt(s, 0, 32) takes, of a
 * defined number; the failure text is unquoted.
 */
export function parseEnumPathText(e: DescEnum, text: string): JsonValue {
  if (e.values.some((v) => v.name === text)) return text;
  const n = goBase0Int(text);
  if (n !== undefined && e.values.some((v) => v.number === n)) return n;
  throw new Error(`${text} is not valid`);
}

const quote = (s: string) => JSON.stringify(s);

function integer(text: string, fn: "ParseInt" | "ParseUint", signed: boolean, bits: bigint): bigint {
  if (!(signed ? /^[+-]?\d+$/ : /^\d+$/).test(text)) throw new Error(`strconv.${fn}: parsing ${quote(text)}: invalid syntax`);
  const n = BigInt(text);
  const max = signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
  const min = signed ? -(1n << (bits - 1n)) : 0n;
  if (n > max || n < min) throw new Error(`strconv.${fn}: parsing ${quote(text)}: value out of range`);
  return n;
}

function float(text: string, single: boolean): JsonValue {
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(text);
  if (special) return special[2]!.toLowerCase() === "nan" ? "NaN" : special[1] === "-" ? "-Infinity" : "Infinity";
  // `\d+(\.\d*)?`, not `\d+\.?\d*`: the same language, but digits cannot be split two ways, so a long
  // run of digits with a bad tail fails in linear time instead of quadratic.
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text)) throw new Error(`strconv.ParseFloat: parsing ${quote(text)}: invalid syntax`);
  const n = Number(text);
  if (!Number.isFinite(n) || (single && Math.abs(n) > 3.4028234663852886e38)) throw new Error(`strconv.ParseFloat: parsing ${quote(text)}: value out of range`);
  return n;
}

/** Go's ParseInt(s, 0, 32): optional sign, 0x/0o/0b/0 prefixes, underscores only after a prefix. */
function goBase0Int(text: string): number | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|0[0-7_]*|[1-9]\d*)$/.exec(text);
  if (!m) return undefined;
  const body = m[2]!;
  if (/__|_$/.test(body) || (body.includes("_") && !/^0/.test(body))) return undefined;
  const digits = body.replaceAll("_", "");
  const value = /^0[xXoObB]/.test(digits) ? Number(digits.toLowerCase()) : /^0\d/.test(digits) ? parseInt(digits, 8) : Number(digits);
  const n = m[1] === "-" ? -value : value;
  return Number.isSafeInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 ? n : undefined;
}
