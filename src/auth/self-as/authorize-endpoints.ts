import { Code, ConnectError } from "@connectrpc/connect";
import { type AuthorizeClient, checkAuthorizeRequest, withQuery } from "../../core/authorize-request.js";
import type { Logger } from "../../logger.js";
import type { Req, Res } from "../../server/http-types.js";
import type { OAuthGrantStore } from "../../storage/oauth-grant-store.js";
import type { CallInfo } from "../authenticate.js";
import type { Identity } from "../identity.js";
import { USER_INFO_FIELDS } from "../../core/token-claims.js";
import { AUTH_CODE_COOKIE, type AuthorizeCookieSealer, cookieValue } from "./authorize-cookie.js";
import { newSecret, secretHash } from "./user-grants.js";

export interface AuthorizeEndpointsOptions {
  clients: ReadonlyMap<string, AuthorizeClient>;
  sealer: AuthorizeCookieSealer;
  /** The database's grants; undefined until the store is attached. */
  store(): OAuthGrantStore | undefined;
  /** The authenticator chain: whatever credential a request carries (a Bearer header, a browser session). */
  authenticate(call: CallInfo, where: string): Promise<Identity | undefined>;
  codeLifespanMs: number;
  /** Drops the Secure attribute of the cookie (plain-http deployments). */
  insecureCookie: boolean;
  now(): number;
  logger: Logger;
}

/** Where the browser logs in; it comes back to the callback once it has a session. */
export const LOGIN_FOR_CALLBACK = "/login?redirect_url=/oauth2/authorize_callback";
const CALLBACK_PATH = "/oauth2/authorize_callback";
const MAX_QUERY_CHARS = 8192;
// Each code request also deletes this many expired rows at most: the tables stay small without a background job.
const PURGE_BATCH = 100;

/**
 * FlyteAdmin's browser half of the authorization_code flow:
 * - `GET /oauth2/authorize` checks the request (client, exact redirect URI,
 *   response type, scopes, PKCE S256), seals it into the `flyte_auth_code`
 *   cookie and sends the browser to `/login`, which comes back to
 * - `GET /oauth2/authorize_callback`, which takes the user from the
 *   authenticator chain, reads the request back from the cookie, stores a
 *   single-use code and sends the browser to the client's redirect URI with
 *   the code and state (303, as fosite answers). There is no consent screen,
 *   as in FlyteAdmin: the clients are the operator's own static ones.
 * Errors before the redirect URI is known to be the client's are answered
 * here as JSON (never redirected); later ones go back to the client.
 */
export function createAuthorizeEndpoints(o: AuthorizeEndpointsOptions) {
  const cookieAttributes = `Path=/oauth2; HttpOnly; SameSite=Lax${o.insecureCookie ? "" : "; Secure"}`;

  async function authorize(req: Req, res: Res): Promise<void> {
    req.resume();
    if (req.method !== "GET" && req.method !== "HEAD") return answer(res, 405, "invalid_request", "the authorization endpoint takes GET", { allow: "GET, HEAD" });
    const query = queryOf(req);
    if (query.length > MAX_QUERY_CHARS) return answer(res, 400, "invalid_request", "the request is longer than 8 KiB");
    const outcome = checkAuthorizeRequest(new URLSearchParams(query), (id) => o.clients.get(id));
    if ("fatal" in outcome) {
      o.logger.info("authorization request refused", { error: outcome.fatal.error, description: outcome.fatal.description });
      return answer(res, 400, outcome.fatal.error, outcome.fatal.description);
    }
    if ("redirect" in outcome) {
      const r = outcome.redirect;
      o.logger.info("authorization request refused", { error: r.error, description: r.description, redirectUri: r.redirectUri });
      return redirectTo(res, 303, r.redirectUri, { error: r.error, error_description: r.description, state: r.state });
    }
    const sealed = await o.sealer.seal(outcome.ok, o.now());
    res.setHeader("set-cookie", `${AUTH_CODE_COOKIE}=${sealed}; Max-Age=${Math.floor(o.sealer.lifetimeMs / 1000)}; ${cookieAttributes}`);
    res.setHeader("cache-control", "no-store");
    res.statusCode = 307;
    res.setHeader("location", LOGIN_FOR_CALLBACK);
    res.end();
  }

  async function callback(req: Req, res: Res): Promise<void> {
    req.resume();
    // GET only: it issues a code, which a HEAD must not.
    if (req.method !== "GET") return answer(res, 405, "invalid_request", "the authorization callback takes GET", { allow: "GET" });
    const sealed = cookieValue(header(req, "cookie"), AUTH_CODE_COOKIE);
    const request = sealed ? await o.sealer.open(sealed, o.now()) : undefined;
    if (!request) return answer(res, 400, "invalid_request", "no authorization request in progress, or it expired: start the login again from the client");
    const client = o.clients.get(request.clientId);
    // The configuration may have changed since the request was sealed.
    if (!client || !client.redirectUris.includes(request.redirectUri)) return answer(res, 400, "invalid_request", "the client or its redirect_uri is no longer registered");
    let identity: Identity | undefined;
    try {
      identity = await o.authenticate({ protocol: "http", header: (name) => header(req, name) }, CALLBACK_PATH);
    } catch (e) {
      if (!(e instanceof ConnectError)) throw e;
      if (e.code === Code.PermissionDenied) return answer(res, 403, "access_denied", e.rawMessage);
      if (e.code === Code.Unavailable) return answer(res, 503, "temporarily_unavailable", e.rawMessage);
      // A credential that is missing or no longer accepted: log in (again).
      identity = undefined;
    }
    if (!identity) {
      res.statusCode = 307;
      res.setHeader("cache-control", "no-store");
      res.setHeader("location", LOGIN_FOR_CALLBACK);
      res.end();
      return;
    }
    if (identity.kind === "app" || identity.kind === "system" || identity.subject === "") {
      return answer(res, 403, "access_denied", "an application's credential cannot authorize a user's login");
    }
    const store = o.store();
    if (!store) return answer(res, 503, "temporarily_unavailable", "the server is starting; try again");
    const code = newSecret();
    const nowMs = o.now();
    await store.saveCode({
      codeHash: secretHash(code),
      clientId: request.clientId,
      redirectUri: request.redirectUri,
      codeChallenge: request.codeChallenge,
      scopes: request.scopes,
      subject: identity.subject,
      userInfo: userInfoClaim(identity),
      createdAt: new Date(nowMs),
      expiresAt: new Date(nowMs + o.codeLifespanMs),
    });
    try {
      await store.purgeExpired(new Date(nowMs), PURGE_BATCH);
    } catch (e) {
      o.logger.warn("deleting expired authorization codes and refresh tokens failed", { error: String(e) });
    }
    res.setHeader("set-cookie", `${AUTH_CODE_COOKIE}=; Max-Age=0; ${cookieAttributes}`);
    o.logger.info("authorization code issued", { client: request.clientId, subject: identity.subject });
    return redirectTo(res, 303, request.redirectUri, { code, state: request.state });
  }

  return { authorize, callback };
}

const queryOf = (req: Req) => {
  const url = req.url ?? "";
  const q = url.indexOf("?");
  return q < 0 ? "" : url.slice(q + 1);
};

const header = (req: Req, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(", ") : v;
};

function answer(res: Res, status: number, error: string, description: string, headers: Record<string, string> = {}): void {
  res.statusCode = status;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.setHeader("cache-control", "no-store");
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify({ error, error_description: description }));
}

function redirectTo(res: Res, status: number, uri: string, params: Record<string, string>): void {
  let location: string;
  try {
    location = withQuery(uri, params);
  } catch {
    return answer(res, 400, "invalid_request", "the client's registered redirect_uri is not a URL");
  }
  res.statusCode = status;
  res.setHeader("cache-control", "no-store");
  res.setHeader("location", location);
  res.end();
}

// Every field but the subject, which the code carries on its own.
const USER_INFO_CLAIMS = USER_INFO_FIELDS.filter(([field]) => field !== "subject");

const MAX_CLAIM_CHARS = 1024;

/**
 * The identity's user info under OIDC names, as the access token's
 * `user_info` claim carries it: its user info, else the same-named claims of
 * the credential (an ID token has them at the top level). Overlong values are
 * left out rather than copied into every token.
 */
function userInfoClaim(identity: Identity): Record<string, string> {
  const out: Record<string, string> = { sub: identity.userInfo?.subject || identity.subject };
  for (const [field, claim] of USER_INFO_CLAIMS) {
    const raw = identity.claims[claim];
    const v = identity.userInfo?.[field] || (typeof raw === "string" ? raw : "");
    if (v && v.length <= MAX_CLAIM_CHARS) out[claim] = v;
  }
  return out;
}
