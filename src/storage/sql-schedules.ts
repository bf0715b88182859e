import { and, asc, eq, gt, isNull, lte, or } from "drizzle-orm";
import type { Db, Dialect, Schema } from "./dialect.js";
import type { ScheduleKey, SchedulePlan, ScheduleRow, ScheduleStore } from "./schedule-store.js";

type Table = Schema["schedulableEntities"];

const keyOf = (t: Table, k: ScheduleKey) => and(eq(t.project, k.project), eq(t.domain, k.domain), eq(t.name, k.name), eq(t.version, k.version))!;
/** The compare-and-set every scheduler write is guarded by: still active, still at the cursor the caller read. */
const atCursor = (t: Table, k: ScheduleKey, cursor: Date) => and(keyOf(t, k), eq(t.active, true), eq(t.nextFireAt, cursor));
const toSecond = (d: Date) => new Date(Math.floor(d.getTime() / 1000) * 1000);

/**
 * Activation's part of UpdateLaunchPlan, inside its transaction: the
 * version's row becomes active with its cursor at the first tick after now
 * (to the second). A row that is active already (the version was active) is
 * left as it is, cursor included, so re-activating changes nothing.
 */
export async function activateSchedule(tx: Db, t: Table, key: ScheduleKey, plan: SchedulePlan, now: Date): Promise<void> {
  const [row] = await tx.select({ active: t.active }).from(t).where(keyOf(t, key)).limit(1);
  if (row?.active) return;
  const activatedAt = toSecond(now);
  const first = plan.firstTick(activatedAt);
  const values = {
    ...plan.columns,
    active: true,
    activatedAt,
    nextFireAt: first.at,
    retryAt: null,
    attempts: 0,
    lastError: first.error,
    updatedAt: now,
  };
  if (row) await tx.update(t).set(values).where(keyOf(t, key));
  else await tx.insert(t).values({ ...key, ...values, createdAt: now });
}

/** Deactivation's part, inside the UpdateLaunchPlan transaction: no cursor, nothing fires (a missing row is nothing to do). */
export async function deactivateSchedule(tx: Db, t: Table, key: ScheduleKey, now: Date): Promise<void> {
  await tx
    .update(t)
    .set({ active: false, nextFireAt: null, retryAt: null, attempts: 0, updatedAt: now })
    .where(and(keyOf(t, key), eq(t.active, true)));
}

/**
 * The scheduler's side of `schedulable_entities`. Every write is one
 * conditional UPDATE on the cursor the caller read (atCursor): SQLite runs
 * statements one at a time and PostgreSQL re-checks the condition against a
 * concurrently committed row (READ COMMITTED), so of two replicas handling
 * the same tick exactly one moves the cursor.
 */
export function createSqlSchedules(d: Dialect): ScheduleStore {
  const t = d.schema.schedulableEntities;
  type Row = typeof t.$inferSelect;
  const toRow = (r: Row): ScheduleRow => ({
    project: r.project,
    domain: r.domain,
    name: r.name,
    version: r.version,
    cronExpression: r.cronExpression,
    fixedRateValue: r.fixedRateValue,
    unit: r.unit,
    kickoffTimeInputArg: r.kickoffTimeInputArg,
    active: r.active,
    activatedAt: r.activatedAt,
    nextFireAt: r.nextFireAt,
    retryAt: r.retryAt,
    attempts: r.attempts,
    lastFiredAt: r.lastFiredAt,
    lastError: r.lastError,
    updatedAt: r.updatedAt,
  });
  const changed = (rows: unknown[]) => rows.length > 0;

  return {
    async due(now, limit) {
      // Served by (active, next_fire_at) in order: the backoff condition only filters what the index yields.
      const rows = await d.run((db) =>
        db
          .select()
          .from(t)
          .where(and(eq(t.active, true), lte(t.nextFireAt, now), or(isNull(t.retryAt), lte(t.retryAt, now))))
          .orderBy(asc(t.nextFireAt))
          .limit(limit),
      );
      return rows.map(toRow);
    },

    async nextTickAfter(now) {
      const [row] = await d.run((db) =>
        db
          .select({ at: t.nextFireAt })
          .from(t)
          .where(and(eq(t.active, true), gt(t.nextFireAt, now)))
          .orderBy(asc(t.nextFireAt))
          .limit(1),
      );
      return row?.at ?? undefined;
    },

    async advance(key, cursor, to, now) {
      const rows = await d.write((db) =>
        db
          .update(t)
          .set({
            nextFireAt: to.next,
            ...(to.firedAt ? { lastFiredAt: to.firedAt } : {}),
            lastError: to.error,
            attempts: 0,
            retryAt: null,
            updatedAt: now,
          })
          .where(atCursor(t, key, cursor))
          .returning({ id: t.id }),
      );
      return changed(rows);
    },

    async recordFailure(key, cursor, failure, now) {
      const rows = await d.write((db) =>
        db
          .update(t)
          .set({ attempts: failure.attempts, retryAt: failure.retryAt, lastError: failure.error, updatedAt: now })
          .where(atCursor(t, key, cursor))
          .returning({ id: t.id }),
      );
      return changed(rows);
    },

    async get(key) {
      const [row] = await d.run((db) => db.select().from(t).where(keyOf(t, key)).limit(1));
      return row ? toRow(row) : undefined;
    },

    async list({ all, limit }) {
      const rows = await d.run((db) =>
        db
          .select()
          .from(t)
          .where(all ? undefined : eq(t.active, true))
          .orderBy(asc(t.project), asc(t.domain), asc(t.name), asc(t.version))
          .limit(limit),
      );
      return rows.map(toRow);
    },
  };
}
