/**
 * Go's text parsers, as flytecopilot's uploader applies them to the files a raw
 * container writes (`coreutils.MakePrimitiveForType`): strconv.ParseInt/ParseFloat/
 * ParseBool, time.ParseDuration and time.Parse(time.RFC3339). A container written
 * for Flyte on Kubernetes must see the same values accepted and refused here, so
 * the grammar is Go's, not JavaScript's (`Number("0x10")`, `Number("")`, `" 1"` all
 * differ). Pure; errors carry Go's messages.
 */

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

/** Go's strconv.Quote is close enough to JSON quoting for the texts that reach error messages. */
function quote(s: string): string {
  return JSON.stringify(s.length > 256 ? `${s.slice(0, 256)}...` : s);
}

/** strconv.ParseInt(s, 10, 64). */
export function parseGoInt(s: string): bigint {
  if (!/^[+-]?[0-9]+$/.test(s)) throw new Error(`strconv.ParseInt: parsing ${quote(s)}: invalid syntax`);
  const v = BigInt(s);
  if (v > INT64_MAX || v < INT64_MIN) throw new Error(`strconv.ParseInt: parsing ${quote(s)}: value out of range`);
  return v;
}

const DECIMAL_FLOAT = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
/** Hex floats need a binary exponent in Go; underscores are allowed between digits only with a base prefix. */
const HEX_FLOAT = /^([+-]?)0[xX]((?:_?[0-9a-fA-F]+(?:_[0-9a-fA-F]+)*)?)(?:\.((?:[0-9a-fA-F]+(?:_[0-9a-fA-F]+)*)?))?[pP]([+-]?[0-9]+(?:_[0-9]+)*)$/;
const SPECIAL_FLOAT = /^([+-]?)(inf|infinity|nan)$/i;

/** strconv.ParseFloat(s, 64): decimal, hex (`0x1p-2`), `inf`/`infinity`/`nan` in any case; overflow is an error. */
export function parseGoFloat(s: string): number {
  const special = SPECIAL_FLOAT.exec(s);
  if (special) {
    if (special[2]!.toLowerCase() === "nan") {
      if (special[1] !== "") throw new Error(`strconv.ParseFloat: parsing ${quote(s)}: invalid syntax`);
      return Number.NaN;
    }
    return special[1] === "-" ? -Infinity : Infinity;
  }
  let v: number;
  if (DECIMAL_FLOAT.test(s)) {
    v = Number(s);
  } else {
    const hex = HEX_FLOAT.exec(s);
    if (!hex || (hex[2] === "" && (hex[3] ?? "") === "")) throw new Error(`strconv.ParseFloat: parsing ${quote(s)}: invalid syntax`);
    v = hexFloat(hex[2]!.replace(/_/g, ""), (hex[3] ?? "").replace(/_/g, ""), Number(hex[4]!.replace(/_/g, "")));
    if (hex[1] === "-") v = -v;
  }
  if (!Number.isFinite(v)) throw new Error(`strconv.ParseFloat: parsing ${quote(s)}: value out of range`);
  return v;
}

/** Value of hex mantissa digits `int.frac` times 2^exp, rounded once (BigInt keeps every digit exact until then). */
function hexFloat(intDigits: string, fracDigits: string, exp: number): number {
  const digits = (intDigits + fracDigits).replace(/^0+/, "");
  if (digits === "") return 0;
  // Keep at most 30 hex digits (120 bits): far more than a double's 53, the rest only decide rounding ties.
  const kept = digits.slice(0, 30);
  let mantissa = BigInt(`0x${kept}`);
  if (digits.length > kept.length && /[1-9a-f]/i.test(digits.slice(kept.length))) mantissa |= 1n; // sticky bit
  const binExp = exp - 4 * fracDigits.length + 4 * (digits.length - kept.length);
  return scaleBigInt(mantissa, binExp);
}

/** mantissa × 2^exp as the nearest double (round half to even), via an exact decimal string for Number(). */
function scaleBigInt(mantissa: bigint, exp: number): number {
  if (exp > 1100) return Infinity;
  if (exp < -1200) return 0;
  if (exp >= 0) return Number(mantissa << BigInt(exp)) || 0;
  // mantissa / 2^-exp = mantissa * 5^-exp / 10^-exp: an exact decimal that Number() rounds correctly.
  const k = -exp;
  const scaled = (mantissa * 5n ** BigInt(k)).toString();
  return Number(`${scaled}e-${k}`);
}

const BOOL_TRUE = new Set(["1", "t", "T", "TRUE", "true", "True"]);
const BOOL_FALSE = new Set(["0", "f", "F", "FALSE", "false", "False"]);

/** strconv.ParseBool. */
export function parseGoBool(s: string): boolean {
  if (BOOL_TRUE.has(s)) return true;
  if (BOOL_FALSE.has(s)) return false;
  throw new Error(`strconv.ParseBool: parsing ${quote(s)}: invalid syntax`);
}

const UNITS: ReadonlyMap<string, bigint> = new Map([
  ["ns", 1n],
  ["us", 1_000n],
  ["\u00b5s", 1_000n], // U+00B5 micro sign
  ["\u03bcs", 1_000n], // U+03BC Greek mu
  ["ms", 1_000_000n],
  ["s", 1_000_000_000n],
  ["m", 60_000_000_000n],
  ["h", 3_600_000_000_000n],
]);
const TWO_63 = 1n << 63n;

/**
 * time.ParseDuration, as seconds and nanos of a protobuf Duration (ptypes.DurationProto:
 * both parts carry the sign). Fractions use Go's float64 arithmetic, so `1.1h` gives
 * exactly the nanoseconds Go gives.
 */
export function parseGoDuration(text: string): { seconds: bigint; nanos: number } {
  const invalid = () => new Error(`time: invalid duration ${quote(text)}`);
  let s = text;
  let negative = false;
  if (s !== "" && (s[0] === "-" || s[0] === "+")) {
    negative = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return { seconds: 0n, nanos: 0 };
  if (s === "") throw invalid();
  let total = 0n;
  while (s !== "") {
    if (!(s[0] === "." || (s[0]! >= "0" && s[0]! <= "9"))) throw invalid();
    const intMatch = /^[0-9]*/.exec(s)![0];
    let v = 0n;
    for (const c of intMatch) {
      if (v > TWO_63 / 10n) throw invalid();
      v = v * 10n + BigInt(c);
      if (v > TWO_63) throw invalid();
    }
    s = s.slice(intMatch.length);
    let f = 0n;
    let scale = 1;
    let post = false;
    if (s[0] === ".") {
      s = s.slice(1);
      const fracMatch = /^[0-9]*/.exec(s)![0];
      post = fracMatch.length > 0;
      let overflow = false;
      for (const c of fracMatch) {
        if (overflow) continue;
        if (f > (TWO_63 - 1n) / 10n) {
          overflow = true;
          continue;
        }
        const y = f * 10n + BigInt(c);
        if (y > TWO_63) {
          overflow = true;
          continue;
        }
        f = y;
        scale *= 10;
      }
      s = s.slice(fracMatch.length);
    }
    if (intMatch.length === 0 && !post) throw invalid();
    const unitText = /^[^.0-9]*/.exec(s)![0];
    if (unitText === "") throw new Error(`time: missing unit in duration ${quote(text)}`);
    s = s.slice(unitText.length);
    const unit = UNITS.get(unitText);
    if (unit === undefined) throw new Error(`time: unknown unit ${quote(unitText)} in duration ${quote(text)}`);
    if (v > TWO_63 / unit) throw invalid();
    v *= unit;
    if (f > 0n) {
      // Go: v += uint64(float64(f) * (float64(unit) / scale)), truncated toward zero.
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (v > TWO_63) throw invalid();
    }
    total += v;
    if (total > TWO_63) throw invalid();
  }
  if (!negative && total > TWO_63 - 1n) throw invalid();
  const ns = negative ? -total : total;
  // Truncating division keeps the sign on both parts, as ptypes.DurationProto does.
  return { seconds: ns / 1_000_000_000n, nanos: Number(ns % 1_000_000_000n) };
}

const RFC3339 = /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{1,2}):([0-9]{2}):([0-9]{2})(?:[.,]([0-9]+))?(Z|[+-][0-9]{2}:[0-9]{2})$/;
const MIN_SECONDS = -62135596800n; // 0001-01-01T00:00:00Z, the earliest protobuf Timestamp

function daysIn(month: number, year: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Days from 1970-01-01 to the given proleptic Gregorian date (Howard Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/**
 * time.Parse(time.RFC3339, s) then ptypes.TimestampProto: `2006-01-02T15:04:05Z07:00`, an
 * optional fraction after the seconds (digits past nanoseconds are dropped), `Z` or a
 * `±hh:mm` offset; the result must fit a protobuf Timestamp (year 1 to 9999 in UTC).
 */
export function parseRfc3339(s: string): { seconds: bigint; nanos: number } {
  const m = RFC3339.exec(s);
  const bad = (why = "") => new Error(`parsing time ${quote(s)} as "2006-01-02T15:04:05Z07:00": cannot parse${why}`);
  if (!m) throw bad();
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12) throw bad(": month out of range");
  if (day < 1 || day > daysIn(month, year)) throw bad(": day out of range");
  if (hour > 23 || minute > 59 || second > 59) throw bad(": time out of range");
  const nanos = m[7] ? Number(m[7].slice(0, 9).padEnd(9, "0")) : 0;
  let offset = 0;
  const zone = m[8]!;
  if (zone !== "Z") {
    const zh = Number(zone.slice(1, 3));
    const zm = Number(zone.slice(4, 6));
    if (zh > 23 || zm > 59) throw bad(": time zone offset out of range");
    offset = (zh * 60 + zm) * 60 * (zone[0] === "-" ? -1 : 1);
  }
  const seconds = BigInt(daysFromCivil(year, month, day)) * 86400n + BigInt(hour * 3600 + minute * 60 + second - offset);
  if (seconds < MIN_SECONDS || seconds >= 253402300800n) {
    throw new Error(`failed to convert datetime to proto: timestamp (${s}) out of range`);
  }
  return { seconds, nanos };
}
