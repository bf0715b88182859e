import { createClient } from "@connectrpc/connect";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IdentityService } from "../../gen/flyteidl/service/identity_pb.js";
import { type OidcIssuer, startOidcIssuer } from "../fixtures/oidc-issuer.js";
import { type AuthTestServer, PUBLIC_URL, startAuthServer, transportFor, withHeaders } from "../helpers/auth-server.js";
import { loginAuth, loginClient, secretsWithClientSecret } from "../helpers/browser-login.js";
import { authorizeParams, flytekitExchange, pkcePair, REDIRECT_URI, tokenRequest } from "../helpers/pkce-flow.js";

/**
 * Spec §1.9 scenarios 10 and 11 together: flytectl's authorization_code +
 * PKCE flow against the self-hosted server, with the browser really logging
 * in at the external provider (the in-process issuer) in between, cookies
 * carried by hand under their path rules. Then a second authorization with
 * the session still live, logout revoking the user's refresh tokens (and no
 * one else's), and the metadata that makes clients try the flow at all.
 */
const ALICE = loginClient().user;
const BOB = { sub: "bob", email: "bob@example.com", name: "Bob Builder", preferred_username: "bob" };
const client = loginClient();
let issuer: OidcIssuer;
let s: AuthTestServer;

beforeAll(async () => {
  issuer = await startOidcIssuer({ login: client });
  const base = loginAuth(issuer, secretsWithClientSecret());
  const self = (base.appAuth as { selfAuthServer: { staticClients: Record<string, unknown> } }).selfAuthServer;
  const flytectl = { public: true, grant_types: ["authorization_code", "refresh_token"], scopes: ["all", "offline"], redirect_uris: [REDIRECT_URI] };
  s = await startAuthServer({ auth: { ...base, appAuth: { selfAuthServer: { ...self, staticClients: { ...self.staticClients, flytectl } } } } });
});
afterAll(async () => {
  await s?.close();
  await issuer?.close();
});

/**
 * A browser's cookies for one host, as far as these redirects need: a
 * cookie is sent only to paths under its Path, and Max-Age=0 removes it.
 */
class CookieJar {
  private readonly cookies = new Map<string, { value: string; path: string }>();

  take(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(";").map((p) => p.trim());
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq);
      const path = attributes.find((a) => a.toLowerCase().startsWith("path="))?.slice(5) ?? "/";
      if (attributes.some((a) => a.toLowerCase() === "max-age=0")) this.cookies.delete(name);
      else this.cookies.set(name, { value: pair!.slice(eq + 1), path });
    }
  }

  names(path: string): string[] {
    return [...this.cookies].filter(([, c]) => path === c.path || path.startsWith(c.path.endsWith("/") ? c.path : `${c.path}/`)).map(([name]) => name);
  }

  header(path: string): string {
    return this.names(path)
      .map((name) => `${name}=${this.cookies.get(name)!.value}`)
      .join("; ");
  }

  has(name: string): boolean {
    return this.cookies.has(name);
  }
}

/** GET on this server as the browser does: its cookies for the path, no redirect followed, Set-Cookie taken. */
async function browse(jar: CookieJar, location: string): Promise<Response> {
  const url = new URL(location, s.server.url);
  const cookie = jar.header(url.pathname);
  const res = await fetch(`${s.server.url}${url.pathname}${url.search}`, { redirect: "manual", headers: cookie ? { cookie } : {} });
  jar.take(res);
  return res;
}

/** Runs flytectl's browser half in `jar`; returns the code and how many provider round trips it took. */
async function authorizeInBrowser(jar: CookieJar, params: Record<string, string>): Promise<{ code: string; providerTrips: number }> {
  const before = issuer.login.authorize;
  const start = await browse(jar, `/oauth2/authorize?${new URLSearchParams(params)}`);
  expect(start.status).toBe(307);
  expect(start.headers.get("location")).toBe("/login?redirect_url=/oauth2/authorize_callback");
  expect(jar.has("flyte_auth_code")).toBe(true);
  // Path=/oauth2: the request cookie stays away from /login and /callback.
  expect(jar.names("/login")).not.toContain("flyte_auth_code");
  expect(jar.names("/oauth2/authorize_callback")).toContain("flyte_auth_code");

  let next = start.headers.get("location")!;
  const login = await browse(jar, next);
  expect(login.status).toBe(307);
  next = login.headers.get("location")!;
  if (next.startsWith(issuer.url)) {
    expect(jar.has("flyte_login")).toBe(true);
    const approved = await fetch(next, { redirect: "manual" });
    expect(approved.status).toBe(302);
    const back = new URL(approved.headers.get("location")!);
    expect(`${back.origin}${back.pathname}`).toBe(`${PUBLIC_URL}/callback`);
    const callback = await browse(jar, `/callback${back.search}`);
    expect(callback.status).toBe(307);
    expect(jar.has("flyte_session")).toBe(true);
    expect(jar.has("flyte_login")).toBe(false);
    next = callback.headers.get("location")!;
  }
  expect(next).toBe("/oauth2/authorize_callback");
  expect(jar.header(next)).toMatch(/flyte_session=.*flyte_auth_code=|flyte_auth_code=.*flyte_session=/);
  const done = await browse(jar, next);
  expect(done.status).toBe(303);
  const to = new URL(done.headers.get("location")!);
  expect(`${to.origin}${to.pathname}`).toBe(REDIRECT_URI);
  expect(to.searchParams.get("state")).toBe(params.state);
  expect(to.searchParams.get("error")).toBeNull();
  // The request cookie is spent.
  expect(jar.has("flyte_auth_code")).toBe(false);
  return { code: to.searchParams.get("code")!, providerTrips: issuer.login.authorize - before };
}

/** The whole flytectl login in `jar`: browser half, then the code exchange with the verifier. */
async function flytectlLogin(jar: CookieJar) {
  const { verifier, challenge } = pkcePair();
  const params = authorizeParams(challenge);
  const { code, providerTrips } = await authorizeInBrowser(jar, params);
  expect(code).toMatch(/^[\w-]{43}$/);
  const res = await tokenRequest(s, flytekitExchange(code, verifier, params));
  expect(res.status).toBe(200);
  return { providerTrips, access: res.body.access_token as string, refresh: res.body.refresh_token as string, body: res.body };
}

const refresh = (token: string) => tokenRequest(s, { grant_type: "refresh_token", refresh_token: token, client_id: "flytectl" });

describe("scenario 11 with a real browser login", () => {
  const alice = new CookieJar();
  let first: Awaited<ReturnType<typeof flytectlLogin>>;
  let second: Awaited<ReturnType<typeof flytectlLogin>>;

  it("flytectl: authorize, log in at the provider, code to the loopback callback, tokens for the provider's user", async () => {
    first = await flytectlLogin(alice);
    expect(first.providerTrips).toBe(1);
    expect(first.body).toMatchObject({ token_type: "bearer", scope: "all offline", refresh_token: expect.stringMatching(/^[\w-]{43}$/) });
    expect(decodeJwt(first.access)).toMatchObject({
      sub: ALICE.sub,
      client_id: "flytectl",
      scp: ["all", "offline"],
      user_info: { sub: ALICE.sub, email: ALICE.email, name: ALICE.name },
    });
    // The access token is the credential now, over Connect and gRPC.
    const bearer = { authorization: `Bearer ${first.access}` };
    expect((await s.admin("connect", bearer).listProjects({})).projects).toBeDefined();
    const identity = createClient(IdentityService, transportFor("grpc", s.server.url, [withHeaders(bearer)]));
    const me = await identity.userInfo({});
    expect(me.subject).toBe(ALICE.sub);
    expect(me.email).toBe(ALICE.email);
  });

  it("a second authorization while the session lives skips the provider and still yields a code", async () => {
    second = await flytectlLogin(alice);
    expect(second.providerTrips).toBe(0);
    expect(decodeJwt(second.access).sub).toBe(ALICE.sub);
    expect(second.refresh).not.toBe(first.refresh);
  });

  it("logout revokes the user's refresh tokens, and only theirs", async () => {
    // Bob logs in through his own browser.
    client.user = BOB;
    let bob;
    try {
      bob = await flytectlLogin(new CookieJar());
    } finally {
      client.user = ALICE;
    }
    expect(decodeJwt(bob.access).sub).toBe("bob");

    // Alice's refresh tokens work until she logs out (rotation hands out the next one).
    const rotated = await refresh(first.refresh);
    expect(rotated.status).toBe(200);
    const out = await browse(alice, "/logout?redirect_url=/console");
    expect(out.status).toBe(307);
    expect(alice.has("flyte_session")).toBe(false);

    const refused = { status: 400, body: { error: "invalid_grant", error_description: expect.any(String) } };
    expect(await refresh(rotated.body.refresh_token as string)).toEqual(refused);
    expect(await refresh(second.refresh)).toEqual(refused);
    const bobs = await refresh(bob.refresh);
    expect(bobs.status).toBe(200);
    expect(decodeJwt(bobs.body.access_token as string).sub).toBe("bob");

    // A new authorization now needs the provider again.
    const again = await flytectlLogin(alice);
    expect(again.providerTrips).toBe(1);
    expect((await refresh(again.refresh)).status).toBe(200);
  });
});

describe("logout when revoking fails", () => {
  it("answers 503 and keeps the session, so a retry still revokes the refresh tokens", async () => {
    const jar = new CookieJar();
    const { refresh: token } = await flytectlLogin(jar);
    const grants = s.server.app.store.oauthGrants;
    const revokeSubject = grants.revokeSubject.bind(grants);
    // One failure of the database at the revocation, the real store otherwise.
    grants.revokeSubject = async () => {
      grants.revokeSubject = revokeSubject;
      throw new Error("connection lost");
    };
    try {
      const failed = await browse(jar, "/logout?redirect_url=/console");
      expect(failed.status).toBe(503);
    } finally {
      grants.revokeSubject = revokeSubject;
    }
    expect(jar.has("flyte_session")).toBe(true);
    expect((await browse(jar, "/me")).status).toBe(200);
    expect((await browse(jar, "/logout?redirect_url=/console")).status).toBe(307);
    expect((await browse(jar, "/me")).status).toBe(401);
    expect(await refresh(token)).toEqual({ status: 400, body: { error: "invalid_grant", error_description: expect.any(String) } });
  });
});

describe("metadata", () => {
  it("advertises the authorization endpoint and the user grants with browser login configured", async () => {
    const doc = (await (await fetch(`${s.server.url}/.well-known/oauth-authorization-server`, { headers: { accept: "application/json" } })).json()) as Record<string, unknown>;
    expect(doc).toMatchObject({
      authorization_endpoint: `${PUBLIC_URL}/oauth2/authorize`,
      token_endpoint: `${PUBLIC_URL}/oauth2/token`,
      code_challenge_methods_supported: ["S256"],
    });
    expect(doc.grant_types_supported).toEqual(expect.arrayContaining(["authorization_code", "refresh_token"]));
  });
});
