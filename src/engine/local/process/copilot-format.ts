/**
 * How flytecopilot's downloader writes input values (flytecopilot/data/download.go):
 * the text of a primitive in its own file, and the "native" value of every input in
 * `inputs.json` / `inputs.yaml`, which Go's encoding/json produces (ghodss/yaml goes
 * through JSON too). Pure.
 */
import { stringify as yamlStringify, parse as yamlParse } from "yaml";
import type { Primitive } from "../../../../gen/flyteidl/core/literals_pb.js";
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { formatGoDuration, formatRfc3339 } from "../go-format.js";

/**
 * A decoded input as Go's downloader holds it (`interface{}`): int64 → bigint, float64 →
 * number, []byte → Uint8Array, time.Time → its RFC 3339 text, maps keyed by name.
 */
export type NativeValue = null | boolean | string | bigint | number | Uint8Array | NativeValue[] | NativeMap;
export type NativeMap = Map<string, NativeValue>;

/** Go `strconv.FormatFloat(v, 'f', -1, 64)`: shortest round-trip digits, never an exponent. */
export function formatGoFloatFixed(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  if (v === 0) return Object.is(v, -0) ? "-0" : "0";
  const sign = v < 0 ? "-" : "";
  // toExponential() without an argument gives the shortest digits that round-trip, as Go's shortest mode does.
  const [mantissa = "", exponent = "0"] = Math.abs(v).toExponential().split("e");
  const digits = mantissa.replace(".", "");
  const exp = Number(exponent);
  if (exp < 0) return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
  const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, "0");
  const frac = digits.slice(exp + 1);
  return frac ? `${sign}${intPart}.${frac}` : `${sign}${intPart}`;
}

/**
 * ptypes.Duration's checks: a protobuf Duration Go can hold as a time.Duration (int64
 * nanoseconds), with seconds and nanos of the same sign.
 */
export function checkGoDuration(d: { seconds: bigint; nanos: number }): void {
  const { seconds, nanos } = d;
  const bad = (why: string) => new Error(`duration (seconds:${seconds} nanos:${nanos}) ${why}`);
  if (seconds < -315576000000n || seconds > 315576000000n) throw bad("exceeds -10000 years");
  if (!Number.isInteger(nanos) || nanos <= -1e9 || nanos >= 1e9) throw bad("has out-of-range nanos");
  if ((seconds < 0n && nanos > 0) || (seconds > 0n && nanos < 0)) throw bad("has seconds and nanos with different signs");
  const total = seconds * 1_000_000_000n + BigInt(nanos);
  if (total > (1n << 63n) - 1n || total < -(1n << 63n)) throw bad("is out of range for time.Duration");
}

/**
 * A primitive's file text and native value (`handlePrimitive`): int decimal, float 'f'
 * shortest, bool true/false, datetime RFC 3339 (UTC), duration in Go syntax; no value → `null`.
 * The native value of a duration is null: copilot's Go code shadows it, so inputs.json has null there.
 */
export function primitiveText(p: Primitive): { text: string; native: NativeValue } {
  const v = p.value;
  switch (v.case) {
    case "stringValue":
      return { text: v.value, native: v.value };
    case "boolean":
      return { text: v.value ? "true" : "false", native: v.value };
    case "integer":
      return { text: v.value.toString(), native: v.value };
    case "floatValue":
      return { text: formatGoFloatFixed(v.value), native: v.value };
    case "datetime": {
      const text = formatRfc3339({ seconds: v.value.seconds, nanos: v.value.nanos });
      return { text, native: text };
    }
    case "duration":
      checkGoDuration(v.value);
      return { text: formatGoDuration(v.value.seconds, v.value.nanos), native: null };
    default:
      return { text: "null", native: null };
  }
}

/** A protobuf Struct (protobuf-es hands it over as a JSON object) as a native map; numbers stay float64. */
export function structNative(s: JsonObject): NativeMap {
  const m: NativeMap = new Map();
  for (const [k, v] of Object.entries(s)) m.set(k, jsonNative(v));
  return m;
}

function jsonNative(v: JsonValue): NativeValue {
  if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
  if (Array.isArray(v)) return v.map(jsonNative);
  return structNative(v);
}

/** encoding/json's string escaping: HTML-safe (<, >, & as \u00XX), U+2028/U+2029 escaped, lone surrogates → U+FFFD. */
function goJsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out += s[i]! + s[i + 1]!;
        i++;
        continue;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) out += "\ufffd";
    else if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += "\\\\";
    else if (c === 0x0a) out += "\\n";
    else if (c === 0x0d) out += "\\r";
    else if (c === 0x09) out += "\\t";
    else if (c < 0x20 || c === 0x3c || c === 0x3e || c === 0x26 || c === 0x2028 || c === 0x2029) {
      out += `\\u${c.toString(16).padStart(4, "0")}`;
    } else out += s[i];
  }
  return `${out}"`;
}

/** Go's byte-wise ordering of UTF-8 map keys. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/**
 * Go `json.Marshal` of a native value: compact, map keys sorted, floats like Go (the same
 * text as JavaScript's for finite values, except `-0`), NaN/Inf refused as Go refuses them.
 */
export function goJson(v: NativeValue, depth = 0): string {
  if (depth > 200) throw new Error("json: value nested too deeply");
  if (v === null) return "null";
  switch (typeof v) {
    case "boolean":
      return v ? "true" : "false";
    case "string":
      return goJsonString(v);
    case "bigint":
      return v.toString();
    case "number":
      if (!Number.isFinite(v)) throw new Error(`json: unsupported value: ${formatGoFloatFixed(v)}`);
      return Object.is(v, -0) ? "-0" : String(v);
  }
  if (v instanceof Uint8Array) return `"${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64")}"`;
  if (Array.isArray(v)) return `[${v.map((e) => goJson(e, depth + 1)).join(",")}]`;
  const keys = [...v.keys()].sort(compareUtf8);
  return `{${keys.map((k) => `${goJsonString(k)}:${goJson(v.get(k)!, depth + 1)}`).join(",")}}`;
}

/**
 * ghodss/yaml's Marshal: Go JSON, read back as YAML and written by yaml.v2, which sorts
 * keys, leaves sequences in maps unindented and quotes YAML 1.1 look-alikes ("yes", "on",
 * timestamps). The `yaml` package in 1.1 mode writes the same shapes.
 */
export function goYaml(v: NativeValue): string {
  const doc = yamlParse(goJson(v), { intAsBigInt: true });
  return yamlStringify(doc, { version: "1.1", indentSeq: false, sortMapEntries: true });
}
