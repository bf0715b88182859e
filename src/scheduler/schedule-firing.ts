import type { ExecutionCreateRequest } from "../../gen/flyteidl/admin/execution_pb.js";
import { type CatchUpPolicy, dueTicks, type ScheduleClock, scheduleClock, scheduleSpecOfColumns, type TickOptions } from "../core/schedule-times.js";
import type { Logger } from "../logger.js";
import type { ScheduleRow, ScheduleStore } from "../storage/schedule-store.js";
import type { RateLimiter } from "./rate-limiter.js";
import { NO_FUTURE_RUN, scheduleText } from "./schedule-plan.js";
import { backoffMs, classifyFailure, type FireResult, scheduledExecutionRequest } from "./schedule-request.js";

/** What the scheduler reports to /metrics. */
export interface SchedulerMetrics {
  fired(result: FireResult): void;
  /** Seconds from a tick's time to its execution being created. */
  lag(seconds: number): void;
  leader(isLeader: boolean): void;
}

export interface FiringSettings {
  catchUp: CatchUpPolicy;
  tickOptions: TickOptions;
  /** Most ticks of one schedule one pass handles (the rest waits for the next pass). */
  maxTicksPerPass: number;
  /** Tries a tick gets before it is given up (transient failures). */
  maxAttempts: number;
  kickoffArgForFixedRate: boolean;
}

export interface FiringContext {
  schedules: ScheduleStore;
  /** CreateExecution, the domain function the RPC uses. */
  create(request: ExecutionCreateRequest): Promise<unknown>;
  limiter: RateLimiter;
  settings: FiringSettings;
  clock: () => Date;
  random: () => number;
  logger: Logger;
  metrics?: SchedulerMetrics | undefined;
  /** Asked before each create: false once this replica may no longer fire (lease lost, stopping). */
  mayFire(): Promise<boolean>;
  signal: AbortSignal;
}

export interface FiringOutcome {
  /** Ticks handled (created, found existing, or skipped), whether or not this replica's write moved the cursor. */
  handled: number;
  /** When a tick that failed is tried again. */
  retryAt?: Date;
  /** Due ticks are left for the next pass (maxTicksPerPass). */
  more: boolean;
}

/**
 * Fires the due ticks of one schedule, oldest first, each followed by a
 * compare-and-set of the cursor from the value held to the next tick. A
 * crash between a create and its advance re-fires the same tick, which then
 * meets its own execution (ALREADY_EXISTS) and advances; a write that finds
 * the cursor moved (deactivated, re-activated, another replica) drops the
 * remaining ticks. A transient failure records a backoff and leaves the
 * schedule for a later pass; nothing here throws for one schedule's trouble
 * except a failing database.
 */
export async function fireSchedule(ctx: FiringContext, row: ScheduleRow, now: Date): Promise<FiringOutcome> {
  const key = { project: row.project, domain: row.domain, name: row.name, version: row.version };
  const fields = { ...key, schedule: scheduleText(row) };
  let cursor = row.nextFireAt!;
  let clock: ScheduleClock;
  try {
    const spec = scheduleSpecOfColumns(row);
    if (!spec) throw new Error("the row holds no schedule");
    clock = scheduleClock(spec, row.activatedAt ?? cursor, ctx.settings.tickOptions);
  } catch (e) {
    // Its ticks cannot be computed (a time zone gone from this host, an unsupported unit): idle, said once.
    const error = e instanceof Error ? e.message : String(e);
    ctx.logger.warn("schedule cannot fire; it stays idle until activated again", { ...fields, error });
    await ctx.schedules.advance(key, cursor, { next: null, error }, ctx.clock());
    return { handled: 0, more: false };
  }
  const { fire, skipped, skippedCapped, nextCursor } = dueTicks(clock, cursor, now, ctx.settings.catchUp, ctx.settings.maxTicksPerPass);
  if (skipped > 0) ctx.logger.info("schedule skipped missed ticks (catch-up policy)", { ...fields, skipped: skippedCapped ? `${skipped}+` : skipped, policy: ctx.settings.catchUp.mode });
  const noFuture = (next: Date | null) => {
    if (next) return null;
    ctx.logger.warn("schedule has no future run; it stays idle", fields);
    return NO_FUTURE_RUN;
  };
  if (fire.length === 0) {
    if (nextCursor?.getTime() !== cursor.getTime()) await ctx.schedules.advance(key, cursor, { next: nextCursor, error: noFuture(nextCursor) }, ctx.clock());
    return { handled: skipped, more: false };
  }

  let handled = 0;
  for (let i = 0; i < fire.length; i++) {
    const t = fire[i]!;
    const next = i + 1 < fire.length ? fire[i + 1]! : nextCursor;
    if (!(await ctx.mayFire())) return { handled, more: true };
    await ctx.limiter.take(ctx.signal);
    let result: FireResult = "created";
    let message = "";
    try {
      await ctx.create(scheduledExecutionRequest(row, t, ctx.settings.kickoffArgForFixedRate));
    } catch (e) {
      result = classifyFailure(e);
      message = e instanceof Error ? e.message : String(e);
      if (result === "transient_error" && !ctx.signal.aborted) ctx.logger.error("scheduled execution failed", { ...fields, tick: t.toISOString(), error: String((e as Error)?.stack ?? e) });
    }
    const at = ctx.clock();
    ctx.metrics?.fired(result);
    if (result === "created") ctx.metrics?.lag((at.getTime() - t.getTime()) / 1000);

    let moved: boolean;
    if (result === "transient_error") {
      const attempts = (i === 0 ? row.attempts : 0) + 1;
      if (attempts < ctx.settings.maxAttempts) {
        const retryAt = new Date(at.getTime() + backoffMs(attempts, ctx.random));
        await ctx.schedules.recordFailure(key, cursor, { attempts, retryAt, error: message }, at);
        return { handled, retryAt, more: false };
      }
      ctx.logger.error("scheduled execution given up", { ...fields, tick: t.toISOString(), attempts, error: message });
      moved = await ctx.schedules.advance(key, cursor, { next, error: noFuture(next) ?? `gave up on the tick at ${t.toISOString()} after ${attempts} tries: ${message}` }, at);
    } else if (result === "permanent_error") {
      ctx.logger.warn("scheduled execution refused; the tick is skipped", { ...fields, tick: t.toISOString(), error: message });
      moved = await ctx.schedules.advance(key, cursor, { next, error: noFuture(next) ?? `the tick at ${t.toISOString()} was skipped: ${message}` }, at);
    } else {
      const firedAt = result === "skipped_inactive_project" ? undefined : t;
      moved = await ctx.schedules.advance(key, cursor, { next, firedAt, error: noFuture(next) }, at);
    }
    handled++;
    // Deactivated, re-activated or advanced by another replica meanwhile: what was held is stale.
    if (!moved || !next) return { handled, more: false };
    cursor = next;
  }
  return { handled, more: nextCursor !== null && nextCursor.getTime() <= now.getTime() };
}
