import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startOidcIssuer } from "../fixtures/oidc-issuer.js";
import { startAuthServer } from "../helpers/auth-server.js";
import { replicaDatabases } from "../helpers/replica-databases.js";
import { LOGIN_CLIENT_SECRET, logIn, loginAuth, loginClient } from "../helpers/browser-login.js";

/**
 * Spec §1.9 scenario 15, its session part: two app instances on one
 * database and one secrets folder. A login begun on A finishes on B (the
 * login state is sealed with the shared cookie key), the session is valid on
 * both, and a logout on B ends it on A at the next call.
 */
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const setups = replicaDatabases(cleanups);

describe.each(setups)("two replicas on %s", (_name, setup) => {
  it("share browser sessions: created on A, valid on B; logged out on B, refused on A", async () => {
    const { database, store, secretsDir } = await setup();
    const issuer = await startOidcIssuer({ login: loginClient() });
    cleanups.push(() => issuer.close());
    const start = async () => {
      writeFileSync(join(secretsDir, "oidc_client_secret"), LOGIN_CLIENT_SECRET, { mode: 0o600, flag: "w" });
      const s = await startAuthServer({ auth: loginAuth(issuer, secretsDir), flags: { database }, build: store ? { store } : {} });
      cleanups.unshift(() => s.close());
      return s;
    };
    // The first start on SQLite generates the keys; the client secret goes next to them.
    mkdirSync(secretsDir, { recursive: true, mode: 0o700 });
    const a = await start();
    const b = await start();

    const { session, callback } = await logIn(issuer, a.server.url, b.server.url);
    expect(callback.status).toBe(307);
    const cookie = { cookie: `flyte_session=${session}` };
    for (const s of [a, b]) {
      const me = await fetch(`${s.server.url}/me`, { headers: cookie });
      expect(me.status).toBe(200);
      expect(me.headers.get("x-user-subject")).toBe("alice");
      expect((await s.admin("connect", cookie).listProjects({})).projects).toBeDefined();
    }
    expect((await fetch(`${b.server.url}/logout`, { headers: cookie })).status).toBe(200);
    for (const s of [a, b]) expect((await fetch(`${s.server.url}/me`, { headers: cookie })).status).toBe(401);
  });
});
