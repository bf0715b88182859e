import { and, eq, inArray, lt, or, type SQL } from "drizzle-orm";
import { type CatalogEntry, type CatalogKey, type CatalogReservation, type CatalogStore, RESERVATION_GRACE_HEARTBEATS } from "./catalog-store.js";
import type { Dialect } from "./dialect.js";

/** A writer racing others on one key gives up after this many rounds of read-then-write (each round someone else won). */
const MAX_RACE_ROUNDS = 8;
/** Bounds an eviction batch (the statement returns every row it removes). */
const MAX_EVICT_BATCH = 10_000;
// The heartbeat column is a 32-bit integer on PostgreSQL.
const MAX_HEARTBEAT_MS = 2 ** 31 - 1;

/**
 * The task cache over either SQL dialect. Every write is one statement or a
 * compare-and-set loop of single statements, so neither dialect needs a
 * transaction or a lock: an upsert whose update applies only under a
 * condition settles a race on both (PostgreSQL re-checks the condition
 * against the row a concurrent writer committed).
 */
export function createSqlCatalogStore(d: Dialect): CatalogStore {
  const e = d.schema.catalogEntries;
  const r = d.schema.catalogReservations;
  type EntryRow = typeof e.$inferSelect;
  type ReservationRow = typeof r.$inferSelect;
  const entryKey = (k: CatalogKey) =>
    and(eq(e.project, k.project), eq(e.domain, k.domain), eq(e.datasetName, k.datasetName), eq(e.datasetVersion, k.datasetVersion), eq(e.tag, k.tag));
  const reservationKey = (k: CatalogKey) =>
    and(eq(r.project, k.project), eq(r.domain, k.domain), eq(r.datasetName, k.datasetName), eq(r.datasetVersion, k.datasetVersion), eq(r.tag, k.tag));

  const toEntry = (row: EntryRow): CatalogEntry => ({
    project: row.project,
    domain: row.domain,
    datasetName: row.datasetName,
    datasetVersion: row.datasetVersion,
    tag: row.tag,
    cacheVersion: row.cacheVersion,
    artifactId: row.artifactId,
    outputsUri: row.outputsUri,
    source: {
      execution: { project: row.sourceExecutionProject, domain: row.sourceExecutionDomain, name: row.sourceExecutionName },
      nodeId: row.sourceNodeId,
      retryAttempt: row.sourceRetryAttempt,
      task: { project: row.sourceTaskProject, domain: row.sourceTaskDomain, name: row.sourceTaskName, version: row.sourceTaskVersion },
    },
    createdAt: row.createdAt,
  });
  const toReservation = (row: ReservationRow): CatalogReservation => ({
    project: row.project,
    domain: row.domain,
    datasetName: row.datasetName,
    datasetVersion: row.datasetVersion,
    tag: row.tag,
    ownerId: row.ownerId,
    expiresAt: row.expiresAt,
    heartbeatMs: row.heartbeatMs,
  });
  // Only the key's own fields: callers may pass a whole entry as its key.
  const keyColumns = (k: CatalogKey): CatalogKey => ({ project: k.project, domain: k.domain, datasetName: k.datasetName, datasetVersion: k.datasetVersion, tag: k.tag });
  const getEntry = async (k: CatalogKey) => {
    const [row] = await d.run((db) => db.select().from(e).where(entryKey(k)));
    return row;
  };

  return {
    async get(key) {
      const row = await getEntry(key);
      return row ? toEntry(row) : undefined;
    },

    async put(entry, { overwrite, now }) {
      const { source } = entry;
      const values = {
        project: entry.project,
        domain: entry.domain,
        datasetName: entry.datasetName,
        datasetVersion: entry.datasetVersion,
        tag: entry.tag,
        cacheVersion: entry.cacheVersion,
        artifactId: entry.artifactId,
        outputsUri: entry.outputsUri,
        sourceExecutionProject: source.execution.project,
        sourceExecutionDomain: source.execution.domain,
        sourceExecutionName: source.execution.name,
        sourceNodeId: source.nodeId,
        sourceRetryAttempt: source.retryAttempt,
        sourceTaskProject: source.task.project,
        sourceTaskDomain: source.task.domain,
        sourceTaskName: source.task.name,
        sourceTaskVersion: source.task.version,
        createdAt: now,
      };
      for (let round = 0; round < MAX_RACE_ROUNDS; round++) {
        const [inserted] = await d.run((db) => db.insert(e).values(values).onConflictDoNothing().returning());
        if (inserted) return { entry: toEntry(inserted), written: true };
        const existing = await getEntry(entry);
        // Removed between the two statements (an eviction): insert again.
        if (!existing) continue;
        if (!overwrite) return { entry: toEntry(existing), written: false };
        // Compare-and-set on the artifact id, so the replaced entry reported is the one really replaced.
        const [updated] = await d.run((db) =>
          db
            .update(e)
            .set(values)
            .where(and(entryKey(entry), eq(e.artifactId, existing.artifactId)))
            .returning(),
        );
        if (updated) return { entry: toEntry(updated), written: true, replaced: toEntry(existing) };
      }
      throw new Error(`cache entry ${entry.datasetName}/${entry.datasetVersion}/${entry.tag} kept changing under concurrent writers`);
    },

    async evict(scope, limit) {
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_EVICT_BATCH) throw new Error(`eviction batch must be 1..${MAX_EVICT_BATCH}, got ${limit}`);
      const conditions: SQL[] = [eq(e.project, scope.project), eq(e.domain, scope.domain)];
      if (scope.taskName !== undefined) conditions.push(eq(e.datasetName, `flyte_task-${scope.taskName}`));
      if (scope.cacheVersion !== undefined) conditions.push(eq(e.cacheVersion, scope.cacheVersion));
      const rows = await d.run((db) =>
        db
          .delete(e)
          .where(inArray(e.artifactId, db.select({ artifactId: e.artifactId }).from(e).where(and(...conditions)).limit(limit)))
          .returning(),
      );
      return rows.map(toEntry);
    },

    async getOrExtendReservation(key, ownerId, heartbeatMs, now) {
      if (!Number.isInteger(heartbeatMs) || heartbeatMs < 1 || heartbeatMs > MAX_HEARTBEAT_MS) throw new Error(`reservation heartbeat must be 1..${MAX_HEARTBEAT_MS} ms, got ${heartbeatMs}`);
      const expiresAt = new Date(now.getTime() + heartbeatMs * RESERVATION_GRACE_HEARTBEATS);
      for (let round = 0; round < MAX_RACE_ROUNDS; round++) {
        // One statement: create it, or take it when it is ours or has expired; otherwise leave it.
        const [mine] = await d.run((db) =>
          db
            .insert(r)
            .values({ ...keyColumns(key), ownerId, expiresAt, heartbeatMs, createdAt: now, updatedAt: now })
            .onConflictDoUpdate({
              target: [r.project, r.domain, r.datasetName, r.datasetVersion, r.tag],
              set: { ownerId, expiresAt, heartbeatMs, updatedAt: now },
              setWhere: or(eq(r.ownerId, ownerId), lt(r.expiresAt, now)),
            })
            .returning(),
        );
        if (mine) return toReservation(mine);
        const [held] = await d.run((db) => db.select().from(r).where(reservationKey(key)));
        // Released between the two statements: try to take it again.
        if (held) return toReservation(held);
      }
      throw new Error(`reservation ${key.datasetName}/${key.datasetVersion}/${key.tag} kept changing under concurrent owners`);
    },

    async releaseReservation(key, ownerId) {
      const rows = await d.run((db) =>
        db
          .delete(r)
          .where(and(reservationKey(key), eq(r.ownerId, ownerId)))
          .returning({ ownerId: r.ownerId }),
      );
      return rows.length > 0;
    },
  };
}
