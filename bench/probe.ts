import { AdminService } from "../gen/flyteidl/service/admin_pb.js";
import { grpcClient } from "./grpc-client.js";
import { quantile } from "./stats.js";
import type { ServerProcess } from "./server-process.js";

/** What a cheap call and the server's memory did while an attack ran. */
export interface ProbeReport {
  /** GetVersion calls made (one at a time, each on a fresh connection). */
  calls: number;
  /** Calls that failed or took longer than the probe's timeout. */
  failed: number;
  p50Ms: number;
  p99Ms: number;
  /** Highest resident memory of the server seen during the attack. */
  rssPeakMb: number;
}

/**
 * Asks the server for GetVersion every `everyMs` on a fresh HTTP/2 connection
 * (a new client is what a health checker or a user's CLI is), and samples its
 * RSS, until stopped. A call that takes longer than `timeoutMs` counts as
 * failed with that latency, so a frozen server shows in p99 rather than
 * stalling the probe.
 */
export function startProbe(server: ServerProcess, everyMs = 50, timeoutMs = 5000): { stop(): Promise<ProbeReport> } {
  const latencies: number[] = [];
  let failed = 0;
  let rssPeakMb = safeRss(server);
  let stopped = false;
  const rssTimer = setInterval(() => (rssPeakMb = Math.max(rssPeakMb, safeRss(server))), 100);
  const loop = (async () => {
    while (!stopped) {
      const client = grpcClient(server.url);
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), timeoutMs)));
      const outcome = await Promise.race([client.raw(AdminService.method.getVersion, {}).then(() => "ok" as const, () => "error" as const), timeout]);
      clearTimeout(timer);
      client.close();
      latencies.push(outcome === "timeout" ? timeoutMs : performance.now() - started);
      if (outcome !== "ok") failed++;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      clearInterval(rssTimer);
      const sorted = [...latencies].sort((a, b) => a - b);
      return { calls: latencies.length, failed, p50Ms: quantile(sorted, 0.5), p99Ms: quantile(sorted, 0.99), rssPeakMb };
    },
  };
}

function safeRss(server: ServerProcess): number {
  try {
    return server.rssMb();
  } catch {
    return 0; // the process is gone; survival is reported separately
  }
}

/**
 * True when the server answers GetVersion on a new connection within 10 s,
 * trying again for a while: right after an attack the server may still be
 * closing the attack's connections.
 */
export async function answers(url: string): Promise<boolean> {
  const deadline = performance.now() + 10_000;
  while (performance.now() < deadline) {
    const client = grpcClient(url);
    try {
      const timeout = new Promise<false>((resolve) => setTimeout(() => resolve(false), 2000).unref());
      if (await Promise.race([client.raw(AdminService.method.getVersion, {}).then(() => true, () => false), timeout])) return true;
    } finally {
      client.close();
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}
