/** A launch plan version's key; a schedule row has one per version ever activated with a schedule. */
export interface ScheduleKey {
  readonly project: string;
  readonly domain: string;
  readonly name: string;
  readonly version: string;
}

/** What a schedule is, as FlyteAdmin's columns hold it: a cron text, or a fixed rate (value, unit). */
export interface ScheduleColumns {
  /** cron_schedule.schedule or the deprecated cron_expression; null for a fixed rate. */
  readonly cronExpression: string | null;
  readonly fixedRateValue: number | null;
  /** flyteidl.admin.FixedRateUnit (MINUTE=0, HOUR=1, DAY=2). */
  readonly unit: number | null;
  readonly kickoffTimeInputArg: string;
}

/**
 * What activating a launch plan version writes for its schedule: the columns,
 * and where its cursor starts when the version becomes active at `activatedAt`
 * (the first tick after it, or null with the reason it never fires).
 */
export interface SchedulePlan {
  readonly columns: ScheduleColumns;
  firstTick(activatedAt: Date): { at: Date | null; error: string | null };
}

export interface ScheduleRow extends ScheduleKey, ScheduleColumns {
  readonly active: boolean;
  readonly activatedAt: Date | null;
  /** The earliest tick not yet handled; null when inactive or when the schedule has no future run. */
  readonly nextFireAt: Date | null;
  readonly retryAt: Date | null;
  /** Consecutive failures of the tick at nextFireAt. */
  readonly attempts: number;
  readonly lastFiredAt: Date | null;
  readonly lastError: string | null;
  readonly updatedAt: Date;
}

/** Where a schedule's cursor goes after a tick was handled (fired, skipped or given up on). */
export interface ScheduleAdvance {
  /** The tick after the handled ones; null when the schedule has no future run. */
  readonly next: Date | null;
  /** The tick just fired, when one was. */
  readonly firedAt?: Date | undefined;
  /** Recorded as last_error (null clears it). */
  readonly error: string | null;
}

/**
 * The scheduler's reads and writes of `schedulable_entities` (activation
 * writes its rows inside the UpdateLaunchPlan transaction, in
 * sql-launch-plans.ts). Each write is one conditional UPDATE on the cursor the
 * caller read: 0 rows means the schedule was deactivated, re-activated or
 * advanced by another replica meanwhile, and the caller drops what it held.
 */
export interface ScheduleStore {
  /** Active schedules with a tick due at `now` and no backoff pending, earliest first; at most `limit`. */
  due(now: Date, limit: number): Promise<ScheduleRow[]>;
  /** The earliest tick after `now` of any active schedule, if any (how long the scheduler may sleep). */
  nextTickAfter(now: Date): Promise<Date | undefined>;
  /** Moves the cursor from `cursor` on, clearing attempts and backoff; false when the row no longer holds `cursor`. */
  advance(key: ScheduleKey, cursor: Date, to: ScheduleAdvance, now: Date): Promise<boolean>;
  /** Records a failed try of the tick at `cursor`: attempts, when to try again, and why; false like advance. */
  recordFailure(key: ScheduleKey, cursor: Date, failure: { attempts: number; retryAt: Date; error: string }, now: Date): Promise<boolean>;
  get(key: ScheduleKey): Promise<ScheduleRow | undefined>;
  /** Schedules by launch plan key, active ones only unless `all`; at most `limit`. */
  list(options: { all: boolean; limit: number }): Promise<ScheduleRow[]>;
}
