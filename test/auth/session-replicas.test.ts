import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { authCommand } from "../../src/auth-command.js";
import { openStore } from "../../src/storage/open-store.js";
import type { Store } from "../../src/storage/store.js";
import { startOidcIssuer } from "../fixtures/oidc-issuer.js";
import { startAuthServer } from "../helpers/auth-server.js";
import { PG_URL } from "../helpers/backends.js";
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

type Setup = () => Promise<{ database: string; store?: Store; secretsDir: string }>;
const setups: [string, Setup][] = [
  [
    "a sqlite file",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "flyteadmin-session-replicas-"));
      const database = join(dir, "admin.db");
      // A SQLite file is one process's database: the two apps share its connection.
      const store = await openStore(database);
      cleanups.push(() => store.close());
      return { database, store: { ...store, close: async () => undefined }, secretsDir: join(dir, "secrets") };
    },
  ],
  ...(PG_URL
    ? [
        [
          "postgres (server)",
          async () => {
            const name = `h_login_replicas_${randomBytes(5).toString("hex")}`;
            await adminQuery(`create database ${name}`);
            cleanups.push(() => adminQuery(`drop database if exists ${name} with (force)`));
            const url = new URL(PG_URL);
            url.pathname = `/${name}`;
            // On PostgreSQL no key is generated: every replica reads the set `auth init` wrote.
            const secretsDir = join(mkdtempSync(join(tmpdir(), "flyteadmin-session-replicas-")), "secrets");
            const out: string[] = [];
            expect(await authCommand(["init", "--secrets-dir", secretsDir], { stdout: (t) => void out.push(t), stderr: (t) => void out.push(t), env: {} })).toBe(0);
            return { database: url.toString(), secretsDir };
          },
        ] as [string, Setup],
      ]
    : []),
];

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client(PG_URL);
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

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
