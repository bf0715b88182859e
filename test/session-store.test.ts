import { afterEach, describe, expect, it } from "vitest";
import type { Dialect } from "../src/storage/dialect.js";
import type { AuthSession, SessionStore } from "../src/storage/session-store.js";
import { createSqlSessions } from "../src/storage/sql-sessions.js";
import { backends } from "./helpers/backends.js";

const T0 = new Date("2026-01-01T00:00:00.000Z");
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

const session = (idHash: string, over: Partial<AuthSession> = {}): AuthSession => ({
  idHash,
  subject: "alice",
  idToken: "id.token.sig",
  accessToken: "access",
  refreshToken: "refresh",
  userInfo: { sub: "alice", email: "alice@example.com", groups: ["a", "b"] },
  createdAt: T0,
  expiresAt: at(720),
  tokensExpireAt: at(10),
  lastSeenAt: T0,
  ...over,
});

describe.each(backends)("Session store on $name", ({ open }) => {
  let d: Dialect | undefined;
  let sessions: SessionStore;
  const start = async () => {
    d = await open();
    sessions = createSqlSessions(d);
  };
  afterEach(async () => {
    await d?.close();
    d = undefined;
  });

  it("stores a session and reads it back as written", async () => {
    await start();
    const s = session("h1");
    await sessions.create(s);
    expect(await sessions.get("h1")).toEqual(s);
    expect(await sessions.get("h2")).toBeUndefined();
    // The same id twice is refused (a drawn id collided): never two rows for one cookie.
    await expect(sessions.create(session("h1"))).rejects.toThrow();
  });

  it("replaces the tokens of a live session only", async () => {
    await start();
    await sessions.create(session("h1"));
    const tokens = { idToken: "id2.x.y", accessToken: "access2", refreshToken: "refresh2", userInfo: { sub: "alice", name: "A" }, tokensExpireAt: at(30) };
    expect(await sessions.updateTokens("h1", tokens)).toBe(true);
    expect(await sessions.get("h1")).toMatchObject({ ...tokens, subject: "alice", createdAt: T0 });
    expect(await sessions.updateTokens("gone", tokens)).toBe(false);
  });

  it("records a use at most once per interval", async () => {
    await start();
    await sessions.create(session("h1"));
    expect(await sessions.touch("h1", at(0.5), 60_000)).toBe(false);
    expect(await sessions.touch("h1", at(2), 60_000)).toBe(true);
    expect((await sessions.get("h1"))!.lastSeenAt).toEqual(at(2));
    expect(await sessions.touch("h1", at(2.5), 60_000)).toBe(false);
    expect(await sessions.touch("missing", at(5), 60_000)).toBe(false);
  });

  it("deletes one session, and purges ended ones in bounded batches", async () => {
    await start();
    for (let i = 0; i < 5; i++) await sessions.create(session(`old${i}`, { expiresAt: at(i) }));
    await sessions.create(session("live", { expiresAt: at(1000) }));
    expect(await sessions.delete("old0")).toBe(true);
    expect(await sessions.delete("old0")).toBe(false);
    expect(await sessions.purgeExpired(at(100), 3)).toBe(3);
    expect(await sessions.purgeExpired(at(100), 3)).toBe(1);
    expect(await sessions.purgeExpired(at(100), 3)).toBe(0);
    expect(await sessions.get("live")).toBeDefined();
  });
});
