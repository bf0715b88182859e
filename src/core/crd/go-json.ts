/**
 * How Go's encoding/json spells a few values propeller's Go types hold, so the
 * object reads back in propeller exactly as FlyteAdmin's would.
 */
import type { Duration } from "@bufbuild/protobuf/wkt";
import { durationNanos, goDurationString, isValidDuration } from "../go-duration.js";

const MAX_INT64 = (1n << 63n) - 1n;

/**
 * metav1.Duration's JSON (Go's `time.Duration.String()`, e.g. `1h0m0s`) of
 * `factor` times a protobuf Duration; undefined when Go could not hold it in
 * an int64 of nanoseconds (ptypes.Duration's range check).
 */
export function goDurationJson(d: Duration, factor: 1n | 2n = 1n): string | undefined {
  if (!isValidDuration(d)) return undefined;
  const nanos = durationNanos(d) * factor;
  if (nanos > MAX_INT64 || nanos < -MAX_INT64 - 1n) return undefined;
  return goDurationString(nanos);
}

/**
 * A float32 as encoding/json writes it: the shortest decimal that reads back
 * as the same float32 (protobuf-es holds the widened double, e.g.
 * 0.800000011920929 for 0.8).
 */
export function goFloat32(value: number): number {
  if (!Number.isFinite(value)) return value;
  const f = Math.fround(value);
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(f.toPrecision(digits));
    if (Math.fround(candidate) === f) return candidate;
  }
  return f;
}

/** metav1.Time's JSON: RFC 3339 in UTC with whole seconds. */
export function goTimeJson(at: Date): string {
  return at.toISOString().replace(/\.\d+Z$/, "Z");
}
