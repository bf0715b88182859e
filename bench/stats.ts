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

/** Rounds of one measurement as one: counts and CPU summed, latency quantiles the worse round's (conservative). */
export function mergeRounds(ms: readonly Measured[]): Measured {
  const count = ms.reduce((a, m) => a + m.count, 0);
  const seconds = ms.reduce((a, m) => a + m.seconds, 0);
  const cpuMs = ms.reduce((a, m) => a + (m.serverCpuMsPerCall ?? 0) * m.count, 0);
  return { count, seconds, perSecond: count / seconds, p50Ms: Math.max(...ms.map((m) => m.p50Ms)), p99Ms: Math.max(...ms.map((m) => m.p99Ms)), serverCpuMsPerCall: cpuMs / count };
}

/** Rounds for the table and the JSON file: three significant digits is what these timings are worth. */
export const round = (n: number): number => (Number.isFinite(n) ? Number(n.toPrecision(3)) : n);
