import type { Duration, Timestamp } from "@bufbuild/protobuf/wkt";

/** Milliseconds since the epoch of a protobuf Timestamp, or undefined when it is absent or unset. */
export function timestampMs(ts: Timestamp | undefined): number | undefined {
  if (!ts) return undefined;
  if (ts.seconds === 0n && ts.nanos === 0) return undefined;
  return Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1e6);
}

/** Milliseconds of a protobuf Duration (0 when absent). */
export function durationMs(d: Duration | undefined): number {
  if (!d) return 0;
  return Number(d.seconds) * 1000 + d.nanos / 1e6;
}

/** JavaScript's Date covers ±8.64e15 ms; outside that a timestamp is shown as raw seconds. */
const MAX_DATE_MS = 8.64e15;

/**
 * ISO 8601 in UTC with as many fractional digits as the value has (Python's
 * datetime carries microseconds, protobuf nanoseconds), so a datetime input
 * reads back exactly as it was given.
 */
export function formatTimestamp(ts: Timestamp): string {
  const ms = Number(ts.seconds) * 1000;
  if (!Number.isFinite(ms) || Math.abs(ms) > MAX_DATE_MS || ts.nanos < 0 || ts.nanos > 999_999_999) {
    return `${ts.seconds}s ${ts.nanos}ns since 1970-01-01T00:00:00Z`;
  }
  const base = new Date(ms).toISOString().slice(0, 19);
  if (ts.nanos === 0) return `${base}Z`;
  const fraction = String(ts.nanos).padStart(9, "0").replace(/0+$/, "");
  return `${base}.${fraction}Z`;
}

/**
 * A duration for people: "1h 2m 3.5s", "250ms", "0s". Days are counted
 * as hours past 48 would be unreadable, so they get their own unit.
 */
export function formatDurationMs(totalMs: number): string {
  if (!Number.isFinite(totalMs)) return "—";
  const negative = totalMs < 0;
  let ms = Math.abs(totalMs);
  if (ms < 1000) return `${negative ? "-" : ""}${Math.round(ms)}ms`;
  const parts: string[] = [];
  const units: Array<[string, number]> = [["d", 86_400_000], ["h", 3_600_000], ["m", 60_000]];
  for (const [unit, size] of units) {
    if (ms >= size) {
      parts.push(`${Math.floor(ms / size)}${unit}`);
      ms %= size;
    }
  }
  const seconds = ms / 1000;
  // Tenths only while the whole duration is short enough for them to matter.
  if (seconds > 0 || parts.length === 0) parts.push(parts.length < 2 ? `${trimNumber(seconds, 1)}s` : `${Math.floor(seconds)}s`);
  return (negative ? "-" : "") + parts.join(" ");
}

/** A protobuf Duration for people, exact below a second. */
export function formatDuration(d: Duration): string {
  if (d.seconds === 0n && d.nanos !== 0 && Math.abs(d.nanos) < 1e6) return `${d.nanos}ns`;
  return formatDurationMs(durationMs(d));
}

function trimNumber(n: number, digits: number): string {
  return n.toFixed(digits).replace(/\.?0+$/, "");
}

/** A local date and time for headers and tables, e.g. "2026-12-02 14:03:05 UTC". */
export function formatDateTime(ms: number | undefined): string {
  if (ms === undefined) return "—";
  return new Date(ms).toISOString().replace("T", " ").slice(0, 19) + " UTC";
}
