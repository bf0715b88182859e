import { and, eq, inArray, isNull, lte, or } from "drizzle-orm";
import type { Dialect } from "./dialect.js";
import { placeholders, preparedQuery } from "./prepared-query.js";
import type { AuthSession, SessionStore } from "./session-store.js";

/** Browser sessions over either dialect; every write is one statement. */
export function createSqlSessions(d: Dialect): SessionStore {
  const t = d.schema.authSessions;
  type Row = typeof t.$inferSelect;
  const toSession = (r: Row): AuthSession => ({
    idHash: r.idHash,
    subject: r.subject,
    idToken: r.idToken,
    accessToken: r.accessToken,
    refreshToken: r.refreshToken,
    userInfo: parseObject(r.userInfo),
    createdAt: r.createdAt,
    expiresAt: r.expiresAt,
    tokensExpireAt: r.tokensExpireAt,
    lastSeenAt: r.lastSeenAt,
  });

  // Every call a browser makes reads its session: built once (see prepared-query.ts).
  const byId = preparedQuery<Row[]>(d, "auth_session_by_id", (db) => db.select().from(t).where(eq(t.idHash, placeholders("id").id)));

  return {
    async create(s) {
      await d.write((db) =>
        db.insert(t).values({
          idHash: s.idHash,
          subject: s.subject,
          idToken: s.idToken,
          accessToken: s.accessToken,
          refreshToken: s.refreshToken,
          userInfo: JSON.stringify(s.userInfo),
          createdAt: s.createdAt,
          expiresAt: s.expiresAt,
          tokensExpireAt: s.tokensExpireAt,
          lastSeenAt: s.lastSeenAt,
        }),
      );
    },

    async get(idHash) {
      const [row] = await byId({ id: idHash });
      return row ? toSession(row) : undefined;
    },

    async updateTokens(idHash, tokens) {
      const rows = await d.write((db) =>
        db
          .update(t)
          .set({
            idToken: tokens.idToken,
            accessToken: tokens.accessToken,
            refreshToken: tokens.refreshToken,
            userInfo: JSON.stringify(tokens.userInfo),
            tokensExpireAt: tokens.tokensExpireAt,
          })
          .where(eq(t.idHash, idHash))
          .returning({ id: t.idHash }),
      );
      return rows.length === 1;
    },

    async touch(idHash, now, minIntervalMs) {
      const rows = await d.write((db) =>
        db
          .update(t)
          .set({ lastSeenAt: now })
          .where(and(eq(t.idHash, idHash), or(isNull(t.lastSeenAt), lte(t.lastSeenAt, new Date(now.getTime() - minIntervalMs)))))
          .returning({ id: t.idHash }),
      );
      return rows.length === 1;
    },

    async delete(idHash) {
      const rows = await d.write((db) => db.delete(t).where(eq(t.idHash, idHash)).returning({ id: t.idHash }));
      return rows.length === 1;
    },

    async purgeExpired(now, limit) {
      // Ids first, then a delete by them: neither dialect's DELETE takes a LIMIT portably.
      const ids = await d.run((db) => db.select({ id: t.idHash }).from(t).where(lte(t.expiresAt, now)).limit(limit));
      if (ids.length === 0) return 0;
      const rows = await d.write((db) =>
        db
          .delete(t)
          .where(
            and(
              inArray(
                t.idHash,
                ids.map((r) => r.id),
              ),
              lte(t.expiresAt, now),
            ),
          )
          .returning({ id: t.idHash }),
      );
      return rows.length;
    },
  };
}

function parseObject(text: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
