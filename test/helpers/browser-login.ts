import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import type { LoginClient, OidcIssuer } from "../fixtures/oidc-issuer.js";
import { PUBLIC_URL, selfAuth } from "./auth-server.js";

export const LOGIN_CLIENT_ID = "flyteadmin-console";
export const LOGIN_CLIENT_SECRET = "console secret/+=";

/** The browser-login client of the test issuer: redirects to the first public URL's /callback, user alice. */
export const loginClient = (over: Partial<LoginClient> = {}): LoginClient => ({
  clientId: LOGIN_CLIENT_ID,
  clientSecret: LOGIN_CLIENT_SECRET,
  redirectUris: [`${PUBLIC_URL}/callback`],
  user: { sub: "alice", email: "alice@example.com", name: "Alice Liddell", preferred_username: "alice", given_name: "Alice", family_name: "Liddell" },
  ...over,
});

/** A secrets folder holding the provider's client secret (with the trailing newline an editor leaves). */
export function secretsWithClientSecret(dir = mkdtempSync(join(tmpdir(), "flyteadmin-login-"))): string {
  const secrets = join(dir, "secrets");
  mkdirSync(secrets, { recursive: true, mode: 0o700 });
  writeFileSync(join(secrets, "oidc_client_secret"), `${LOGIN_CLIENT_SECRET}\n`, { mode: 0o600 });
  return secrets;
}

/** A self-hosted auth setting with browser login against `issuer`. */
export const loginAuth = (issuer: OidcIssuer, secretsDir: string, over: Record<string, unknown> = {}) =>
  selfAuth({
    secretsDir,
    insecureCookieHeader: true,
    userAuth: { openId: { baseUrl: issuer.url, clientId: LOGIN_CLIENT_ID, scopes: ["openid", "profile", "email", "offline_access"] } },
    ...over,
  });

/** The value a Set-Cookie list gives `name`, with its attributes. */
export function cookieOf(res: Response, name: string): { value: string; attributes: string[] } | undefined {
  for (const line of res.headers.getSetCookie()) {
    const [pair, ...attributes] = line.split(";").map((p) => p.trim());
    const eq = pair!.indexOf("=");
    if (pair!.slice(0, eq) === name) return { value: pair!.slice(eq + 1), attributes };
  }
  return undefined;
}

/** Starts a login at `loginAt` and finishes it at `callbackAt` (another replica, possibly); returns the session cookie value and the callback's answer. */
export async function logIn(issuer: OidcIssuer, loginAt: string, callbackAt = loginAt, redirect = "/console/projects") {
  const start = await fetch(`${loginAt}/login?redirect_url=${encodeURIComponent(redirect)}`, { redirect: "manual" });
  expect(start.status).toBe(307);
  const loginCookie = cookieOf(start, "flyte_login")!.value;
  const approved = await fetch(start.headers.get("location")!, { redirect: "manual" });
  expect(approved.status).toBe(302);
  const back = new URL(approved.headers.get("location")!);
  const callback = await fetch(`${callbackAt}/callback${back.search}`, { redirect: "manual", headers: { cookie: `flyte_login=${loginCookie}` } });
  const session = cookieOf(callback, "flyte_session")?.value ?? "";
  return { session, callback, loginCookie, back };
}
