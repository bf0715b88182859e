import { createHash } from "node:crypto";
import { decodeJwt } from "jose";
import type { Logger } from "../logger.js";
import type { AuthSession, SessionStore } from "../storage/session-store.js";
import { AuthRefusal } from "./auth-refusal.js";
import type { Authenticator, CallInfo } from "./authenticate.js";
import { readCookie, SESSION_COOKIE } from "./cookies.js";
import type { Credential } from "./extract.js";
import type { Identity, UserInfo } from "./identity.js";
import type { OidcProvider, ProviderTokens } from "./oidc-provider.js";

/** The scheme a session cookie travels under inside the authenticator chain. */
export const SESSION_SCHEME = "session";
/** A session id: 32 random bytes, base64url without padding. */
export const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

export const sessionIdHash = (id: string) => createHash("sha256").update(id).digest("hex");

// last_seen_at is written at most this often per session, so a busy console does not turn reads into writes.
const TOUCH_INTERVAL_MS = 60_000;

export interface SessionAuthOptions {
  /** The store, once the database is open. */
  store: () => SessionStore;
  provider: OidcProvider;
  now: () => number;
  logger: Logger;
}

/**
 * Browser sessions as credentials: the `flyte_session` cookie (when no header
 * carries a credential) read into the chain, then looked up in the database
 * on every call. No in-process cache: a logout on any replica ends the
 * session everywhere at the next call, for one primary-key read. A session
 * whose ID or access token expired is refreshed at the provider when it has a
 * refresh token (one refresh at a time per session in this process), else
 * refused; so is one past its own end, which is deleted then.
 */
export function createSessionAuth(o: SessionAuthOptions) {
  const refreshing = new Map<string, Promise<AuthSession | undefined>>();

  const refresh = (s: AuthSession): Promise<AuthSession | undefined> => {
    let pending = refreshing.get(s.idHash);
    if (!pending) {
      pending = (async () => {
        const previous: ProviderTokens = {
          idToken: s.idToken,
          accessToken: s.accessToken,
          refreshToken: s.refreshToken,
          claims: decodeJwt(s.idToken) as Record<string, unknown>,
          expiresAtMs: s.tokensExpireAt.getTime(),
        };
        try {
          const next = await o.provider.refresh(previous);
          // FlyteAdmin asks for the user info again after a refresh; keep the old answer if that fails.
          const userInfo = await o.provider.userInfo(next.accessToken, s.subject).catch(() => s.userInfo);
          const tokens = { idToken: next.idToken, accessToken: next.accessToken, refreshToken: next.refreshToken, userInfo, tokensExpireAt: new Date(next.expiresAtMs) };
          if (!(await o.store().updateTokens(s.idHash, tokens))) return undefined;
          return { ...s, ...tokens };
        } catch (e) {
          o.logger.info("refreshing a browser session at the identity provider failed", { error: (e as Error).message, subject: s.subject });
          return undefined;
        }
      })().finally(() => refreshing.delete(s.idHash));
      refreshing.set(s.idHash, pending);
    }
    return pending;
  };

  /** The identity of a session cookie's value; throws AuthRefusal when it is not a live session. */
  async function identify(id: string): Promise<Identity> {
    if (!SESSION_ID.test(id)) throw new AuthRefusal("malformed");
    const idHash = sessionIdHash(id);
    let s = await o.store().get(idHash);
    if (!s) throw new AuthRefusal("revoked");
    const now = o.now();
    if (now >= s.expiresAt.getTime()) {
      await o.store().delete(idHash).catch(() => undefined);
      throw new AuthRefusal("expired");
    }
    if (now >= s.tokensExpireAt.getTime()) {
      if (!s.refreshToken) throw new AuthRefusal("expired");
      const refreshed = await refresh(s);
      if (!refreshed) throw new AuthRefusal("expired");
      s = refreshed;
    }
    // The row just read says whether a minute has passed: only then is a write sent (conditional
    // still, for replicas touching it at once), not on every call a browser makes.
    if (now - s.lastSeenAt.getTime() >= TOUCH_INTERVAL_MS) {
      o.store()
        .touch(idHash, new Date(now), TOUCH_INTERVAL_MS)
        .catch((e: unknown) => o.logger.warn("recording a browser session's last use failed", { error: String(e) }));
    }
    return identityOf(s);
  }

  const authenticator: Authenticator = async (scheme, token) => (scheme === SESSION_SCHEME ? identify(token) : undefined);

  /** The session cookie of a call, for the chain to try when no header carries a credential. */
  const credentialSource = (call: CallInfo): Credential | undefined => {
    const value = readCookie(call.header("cookie"), SESSION_COOKIE);
    return value ? { scheme: SESSION_SCHEME, token: value } : undefined;
  };

  return { identify, authenticator, credentialSource };
}

/**
 * A session's caller, as FlyteAdmin makes one from an ID token: the subject,
 * every ID-token claim, the provider's user info, and the `all` scope (a
 * logged-in user may do what the server allows users).
 */
export function identityOf(s: AuthSession): Identity {
  let claims: Record<string, unknown> = {};
  try {
    claims = decodeJwt(s.idToken) as Record<string, unknown>;
  } catch {
    // Stored after openid-client checked it: unreadable only if the row was edited.
  }
  const u = s.userInfo;
  const text = (key: string) => (typeof u[key] === "string" ? (u[key] as string) : undefined);
  const userInfo: UserInfo = {
    subject: text("sub") ?? s.subject,
    ...defined({
      name: text("name"),
      preferredUsername: text("preferred_username"),
      givenName: text("given_name"),
      familyName: text("family_name"),
      email: text("email") ?? (typeof claims.email === "string" ? claims.email : undefined),
      picture: text("picture"),
    }),
  };
  return {
    kind: "user",
    subject: s.subject,
    appId: "",
    scopes: new Set(["all"]),
    claims,
    userInfo,
    ...(typeof claims.iat === "number" ? { authenticatedAt: new Date(claims.iat * 1000) } : {}),
  };
}

function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
