import { and, asc, eq, sql } from "drizzle-orm";
import type { Dialect } from "./dialect.js";
import type { EngineKey, EngineStore, EngineWorkflowRow } from "./engine-store.js";

/**
 * The local engine's rows over either SQL dialect. Every write is one
 * statement, so each is atomic on its own and needs no transaction: SQLite
 * runs statements one at a time, and PostgreSQL re-checks a conditional
 * UPDATE's WHERE against the row a concurrent writer committed (READ
 * COMMITTED), so of two updates from the same version exactly one applies.
 * Driver errors pass through unchanged for database-errors.ts to classify.
 */
// The column is a 32-bit integer on PostgreSQL.
const MAX_VERSION = 2 ** 31 - 1;

export function createSqlEngineStore(d: Dialect): EngineStore {
  const t = d.schema.engineWorkflows;
  type Row = typeof t.$inferSelect;
  const keyOf = (k: EngineKey) => and(eq(t.project, k.project), eq(t.domain, k.domain), eq(t.name, k.name));
  const toRow = (r: Row): EngineWorkflowRow => ({
    project: r.project,
    domain: r.domain,
    name: r.name,
    definition: r.definition,
    status: r.status,
    version: r.version,
    active: r.active,
    abortCause: r.abortCause ?? undefined,
    nextWakeAt: r.nextWakeAt ?? undefined,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  });

  return {
    async create({ key, definition, status, nextWakeAt }) {
      const now = new Date();
      // Do-nothing on conflict: a taken key is an answer (false), not an
      // error, and a concurrent creator of the same key simply wins.
      const inserted = await d.run((db) =>
        db
          .insert(t)
          .values({
            project: key.project,
            domain: key.domain,
            name: key.name,
            definition,
            status,
            version: 1,
            active: true,
            abortCause: null,
            nextWakeAt: nextWakeAt ?? null,
            createdAt: now,
            updatedAt: now,
          })
          .onConflictDoNothing()
          .returning({ name: t.name }),
      );
      return inserted.length > 0;
    },

    async get(key) {
      const [row] = await d.run((db) => db.select().from(t).where(keyOf(key)));
      return row ? toRow(row) : undefined;
    },

    async getState(key) {
      // Every column but the definition, which can be large and never changes.
      const [row] = await d.run((db) =>
        db
          .select({
            project: t.project,
            domain: t.domain,
            name: t.name,
            status: t.status,
            version: t.version,
            active: t.active,
            abortCause: t.abortCause,
            nextWakeAt: t.nextWakeAt,
            createdAt: t.createdAt,
            updatedAt: t.updatedAt,
          })
          .from(t)
          .where(keyOf(key)),
      );
      return row ? { ...row, abortCause: row.abortCause ?? undefined, nextWakeAt: row.nextWakeAt ?? undefined } : undefined;
    },

    async update(key, expectedVersion, update) {
      // No row has any other version; PostgreSQL would refuse a parameter out of int4 range.
      if (!Number.isInteger(expectedVersion) || expectedVersion < 1 || expectedVersion > MAX_VERSION) return false;
      // abort_cause is left alone: a TerminateExecution recorded while the
      // round ran must survive the round's write.
      const updated = await d.run((db) =>
        db
          .update(t)
          .set({
            status: update.status,
            active: update.active,
            nextWakeAt: update.nextWakeAt ?? null,
            version: sql`${t.version} + 1`,
            updatedAt: new Date(),
          })
          .where(and(keyOf(key), eq(t.version, expectedVersion)))
          .returning({ version: t.version }),
      );
      return updated.length > 0;
    },

    async requestAbort(key, cause) {
      // The first cause is kept (coalesce), so a repeated TerminateExecution
      // neither replaces it nor fails; the version stays, so the round in
      // flight still commits and the next one sees the cause.
      const updated = await d.run((db) =>
        db
          .update(t)
          .set({ abortCause: sql`coalesce(${t.abortCause}, ${cause})` })
          .where(and(keyOf(key), eq(t.active, true)))
          .returning({ name: t.name }),
      );
      return updated.length > 0;
    },

    async listActive() {
      // Served by engine_workflows_active_idx in its own order (no sort step).
      const rows = await d.run((db) =>
        db
          .select()
          .from(t)
          .where(eq(t.active, true))
          .orderBy(asc(t.createdAt), asc(t.project), asc(t.domain), asc(t.name)),
      );
      return rows.map(toRow);
    },
  };
}
