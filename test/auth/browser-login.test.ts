import { randomBytes } from "node:crypto";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IdentityService } from "../../gen/flyteidl/service/identity_pb.js";
import { createLogger } from "../../src/logger.js";
import { type OidcIssuer, startOidcIssuer } from "../fixtures/oidc-issuer.js";
import { type AuthTestServer, OTHER_URL, PROTOCOLS, PUBLIC_URL, startAuthServer, transportFor, withHeaders } from "../helpers/auth-server.js";
import { cookieOf, LOGIN_CLIENT_ID, LOGIN_CLIENT_SECRET, logIn, loginAuth, loginClient, secretsWithClientSecret } from "../helpers/browser-login.js";

/**
 * Spec §1.9 scenario 10: browser login against an external OpenID Connect
 * provider (the in-process issuer), the session cookie as the only
 * credential on REST, Connect and gRPC-Web, and logout; with the redirect
 * checks of /login and /logout, and sessions that expire or refresh.
 */
const client = loginClient();
let issuer: OidcIssuer;
let s: AuthTestServer;
const lines: string[] = [];
let offsetMs = 0;

beforeAll(async () => {
  issuer = await startOidcIssuer({ login: client });
  s = await startAuthServer({
    auth: loginAuth(issuer, secretsWithClientSecret()),
    logger: createLogger("debug", (line) => void lines.push(line)),
    flags: { logLevel: "debug" },
    build: { clock: () => new Date(Date.now() + offsetMs) },
  });
});
afterAll(async () => {
  await s?.close();
  await issuer?.close();
});

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${s.server.url}${path}`, { redirect: "manual", headers });
const withCookie = (session: string) => ({ cookie: `theme=dark; flyte_session=${session}` });
const codeOf = async (call: Promise<unknown>) => {
  try {
    await call;
    return "OK";
  } catch (e) {
    return Code[ConnectError.from(e).code];
  }
};

describe("scenario 10: browser login", () => {
  it("refuses a redirect_url that leads off this server, before anything else", async () => {
    for (const evil of ["http://evil.example/", "//evil.example/x", "/\\evil.example", "https://localhost:8089/", "javascript:alert(1)"]) {
      const res = await get(`/login?redirect_url=${encodeURIComponent(evil)}`);
      expect(res.status, evil).toBe(403);
      expect(cookieOf(res, "flyte_login"), evil).toBeUndefined();
    }
    // One of the authorized URLs is fine.
    expect((await get(`/login?redirect_url=${encodeURIComponent(`${OTHER_URL}/console`)}`)).status).toBe(307);
  });

  it("sends the browser to the provider with state, an S256 code challenge and a nonce", async () => {
    const res = await get("/login?redirect_url=/console/projects");
    expect(res.status).toBe(307);
    const to = new URL(res.headers.get("location")!);
    expect(`${to.origin}${to.pathname}`).toBe(`${issuer.url}/authorize`);
    const q = to.searchParams;
    expect(Object.fromEntries(q)).toMatchObject({
      response_type: "code",
      client_id: LOGIN_CLIENT_ID,
      redirect_uri: `${PUBLIC_URL}/callback`,
      scope: "openid profile email offline_access",
      code_challenge_method: "S256",
    });
    for (const name of ["state", "code_challenge", "nonce"]) expect(q.get(name)?.length ?? 0, name).toBeGreaterThanOrEqual(32);
    const login = cookieOf(res, "flyte_login")!;
    expect(login.attributes).toEqual(expect.arrayContaining(["Path=/", "Max-Age=600", "HttpOnly", "SameSite=Lax"]));
    expect(login.attributes).not.toContain("Secure");
    // The sealed state holds nothing readable.
    expect(login.value).not.toContain(q.get("state")!);
  });

  it("refuses a callback whose state does not match, or that comes without the login cookie (401)", async () => {
    const start = await get("/login?redirect_url=/console");
    const loginCookie = cookieOf(start, "flyte_login")!.value;
    const back = new URL((await fetch(start.headers.get("location")!, { redirect: "manual" })).headers.get("location")!);
    const wrong = new URLSearchParams(back.search);
    wrong.set("state", "x".repeat(43));
    expect((await get(`/callback?${wrong}`, { cookie: `flyte_login=${loginCookie}` })).status).toBe(401);
    expect((await get(`/callback${back.search}`)).status).toBe(401);
    expect((await get(`/callback${back.search}`, { cookie: `flyte_login=${loginCookie.slice(0, -4)}AAAA` })).status).toBe(401);
    expect(issuer.login.code).toBe(0);
  });

  it("completes the round trip: a session cookie and a 307 to the page asked for", async () => {
    const { session, callback } = await logIn(issuer, s.server.url);
    expect(callback.status).toBe(307);
    expect(callback.headers.get("location")).toBe("/console/projects");
    expect(session).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(cookieOf(callback, "flyte_session")!.attributes).toEqual(expect.arrayContaining(["Path=/", "Max-Age=43200", "HttpOnly", "SameSite=Lax"]));
    expect(cookieOf(callback, "flyte_login")!.attributes).toContain("Max-Age=0");
    // The same code cannot be used twice.
    expect(issuer.login.code).toBe(1);
  });

  it("answers /me from the session: subject, user info, the ID token's claims and FlyteAdmin's headers", async () => {
    const { session } = await logIn(issuer, s.server.url);
    const res = await get("/me", withCookie(session));
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ subject: "alice", email: "alice@example.com", name: "Alice Liddell", preferredUsername: "alice", givenName: "Alice", familyName: "Liddell" });
    expect(body.additionalClaims).toMatchObject({ sub: "alice", email: "alice@example.com", aud: LOGIN_CLIENT_ID, iss: issuer.url });
    expect(res.headers.get("x-user-subject")).toBe("alice");
    expect(res.headers.get("x-user-claim-email")).toBe('"alice@example.com"');
    expect(res.headers.get("x-user-claim-preferred-username")).toBe('"alice"');
  });

  it("takes the cookie as the only credential on REST, Connect, gRPC-Web and gRPC", async () => {
    const { session } = await logIn(issuer, s.server.url);
    expect((await get("/api/v1/projects")).status).toBe(401);
    expect((await get("/api/v1/projects", withCookie(session))).status).toBe(200);
    for (const protocol of PROTOCOLS) {
      expect(await codeOf(s.admin(protocol).listProjects({})), protocol).toBe("Unauthenticated");
      expect(await codeOf(s.admin(protocol, withCookie(session)).listProjects({})), protocol).toBe("OK");
    }
    const me = await createClient(IdentityService, transportFor("connect", s.server.url, [withHeaders(withCookie(session))])).userInfo({});
    expect(me.subject).toBe("alice");
    // A header credential wins over the cookie.
    expect((await get("/api/v1/projects", { ...withCookie(session), authorization: "Bearer not-a-token" })).status).toBe(401);
  });

  it("logs out: the session ends, its cookie is expired, and a bad redirect is refused first", async () => {
    const { session } = await logIn(issuer, s.server.url);
    const evil = await get(`/logout?redirect_url=${encodeURIComponent("https://evil.example/")}`, withCookie(session));
    expect(evil.status).toBe(403);
    expect((await get("/me", withCookie(session))).status).toBe(200);
    const out = await get("/logout?redirect_url=/console", withCookie(session));
    expect(out.status).toBe(307);
    expect(out.headers.get("location")).toBe("/console");
    expect(cookieOf(out, "flyte_session")).toMatchObject({ value: "" });
    expect(cookieOf(out, "flyte_session")!.attributes).toContain("Max-Age=0");
    expect((await get("/me", withCookie(session))).status).toBe(401);
    // Without a redirect: 200 and an empty body.
    const bare = await get("/logout", withCookie(session));
    expect(bare.status).toBe(200);
    expect(await bare.text()).toBe("");
  });

  it("refuses unknown and forged cookies (401)", async () => {
    for (const value of [randomBytes(32).toString("base64url"), "forged", "a".repeat(5000), ""]) {
      expect((await get("/me", withCookie(value))).status, value.slice(0, 10)).toBe(401);
    }
  });

  it("short-circuits /login for a live session, still checking the redirect first", async () => {
    const { session } = await logIn(issuer, s.server.url);
    const before = issuer.login.authorize;
    const res = await get("/login?redirect_url=/console/x", withCookie(session));
    expect(res.status).toBe(307);
    expect(res.headers.get("location")).toBe("/console/x");
    expect((await get("/login?redirect_url=http://evil.example/", withCookie(session))).status).toBe(403);
    expect(issuer.login.authorize).toBe(before);
  });

  it("refreshes a session whose tokens expired when it has a refresh token, and ends it without one", async () => {
    const { session: refreshable } = await logIn(issuer, s.server.url);
    client.refreshTokens = false;
    const { session: plain } = await logIn(issuer, s.server.url);
    client.refreshTokens = true;
    const refreshes = issuer.login.refresh;
    try {
      offsetMs = 20 * 60_000; // past the tokens' 10 minutes, within the session's 12 hours
      expect((await get("/me", withCookie(refreshable))).status).toBe(200);
      expect(issuer.login.refresh).toBeGreaterThan(refreshes);
      expect((await get("/me", withCookie(plain))).status).toBe(401);
      // The provider refusing the refresh ends it too.
      issuer.failLogin(400);
      offsetMs = 60 * 60_000;
      expect((await get("/me", withCookie(refreshable))).status).toBe(401);
      issuer.failLogin(0);
      offsetMs = 13 * 60 * 60_000; // past the session's own end: refused, whatever the refresh token
      expect((await get("/me", withCookie(refreshable))).status).toBe(401);
    } finally {
      offsetMs = 0;
      issuer.failLogin(0);
    }
  });

  it("refuses the login (403) and stores no session when the provider fails at /callback", async () => {
    const ended = await s.server.app.store.sessions.purgeExpired(new Date(8.64e15), 10_000);
    expect(ended).toBeGreaterThan(0);
    issuer.failLogin(503);
    try {
      const { callback, session } = await logIn(issuer, s.server.url);
      expect(callback.status).toBe(403);
      expect(session).toBe("");
    } finally {
      issuer.failLogin(0);
    }
    expect(await s.server.app.store.sessions.purgeExpired(new Date(8.64e15), 10_000)).toBe(0);
  });

  it("refuses (403) an ID token the provider's keys do not verify, or with another nonce", async () => {
    client.forgeWith = (await generateKeyPair("RS256")).privateKey;
    try {
      const { callback, session } = await logIn(issuer, s.server.url);
      expect(callback.status).toBe(403);
      expect(session).toBe("");
    } finally {
      client.forgeWith = undefined;
    }
    client.nonce = "another-nonce";
    try {
      expect((await logIn(issuer, s.server.url)).callback.status).toBe(403);
    } finally {
      client.nonce = undefined;
    }
    expect((await logIn(issuer, s.server.url)).callback.status).toBe(307);
  });

  it("never logs a token, a code, a session cookie or the client secret", async () => {
    const { session } = await logIn(issuer, s.server.url);
    await get("/me", withCookie(session));
    await get("/logout", withCookie(session));
    const log = lines.join("");
    expect(log).toContain("browser login");
    for (const secret of [session, ...issuer.login.issued, LOGIN_CLIENT_SECRET, encodeURIComponent(LOGIN_CLIENT_SECRET)]) {
      expect(log).not.toContain(secret);
      const signature = secret.split(".")[2];
      if (signature) expect(log).not.toContain(signature);
    }
  });
});

describe("browser login while the provider is down", () => {
  it("starts anyway, answers /login 503 until discovery succeeds, then logs in", async () => {
    const down = await startOidcIssuer({ login: loginClient() });
    down.failMetadata(503);
    const t = await startAuthServer({ auth: loginAuth(down, secretsWithClientSecret()) });
    try {
      const first = await fetch(`${t.server.url}/login`, { redirect: "manual" });
      expect(first.status).toBe(503);
      expect(await first.text()).toContain("identity provider");
      down.failMetadata(0);
      // Discovery is retried after a pause: wait for it, bounded.
      let status = 503;
      for (let i = 0; i < 60 && status === 503; i++) {
        await new Promise((r) => setTimeout(r, 250));
        status = (await fetch(`${t.server.url}/login`, { redirect: "manual" })).status;
      }
      expect(status).toBe(307);
      const { callback, session } = await logIn(down, t.server.url);
      expect(callback.status).toBe(307);
      expect((await fetch(`${t.server.url}/me`, { headers: withCookie(session) })).status).toBe(200);
    } finally {
      await t.close();
      await down.close();
    }
  });
});

describe("without browser login configured", () => {
  it("answers /login, /callback and /logout 404 and advertises no authorization endpoint", async () => {
    const t = await startAuthServer();
    try {
      for (const path of ["/login", "/callback", "/logout"]) expect((await fetch(`${t.server.url}${path}`, { redirect: "manual" })).status, path).toBe(404);
      const meta = (await (await fetch(`${t.server.url}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
      expect(meta.authorization_endpoint ?? "").toBe("");
    } finally {
      await t.close();
    }
  });
});

describe("start-up checks", () => {
  it("refuses to start without the client secret, naming the file and nothing else", async () => {
    const issuerUp = await startOidcIssuer({ login: loginClient() });
    try {
      const dir = secretsWithClientSecret();
      await expect(startAuthServer({ auth: loginAuth(issuerUp, dir, { userAuth: { openId: { baseUrl: issuerUp.url, clientId: LOGIN_CLIENT_ID, clientSecretName: "missing" } } }) })).rejects.toThrow(
        /no client secret at .*missing/,
      );
    } finally {
      await issuerUp.close();
    }
  });
});
