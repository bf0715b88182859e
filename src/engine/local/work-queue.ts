import type { Logger } from "../../logger.js";

/** What one run of a key asks for next. */
export interface RunOutcome {
  /** Something changed: run again soon (after others had their turn). */
  again: boolean;
  /** Otherwise, run again at this time at the latest (undefined: only when enqueued). */
  wakeAt?: Date | undefined;
  /** The run failed: `wakeAt` is also the earliest time, whatever enqueues the key meanwhile (its backoff). */
  backoff?: boolean;
}

export interface WorkQueue {
  /** Runs `key` now (or at `at`); a key already queued or running is not queued twice. */
  enqueue(key: string, at?: Date): void;
  /** Stops taking work and waits for the runs in flight. */
  stop(): Promise<void>;
  /** Keys queued, running or waiting on a timer (for tests and metrics). */
  readonly size: number;
}

interface Entry {
  state: "idle" | "ready" | "running";
  /** Enqueued while running: run again right after. */
  rerun: boolean;
  timer?: NodeJS.Timeout | undefined;
  timerAt?: number | undefined;
  /** Consecutive runs that asked to run again. */
  streak: number;
  /** A failed run's backoff: no run before this time. */
  notBefore?: number | undefined;
}

/** A run that changed something this many times in a row lets other keys and I/O go first. */
const STREAK_CAP = 8;
/** Node's timers take at most 2^31-1 ms. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * A keyed work queue (engine-spec §8.4): at most one run per key at a time,
 * deduplicated enqueues, delayed enqueues on unref'd timers, and up to
 * `workers` runs in flight across keys. A run that changed something is queued
 * again behind the others; after a streak of 8 it waits for the next turn of
 * the event loop.
 */
export function createWorkQueue(options: { workers: number; run: (key: string) => Promise<RunOutcome>; logger: Logger; now?: () => number }): WorkQueue {
  const now = options.now ?? Date.now;
  const workers = Number.isFinite(options.workers) ? Math.max(1, Math.floor(options.workers)) : 8;
  const entries = new Map<string, Entry>();
  const ready: string[] = [];
  const inFlight = new Set<Promise<void>>();
  let stopped = false;

  const entry = (key: string) => {
    let e = entries.get(key);
    if (!e) {
      e = { state: "idle", rerun: false, streak: 0 };
      entries.set(key, e);
    }
    return e;
  };
  const clearTimer = (e: Entry) => {
    if (e.timer) clearTimeout(e.timer);
    e.timer = undefined;
    e.timerAt = undefined;
  };
  const makeReady = (key: string, e: Entry) => {
    clearTimer(e);
    e.state = "ready";
    ready.push(key);
    pump();
  };
  const arm = (key: string, e: Entry, at: number) => {
    if (e.timerAt !== undefined && e.timerAt <= at) return;
    clearTimer(e);
    e.timerAt = at;
    e.timer = setTimeout(() => {
      e.timer = undefined;
      e.timerAt = undefined;
      if (stopped) return;
      if (e.state === "idle") makeReady(key, e);
      else if (e.state === "running") e.rerun = true;
    }, Math.min(Math.max(0, at - now()), MAX_DELAY_MS));
    e.timer.unref();
  };

  const pump = () => {
    while (!stopped && inFlight.size < workers && ready.length > 0) {
      const key = ready.shift()!;
      const e = entries.get(key);
      if (!e || e.state !== "ready") continue;
      e.state = "running";
      e.rerun = false;
      const p = runOne(key, e).finally(() => {
        inFlight.delete(p);
        pump();
      });
      inFlight.add(p);
    }
  };

  const runOne = async (key: string, e: Entry) => {
    let outcome: RunOutcome;
    try {
      outcome = await options.run(key);
    } catch (err) {
      // Runs handle their own errors; this is a last resort that keeps the key alive.
      options.logger.error("engine round failed unexpectedly", { key, error: String(err) });
      outcome = { again: false, wakeAt: new Date(now() + 5_000) };
    }
    e.state = "idle";
    if (stopped) return;
    e.notBefore = outcome.backoff && outcome.wakeAt ? outcome.wakeAt.getTime() : undefined;
    if (e.notBefore !== undefined) {
      e.streak = 0;
      arm(key, e, e.notBefore);
      return;
    }
    if (e.rerun || outcome.again) {
      e.streak = e.rerun ? 0 : e.streak + 1;
      if (e.streak >= STREAK_CAP) {
        e.streak = 0;
        setImmediate(() => !stopped && e.state === "idle" && makeReady(key, e));
        return;
      }
      makeReady(key, e);
      return;
    }
    e.streak = 0;
    if (outcome.wakeAt) arm(key, e, outcome.wakeAt.getTime());
    else if (e.timerAt === undefined) entries.delete(key);
  };

  return {
    enqueue(key, at) {
      if (stopped) return;
      const e = entry(key);
      let when = at?.getTime();
      // A wake-up during a failed run's backoff waits for the backoff.
      if (e.notBefore !== undefined && e.notBefore > now() && (when === undefined || when < e.notBefore)) when = e.notBefore;
      if (e.state === "ready") return;
      if (e.state === "running") {
        if (when === undefined || when <= now()) e.rerun = true;
        else arm(key, e, when);
        return;
      }
      if (when === undefined || when <= now()) makeReady(key, e);
      else arm(key, e, when);
    },
    async stop() {
      stopped = true;
      for (const e of entries.values()) clearTimer(e);
      ready.length = 0;
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    get size() {
      return entries.size;
    },
  };
}
