import { randomUUID } from "node:crypto";
import { ANY, maxAgeFor, type RetentionPolicy, TERMINAL_PHASES } from "../core/retention.js";
import type { Logger } from "../logger.js";
import type { LeaseStore } from "../storage/deletion-store.js";
import type { CleanupReport, ExecutionCleaner } from "./execution-cleaner.js";

/** The lease the replicas of one database share: one of them applies retention at a time. */
export const RETENTION_LEASE = "retention";

export interface RetentionTimerOptions {
  cleaner: ExecutionCleaner;
  policy: RetentionPolicy;
  leases: LeaseStore;
  logger: Logger;
  /** Time between passes. */
  intervalMs: number;
  /** Most executions one pass deletes (the rest waits for the next pass). */
  batch: number;
  clock?: () => Date;
  /** Who this replica is in the lease table (default: a random id). */
  owner?: string;
  /** Blob keys each pass looks at for orphans, going on where the last pass stopped (default 10,000). */
  orphanKeys?: number;
}

/**
 * Applies the retention policy on a timer, one replica at a time: each pass
 * first takes (or extends) the `retention` lease, finishes deletions a stopped
 * pass left, then deletes what each rule covers, oldest first, up to `batch`
 * executions, then looks at the next slice of blob keys for orphans. A pass
 * that fails is logged and tried again at the next tick.
 */
export function createRetentionTimer(o: RetentionTimerOptions) {
  const clock = o.clock ?? (() => new Date());
  const owner = o.owner ?? randomUUID();
  // Held across the gap between two passes, so the replica that has it keeps it while it lives.
  const leaseMs = Math.max(2 * o.intervalMs, 60_000);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = false;

  async function runOnce(): Promise<CleanupReport | undefined> {
    // Run folders stay on the host that ran them: every replica sweeps its own, lease or not,
    // for executions deleted by whichever replica held it.
    const swept = await o.cleaner.sweepRunFolders(o.batch);
    if (!(await o.leases.acquire(RETENTION_LEASE, owner, clock(), leaseMs))) return undefined;
    const total = await o.cleaner.resume(o.batch);
    total.files += swept.files;
    total.bytes += swept.bytes;
    for (const rule of o.policy) {
      if (stopped || total.executions >= o.batch) break;
      // The rule's own scope; a more specific rule inside it wins per execution (maxAgeFor).
      if (!(await o.leases.acquire(RETENTION_LEASE, owner, clock(), leaseMs))) break;
      const r = await o.cleaner.run(
        {
          project: rule.project === ANY ? undefined : rule.project,
          domain: rule.domain === ANY ? undefined : rule.domain,
          phases: TERMINAL_PHASES,
          maxAgeFor: (p, d) => maxAgeFor(o.policy, p, d),
          minAgeMs: rule.maxAgeMs,
          limit: o.batch - total.executions,
          shouldStop: () => stopped,
        },
        false,
      );
      for (const key of ["executions", "rows", "files", "bytes", "refusedCount"] as const) total[key] += r[key];
    }
    // Blobs whose execution is gone without them, a bounded slice of the keys per pass.
    const orphans = stopped ? undefined : await o.cleaner.sweepOrphans(o.orphanKeys ?? 10_000, false);
    if (total.executions > 0 || total.refusedCount > 0 || orphans?.files) {
      o.logger.info("retention pass", {
        executions: total.executions,
        rows: total.rows,
        files: total.files,
        bytes: total.bytes,
        kept: total.refusedCount,
        orphanFiles: orphans?.files ?? 0,
      });
    }
    return total;
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      running = runOnce()
        .catch((e: unknown) => o.logger.error("retention pass failed", { error: String((e as Error)?.stack ?? e) }))
        .finally(() => {
          running = undefined;
          schedule();
        });
    }, o.intervalMs);
    timer.unref();
  }

  return {
    /** One pass now (tests, and the timer); undefined when another replica holds the lease. */
    runOnce,
    /** Idempotent; nothing happens without a rule. */
    start(): void {
      if (o.policy.length > 0 && !timer && !stopped) schedule();
    },
    /** Stops the timer and waits for a pass in flight. */
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
      await o.leases.release(RETENTION_LEASE, owner).catch(() => {});
    },
  };
}

export type RetentionTimer = ReturnType<typeof createRetentionTimer>;
