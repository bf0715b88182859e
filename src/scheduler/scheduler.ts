import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { ExecutionCreateRequest } from "../../gen/flyteidl/admin/execution_pb.js";
import type { CatchUpPolicy } from "../core/schedule-times.js";
import type { Logger } from "../logger.js";
import type { LeaseStore } from "../storage/deletion-store.js";
import type { ScheduleStore } from "../storage/schedule-store.js";
import { createRateLimiter, realSleep, type Sleep } from "./rate-limiter.js";
import { type FiringContext, fireSchedule, type SchedulerMetrics } from "./schedule-firing.js";
import { maxAttempts } from "./schedule-request.js";

/** The lease the replicas of one database share: one of them fires schedules at a time. */
export const SCHEDULER_LEASE = "scheduler";

export interface SchedulerSettings {
  /** Zone of cron expressions without CRON_TZ= (an IANA name). */
  timezone: string;
  catchUp: CatchUpPolicy;
  maxTicksPerPass: number;
  /** Due schedules one pass reads. */
  batchSize: number;
  /** CreateExecution calls per second (0: no limit), and the burst allowed. */
  maxCreatesPerSecond: number;
  burst: number;
  /** How long a tick is retried after transient failures (in nominal backoff time). */
  maxRetryWindowMs: number;
  kickoffArgForFixedRate: boolean;
  /** Shortest interval of a fixed rate or `@every` (shorter ones are clamped to it). */
  minIntervalMs: number;
}

export interface SchedulerOptions {
  schedules: ScheduleStore;
  leases: LeaseStore;
  create(request: ExecutionCreateRequest): Promise<unknown>;
  settings: SchedulerSettings;
  logger: Logger;
  metrics?: SchedulerMetrics | undefined;
  clock?: () => Date;
  /** How the rate limiter waits (default: real time); tests pass one that moves their clock. */
  sleep?: Sleep;
  random?: () => number;
  /** Who this replica is in the lease table (default: host, pid and a random suffix). */
  owner?: string;
  /** The lease is taken for this long and renewed this often (default 15 s and 5 s). */
  leaseTtlMs?: number;
  renewEveryMs?: number;
  /** Longest sleep between passes (default 5 s): how soon a follower notices a leader gone. */
  maxSleepMs?: number;
  /** Schedules fired side by side in one pass (ticks of one schedule always in order; default 4). */
  concurrency?: number;
  /**
   * Run by the first pass that holds the lease: writes the schedules of launch plans activated
   * before schedules were kept, a batch per call (see LaunchPlanStore.adoptSchedules).
   */
  adopt?: (now: Date) => Promise<{ adopted: number; more: boolean }>;
}

/** What one pass did. */
export interface PassReport {
  leader: boolean;
  /** Due schedules read. */
  due: number;
  /** Ticks handled. */
  handled: number;
  /** The earliest known tick or retry still to come (undefined when none), as the pass ended. */
  nextTick: Date | undefined;
  /** When the next pass should run: then, at most maxSleepMs later, or now when work was left over. */
  wakeAt: Date;
}

/**
 * Fires launch-plan schedules, one replica at a time: each pass takes or
 * renews the `scheduler` lease, reads the due schedules (a cursor per
 * schedule, written at activation and moved by compare-and-set) and fires
 * their ticks through CreateExecution under a shared rate limit. The lease
 * keeps the work in one place; correctness rests on the deterministic names
 * and the cursor CAS, so two replicas that both think they lead still create
 * each execution once. Between passes it sleeps until the next tick (at
 * most maxSleepMs); activations poke it awake.
 */
export function createScheduler(o: SchedulerOptions) {
  const clock = o.clock ?? (() => new Date());
  const owner = o.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const leaseTtlMs = o.leaseTtlMs ?? 15_000;
  const renewEveryMs = o.renewEveryMs ?? 5_000;
  const maxSleepMs = o.maxSleepMs ?? 5_000;
  const s = o.settings;
  const abort = new AbortController();
  const limiter = createRateLimiter({ perSecond: s.maxCreatesPerSecond, burst: s.burst, clock, sleep: o.sleep ?? realSleep });
  let lease = { held: false, renewedAt: 0 };
  let timer: NodeJS.Timeout | undefined;
  let started = false;
  let poked = false;
  let adopted = false;
  let running: Promise<PassReport> | undefined;

  /** Holds the lease at `now`: renewed when due; after a failed renewal kept only while well inside its TTL. */
  async function holdLease(now: number): Promise<boolean> {
    if (lease.held && now - lease.renewedAt < renewEveryMs) return true;
    let held: boolean;
    try {
      held = await o.leases.acquire(SCHEDULER_LEASE, owner, new Date(now), leaseTtlMs);
    } catch (e) {
      o.logger.warn("renewing the scheduler lease failed", { error: String(e) });
      held = lease.held && now < lease.renewedAt + leaseTtlMs - renewEveryMs;
      if (!held) lease = { held: false, renewedAt: 0 };
      return held;
    }
    if (held !== lease.held) o.logger.info(held ? "this replica fires schedules now" : "another replica fires schedules", { owner });
    lease = held ? { held, renewedAt: now } : { held, renewedAt: 0 };
    o.metrics?.leader(held);
    return held;
  }

  const ctx: FiringContext = {
    schedules: o.schedules,
    create: o.create,
    limiter,
    settings: {
      catchUp: s.catchUp,
      tickOptions: { timezone: s.timezone, minIntervalMs: s.minIntervalMs },
      maxTicksPerPass: s.maxTicksPerPass,
      maxAttempts: maxAttempts(s.maxRetryWindowMs),
      kickoffArgForFixedRate: s.kickoffArgForFixedRate,
    },
    clock,
    random: o.random ?? Math.random,
    logger: o.logger,
    metrics: o.metrics,
    mayFire: async () => !abort.signal.aborted && (await holdLease(clock().getTime())),
    signal: abort.signal,
  };

  async function pass(now: Date): Promise<PassReport> {
    const idle = new Date(now.getTime() + maxSleepMs);
    if (!(await holdLease(now.getTime()))) return { leader: false, due: 0, handled: 0, nextTick: undefined, wakeAt: idle };
    if (!adopted && o.adopt) {
      let total = 0;
      for (let r = await o.adopt(now); ; r = await o.adopt(now)) {
        total += r.adopted;
        if (!r.more || r.adopted === 0) break;
      }
      if (total > 0) o.logger.info("schedules of launch plans activated before this version now fire", { schedules: total });
    }
    adopted = true;
    const due = await o.schedules.due(now, s.batchSize);
    let handled = 0;
    let more = due.length === s.batchSize;
    let retryAt: Date | undefined;
    // A few schedules side by side; the ticks of each stay in order inside fireSchedule. What
    // escapes it is the database failing (one schedule's own trouble never does): the pass ends
    // there, once the other workers finished the schedule they hold, and the next one tries again.
    let next = 0;
    let failed = false;
    const worker = async () => {
      while (next < due.length && !failed && !abort.signal.aborted) {
        try {
          const outcome = await fireSchedule(ctx, due[next++]!, now);
          handled += outcome.handled;
          more ||= outcome.more;
          if (outcome.retryAt && (!retryAt || outcome.retryAt < retryAt)) retryAt = outcome.retryAt;
        } catch (e) {
          failed = true;
          throw e;
        }
      }
    };
    const workers = await Promise.allSettled(Array.from({ length: Math.min(o.concurrency ?? 4, due.length) }, worker));
    for (const w of workers) if (w.status === "rejected") throw w.reason;
    const tick = await o.schedules.nextTickAfter(now);
    const nextTick = tick && retryAt ? (tick < retryAt ? tick : retryAt) : (tick ?? retryAt);
    // Left-over work goes on at once, but only after progress, so a stuck batch cannot spin.
    const wakeAt = more && handled > 0 ? now : nextTick && nextTick < idle ? nextTick : idle;
    return { leader: true, due: due.length, handled, nextTick, wakeAt };
  }

  /** One pass at `now` (tests drive the clock); passes never overlap. */
  function runOnce(now?: Date): Promise<PassReport> {
    const run = (running ?? Promise.resolve()).catch(() => undefined).then(() => pass(now ?? clock()));
    running = run;
    return run;
  }

  function schedule(delayMs: number): void {
    if (!started || abort.signal.aborted) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      poked = false;
      runOnce()
        .then((r) => Math.min(maxSleepMs, Math.max(0, r.wakeAt.getTime() - clock().getTime())))
        .catch((e: unknown) => {
          if (!abort.signal.aborted) o.logger.error("scheduler pass failed", { error: String((e as Error)?.stack ?? e) });
          return maxSleepMs;
        })
        .then((delay) => schedule(poked ? 0 : delay));
    }, delayMs);
    timer.unref();
  }

  return {
    runOnce,
    /** Starts the passes (idempotent). */
    start(): void {
      if (started || abort.signal.aborted) return;
      started = true;
      schedule(0);
    },
    /** A schedule changed here: look again now rather than at the next wake-up. */
    poke(): void {
      if (!started || abort.signal.aborted) return;
      if (timer) schedule(0);
      else poked = true;
    },
    /** Stops firing (a rate-limited wait is cut short), waits for the pass in flight and gives the lease up. */
    async stop(): Promise<void> {
      abort.abort(new Error("the scheduler is stopping"));
      if (timer) clearTimeout(timer);
      await running?.catch(() => undefined);
      if (lease.held) await o.leases.release(SCHEDULER_LEASE, owner).catch(() => undefined);
      lease = { held: false, renewedAt: 0 };
      o.metrics?.leader(false);
    },
    isLeader: () => lease.held,
  };
}

export type Scheduler = ReturnType<typeof createScheduler>;
