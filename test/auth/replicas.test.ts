import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { replicaDatabases } from "../helpers/replica-databases.js";
import { type AuthTestServer, CLIENT_ID, selfAuth, startAuthServer } from "../helpers/auth-server.js";
import { authorizeParams, codeFor, flytekitExchange, pkceAuth, pkcePair, tokenRequest, userToken } from "../helpers/pkce-flow.js";

/**
 * Spec §1.9 scenario 15, its token and code parts: two app instances on one
 * database with one secrets folder accept each other's tokens, and an
 * authorization code or refresh token works once across both. On a SQLite file the
 * first start generates the keys and the second reads them; on PostgreSQL
 * they come from `auth init`, as every replica must share them.
 */
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const setups = replicaDatabases(cleanups);

describe.each(setups)("two replicas on %s", (_name, setup) => {
  it("accept each other's tokens (gRPC, Connect and REST)", async () => {
    const { database, store, secretsDir } = await setup();
    const start = async () => {
      const s = await startAuthServer({ auth: selfAuth({ secretsDir }), flags: { database }, build: store ? { store } : {} });
      cleanups.unshift(() => s.close());
      return s;
    };
    const a: AuthTestServer = await start();
    const b: AuthTestServer = await start();
    const fromA = await a.token();
    const fromB = await b.token();
    expect(fromA).not.toBe(fromB);
    for (const [server, token] of [[b, fromA], [a, fromB]] as const) {
      const admin = server.admin("grpc", { "flyte-authorization": `Bearer ${token}` });
      await admin.registerProject({ project: { id: `p${randomBytes(3).toString("hex")}`, name: "p" } });
      expect((await server.admin("connect", { authorization: `Bearer ${token}` }).listProjects({})).projects.length).toBeGreaterThan(0);
      const rest = await fetch(`${server.server.url}/me`, { headers: { authorization: `Bearer ${token}` } });
      expect(rest.headers.get("x-user-subject")).toBe(CLIENT_ID);
    }
  });
});

describe.each(setups)("two replicas with the authorization_code flow on %s", (_name, setup) => {
  it("an auth code issued by A is redeemed at B once, then fails at A; a refresh token rotates across them", async () => {
    const { database, store, secretsDir } = await setup();
    const start = async () => {
      const s = await startAuthServer({ auth: pkceAuth({ secretsDir }), flags: { database }, build: store ? { store } : {} });
      cleanups.unshift(() => s.close());
      return s;
    };
    const a = await start();
    const b = await start();
    const { verifier, challenge } = pkcePair();
    const params = authorizeParams(challenge);
    const code = await codeFor(a, await userToken(a, "alice", Date.now()), params);
    const atB = await tokenRequest(b, flytekitExchange(code, verifier, params));
    expect(atB.status).toBe(200);
    const atA = await tokenRequest(a, flytekitExchange(code, verifier, params));
    expect(atA).toEqual({ status: 400, body: { error: "invalid_grant", error_description: expect.any(String) } });
    // The replay at A revoked the family B issued.
    const refresh = (s: AuthTestServer, token: string) => tokenRequest(s, { grant_type: "refresh_token", refresh_token: token, client_id: "flytectl" });
    expect((await refresh(b, atB.body.refresh_token as string)).body.error).toBe("invalid_grant");

    const fresh = pkcePair();
    const again = authorizeParams(fresh.challenge);
    const second = await tokenRequest(a, flytekitExchange(await codeFor(b, await userToken(b, "alice", Date.now()), again), fresh.verifier, again));
    const rotated = await refresh(b, second.body.refresh_token as string);
    expect(rotated.status).toBe(200);
    expect((await refresh(a, second.body.refresh_token as string)).body.error).toBe("invalid_grant");
    expect((await refresh(b, rotated.body.refresh_token as string)).body.error).toBe("invalid_grant");
  });
});
