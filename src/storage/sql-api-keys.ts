import { and, desc, eq, isNull, lte, or } from "drizzle-orm";
import type { ApiKeyRow, ApiKeyStore } from "./access-store.js";
import type { Dialect } from "./dialect.js";
import { placeholders, preparedQuery } from "./prepared-query.js";

/** API keys over either dialect; every write is one statement. */
export function createSqlApiKeys(d: Dialect): ApiKeyStore {
  const t = d.schema.apiKeys;
  type Row = typeof t.$inferSelect;
  const toKey = (r: Row): ApiKeyRow => ({
    id: r.id,
    secretSha256: r.secretSha256,
    ownerSubject: r.ownerSubject,
    serviceAccount: r.serviceAccount ?? undefined,
    description: r.description,
    createdAt: r.createdAt,
    expiresAt: r.expiresAt ?? undefined,
    lastUsedAt: r.lastUsedAt ?? undefined,
    revokedAt: r.revokedAt ?? undefined,
  });

  // Every call that carries a key reads it: built once (see prepared-query.ts).
  const byId = preparedQuery<Row[]>(d, "api_key_by_id", (db) => db.select().from(t).where(eq(t.id, placeholders("id").id)));

  return {
    async create(key) {
      const rows = await d.write((db) =>
        db
          .insert(t)
          .values({
            id: key.id,
            secretSha256: key.secretSha256,
            ownerSubject: key.ownerSubject,
            serviceAccount: key.serviceAccount ?? null,
            description: key.description,
            createdAt: key.createdAt,
            expiresAt: key.expiresAt ?? null,
          })
          .onConflictDoNothing({ target: t.id })
          .returning({ id: t.id }),
      );
      return rows.length === 1;
    },

    async get(id) {
      const [row] = await byId({ id });
      return row ? toKey(row) : undefined;
    },

    async list({ owner, includeRevoked, limit }) {
      const rows = await d.run((db) =>
        db
          .select()
          .from(t)
          .where(and(owner === undefined ? undefined : eq(t.ownerSubject, owner), includeRevoked ? undefined : isNull(t.revokedAt)))
          .orderBy(desc(t.createdAt), desc(t.id))
          .limit(limit),
      );
      return rows.map(toKey);
    },

    async revoke(id, at) {
      const rows = await d.write((db) =>
        db
          .update(t)
          .set({ revokedAt: at })
          .where(and(eq(t.id, id), isNull(t.revokedAt)))
          .returning({ id: t.id }),
      );
      if (rows.length === 1) return "revoked";
      return (await this.get(id)) ? "already" : "missing";
    },

    async touch(id, now, minIntervalMs) {
      // The condition is re-checked against the row as committed, so of
      // concurrent uses within one interval only the first writes.
      const rows = await d.write((db) =>
        db
          .update(t)
          .set({ lastUsedAt: now })
          .where(and(eq(t.id, id), or(isNull(t.lastUsedAt), lte(t.lastUsedAt, new Date(now.getTime() - minIntervalMs)))))
          .returning({ id: t.id }),
      );
      return rows.length === 1;
    },
  };
}
