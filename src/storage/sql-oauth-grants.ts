import { and, eq, inArray, isNull, lt } from "drizzle-orm";
import type { Dialect } from "./dialect.js";
import type { NewOAuthRefreshToken, OAuthCodeRow, OAuthGrantStore, OAuthRefreshTokenRow } from "./oauth-grant-store.js";

const joinScopes = (scopes: readonly string[]) => scopes.join(" ");
const splitScopes = (text: string) => text.split(" ").filter((s) => s !== "");

/** User info is written by this server only; a row it cannot read counts as none rather than failing the grant. */
function parseUserInfo(text: string): Record<string, string> {
  try {
    const v = JSON.parse(text) as unknown;
    if (!v || typeof v !== "object" || Array.isArray(v)) return {};
    return Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === "string"));
  } catch {
    return {};
  }
}

/** Authorization codes and refresh tokens over either dialect; single use is a conditional UPDATE, correct across replicas. */
export function createSqlOAuthGrants(d: Dialect): OAuthGrantStore {
  const codes = d.schema.oauthCodes;
  const tokens = d.schema.oauthRefreshTokens;
  const toCode = (r: typeof codes.$inferSelect): OAuthCodeRow => ({
    codeHash: r.codeHash,
    clientId: r.clientId,
    redirectUri: r.redirectUri,
    codeChallenge: r.codeChallenge,
    scopes: splitScopes(r.scopes),
    subject: r.subject,
    userInfo: parseUserInfo(r.userInfo),
    createdAt: r.createdAt,
    expiresAt: r.expiresAt,
    usedAt: r.usedAt ?? undefined,
  });
  const toToken = (r: typeof tokens.$inferSelect): OAuthRefreshTokenRow => ({
    idHash: r.idHash,
    family: r.family,
    clientId: r.clientId,
    subject: r.subject,
    scopes: splitScopes(r.scopes),
    userInfo: parseUserInfo(r.userInfo),
    createdAt: r.createdAt,
    expiresAt: r.expiresAt,
    usedAt: r.usedAt ?? undefined,
    revokedAt: r.revokedAt ?? undefined,
  });
  const tokenValues = (t: NewOAuthRefreshToken) => ({
    idHash: t.idHash,
    family: t.family,
    clientId: t.clientId,
    subject: t.subject,
    scopes: joinScopes(t.scopes),
    userInfo: JSON.stringify(t.userInfo),
    createdAt: t.createdAt,
    expiresAt: t.expiresAt,
  });

  return {
    async saveCode(c) {
      await d.write((db) =>
        db.insert(codes).values({
          codeHash: c.codeHash,
          clientId: c.clientId,
          redirectUri: c.redirectUri,
          codeChallenge: c.codeChallenge,
          scopes: joinScopes(c.scopes),
          subject: c.subject,
          userInfo: JSON.stringify(c.userInfo),
          createdAt: c.createdAt,
          expiresAt: c.expiresAt,
        }),
      );
    },

    async getCode(codeHash) {
      const [row] = await d.run((db) => db.select().from(codes).where(eq(codes.codeHash, codeHash)));
      return row ? toCode(row) : undefined;
    },

    redeemCode(codeHash, now, refresh) {
      return d.transaction(async (tx) => {
        const won = await tx
          .update(codes)
          .set({ usedAt: now })
          .where(and(eq(codes.codeHash, codeHash), isNull(codes.usedAt)))
          .returning({ codeHash: codes.codeHash });
        if (won.length !== 1) return false;
        if (refresh) await tx.insert(tokens).values(tokenValues(refresh));
        return true;
      });
    },

    async getRefreshToken(idHash) {
      const [row] = await d.run((db) => db.select().from(tokens).where(eq(tokens.idHash, idHash)));
      return row ? toToken(row) : undefined;
    },

    rotateRefreshToken(idHash, now, next) {
      return d.transaction(async (tx) => {
        const won = await tx
          .update(tokens)
          .set({ usedAt: now })
          .where(and(eq(tokens.idHash, idHash), isNull(tokens.usedAt), isNull(tokens.revokedAt)))
          .returning({ idHash: tokens.idHash });
        if (won.length !== 1) return false;
        await tx.insert(tokens).values(tokenValues(next));
        return true;
      });
    },

    async revokeFamily(family, now) {
      const rows = await d.write((db) =>
        db
          .update(tokens)
          .set({ revokedAt: now })
          .where(and(eq(tokens.family, family), isNull(tokens.revokedAt)))
          .returning({ idHash: tokens.idHash }),
      );
      return rows.length;
    },

    async revokeSubject(subject, now) {
      const rows = await d.write((db) =>
        db
          .update(tokens)
          .set({ revokedAt: now })
          .where(and(eq(tokens.subject, subject), isNull(tokens.revokedAt)))
          .returning({ idHash: tokens.idHash }),
      );
      return rows.length;
    },

    async purgeExpired(now, limit) {
      // A bounded batch each time: IN over a limited select works in both dialects (SQLite has no DELETE ... LIMIT by default).
      const goneCodes = await d.write((db) =>
        db
          .delete(codes)
          .where(inArray(codes.codeHash, db.select({ h: codes.codeHash }).from(codes).where(lt(codes.expiresAt, now)).limit(limit)))
          .returning({ h: codes.codeHash }),
      );
      const goneTokens = await d.write((db) =>
        db
          .delete(tokens)
          .where(inArray(tokens.idHash, db.select({ h: tokens.idHash }).from(tokens).where(lt(tokens.expiresAt, now)).limit(limit)))
          .returning({ h: tokens.idHash }),
      );
      return goneCodes.length + goneTokens.length;
    },
  };
}
