import { create } from "@bufbuild/protobuf";
import { type Duration, DurationSchema, type Timestamp, TimestampSchema } from "@bufbuild/protobuf/wkt";
import { goDurationString, parseGoDurationNanos } from "../../../src/core/go-duration.js";

/**
 * Text ⇄ value for the primitive kinds a form field holds as text. Each parser
 * returns the value or a message for the user (a string), never throws.
 */

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

export function parseIntegerText(text: string): bigint | string {
  const t = text.trim();
  if (!/^[+-]?\d+$/.test(t)) return "Enter a whole number";
  const n = BigInt(t);
  if (n < INT64_MIN || n > INT64_MAX) return "The number is outside the 64-bit integer range";
  return n;
}

export function parseFloatText(text: string): number | string {
  const t = text.trim();
  // Number("") is 0 and Number("0x10") is 16: only decimal notation is a float here.
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return "Enter a number";
  const n = Number(t);
  return Number.isFinite(n) ? n : "The number is too large";
}

// RFC 3339 with an optional time part and zone; a missing zone means UTC, as flytekit's naive datetimes do.
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

export function parseDatetimeText(text: string): Timestamp | string {
  const m = DATETIME.exec(text.trim());
  const invalid = "Enter a date and time such as 2024-01-02T03:04:05Z";
  if (!m) return invalid;
  const [, y, mo, d, h = "0", mi = "0", s = "0", frac = "", zone = "Z"] = m;
  const parts = [y, mo, d, h, mi, s].map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(parts[0], parts[1] - 1, parts[2], parts[3], parts[4], parts[5]);
  const back = new Date(ms);
  // Date.UTC rolls 2024-02-30 over into March; a date that does not round-trip does not exist.
  if (back.getUTCFullYear() !== parts[0] || back.getUTCMonth() !== parts[1] - 1 || back.getUTCDate() !== parts[2] || parts[3] > 23 || parts[4] > 59 || parts[5] > 59) {
    return invalid;
  }
  let offsetMinutes = 0;
  if (zone.toUpperCase() !== "Z") {
    const digits = zone.replace(":", "");
    const sign = digits[0] === "-" ? -1 : 1;
    offsetMinutes = sign * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
  }
  const seconds = BigInt(Math.floor(ms / 1000)) - BigInt(offsetMinutes * 60);
  return create(TimestampSchema, { seconds, nanos: Number(frac.padEnd(9, "0")) });
}

/** RFC 3339 in UTC with as many fraction digits as the value has (none, 3, 6 or 9). */
export function formatDatetime(ts: Timestamp): string {
  const base = new Date(Number(ts.seconds) * 1000).toISOString().slice(0, 19);
  if (ts.nanos === 0) return `${base}Z`;
  let frac = String(ts.nanos).padStart(9, "0");
  while (frac.endsWith("000")) frac = frac.slice(0, -3);
  return `${base}.${frac}Z`;
}

/** A duration as Go writes it (`1h30m`, `1.5s`, `300ms`), the form pyflyte and flytectl accept too. */
export function parseDurationText(text: string): Duration | string {
  const t = text.trim();
  // A bare number is seconds, the unit people mean most often.
  const nanos = /^[+-]?\d+(\.\d+)?$/.test(t) ? parseGoDurationNanos(`${t}s`) : parseGoDurationNanos(t);
  if (nanos === undefined) return "Enter a duration such as 1h30m, 45s or 250ms";
  const seconds = nanos / 1_000_000_000n;
  return create(DurationSchema, { seconds, nanos: Number(nanos - seconds * 1_000_000_000n) });
}

export function formatDuration(d: Duration): string {
  return goDurationString(d.seconds * 1_000_000_000n + BigInt(d.nanos));
}
