import { parseGoDurationNanos } from "./go-duration.js";

/** A decimal number as Go's strconv.ParseFloat reads one (hex floats, Inf and NaN aside). */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * The bound a duration filter value is clamped to: the largest double below
 * 2^63. Go's range ends at 2^63-1 ns, which as a JavaScript number rounds up
 * to 2^63, out of PostgreSQL's bigint range; stored durations are numbers
 * too, so nothing within 1,024 ns of the end compares differently.
 */
const MAX_NANOS = 2 ** 63 - 1024;

/**
 * A `duration` filter value in nanoseconds, as FlyteAdmin's util/filters.go
 * reads it: a bare number is seconds (`3600`, `1.5`, `2e3`), anything else a
 * Go duration (`1h30m`, `90s`, `250ms`). Undefined when it is neither, or
 * when it lies outside Go's int64 nanosecond range.
 *
 * FlyteAdmin writes the number back with `%vs` before parsing it, and Go's
 * `%v` uses an exponent from 1e6 up and below 1e-4, so it refuses
 * `lt(duration,1000000)` ("1e+06s"). No client relies on that refusal, so any
 * number that fits is taken here.
 */
export function parseFilterDuration(value: string): number | undefined {
  let text = value;
  if (DECIMAL.test(value)) {
    const seconds = Number(value);
    if (!Number.isFinite(seconds)) return undefined;
    // The same shortest digits Go prints, without the exponent, parsed as seconds like Go's "%vs".
    text = `${plainDecimal(seconds)}s`;
  }
  const nanos = parseGoDurationNanos(text);
  if (nanos === undefined) return undefined;
  return Math.max(-MAX_NANOS, Math.min(MAX_NANOS, Number(nanos)));
}

/** A number's shortest round-trip digits written without an exponent (`1e-7` -> `0.0000001`). */
export function plainDecimal(x: number): string {
  const s = String(x);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const [, sign, first, rest = "", expText] = m;
  const digits = first! + rest;
  const exp = Number(expText);
  if (exp < 0) return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
  if (exp >= digits.length - 1) return `${sign}${digits}${"0".repeat(exp - (digits.length - 1))}`;
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}
