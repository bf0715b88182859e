import { randomBytes, timingSafeEqual } from "node:crypto";
import * as oidc from "openid-client";
import { endpointOf } from "../core/public-url.js";
import { isAllowedRedirect } from "../core/login-redirect.js";
import type { Logger } from "../logger.js";
import type { Req, Res } from "../server/http-types.js";
import type { SessionStore } from "../storage/session-store.js";
import type { UserAuthConfig } from "./auth-config.js";
import { type CookieAttributes, LOGIN_COOKIE, readCookie, SESSION_COOKIE, setCookie } from "./cookies.js";
import type { Identity } from "./identity.js";
import { createLoginSealer, LOGIN_STATE_SECONDS } from "./login-state.js";
import type { OidcProvider } from "./oidc-provider.js";
import { sessionIdHash } from "./session-authenticator.js";

export interface LoginRoutesOptions {
  userAuth: UserAuthConfig;
  authorizedUris: readonly string[];
  cookies: CookieAttributes;
  /** How long a session lasts, whatever its tokens say. */
  sessionLifetimeMs: number;
  provider: OidcProvider;
  blockKey: Uint8Array;
  store: () => SessionStore;
  /** The identity of a session cookie's value (throws when it is not a live session). */
  identify(id: string): Promise<Identity>;
  publicUrlOf(req: Req): string;
  now: () => number;
  logger: Logger;
  /** Counts logins and logouts, when metrics are on. */
  count?: ((event: "login" | "logout") => void) | undefined;
  /** Runs on logout before its session is deleted, with the session's subject: the self-hosted server revokes that user's refresh tokens. */
  onLogout?: ((subject: string) => Promise<unknown>) | undefined;
}

// A query longer than this is refused before it is parsed.
const MAX_QUERY = 8 * 1024;

/**
 * Browser login against the configured OpenID Connect provider (authorization
 * code with PKCE, a nonce and the client secret), and logout:
 * - `/login?redirect_url=R`: R checked first (403 when it leads elsewhere),
 *   then a live session goes straight to R, else 307 to the provider with the
 *   login's state sealed in a ten-minute cookie;
 * - `/callback`: the state must match that cookie (401), the code exchange,
 *   ID token and userinfo must succeed (403); then a session row, its cookie,
 *   and 307 to R (the query's, the login's, or `userAuth.redirectUrl`);
 * - `/logout?redirect_url=R`: R checked like /login, the session deleted and
 *   its cookie expired, then 307 to R or 200.
 * Returns false for other paths.
 */
export function createLoginRoutes(o: LoginRoutesOptions) {
  const sealer = createLoginSealer(o.blockKey, o.now);
  const cookie = (name: string, value: string, maxAgeSeconds: number) => setCookie(name, value, maxAgeSeconds, o.cookies);

  const answer = (res: Res, status: number, text: string, headers: Record<string, string | string[]> = {}) => {
    res.statusCode = status;
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    res.setHeader("cache-control", "no-store");
    if (text) res.setHeader("content-type", "text/plain; charset=utf-8");
    if (text) res.end(`${text}\n`);
    else res.end();
  };
  const redirect = (res: Res, location: string, cookies: string[] = []) => answer(res, 307, "", { location, ...(cookies.length ? { "set-cookie": cookies } : {}) });
  const badRedirect = (res: Res) => answer(res, 403, "redirect_url is not a path on this server nor one of its authorized URLs");

  async function login(req: Req, res: Res, query: URLSearchParams) {
    const target = query.get("redirect_url") ?? "";
    if (!isAllowedRedirect(target, o.authorizedUris)) return badRedirect(res);
    const current = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (current) {
      try {
        await o.identify(current);
        return redirect(res, target || o.userAuth.redirectUrl);
      } catch {
        // Not a live session: log in again.
      }
    }
    if (!(await o.provider.ready())) {
      return answer(res, 503, "browser login is unavailable: the identity provider has not answered yet; try again shortly", { "retry-after": "10" });
    }
    const state = oidc.randomState();
    const verifier = oidc.randomPKCECodeVerifier();
    const nonce = oidc.randomNonce();
    const params: Record<string, string> = {
      response_type: "code",
      redirect_uri: endpointOf(o.publicUrlOf(req), "/callback"),
      scope: o.userAuth.openId.scopes.join(" "),
      state,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
      nonce,
    };
    const idp = o.userAuth.idpQueryParameter;
    const idpValue = idp ? query.get(idp) : null;
    if (idp && idpValue && idpValue.length <= 256) params[idp] = idpValue;
    const sealed = await sealer.seal({ state, verifier, nonce, redirect: target });
    redirect(res, o.provider.authorizationUrl(params).toString(), [cookie(LOGIN_COOKIE, sealed, LOGIN_STATE_SECONDS)]);
  }

  async function callback(req: Req, res: Res, query: URLSearchParams) {
    const sealed = readCookie(req.headers.cookie, LOGIN_COOKIE);
    const pending = sealed ? await sealer.open(sealed) : undefined;
    const state = query.get("state") ?? "";
    if (!pending || !sameText(state, pending.state)) return answer(res, 401, "login failed: the state does not match a login started here; start again at /login");
    const queryTarget = query.get("redirect_url") ?? "";
    if (!isAllowedRedirect(queryTarget, o.authorizedUris)) return badRedirect(res);
    const publicUrl = o.publicUrlOf(req);
    const callbackUrl = new URL(endpointOf(publicUrl, "/callback"));
    callbackUrl.search = query.toString();
    let tokens;
    let userInfo;
    try {
      tokens = await o.provider.exchange(callbackUrl, pending);
      const subject = tokens.claims.sub;
      if (typeof subject !== "string" || subject === "") throw new Error("the ID token has no subject");
      userInfo = await o.provider.userInfo(tokens.accessToken, subject);
    } catch (e) {
      o.logger.info("browser login refused", { reason: (e as Error).message });
      return answer(res, 403, "login failed: the identity provider did not confirm it");
    }
    const id = randomBytes(32).toString("base64url");
    const now = o.now();
    const subject = tokens.claims.sub as string;
    try {
      await o.store().create({
        idHash: sessionIdHash(id),
        subject,
        idToken: tokens.idToken,
        accessToken: tokens.accessToken,
        refreshToken: tokens.refreshToken,
        userInfo,
        createdAt: new Date(now),
        expiresAt: new Date(now + o.sessionLifetimeMs),
        tokensExpireAt: new Date(tokens.expiresAtMs),
        lastSeenAt: new Date(now),
      });
    } catch (e) {
      o.logger.error("storing a browser session failed", { error: String(e) });
      return answer(res, 503, "login failed: the session could not be stored; try again");
    }
    o.count?.("login");
    o.logger.info("browser login", { subject });
    redirect(res, queryTarget || pending.redirect || o.userAuth.redirectUrl, [
      cookie(SESSION_COOKIE, id, o.sessionLifetimeMs / 1000),
      cookie(LOGIN_COOKIE, "", 0),
    ]);
  }

  async function logout(req: Req, res: Res, query: URLSearchParams) {
    const target = query.get("redirect_url") ?? "";
    if (!isAllowedRedirect(target, o.authorizedUris)) return badRedirect(res);
    const current = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (current) {
      try {
        const hash = sessionIdHash(current);
        const session = await o.store().get(hash);
        // Revoke first: if that fails, the session (and with it the subject) is
        // still there for the retry, instead of a deleted session leaving the
        // user's refresh tokens alive for good.
        if (session && o.onLogout) await o.onLogout(session.subject);
        if (await o.store().delete(hash)) o.count?.("logout");
      } catch (e) {
        o.logger.error("ending a browser session failed", { error: String(e) });
        return answer(res, 503, "logout failed: the session or its tokens could not be ended; try again");
      }
    }
    const expire = [cookie(SESSION_COOKIE, "", 0)];
    if (target) return redirect(res, target, expire);
    answer(res, 200, "", { "set-cookie": expire });
  }

  const handlers: Record<string, typeof login> = { "/login": login, "/callback": callback, "/logout": logout };

  return async function handle(req: Req, res: Res): Promise<boolean> {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const handler = handlers[q < 0 ? url : url.slice(0, q)];
    if (!handler) return false;
    req.resume();
    if (req.method !== "GET" && req.method !== "HEAD") {
      answer(res, 405, "method not allowed: use GET", { allow: "GET, HEAD" });
      return true;
    }
    if (q >= 0 && url.length - q > MAX_QUERY) {
      answer(res, 414, "the query is too long");
      return true;
    }
    await handler(req, res, new URLSearchParams(q < 0 ? "" : url.slice(q + 1)));
    return true;
  };
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
