import { and, eq, lt, or } from "drizzle-orm";
import type { DataCatalogStore, ReservationKey, StoredReservation } from "./datacatalog-store.js";
import type { Dialect } from "./dialect.js";

/** A caller racing others on one key gives up after this many rounds of write-then-read (each round the row changed in between). */
const MAX_RACE_ROUNDS = 8;

/**
 * DataCatalog reservations (datacatalog's reservation repository) over either
 * dialect. datacatalog reads, then inserts or conditionally updates, then
 * reads again when it lost; here the take-or-extend is one upsert whose
 * update applies only under the condition, which settles a race on both
 * databases (PostgreSQL re-checks the condition against the row a concurrent
 * writer committed), so neither needs a transaction or a lock.
 */
export function createSqlReservations(d: Dialect): Pick<DataCatalogStore, "getOrExtendReservation" | "releaseReservation"> {
  const r = d.schema.reservations;
  type Row = typeof r.$inferSelect;
  const keyOf = (k: ReservationKey) =>
    and(eq(r.project, k.project), eq(r.name, k.name), eq(r.domain, k.domain), eq(r.version, k.version), eq(r.tagName, k.tagName));
  const toReservation = (row: Row): StoredReservation => ({
    project: row.project,
    name: row.name,
    domain: row.domain,
    version: row.version,
    tagName: row.tagName,
    ownerId: row.ownerId,
    expiresAt: row.expiresAt,
  });
  // Only the key's own fields: callers may pass a larger object as its key.
  const keyColumns = (k: ReservationKey): ReservationKey => ({ project: k.project, name: k.name, domain: k.domain, version: k.version, tagName: k.tagName });

  return {
    async getOrExtendReservation(key, ownerId, expiresAt, now) {
      for (let round = 0; round < MAX_RACE_ROUNDS; round++) {
        // Create it, or take it when it is ours or expired before now; otherwise leave it.
        const [mine] = await d.run((db) =>
          db
            .insert(r)
            .values({ ...keyColumns(key), ownerId, expiresAt, createdAt: now, updatedAt: now })
            .onConflictDoUpdate({
              target: [r.project, r.name, r.domain, r.version, r.tagName],
              set: { ownerId, expiresAt, updatedAt: now },
              setWhere: or(eq(r.ownerId, ownerId), lt(r.expiresAt, now)),
            })
            .returning(),
        );
        if (mine) return toReservation(mine);
        const [held] = await d.run((db) => db.select().from(r).where(keyOf(key)));
        // Released between the two statements: try to take it again.
        if (held) return toReservation(held);
      }
      throw new Error(`reservation ${key.name}/${key.version}/${key.tagName} kept changing under concurrent owners`);
    },

    async releaseReservation(key, ownerId) {
      const rows = await d.run((db) =>
        db
          .delete(r)
          .where(and(keyOf(key), eq(r.ownerId, ownerId)))
          .returning({ ownerId: r.ownerId }),
      );
      return rows.length > 0;
    },
  };
}
