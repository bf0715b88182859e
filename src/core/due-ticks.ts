import type { ScheduleClock } from "./schedule-times.js";

/**
 * What to do with the ticks a schedule missed (scheduler down, lease lost, a slow pass):
 * - `all` (FlyteAdmin's behaviour): fire every one, oldest first; with maxCatchUp > 0, more than
 *   maxCatchUp due at once is treated as `latest`, so a long outage cannot flood the cluster;
 * - `latest`: fire only the newest due tick;
 * - `none`: fire only ticks at most graceMs old (a live tick found by a pass a few seconds late
 *   still fires), skip older ones.
 */
export type CatchUpPolicy = { mode: "all" | "latest" | "none"; graceMs: number; maxCatchUp: number /* 0 = unlimited */ };

export interface DueTicks {
  /** Ticks to fire now, oldest first. */
  fire: Date[];
  /** Due ticks passed over by the policy, for the log. */
  skipped: number;
  /** `skipped` is a lower bound: counting stopped at SKIPPED_COUNT_LIMIT (counting costs a step per tick). */
  skippedCapped: boolean;
  /**
   * The new cursor: the first tick neither fired nor skipped, null when the schedule has no more ticks.
   * When `fire` is cut short by maxTicks it is the first due tick not returned, which is also
   * clock.next(last fired): a caller that advances the cursor to clock.next(t) after each fired
   * tick ends exactly here. When nothing fires and nothing is skipped it is the cursor itself.
   */
  nextCursor: Date | null;
}

export const SKIPPED_COUNT_LIMIT = 1000;
// Ticks walked forward before looking for the newest due tick by bisection.
const WALK_LIMIT = 64;

/**
 * Which ticks to fire now for a schedule whose cursor (the earliest tick not yet handled) is
 * `cursor`: the ticks t with cursor <= t <= now, as the policy says, at most maxTicks of them;
 * the rest stay due for the next pass. Work is bounded whatever the outage: at most
 * maxTicks + maxCatchUp + SKIPPED_COUNT_LIMIT + a few dozen steps of the clock.
 */
export function dueTicks(clock: ScheduleClock, cursor: Date, now: Date, policy: CatchUpPolicy, maxTicks: number): DueTicks {
  if (!(Number.isInteger(maxTicks) && maxTicks >= 1)) throw new RangeError(`maxTicks must be a whole number of at least 1, got ${maxTicks}`);
  if (!(policy.graceMs >= 0 && policy.maxCatchUp >= 0)) throw new RangeError("catch-up grace and maxCatchUp must not be negative");
  // The first tick at or after the cursor: the cursor itself, unless it is off the grid (the zone or
  // the minimum interval changed since it was stored).
  const start = atOrAfter(clock, cursor);
  if (start === null || start > now) return { fire: [], skipped: 0, skippedCapped: false, nextCursor: start };

  let mode = policy.mode;
  if (mode === "all" && policy.maxCatchUp > 0 && walk(clock, start, now, policy.maxCatchUp + 1).count > policy.maxCatchUp) mode = "latest";
  if (mode === "latest") {
    const newest = newestDue(clock, start, now);
    const skipped = walk(clock, start, new Date(newest.getTime() - 1), SKIPPED_COUNT_LIMIT);
    return { fire: [newest], skipped: skipped.count, skippedCapped: skipped.capped, nextCursor: clock.next(newest) };
  }

  let first: Date | null = start;
  let skipped = { count: 0, capped: false };
  const oldest = now.getTime() - policy.graceMs;
  if (mode === "none" && start.getTime() < oldest) {
    first = atOrAfter(clock, new Date(oldest));
    skipped = walk(clock, start, new Date(oldest - 1), SKIPPED_COUNT_LIMIT);
  }
  const fire: Date[] = [];
  let t = first;
  while (t !== null && t <= now && fire.length < maxTicks) {
    fire.push(t);
    t = clock.next(t);
  }
  return { fire, skipped: skipped.count, skippedCapped: skipped.capped, nextCursor: t };
}

/** The first tick at or after `t`. Ticks are whole seconds, so "after t - 1 ms" is "at or after t". */
function atOrAfter(clock: ScheduleClock, t: Date): Date | null {
  return clock.next(new Date(t.getTime() - 1));
}

/** The number of ticks from `from` (a tick) up to and including `until`, counting at most `limit`. */
function walk(clock: ScheduleClock, from: Date, until: Date, limit: number): { count: number; capped: boolean } {
  let count = 0;
  for (let t: Date | null = from; t !== null && t <= until; t = clock.next(t)) {
    if (count === limit) return { count, capped: true };
    count++;
  }
  return { count, capped: false };
}

/**
 * The newest tick <= now, given that `start` is a due tick. A short walk covers the usual pass;
 * after a long outage, bisection over time finds it in about 40 steps instead of one per tick
 * (a minutely schedule down for a year has half a million). This needs next() to be monotone,
 * which holds for fixed intervals and for croner, DST included (tested).
 * Exported for that test.
 */
export function newestDue(clock: ScheduleClock, start: Date, now: Date): Date {
  let newest = start;
  for (let i = 0; i < WALK_LIMIT; i++) {
    const t = clock.next(newest);
    if (t === null || t > now) return newest;
    newest = t;
  }
  // Invariant: next(lo) <= now < next(hi) (or next(hi) is null).
  let lo = newest.getTime();
  let hi = now.getTime();
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    const t = clock.next(new Date(mid));
    if (t !== null && t <= now) lo = mid;
    else hi = mid;
  }
  return clock.next(new Date(lo))!;
}
