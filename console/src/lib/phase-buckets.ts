import type { PhaseTone } from "./phases.js";

/**
 * The dashboard's chart: executions counted per time bucket and phase tone. Pure arithmetic on
 * creation times so it can be tested without a browser; buckets are aligned to UTC hours or days.
 */
export type DashboardRange = "24h" | "7d" | "30d";

export const RANGES: Record<DashboardRange, { label: string; bucketMs: number; buckets: number }> = {
  "24h": { label: "Last 24 hours", bucketMs: 3600_000, buckets: 24 },
  "7d": { label: "Last 7 days", bucketMs: 86_400_000, buckets: 7 },
  "30d": { label: "Last 30 days", bucketMs: 86_400_000, buckets: 30 },
};

export interface Bucket {
  startMs: number;
  counts: Partial<Record<PhaseTone, number>>;
  total: number;
}

/** The first instant the range covers: the start of the oldest bucket. */
export function rangeStart(range: DashboardRange, nowMs: number): number {
  const { bucketMs, buckets } = RANGES[range];
  return Math.floor(nowMs / bucketMs) * bucketMs - (buckets - 1) * bucketMs;
}

export function bucketByPhase(runs: readonly { createdMs: number; tone: PhaseTone }[], range: DashboardRange, nowMs: number): Bucket[] {
  const { bucketMs, buckets } = RANGES[range];
  const start = rangeStart(range, nowMs);
  const out: Bucket[] = Array.from({ length: buckets }, (_, i) => ({ startMs: start + i * bucketMs, counts: {}, total: 0 }));
  for (const run of runs) {
    const i = Math.floor((run.createdMs - start) / bucketMs);
    const bucket = out[i];
    if (!bucket) continue;
    bucket.counts[run.tone] = (bucket.counts[run.tone] ?? 0) + 1;
    bucket.total++;
  }
  return out;
}
