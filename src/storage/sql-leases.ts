import { and, eq, lt, or } from "drizzle-orm";
import type { Dialect } from "./dialect.js";
import type { LeaseStore } from "./deletion-store.js";

/**
 * Leases over either dialect: taking one is a single upsert whose update only
 * applies when the row is free (expired) or already the caller's, so of two
 * replicas racing for it exactly one gets a row back (on PostgreSQL the
 * conflicting insert waits for the other and re-checks the condition).
 */
export function createSqlLeases(d: Dialect): LeaseStore {
  const t = d.schema.leases;
  return {
    async acquire(name, owner, now, ttlMs) {
      const expiresAt = new Date(now.getTime() + ttlMs);
      const rows = await d.run((db) =>
        db
          .insert(t)
          .values({ name, owner, expiresAt })
          .onConflictDoUpdate({
            target: t.name,
            set: { owner, expiresAt },
            setWhere: or(eq(t.owner, owner), lt(t.expiresAt, now)),
          })
          .returning({ owner: t.owner }),
      );
      return rows.length > 0 && rows[0]!.owner === owner;
    },

    async release(name, owner) {
      await d.run((db) => db.update(t).set({ expiresAt: new Date(0) }).where(and(eq(t.name, name), eq(t.owner, owner))));
    },
  };
}
