import { randomUUID } from "node:crypto";
import { decideRetry, JITTER } from "../core/delivery-retry.js";
import type { Logger } from "../logger.js";
import type { DeliveryPolicy } from "../notification-config.js";
import type { Delivery, NotificationStore } from "../storage/notification-store.js";
import type { DeliveryChannel, SendOutcome } from "./channel.js";
import { type DeliveryChannelName, type NotificationMetrics, noNotificationMetrics } from "./notification-metrics.js";

export interface DeliveryWorkerOptions {
  store: NotificationStore;
  /** Where each channel's deliveries go; a delivery whose channel is missing is given up. */
  channels: Partial<Record<DeliveryChannelName, DeliveryChannel>>;
  policy: DeliveryPolicy;
  logger: Logger;
  metrics?: NotificationMetrics | undefined;
  clock?: (() => Date) | undefined;
  /** A backoff factor per retry, in [0.8, 1.2] (default random; tests pass () => 1). */
  jitter?: (() => number) | undefined;
  /** Who this replica is in lease_owner (default: a random id). */
  owner?: string | undefined;
  /** Time between looks for due deliveries when nothing pokes (default 5 s). */
  pollMs?: number | undefined;
  /** Time between deletions of old sent rows (default 1 h). */
  purgeIntervalMs?: number | undefined;
  /** How long stop() waits for sends in flight before it leaves them to lease expiry (default 5 s). */
  stopGraceMs?: number | undefined;
}

// last_error is for people reading a listing, not a log: a receiver's whole error page is not kept.
const MAX_ERROR_CHARS = 1000;
// Sent rows deleted per statement, and statements per purge: a backlog goes over a few purges.
const PURGE_BATCH = 1000;
const PURGE_BATCHES = 100;

const errorText = (e: unknown) => String((e as Error)?.message ?? e).slice(0, MAX_ERROR_CHARS);

/**
 * Sends the outbox's deliveries: up to `policy.concurrency` at once per
 * replica, each claimed with a lease, sent through its channel, and its
 * outcome recorded under that claim (sent, pending again after a backoff, or
 * dead). It looks for due rows every poll and whenever poked (a delivery
 * enqueued here, a send finished); replicas share the work through claims
 * alone. Sending never happens on an RPC's path.
 */
export function createDeliveryWorker(o: DeliveryWorkerOptions) {
  const { store, policy, logger } = o;
  const clock = o.clock ?? (() => new Date());
  const jitter = o.jitter ?? (() => 1 - JITTER + 2 * JITTER * Math.random());
  const metrics = o.metrics ?? noNotificationMetrics;
  const owner = o.owner ?? randomUUID();
  const inFlight = new Set<Promise<void>>();
  let pumping: Promise<void> | undefined;
  let again = false;
  let started = false;
  let stopped = false;
  let pollTimer: NodeJS.Timeout | undefined;
  let purgeTimer: NodeJS.Timeout | undefined;

  /** Claims as many due rows as there are free slots and starts sending them; how many it claimed. */
  async function claimAndSend(): Promise<number> {
    const free = policy.concurrency - inFlight.size;
    if (free <= 0 || stopped) return 0;
    const rows = await store.claim(owner, clock(), policy.leaseTimeoutMs, free);
    for (const row of rows) {
      const sending: Promise<void> = attempt(row).finally(() => {
        inFlight.delete(sending);
        // A slot came free: take the next due row now rather than at the next poll.
        poke();
      });
      inFlight.add(sending);
    }
    return rows.length;
  }

  async function attempt(row: Delivery): Promise<void> {
    const claim = { id: row.id, owner, attempts: row.attempts };
    const channel = o.channels[row.channel];
    let outcome: SendOutcome;
    if (!channel) {
      outcome = { ok: false, retryable: false, error: `no ${row.channel} channel is configured` };
    } else {
      try {
        outcome = await channel.send({ dedupeKey: row.dedupeKey, payload: row.payload });
      } catch (e) {
        // A channel reports failures as outcomes; a throw is unexpected, and retried like a network error.
        outcome = { ok: false, retryable: true, error: errorText(e) };
      }
    }
    const now = clock();
    const about = { id: row.id, channel: row.channel, execution: `${row.project}/${row.domain}/${row.executionName}`, phase: row.phase, attempts: row.attempts };
    try {
      if (outcome.ok) {
        if (await store.markSent(claim, now)) metrics.sent(row.channel, Math.max(0, (now.getTime() - row.createdAt.getTime()) / 1000));
        else lost(about);
        return;
      }
      const error = outcome.error.slice(0, MAX_ERROR_CHARS);
      const decision = decideRetry(policy, { attempts: row.attempts, createdAt: row.createdAt, retryable: outcome.retryable, error, retryAfterMs: outcome.retryAfterMs }, now, jitter());
      if (decision.kind === "retry") {
        if (!(await store.markRetry(claim, now, decision.at, error))) return lost(about);
        metrics.retried(row.channel, decision.reason);
        logger.warn("notification delivery failed, will retry", { ...about, error, next: decision.at.toISOString() });
      } else {
        if (!(await store.markDead(claim, now, decision.reason.slice(0, MAX_ERROR_CHARS)))) return lost(about);
        metrics.dead(row.channel);
        logger.error("notification delivery given up", { ...about, error: decision.reason });
      }
    } catch (e) {
      // The outcome is not recorded: the lease runs out and the row is tried again (at least once).
      logger.warn("recording a notification delivery's outcome failed", { ...about, error: errorText(e) });
    }
  }

  function lost(about: Record<string, unknown>): void {
    // Its lease ran out mid-send and another worker took it over: that worker's outcome stands.
    logger.warn("notification delivery was taken over by another worker while it was sent", about);
  }

  /** Looks for due rows (now, or right after the look in progress) and starts sending them. */
  function poke(): void {
    // Before start() nothing is sent on its own (tests drive runOnce and drain).
    if (!started || stopped) return;
    if (pumping) {
      again = true;
      return;
    }
    pumping = (async () => {
      do {
        again = false;
        try {
          for (;;) {
            const claimed = await claimAndSend();
            if (claimed === 0 || inFlight.size >= policy.concurrency) break;
          }
        } catch (e) {
          logger.warn("claiming notification deliveries failed; trying again at the next poll", { error: errorText(e) });
          break;
        }
      } while (again && !stopped);
    })().finally(() => {
      pumping = undefined;
    });
  }

  /** Deletes sent rows older than keepSentFor; how many went. */
  async function purge(): Promise<number> {
    const before = new Date(clock().getTime() - policy.keepSentForMs);
    let total = 0;
    for (let i = 0; i < PURGE_BATCHES && !stopped; i++) {
      const n = await store.purgeSent(before, PURGE_BATCH);
      total += n;
      if (n < PURGE_BATCH) break;
    }
    return total;
  }

  /** One claim now and the sends it started, awaited (tests and tools); how many rows it claimed. */
  async function runOnce(): Promise<number> {
    const claimed = await claimAndSend();
    await Promise.allSettled([...inFlight]);
    return claimed;
  }

  return {
    owner,
    poke,
    runOnce,
    /** runOnce until nothing is due at the clock's current time; how many attempts were made. */
    async drain(): Promise<number> {
      let total = 0;
      for (let n = await runOnce(); n > 0; n = await runOnce()) total += n;
      return total;
    },
    purge,
    /** Idempotent: polls, purges on its slower timer, and looks once now. */
    start(): void {
      if (started || stopped) return;
      started = true;
      pollTimer = setInterval(poke, o.pollMs ?? 5000);
      pollTimer.unref();
      purgeTimer = setInterval(() => {
        purge().catch((e: unknown) => logger.warn("deleting old sent notification deliveries failed", { error: errorText(e) }));
      }, o.purgeIntervalMs ?? 3_600_000);
      purgeTimer.unref();
      poke();
    },
    /**
     * Stops claiming and waits up to stopGraceMs for sends in flight; the ones
     * still running then are left to their leases (another replica, or this one
     * after a restart, sends them again).
     */
    async stop(): Promise<void> {
      stopped = true;
      clearInterval(pollTimer);
      clearInterval(purgeTimer);
      await pumping;
      if (inFlight.size === 0) return;
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, o.stopGraceMs ?? 5000)));
      await Promise.race([Promise.allSettled([...inFlight]), grace]);
      clearTimeout(timer);
    },
  };
}

export type DeliveryWorker = ReturnType<typeof createDeliveryWorker>;
