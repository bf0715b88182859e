import { afterEach, describe, expect, it } from "vitest";
import type { NewOAuthCode, NewOAuthRefreshToken } from "../../src/storage/oauth-grant-store.js";
import { createSqlStore } from "../../src/storage/sql-store.js";
import type { Store } from "../../src/storage/store.js";
import { backends } from "../helpers/backends.js";

const T0 = new Date("2026-03-01T00:00:00Z");
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const code = (codeHash: string, over: Partial<NewOAuthCode> = {}): NewOAuthCode => ({
  codeHash,
  clientId: "flytectl",
  redirectUri: "http://localhost:53593/callback",
  codeChallenge: "c".repeat(43),
  scopes: ["all", "offline"],
  subject: "alice",
  userInfo: { sub: "alice", email: "alice@example.com" },
  createdAt: T0,
  expiresAt: at(300),
  ...over,
});
const token = (idHash: string, family: string, over: Partial<NewOAuthRefreshToken> = {}): NewOAuthRefreshToken => ({
  idHash,
  family,
  clientId: "flytectl",
  subject: "alice",
  scopes: ["all", "offline"],
  userInfo: { sub: "alice" },
  createdAt: T0,
  expiresAt: at(3600),
  ...over,
});

describe.each(backends)("authorization codes and refresh tokens on $name", ({ open }) => {
  let store: Store;
  afterEach(async () => store?.close());

  it("stores a code, reads it back, and redeems it exactly once among concurrent redemptions", async () => {
    store = createSqlStore(await open());
    await store.oauthGrants.saveCode(code("h1"));
    expect(await store.oauthGrants.getCode("h1")).toEqual({ ...code("h1"), usedAt: undefined });
    expect(await store.oauthGrants.getCode("nope")).toBeUndefined();
    const results = await Promise.all([1, 2, 3, 4].map((i) => store.oauthGrants.redeemCode("h1", at(10), token(`r${i}`, "h1"))));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await store.oauthGrants.getCode("h1"))?.usedAt).toEqual(at(10));
    // Only the winner's refresh token was written.
    const written = await Promise.all([1, 2, 3, 4].map((i) => store.oauthGrants.getRefreshToken(`r${i}`)));
    expect(written.filter((t) => t !== undefined)).toHaveLength(1);
    expect(await store.oauthGrants.redeemCode("missing", at(10), undefined)).toBe(false);
  });

  it("rotates a refresh token once, keeps the family, and revokes families and subjects", async () => {
    store = createSqlStore(await open());
    await store.oauthGrants.saveCode(code("h1"));
    expect(await store.oauthGrants.redeemCode("h1", at(1), token("t1", "h1"))).toBe(true);
    const rotations = await Promise.all(["t2a", "t2b"].map((next) => store.oauthGrants.rotateRefreshToken("t1", at(2), token(next, "h1", { createdAt: at(2) }))));
    expect(rotations.filter(Boolean)).toHaveLength(1);
    const t2 = (await store.oauthGrants.getRefreshToken("t2a")) ?? (await store.oauthGrants.getRefreshToken("t2b"));
    expect(t2).toMatchObject({ family: "h1", subject: "alice", scopes: ["all", "offline"], usedAt: undefined, revokedAt: undefined });
    expect((await store.oauthGrants.getRefreshToken("t1"))?.usedAt).toEqual(at(2));

    // Another family of alice's, and one of bob's.
    await store.oauthGrants.saveCode(code("h2"));
    await store.oauthGrants.saveCode(code("h3", { subject: "bob" }));
    await store.oauthGrants.redeemCode("h2", at(3), token("u1", "h2"));
    await store.oauthGrants.redeemCode("h3", at(3), token("v1", "h3", { subject: "bob" }));
    expect(await store.oauthGrants.revokeFamily("h1", at(4))).toBe(2);
    expect(await store.oauthGrants.revokeFamily("h1", at(5))).toBe(0);
    expect((await store.oauthGrants.getRefreshToken("t1"))?.revokedAt).toEqual(at(4));
    // A revoked token does not rotate.
    expect(await store.oauthGrants.rotateRefreshToken(t2!.idHash, at(6), token("t3", "h1"))).toBe(false);
    expect(await store.oauthGrants.getRefreshToken("t3")).toBeUndefined();
    expect(await store.oauthGrants.revokeSubject("alice", at(7))).toBe(1);
    expect((await store.oauthGrants.getRefreshToken("u1"))?.revokedAt).toEqual(at(7));
    expect((await store.oauthGrants.getRefreshToken("v1"))?.revokedAt).toBeUndefined();
  });

  it("purges expired rows in bounded batches", async () => {
    store = createSqlStore(await open());
    for (let i = 0; i < 5; i++) await store.oauthGrants.saveCode(code(`old${i}`, { expiresAt: at(10) }));
    await store.oauthGrants.saveCode(code("live", { expiresAt: at(1000) }));
    await store.oauthGrants.redeemCode("old0", at(1), token("expired", "old0", { expiresAt: at(20) }));
    await store.oauthGrants.redeemCode("live", at(1), token("fresh", "live", { expiresAt: at(5000) }));
    expect(await store.oauthGrants.purgeExpired(at(100), 2)).toBe(3);
    expect(await store.oauthGrants.purgeExpired(at(100), 10)).toBe(3);
    expect(await store.oauthGrants.purgeExpired(at(100), 10)).toBe(0);
    expect(await store.oauthGrants.getCode("live")).toBeDefined();
    expect(await store.oauthGrants.getRefreshToken("fresh")).toBeDefined();
    expect(await store.oauthGrants.getRefreshToken("expired")).toBeUndefined();
  });
});
