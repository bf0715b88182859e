import { randomBytes } from "node:crypto";
import { createClient } from "@connectrpc/connect";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IdentityService } from "../../gen/flyteidl/service/identity_pb.js";
import { type AuthTestServer, CLIENT_ID, CLIENT_SECRET, PUBLIC_URL, selfAuth, startAuthServer, transportFor, withHeaders } from "../helpers/auth-server.js";
import {
  authCookie,
  authorize,
  authorizeCallback,
  authorizeParams,
  codeFor,
  flytekitExchange,
  pkceAuth,
  pkcePair,
  REDIRECT_URI,
  tokenRequest,
  userToken,
} from "../helpers/pkce-flow.js";

/**
 * Spec §1.9 scenario 11: the self-hosted server's authorization_code flow
 * with PKCE, as flytekit's Pkce mode and flytectl run it, with single-use
 * codes and rotating refresh tokens. A Bearer token minted for the user
 * stands for the browser's login at the callback.
 */
let s: AuthTestServer;
let nowMs = Date.now();
const MINUTE = 60_000;

beforeAll(async () => {
  const clients = {
    "flyte-cli": { public: true, grant_types: ["authorization_code", "refresh_token"], scopes: ["all", "offline"], redirect_uris: [REDIRECT_URI] },
    "code-only": { public: true, grant_types: ["authorization_code"], scopes: ["all", "offline"], redirect_uris: [REDIRECT_URI] },
  };
  s = await startAuthServer({ auth: pkceAuth({}, clients), build: { clock: () => new Date(nowMs) } });
});
afterAll(() => s?.close());

const alice = () => userToken(s, "alice", nowMs);
const goBasic = (id: string) => `Basic ${Buffer.from(`${id}:`).toString("base64")}`;

describe("metadata", () => {
  it("advertises the authorization endpoint and the user grants once user login is configured", async () => {
    const doc = (await (await fetch(`${s.server.url}/.well-known/oauth-authorization-server`, { headers: { accept: "application/json" } })).json()) as Record<string, unknown>;
    expect(doc).toMatchObject({
      authorization_endpoint: `${PUBLIC_URL}/oauth2/authorize`,
      grant_types_supported: ["authorization_code", "client_credentials", "refresh_token"],
      code_challenge_methods_supported: ["S256"],
    });
  });

  it("serves and advertises none of it without user login", async () => {
    const plain = await startAuthServer({ auth: selfAuth() });
    try {
      expect((await authorize(plain, authorizeParams(pkcePair().challenge))).status).toBe(404);
      const res = await tokenRequest(plain, { grant_type: "refresh_token", refresh_token: "x", client_id: "flytectl" });
      expect(res).toEqual({ status: 400, body: { error: "unsupported_grant_type", error_description: expect.any(String) } });
    } finally {
      await plain.close();
    }
  });
});

describe("GET /oauth2/authorize", () => {
  const { challenge } = pkcePair();

  it("answers an unknown client or an unregistered redirect_uri itself, never redirecting to it", async () => {
    const overs: Record<string, string>[] = [{ redirect_uri: "http://evil.example/callback" }, { redirect_uri: "http://localhost:53593/callback/x" }, { client_id: "nobody" }, { client_id: "" }];
    for (const over of overs) {
      const res = await authorize(s, authorizeParams(challenge, over));
      expect(res.status, JSON.stringify(over)).toBe(400);
      expect(res.headers.get("location")).toBeNull();
      expect(res.headers.get("set-cookie")).toBeNull();
      expect(await res.json()).toEqual({ error: expect.stringMatching(/^(invalid_request|unauthorized_client)$/), error_description: expect.any(String) });
    }
    const repeated = await fetch(`${s.server.url}/oauth2/authorize?${new URLSearchParams(authorizeParams(challenge))}&state=again`, { redirect: "manual" });
    expect(repeated.status).toBe(400);
    const long = await authorize(s, authorizeParams(challenge, { state: "s".repeat(2000) }));
    expect(long.status).toBe(400);
  });

  it("sends other errors back to the registered redirect_uri with the state (RFC 6749 §4.1.2.1)", async () => {
    const cases: [Record<string, string>, string][] = [
      [{ scope: "all admin" }, "invalid_scope"],
      [{ response_type: "token" }, "unsupported_response_type"],
      [{ code_challenge: "", code_challenge_method: "" }, "invalid_request"],
      [{ code_challenge_method: "plain" }, "invalid_request"],
      [{ code_challenge: "short" }, "invalid_request"],
    ];
    for (const [over, error] of cases) {
      const params = authorizeParams(challenge, over);
      const res = await authorize(s, params);
      expect(res.status, JSON.stringify(over)).toBe(303);
      const location = new URL(res.headers.get("location")!);
      expect(`${location.origin}${location.pathname}`).toBe(REDIRECT_URI);
      expect(location.searchParams.get("error")).toBe(error);
      expect(location.searchParams.get("state")).toBe(params.state);
      expect(location.searchParams.get("code")).toBeNull();
    }
  });

  it("seals a valid request into the flyte_auth_code cookie and sends the browser to /login", async () => {
    const res = await authorize(s, authorizeParams(challenge, { nonce: "n-1" }));
    expect(res.status).toBe(307);
    expect(res.headers.get("location")).toBe("/login?redirect_url=/oauth2/authorize_callback");
    const set = res.headers.get("set-cookie")!;
    expect(set).toMatch(/^flyte_auth_code=[\w-]+\.\.[\w-]+\.[\w-]+\.[\w-]+; Max-Age=600; Path=\/oauth2; HttpOnly; SameSite=Lax; Secure$/);
    // Sealed, not signed: nothing of the request shows.
    expect(set).not.toContain(challenge);
  });

  it("keeps the cookie within what a browser stores (4 KB) at the longest values taken", async () => {
    const res = await authorize(s, authorizeParams(challenge, { state: "s".repeat(512), nonce: "n".repeat(512), scope: `all offline ${"all.x".repeat(100)}`.slice(0, 512) }));
    expect(res.status).toBe(307);
    expect(Buffer.byteLength(res.headers.get("set-cookie")!)).toBeLessThan(4096);
  });

  it("issues codes on GET only", async () => {
    const cookie = authCookie(await authorize(s, authorizeParams(challenge)));
    const res = await fetch(`${s.server.url}/oauth2/authorize_callback`, { method: "HEAD", headers: { cookie, authorization: `Bearer ${await alice()}` }, redirect: "manual" });
    expect(res.status).toBe(405);
  });
});

describe("GET /oauth2/authorize_callback", () => {
  it("refuses an absent, forged, tampered or expired request cookie", async () => {
    const token = await alice();
    const good = authCookie(await authorize(s, authorizeParams(pkcePair().challenge)));
    const value = good.slice("flyte_auth_code=".length);
    const tampered = `flyte_auth_code=${value.slice(0, -3)}${value.endsWith("AAA") ? "BBB" : "AAA"}`;
    for (const cookie of [undefined, "flyte_auth_code=", "flyte_auth_code=eyJhbGciOiJub25lIn0.e30.", tampered, `flyte_auth_code=${"x".repeat(9000)}`]) {
      const res = await authorizeCallback(s, cookie, token);
      expect(res.status, cookie?.slice(0, 40)).toBe(400);
      expect(res.headers.get("location")).toBeNull();
      expect(await res.json()).toMatchObject({ error: "invalid_request" });
    }
    nowMs += 11 * MINUTE;
    try {
      expect((await authorizeCallback(s, good, await alice())).status).toBe(400);
    } finally {
      nowMs -= 11 * MINUTE;
    }
  });

  it("sends a browser without a login back to /login, keeping the request", async () => {
    const cookie = authCookie(await authorize(s, authorizeParams(pkcePair().challenge)));
    for (const bearer of [undefined, "not-a-token"]) {
      const res = await authorizeCallback(s, cookie, bearer);
      expect(res.status).toBe(307);
      expect(res.headers.get("location")).toBe("/login?redirect_url=/oauth2/authorize_callback");
    }
  });

  it("refuses an application's credential", async () => {
    const cookie = authCookie(await authorize(s, authorizeParams(pkcePair().challenge)));
    const res = await authorizeCallback(s, cookie, await s.token("all"));
    expect(res.status).toBe(403);
  });

  it("issues a code to the redirect_uri with the state (303) and clears the cookie", async () => {
    const params = authorizeParams(pkcePair().challenge);
    const cookie = authCookie(await authorize(s, params));
    const res = await authorizeCallback(s, cookie, await alice());
    expect(res.status).toBe(303);
    const location = new URL(res.headers.get("location")!);
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT_URI);
    expect(location.searchParams.get("state")).toBe(params.state);
    expect(location.searchParams.get("code")).toMatch(/^[\w-]{43}$/);
    expect(res.headers.get("set-cookie")).toMatch(/^flyte_auth_code=; Max-Age=0; Path=\/oauth2;/);
  });
});

describe("POST /oauth2/token: authorization_code", () => {
  const refused = (error: string) => ({ status: 400, body: { error, error_description: expect.any(String) } });

  it("scenario 11: wrong verifier, then the right one (flytekit's request), then a replay that revokes the refresh tokens", async () => {
    const { verifier, challenge } = pkcePair();
    const params = authorizeParams(challenge);
    const code = await codeFor(s, await alice(), params);
    // A wrong verifier proves nothing: the code stays usable.
    expect(await tokenRequest(s, flytekitExchange(code, pkcePair().verifier, params))).toEqual(refused("invalid_grant"));
    expect(await tokenRequest(s, flytekitExchange(code, "", params))).toEqual(refused("invalid_grant"));
    const ok = await tokenRequest(s, flytekitExchange(code, verifier, params));
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ access_token: expect.any(String), token_type: "bearer", expires_in: 1799, scope: "all offline", refresh_token: expect.stringMatching(/^[\w-]{43}$/) });
    const claims = decodeJwt(ok.body.access_token as string);
    expect(claims).toMatchObject({ sub: "alice", client_id: "flytectl", scp: ["all", "offline"], aud: [PUBLIC_URL], user_info: { sub: "alice", email: "alice@example.com", name: "User alice" } });

    // The access token works over gRPC and REST, as the user.
    const access = ok.body.access_token as string;
    expect((await s.admin("grpc", { "flyte-authorization": `Bearer ${access}` }).listProjects({})).projects).toBeDefined();
    const identity = createClient(IdentityService, transportFor("grpc", s.server.url, [withHeaders({ authorization: `Bearer ${access}` })]));
    expect((await identity.userInfo({})).subject).toBe("alice");
    const me = await fetch(`${s.server.url}/me`, { headers: { authorization: `Bearer ${access}` } });
    expect(me.status).toBe(200);
    expect(me.headers.get("x-user-subject")).toBe("alice");
    expect((await fetch(`${s.server.url}/api/v1/projects`, { headers: { authorization: `Bearer ${access}` } })).status).toBe(200);

    // Replayed: refused, and the refresh token issued from it dies with it.
    expect(await tokenRequest(s, flytekitExchange(code, verifier, params))).toEqual(refused("invalid_grant"));
    expect(await tokenRequest(s, { grant_type: "refresh_token", refresh_token: ok.body.refresh_token as string, client_id: "flytectl" })).toEqual(refused("invalid_grant"));
  });

  it("takes the Go client's exchange: Basic `flytectl:` with an empty secret", async () => {
    const { verifier, challenge } = pkcePair();
    const params = authorizeParams(challenge);
    const code = await codeFor(s, await alice(), params);
    const res = await tokenRequest(s, { grant_type: "authorization_code", code, redirect_uri: REDIRECT_URI, code_verifier: verifier }, { authorization: goBasic("flytectl") });
    expect(res.status).toBe(200);
    expect(res.body.refresh_token).toBeDefined();
  });

  it("refuses another client, another redirect_uri, an unknown code, an expired one, a secret for a public client", async () => {
    const { verifier, challenge } = pkcePair();
    const params = authorizeParams(challenge);
    const code = await codeFor(s, await alice(), params);
    expect(await tokenRequest(s, flytekitExchange(code, verifier, { ...params, client_id: "flyte-cli" }))).toEqual(refused("invalid_grant"));
    expect(await tokenRequest(s, flytekitExchange(code, verifier, { ...params, redirect_uri: "http://localhost:12345/callback" }))).toEqual(refused("invalid_grant"));
    expect(await tokenRequest(s, flytekitExchange(code, verifier, { ...params, redirect_uri: "" }))).toEqual(refused("invalid_grant"));
    expect(await tokenRequest(s, flytekitExchange(randomBytes(32).toString("base64url"), verifier, params))).toEqual(refused("invalid_grant"));
    expect(await tokenRequest(s, flytekitExchange("x".repeat(5000), verifier, params))).toEqual(refused("invalid_grant"));
    expect(await tokenRequest(s, { ...flytekitExchange("", verifier, params) })).toEqual(refused("invalid_request"));
    expect((await tokenRequest(s, { ...flytekitExchange(code, verifier, params), client_secret: "x" })).status).toBe(401);
    // The confidential client may not use this grant at all.
    const basic = `Basic ${Buffer.from(`${CLIENT_ID}:${encodeURIComponent(CLIENT_SECRET)}`).toString("base64")}`;
    expect(await tokenRequest(s, { grant_type: "authorization_code", code, redirect_uri: REDIRECT_URI, code_verifier: verifier }, { authorization: basic })).toEqual(
      refused("unauthorized_client"),
    );
    nowMs += 5 * MINUTE + 1000;
    try {
      expect(await tokenRequest(s, flytekitExchange(code, verifier, params))).toEqual(refused("invalid_grant"));
    } finally {
      nowMs -= 5 * MINUTE + 1000;
    }
    // None of the refusals used it up.
    expect((await tokenRequest(s, flytekitExchange(code, verifier, params))).status).toBe(200);
  });

  it("issues no refresh token without offline, or to a client without the refresh_token grant", async () => {
    for (const [clientId, scope] of [["flytectl", "all"], ["code-only", "all offline"]] as const) {
      const { verifier, challenge } = pkcePair();
      const params = authorizeParams(challenge, { client_id: clientId, scope });
      const res = await tokenRequest(s, flytekitExchange(await codeFor(s, await alice(), params), verifier, params));
      expect(res.status).toBe(200);
      expect(res.body.refresh_token).toBeUndefined();
    }
  });
});

describe("POST /oauth2/token: refresh_token", () => {
  const refused = (error: string) => ({ status: 400, body: { error, error_description: expect.any(String) } });
  const refresh = (token: string, extra: Record<string, string> = {}) => tokenRequest(s, { grant_type: "refresh_token", refresh_token: token, client_id: "flytectl", ...extra });

  async function login(): Promise<string> {
    const { verifier, challenge } = pkcePair();
    const params = authorizeParams(challenge);
    const res = await tokenRequest(s, flytekitExchange(await codeFor(s, await alice(), params), verifier, params));
    return res.body.refresh_token as string;
  }

  it("rotates; reusing a used token revokes the whole family", async () => {
    const first = await login();
    const second = await refresh(first);
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ token_type: "bearer", expires_in: 1799, scope: "all offline" });
    expect(decodeJwt(second.body.access_token as string)).toMatchObject({ sub: "alice", client_id: "flytectl", user_info: { email: "alice@example.com" } });
    const next = second.body.refresh_token as string;
    expect(next).not.toBe(first);
    const third = await refresh(next, {});
    expect(third.status).toBe(200);
    const latest = third.body.refresh_token as string;
    // The first token again: someone else holds the family. All of it goes.
    expect(await refresh(first)).toEqual(refused("invalid_grant"));
    expect(await refresh(latest)).toEqual(refused("invalid_grant"));
  });

  it("narrows scopes on request but never widens them; refuses other clients and expired tokens", async () => {
    const token = await login();
    expect(await refresh(token, { scope: "all admin" })).toEqual(refused("invalid_scope"));
    expect(await refresh(token, { client_id: "flyte-cli" })).toEqual(refused("invalid_grant"));
    expect(await refresh("x".repeat(300))).toEqual(refused("invalid_grant"));
    expect(await refresh("")).toEqual(refused("invalid_request"));
    const narrowed = await refresh(token, { scope: "all" });
    expect(narrowed.status).toBe(200);
    expect(decodeJwt(narrowed.body.access_token as string).scp).toEqual(["all"]);
    // The family keeps its scopes: the next token may still ask for offline.
    const next = narrowed.body.refresh_token as string;
    const goBasicRes = await tokenRequest(s, { grant_type: "refresh_token", refresh_token: next }, { authorization: goBasic("flytectl") });
    expect(goBasicRes.status).toBe(200);
    expect(goBasicRes.body.scope).toBe("all offline");
    nowMs += 61 * MINUTE;
    try {
      expect(await refresh(goBasicRes.body.refresh_token as string)).toEqual(refused("invalid_grant"));
    } finally {
      nowMs -= 61 * MINUTE;
    }
  });
});
