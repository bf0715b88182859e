/**
 * Go's text forms of numbers, durations and times, as propeller prints them
 * into task arguments (engine-spec §4.2) and error messages (§6.3).
 * JavaScript's own conversions differ (exponent thresholds, padding, units),
 * so these are spelled out.
 */
import { MsgpackError, type MsgpackNode, type MsgpackValue } from "./msgpack-value.js";

/** Lays out shortest decimal digits like strconv 'g' with precision -1: exponent form when exp < -4 or exp >= 6. */
function layoutG(negative: boolean, digits: string, exp: number): string {
  const sign = negative ? "-" : "";
  if (exp < -4 || exp >= 6) {
    const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const absExp = Math.abs(exp);
    return `${sign}${mantissa}e${exp < 0 ? "-" : "+"}${absExp < 10 ? "0" : ""}${absExp}`;
  }
  if (exp < 0) return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
  const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, "0");
  const frac = digits.slice(exp + 1);
  return frac ? `${sign}${intPart}.${frac}` : `${sign}${intPart}`;
}

function special(v: number): string | undefined {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  if (v === 0) return Object.is(v, -0) ? "-0" : "0";
  return undefined;
}

/** Splits `d.ddde±x` into its digits and decimal exponent. */
function splitExponential(text: string): { digits: string; exp: number } {
  const [mantissa = "", exponent = "0"] = text.split("e");
  return { digits: mantissa.replace(".", ""), exp: Number(exponent) };
}

/** Go `strconv.FormatFloat(v, 'g', -1, 64)`, which is also what `fmt.Sprintf("%v", float64)` prints. */
export function formatGoFloat(v: number): string {
  const s = special(v);
  if (s !== undefined) return s;
  // toExponential() without an argument yields the shortest round-trip digits, like Go's shortest mode.
  const { digits, exp } = splitExponential(Math.abs(v).toExponential());
  return layoutG(v < 0, digits, exp);
}

/** Go `strconv.FormatFloat(float64(f), 'g', -1, 32)`: shortest digits that round-trip through float32. */
export function formatGoFloat32(v: number): string {
  const f = Math.fround(v);
  const s = special(f);
  if (s !== undefined) return s;
  const abs = Math.abs(f);
  for (let precision = 1; precision <= 9; precision++) {
    const text = abs.toExponential(precision - 1);
    if (Math.fround(Number(text)) === abs) {
      const { digits, exp } = splitExponential(text);
      return layoutG(f < 0, digits.replace(/(.)0+$/, "$1"), exp);
    }
  }
  return formatGoFloat(f);
}

const NS_PER_US = 1000n;
const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1_000_000_000n;

/** Integer part plus the fraction of `value / 10^precision`, trailing zeros (and a bare dot) dropped. */
function fraction(value: bigint, precision: number): string {
  const scale = 10n ** BigInt(precision);
  const whole = value / scale;
  const frac = (value % scale).toString().padStart(precision, "0").replace(/0+$/, "");
  return frac ? `${whole}.${frac}` : `${whole}`;
}

/**
 * Go `time.Duration.String()` of a protobuf duration: `0s`, `1.5s`, `1m30s`, `1h0m0s`,
 * `500ms`, `1.5µs`, `1ns`, with a leading `-` for negative values. Computed on bigint,
 * so values beyond Go's ±292 years print in the same style instead of overflowing.
 */
export function formatGoDuration(seconds: bigint | number, nanos: number): string {
  const secs = typeof seconds === "bigint" ? seconds : BigInt(Math.trunc(seconds));
  const total = secs * NS_PER_S + BigInt(Math.trunc(nanos));
  if (total === 0n) return "0s";
  const negative = total < 0n;
  const u = negative ? -total : total;
  const sign = negative ? "-" : "";
  if (u < NS_PER_S) {
    if (u < NS_PER_US) return `${sign}${u}ns`;
    if (u < NS_PER_MS) return `${sign}${fraction(u, 3)}µs`;
    return `${sign}${fraction(u, 6)}ms`;
  }
  const wholeSeconds = u / NS_PER_S;
  const secText = fraction((wholeSeconds % 60n) * NS_PER_S + (u % NS_PER_S), 9);
  const minutes = wholeSeconds / 60n;
  if (minutes === 0n) return `${sign}${secText}s`;
  const hours = minutes / 60n;
  if (hours === 0n) return `${sign}${minutes}m${secText}s`;
  return `${sign}${hours}h${minutes % 60n}m${secText}s`;
}

/** Seconds of 0001-01-01T00:00:00Z and of 10000-01-01T00:00:00Z: the valid range of a protobuf Timestamp. */
const MIN_SECONDS = -62135596800n;
const MAX_SECONDS_EXCLUSIVE = 253402300800n;

/**
 * RFC 3339 in UTC with the fraction's trailing zeros dropped (Go's RFC3339Nano, as
 * `ptypes.TimestampString` prints it). Throws RangeError for timestamps a protobuf
 * Timestamp cannot hold (Go prints an error text in their place).
 */
export function formatRfc3339(ts: { seconds: bigint; nanos: number }): string {
  if (ts.seconds < MIN_SECONDS || ts.seconds >= MAX_SECONDS_EXCLUSIVE || !Number.isInteger(ts.nanos) || ts.nanos < 0 || ts.nanos >= 1e9) {
    throw new RangeError(`timestamp out of range: seconds ${ts.seconds}, nanos ${ts.nanos}`);
  }
  const iso = new Date(Number(ts.seconds) * 1000).toISOString(); // YYYY-MM-DDTHH:MM:SS.000Z for years 1..9999
  const base = iso.slice(0, 19);
  const frac = String(ts.nanos).padStart(9, "0").replace(/0+$/, "");
  return frac ? `${base}.${frac}Z` : `${base}Z`;
}

/** Type order used to sort map keys of different kinds (Go orders them by type, in an unspecified but fixed way). */
const KIND_RANK: Record<MsgpackValue["kind"], number> = { nil: 0, bool: 1, int: 2, float: 3, str: 4, bin: 5, ext: 6, array: 7, map: 8 };

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** fmt's map key order (internal/fmtsort): numbers numerically (NaN first), strings byte-wise, false before true. */
function compareKeys(a: MsgpackNode, b: MsgpackNode): number {
  if (a.kind !== b.kind) return KIND_RANK[a.kind] - KIND_RANK[b.kind];
  switch (a.kind) {
    case "bool": return Number(a.value) - Number((b as typeof a).value);
    case "int": { const bv = (b as typeof a).value; return a.value < bv ? -1 : a.value > bv ? 1 : 0; }
    case "float": {
      const bv = (b as typeof a).value;
      if (Number.isNaN(a.value) || Number.isNaN(bv)) return Number(!Number.isNaN(a.value)) - Number(!Number.isNaN(bv));
      return a.value - bv;
    }
    case "str": return compareBytes(a.bytes, (b as typeof a).bytes);
    default: return compareBytes(a.raw, b.raw);
  }
}

/** Decodes the msgpack timestamp extension (type -1) into seconds and nanoseconds. */
export function msgpackTimestamp(data: Uint8Array): { seconds: bigint; nanos: number } {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.length === 4) return { seconds: BigInt(view.getUint32(0)), nanos: 0 };
  if (data.length === 8) {
    const v = view.getBigUint64(0);
    return { seconds: v & 0x3ffffffffn, nanos: Number(v >> 34n) };
  }
  if (data.length === 12) return { seconds: view.getBigInt64(4), nanos: view.getUint32(0) };
  throw new MsgpackError(`msgpack: timestamp extension of ${data.length} bytes`);
}

/**
 * Go's `fmt.Sprintf("%v", v)` of what its msgpack decoder yields for `any`: `<nil>`, `true`,
 * numbers, raw strings, `[1 2]` for byte strings and slices, `map[k:v k2:v2]` with sorted keys,
 * timestamps as `time.Time` in UTC. Other extension types cannot be decoded there either.
 */
export function formatGoMsgpack(node: MsgpackNode): string {
  switch (node.kind) {
    case "nil": return "<nil>";
    case "bool": return String(node.value);
    case "int": return node.value.toString();
    case "float": return node.bits === 32 ? formatGoFloat32(node.value) : formatGoFloat(node.value);
    case "str": return node.value;
    case "bin": return `[${Array.from(node.value).join(" ")}]`;
    case "array": return `[${node.items.map(formatGoMsgpack).join(" ")}]`;
    case "map": {
      // A Go map keeps the last of duplicate keys.
      const unique = new Map<string, [MsgpackNode, MsgpackNode]>();
      for (const [k, v] of node.entries) unique.set(`${k.kind}:${Array.from(k.kind === "str" ? k.bytes : k.raw).join(",")}`, [k, v]);
      const sorted = [...unique.values()].sort(([a], [b]) => compareKeys(a, b));
      return `map[${sorted.map(([k, v]) => `${formatGoMsgpack(k)}:${formatGoMsgpack(v)}`).join(" ")}]`;
    }
    case "ext": {
      if (node.type !== -1) throw new MsgpackError(`msgpack: unsupported extension type ${node.type}`);
      const rfc = formatRfc3339(msgpackTimestamp(node.data));
      return `${rfc.slice(0, -1).replace("T", " ")} +0000 UTC`;
    }
  }
}
