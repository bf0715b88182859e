/** What one measured phase produced: how many calls, how fast, and their latency spread. */
export interface Measured {
  count: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Server CPU time (user + system) per call, when the server's CPU was read: what a call costs, whatever else ran on the machine. */
  serverCpuMsPerCall?: number;
}

/** The q-quantile (0..1) of already sorted samples, nearest-rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

export function summarize(latenciesMs: readonly number[], seconds: number, count = latenciesMs.length): Measured {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  return { count, seconds, perSecond: count / seconds, p50Ms: quantile(sorted, 0.5), p99Ms: quantile(sorted, 0.99) };
}

/** Rounds for the table and the JSON file: three significant digits is what these timings are worth. */
export const round = (n: number): number => (Number.isFinite(n) ? Number(n.toPrecision(3)) : n);
