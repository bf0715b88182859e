import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignJWT } from "jose";
import { type AuthTestServer, PUBLIC_URL, selfAuth } from "./auth-server.js";

/** flytectl's and flytekit's registered callback. */
export const REDIRECT_URI = "http://localhost:53593/callback";
/**
 * A self-hosted server with user login configured, which turns the
 * authorization_code flow on; flytectl is registered with FlyteAdmin's two
 * callbacks, and `clients` adds or replaces others.
 */
export function pkceAuth(over: Record<string, unknown> = {}, clients: Record<string, unknown> = {}): Record<string, unknown> {
  const base = selfAuth({ userAuth: { openId: { baseUrl: "https://idp.example.com", clientId: "flyteadmin", clientSecretFile: loginClientSecretFile() } }, ...over });
  const self = (base.appAuth as { selfAuthServer: { staticClients: Record<string, unknown> } }).selfAuthServer;
  const flytectl = { public: true, grant_types: ["authorization_code", "refresh_token"], scopes: ["all", "offline"], redirect_uris: [REDIRECT_URI, "http://localhost:12345/callback"] };
  return { ...base, appAuth: { selfAuthServer: { ...self, staticClients: { ...self.staticClients, flytectl, ...clients } } } };
}

let secretFile: string | undefined;
/** The browser login client's secret, in a file of its own (the provider is never reached in these tests). */
function loginClientSecretFile(): string {
  if (!secretFile) {
    secretFile = join(mkdtempSync(join(tmpdir(), "flyteadmin-pkce-login-")), "oidc_client_secret");
    writeFileSync(secretFile, "login-client-secret\n", { mode: 0o600 });
  }
  return secretFile;
}

/** A PKCE pair as flytekit makes one: a 64-byte random verifier in base64url, its S256 challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(64).toString("base64url").replace(/[^a-zA-Z0-9_\-.~]+/g, "");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

/** A token standing for the browser's logged-in user: what a session will carry once login is in place. */
export async function userToken(s: AuthTestServer, subject: string, nowMs: number, publicUrl = PUBLIC_URL): Promise<string> {
  return new SignJWT({ email: `${subject}@example.com`, name: `User ${subject}` })
    .setProtectedHeader({ alg: "RS256" })
    .setIssuer(publicUrl)
    .setAudience(publicUrl)
    .setSubject(subject)
    .setIssuedAt(Math.floor(nowMs / 1000))
    .setExpirationTime(Math.floor(nowMs / 1000) + 86_400)
    .sign(s.signingKey!);
}

/** flytekit's authorization request parameters (Pkce mode, default scopes). */
export function authorizeParams(challenge: string, over: Record<string, string> = {}): Record<string, string> {
  return {
    client_id: "flytectl",
    response_type: "code",
    scope: "all offline",
    redirect_uri: REDIRECT_URI,
    state: randomBytes(24).toString("base64url"),
    code_challenge: challenge,
    code_challenge_method: "S256",
    ...over,
  };
}

export async function authorize(s: AuthTestServer, params: Record<string, string>) {
  return fetch(`${s.server.url}/oauth2/authorize?${new URLSearchParams(params)}`, { redirect: "manual" });
}

/** The `flyte_auth_code=…` pair of a Set-Cookie answer. */
export function authCookie(res: Response): string {
  const set = res.headers.get("set-cookie") ?? "";
  const match = /flyte_auth_code=([^;]*)/.exec(set);
  if (!match) throw new Error(`no flyte_auth_code cookie in ${JSON.stringify(set)}`);
  return `flyte_auth_code=${match[1]}`;
}

export async function authorizeCallback(s: AuthTestServer, cookie: string | undefined, bearer: string | undefined) {
  const headers: Record<string, string> = {};
  if (cookie) headers.cookie = cookie;
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  return fetch(`${s.server.url}/oauth2/authorize_callback`, { headers, redirect: "manual" });
}

/** The whole browser half for one user: authorize, then the callback with the user's credential; returns the code. */
export async function codeFor(s: AuthTestServer, bearer: string, params: Record<string, string>): Promise<string> {
  const first = await authorize(s, params);
  if (first.status !== 307) throw new Error(`authorize answered ${first.status}: ${await first.text()}`);
  const back = await authorizeCallback(s, authCookie(first), bearer);
  const location = new URL(back.headers.get("location") ?? "");
  if (back.status !== 303 || location.searchParams.get("state") !== params.state) throw new Error(`callback answered ${back.status} to ${location}`);
  return location.searchParams.get("code")!;
}

/** POST /oauth2/token as a form; returns status and JSON body. */
export async function tokenRequest(s: AuthTestServer, form: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await fetch(`${s.server.url}/oauth2/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** flytekit's code exchange: code, grant type and verifier, plus every authorization parameter repeated. */
export const flytekitExchange = (code: string, verifier: string, params: Record<string, string>) => ({ code, grant_type: "authorization_code", code_verifier: verifier, ...params });
