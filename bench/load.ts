import { type Measured, summarize } from "./stats.js";

export interface LoadOptions {
  /** Calls kept in flight at once (each a stream on the shared HTTP/2 connection). */
  concurrency: number;
  /** Stop after this many calls... */
  total?: number;
  /** ...or once this much time has passed, whichever comes first. */
  durationMs?: number;
  /** The server's CPU seconds so far, read before and after the run. */
  cpu?: () => number;
}

/**
 * A closed-loop load generator: `concurrency` workers each start the next call
 * as soon as their previous one finished; call i gets its index, so callers
 * can make every request unique. Any failed call aborts the run, since a
 * benchmark of errors measures nothing.
 */
export async function drive(call: (i: number) => Promise<unknown>, options: LoadOptions): Promise<Measured> {
  const latencies: number[] = [];
  const total = options.total ?? Infinity;
  const deadline = options.durationMs === undefined ? Infinity : performance.now() + options.durationMs;
  let next = 0;
  const cpuBefore = options.cpu?.();
  const started = performance.now();
  const worker = async () => {
    while (next < total && performance.now() < deadline) {
      const i = next++;
      const t = performance.now();
      await call(i);
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const measured = summarize(latencies, (performance.now() - started) / 1000);
  if (cpuBefore !== undefined) measured.serverCpuMsPerCall = ((options.cpu!() - cpuBefore) * 1000) / measured.count;
  return measured;
}

/** Runs `call` `times` times one after another (latency without queueing) after `warmup` unmeasured calls. */
export async function sequential(call: () => Promise<unknown>, times: number, cpu?: () => number, warmup = 5): Promise<Measured> {
  for (let i = 0; i < warmup; i++) await call();
  return drive(() => call(), { concurrency: 1, total: times, ...(cpu ? { cpu } : {}) });
}
