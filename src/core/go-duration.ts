import type { Duration } from "@bufbuild/protobuf/wkt";
import { goTimeQuote } from "./go-quote.js";

const MAX_SECONDS = 315_576_000_000n;

/** google.protobuf.Duration's validity rule (Go's `IsValid`): bounded seconds, nanos within a second, same signs. */
export function isValidDuration(d: Duration): boolean {
  if (d.seconds < -MAX_SECONDS || d.seconds > MAX_SECONDS) return false;
  if (d.nanos <= -1e9 || d.nanos >= 1e9) return false;
  return !((d.seconds > 0n && d.nanos < 0) || (d.seconds < 0n && d.nanos > 0));
}

export function durationNanos(d: Duration): bigint {
  return d.seconds * 1_000_000_000n + BigInt(d.nanos);
}

/** Go's `time.Duration.String()`, e.g. `1h0m0s`, `1.5s`, `300ms`: FlyteAdmin's error texts quote durations this way. */
export function goDurationString(nanos: bigint): string {
  if (nanos === 0n) return "0s";
  const sign = nanos < 0n ? "-" : "";
  const u = nanos < 0n ? -nanos : nanos;
  if (u < 1_000n) return `${sign}${u}ns`;
  if (u < 1_000_000n) return `${sign}${fraction(u, 3)}µs`;
  if (u < 1_000_000_000n) return `${sign}${fraction(u, 6)}ms`;
  const seconds = u / 1_000_000_000n;
  const hours = seconds / 3600n;
  const minutes = (seconds / 60n) % 60n;
  const secs = fraction(u % 60_000_000_000n, 9);
  return `${sign}${hours > 0n ? `${hours}h` : ""}${hours > 0n || minutes > 0n ? `${minutes}m` : ""}${secs}s`;
}

/** `value / 10^digits` written with its fractional digits, trailing zeros dropped. */
function fraction(value: bigint, digits: number): string {
  const scale = 10n ** BigInt(digits);
  const frac = (value % scale).toString().padStart(digits, "0").replace(/0+$/, "");
  return `${value / scale}${frac === "" ? "" : `.${frac}`}`;
}

const UNIT_NANOS: ReadonlyMap<string, bigint> = new Map([
  ["ns", 1n],
  ["us", 1_000n],
  ["\u00b5s", 1_000n], // micro sign
  ["\u03bcs", 1_000n], // Greek mu
  ["ms", 1_000_000n],
  ["s", 1_000_000_000n],
  ["m", 60_000_000_000n],
  ["h", 3_600_000_000_000n],
]);
const TWO_63 = 1n << 63n;
const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";

/**
 * Go's `time.ParseDuration` (`1h30m`, `1.5s`, `-300ms`, `0`), in nanoseconds;
 * undefined where Go returns an error (no unit, unknown unit, outside the
 * int64 nanosecond range).
 */
export function parseGoDurationNanos(text: string): bigint | undefined {
  const parsed = goParseDuration(text);
  return "nanos" in parsed ? parsed.nanos : undefined;
}

/**
 * Go's `time.ParseDuration`, with the error text Go gives (`time: invalid duration "x"`,
 * `time: missing unit in duration "5"`, `time: unknown unit "d" in duration "1d"`), which
 * FlyteAdmin passes on to clients. Fractions are scaled with float64 arithmetic and
 * truncated, as Go does, so `1.1h` gives Go's exact nanoseconds.
 */
export function goParseDuration(text: string): { nanos: bigint } | { error: string } {
  const invalid = () => ({ error: `time: invalid duration ${goTimeQuote(text)}` });
  let s = text;
  let negative = false;
  if (s[0] === "-" || s[0] === "+") {
    negative = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return { nanos: 0n };
  if (s === "") return invalid();
  let total = 0n;
  let i = 0;
  while (i < s.length) {
    if (!(s[i] === "." || isDigit(s[i]))) return invalid();
    const intStart = i;
    let whole = 0n;
    for (; isDigit(s[i]); i++) {
      if (whole > TWO_63 / 10n) return invalid();
      whole = whole * 10n + BigInt(s.charCodeAt(i) - 48);
      if (whole > TWO_63) return invalid();
    }
    const hasWhole = i > intStart;
    let frac = 0n;
    let scale = 1;
    let hasFrac = false;
    if (s[i] === ".") {
      i++;
      let overflow = false;
      for (; isDigit(s[i]); i++) {
        hasFrac = true;
        // Digits past what fits are skipped, not an error (Go's leadingFraction).
        if (overflow) continue;
        const next = frac * 10n + BigInt(s.charCodeAt(i) - 48);
        if (frac > (TWO_63 - 1n) / 10n || next > TWO_63) {
          overflow = true;
          continue;
        }
        frac = next;
        scale *= 10;
      }
    }
    if (!hasWhole && !hasFrac) return invalid();
    const unitStart = i;
    while (i < s.length && s[i] !== "." && !isDigit(s[i])) i++;
    const unitText = s.slice(unitStart, i);
    if (unitText === "") return { error: `time: missing unit in duration ${goTimeQuote(text)}` };
    const unit = UNIT_NANOS.get(unitText);
    if (unit === undefined) return { error: `time: unknown unit ${goTimeQuote(unitText)} in duration ${goTimeQuote(text)}` };
    if (whole > TWO_63 / unit) return invalid();
    let v = whole * unit;
    if (frac > 0n) {
      v += BigInt(Math.trunc(Number(frac) * (Number(unit) / scale)));
      if (v > TWO_63) return invalid();
    }
    total += v;
    if (total > TWO_63) return invalid();
  }
  if (negative) return { nanos: -total };
  return total > TWO_63 - 1n ? invalid() : { nanos: total };
}
