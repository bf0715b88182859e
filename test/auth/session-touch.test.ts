import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createSessionAuth, sessionIdHash } from "../../src/auth/session-authenticator.js";
import type { OidcProvider } from "../../src/auth/oidc-provider.js";
import { createLogger } from "../../src/logger.js";
import type { Dialect } from "../../src/storage/dialect.js";
import { openSqlite } from "../../src/storage/sqlite.js";
import type { SessionStore } from "../../src/storage/session-store.js";
import { createSqlSessions } from "../../src/storage/sql-sessions.js";

const T0 = Date.parse("2026-01-01T00:00:00.000Z");
// Never reached: the session's tokens stay valid throughout.
const provider = {} as OidcProvider;

describe("a browser session's last use", () => {
  let d: Dialect | undefined;
  afterEach(async () => void (await d?.close()));

  it("is written at most once a minute, not on every call the browser makes", async () => {
    d = await openSqlite(":memory:");
    const real = createSqlSessions(d);
    const touches: number[] = [];
    // The real store, with its writes of last_seen_at counted.
    const store: SessionStore = { ...real, touch: (id, at, interval) => (touches.push(at.getTime()), real.touch(id, at, interval)) };
    let now = T0;
    const auth = createSessionAuth({ store: () => store, provider, now: () => now, logger: createLogger("silent") });
    const id = randomBytes(32).toString("base64url");
    await real.create({
      idHash: sessionIdHash(id),
      subject: "alice",
      idToken: "e30.eyJzdWIiOiJhbGljZSJ9.sig",
      accessToken: "access",
      refreshToken: "",
      userInfo: { sub: "alice" },
      createdAt: new Date(T0),
      expiresAt: new Date(T0 + 12 * 3600_000),
      tokensExpireAt: new Date(T0 + 3600_000),
      lastSeenAt: new Date(T0),
    });

    for (const seconds of [1, 20, 59]) {
      now = T0 + seconds * 1000;
      expect((await auth.identify(id)).subject).toBe("alice");
    }
    expect(touches).toEqual([]);
    now = T0 + 61_000;
    await auth.identify(id);
    // The write is not awaited by the call: wait for the row to show it.
    await vi.waitFor(async () => expect((await real.get(sessionIdHash(id)))!.lastSeenAt.getTime()).toBe(T0 + 61_000));
    now = T0 + 90_000;
    await auth.identify(id);
    // One write after the minute; the row it wrote keeps the next call from writing again.
    await new Promise((r) => setImmediate(r));
    expect(touches).toEqual([T0 + 61_000]);
  });
});
