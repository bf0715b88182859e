/**
 * Timestamps as Go's time.Parse(time.RFC3339Nano, s) reads them, which is how
 * FlyteAdmin reads timestamp filter values. Go first tries a strict fast path
 * and falls back to its general layout parser, so the accepted language is the
 * general parser's:
 *
 *   YYYY-MM-DDTH[H]:MM:SS[(.|,)digits](Z|±hh:mm)
 *
 * - `T` and `Z` are upper case only;
 * - the hour may have one digit (the layout's `15` is read as one or two);
 * - month 1-12, day within the month (leap years counted), hour < 24,
 *   minute < 60, second < 60 (no leap second);
 * - any number of fraction digits, `.` or `,` before them, nanoseconds kept;
 * - the zone offset allows up to 24 hours and 60 minutes (Go tests with `>`,
 *   "as some people do write offsets of 24 hours or 60 minutes").
 *
 * JavaScript's Date would roll 2026-02-30 over to March; this refuses it as Go does.
 * The result has millisecond precision (the database columns' and Date's).
 */
export function parseRfc3339(value: string): Date | undefined {
  let at = 0;
  const digit = (i: number) => {
    const c = value.charCodeAt(i);
    return c >= 0x30 && c <= 0x39 ? c - 0x30 : -1;
  };
  const fixed = (width: number): number | undefined => {
    let x = 0;
    for (let i = 0; i < width; i++) {
      const d = digit(at + i);
      if (d < 0) return undefined;
      x = x * 10 + d;
    }
    at += width;
    return x;
  };
  const literal = (char: string) => value[at] === char && (at++, true);

  const year = fixed(4);
  if (year === undefined || !literal("-")) return undefined;
  const month = fixed(2);
  if (month === undefined || month < 1 || month > 12 || !literal("-")) return undefined;
  const day = fixed(2);
  if (day === undefined || day < 1 || day > daysIn(year, month) || !literal("T")) return undefined;
  const hour = fixed(digit(at + 1) >= 0 ? 2 : 1);
  if (hour === undefined || hour > 23 || !literal(":")) return undefined;
  const minute = fixed(2);
  if (minute === undefined || minute > 59 || !literal(":")) return undefined;
  const second = fixed(2);
  if (second === undefined || second > 59) return undefined;

  let millis = 0;
  if ((value[at] === "." || value[at] === ",") && digit(at + 1) >= 0) {
    at++;
    const from = at;
    while (digit(at) >= 0) at++;
    millis = Number(value.slice(from, Math.min(at, from + 3)).padEnd(3, "0"));
  }

  let offsetMinutes = 0;
  if (!literal("Z")) {
    const sign = value[at] === "+" ? 1 : value[at] === "-" ? -1 : 0;
    at++;
    const hours = fixed(2);
    if (sign === 0 || hours === undefined || hours > 24 || !literal(":")) return undefined;
    const minutes = fixed(2);
    if (minutes === undefined || minutes > 60) return undefined;
    offsetMinutes = sign * (hours * 60 + minutes);
  }
  if (at !== value.length) return undefined;

  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, leaves years 0-99 alone.
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute - offsetMinutes, second, millis);
  return date;
}

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}
