import type { Duration } from "@bufbuild/protobuf/wkt";

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
