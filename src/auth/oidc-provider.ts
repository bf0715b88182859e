import { createRemoteJWKSet, jwtVerify } from "jose";
import * as oidc from "openid-client";
import type { Logger } from "../logger.js";

/** Tokens the provider answered a code exchange or a refresh with. */
export interface ProviderTokens {
  idToken: string;
  accessToken: string;
  refreshToken: string;
  /** The ID token's claims (checked by openid-client: issuer, audience, expiry, nonce). */
  claims: Record<string, unknown>;
  /** When the first of the ID and access tokens expires, ms since the epoch. */
  expiresAtMs: number;
}

export class ProviderError extends Error {
  override name = "ProviderError";
}

export interface OidcProviderOptions {
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  logger: Logger;
  now?: () => number;
  /** Longest wait between discovery attempts. */
  maxBackoffMs?: number;
}

/** Each request to the provider gives up after this long. */
const REQUEST_TIMEOUT_SECONDS = 10;
// How long a /login waits for a discovery attempt already under way.
const READY_WAIT_MS = 5_000;

/**
 * The OpenID Connect provider of browser login, through openid-client:
 * discovery, then authorization URLs, code exchange with the client secret
 * (HTTP Basic), userinfo and refresh. Discovery runs in the background from
 * creation and is retried with a growing pause (1 s doubling up to a minute)
 * until it succeeds, so a provider that is down at start-up never stops the
 * server: login answers 503 until it is back. Errors never carry a token.
 */
export function createOidcProvider(o: OidcProviderOptions) {
  const now = o.now ?? Date.now;
  const maxBackoff = o.maxBackoffMs ?? 60_000;
  let config: oidc.Configuration | undefined;
  // openid-client checks an ID token's claims but not its signature (the token endpoint is trusted over TLS);
  // it is checked here too against the provider's keys, as FlyteAdmin's go-oidc does.
  let keys: ReturnType<typeof createRemoteJWKSet> | undefined;
  let attempt: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let failures = 0;

  const discover = () => {
    attempt = (async () => {
      try {
        const url = new URL(o.baseUrl);
        const c = await oidc.discovery(url, o.clientId, undefined, oidc.ClientSecretBasic(o.clientSecret), {
          // A plain-http provider is the operator's choice (a local Keycloak, tests); https otherwise.
          ...(url.protocol === "http:" ? { execute: [oidc.allowInsecureRequests] } : {}),
          timeout: REQUEST_TIMEOUT_SECONDS,
        });
        c.timeout = REQUEST_TIMEOUT_SECONDS;
        const jwksUri = c.serverMetadata().jwks_uri;
        if (!jwksUri) throw new ProviderError("the provider's discovery document has no jwks_uri");
        keys = createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: REQUEST_TIMEOUT_SECONDS * 1000, cooldownDuration: 30_000 });
        config = c;
        if (failures > 0) o.logger.info("the identity provider answered discovery; browser login is available", { provider: o.baseUrl });
        failures = 0;
      } catch (e) {
        failures++;
        const delay = Math.min(maxBackoff, 1000 * 2 ** Math.min(failures - 1, 16));
        o.logger.warn("the identity provider's discovery failed; browser login answers 503 until it succeeds", {
          provider: o.baseUrl,
          error: describe(e),
          retryInMs: delay,
        });
        if (!closed) {
          timer = setTimeout(discover, delay);
          timer.unref();
        }
      } finally {
        attempt = undefined;
      }
    })();
  };
  discover();

  const need = (): oidc.Configuration => {
    if (!config) throw new ProviderError("the identity provider has not answered discovery yet");
    return config;
  };

  const tokensOf = async (r: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers, previous?: ProviderTokens): Promise<ProviderTokens> => {
    const claims = r.claims() as Record<string, unknown> | undefined;
    const idToken = r.id_token ?? previous?.idToken;
    if (!idToken || !(claims ?? previous?.claims)) throw new ProviderError("the token response has no id_token");
    if (r.id_token) {
      try {
        await jwtVerify(r.id_token, keys!, { issuer: need().serverMetadata().issuer, audience: o.clientId, clockTolerance: 60 });
      } catch (e) {
        throw new ProviderError(`the ID token's signature or claims do not verify: ${(e as { code?: string }).code ?? (e as Error).name}`);
      }
    }
    const expiries: number[] = [];
    const exp = (claims ?? previous!.claims).exp;
    if (typeof exp === "number") expiries.push(exp * 1000);
    const expiresIn = r.expiresIn();
    if (expiresIn !== undefined) expiries.push(now() + expiresIn * 1000);
    return {
      idToken,
      accessToken: r.access_token,
      refreshToken: r.refresh_token ?? previous?.refreshToken ?? "",
      claims: claims ?? previous!.claims,
      // Neither says: an hour, after which a refresh (or a new login) checks the user again.
      expiresAtMs: expiries.length > 0 ? Math.min(...expiries) : now() + 3_600_000,
    };
  };

  return {
    /** Whether discovery has succeeded; waits a little for an attempt under way. */
    async ready(): Promise<boolean> {
      if (config) return true;
      const pending = attempt;
      if (pending) await Promise.race([pending, new Promise((r) => setTimeout(r, READY_WAIT_MS).unref())]);
      return config !== undefined;
    },
    authorizationUrl(params: Record<string, string>): URL {
      return oidc.buildAuthorizationUrl(need(), params);
    },
    /** Exchanges the code of `callbackUrl` (the redirect URI with the provider's query), checking state, PKCE and nonce. */
    async exchange(callbackUrl: URL, checks: { state: string; verifier: string; nonce: string }): Promise<ProviderTokens> {
      try {
        const r = await oidc.authorizationCodeGrant(need(), callbackUrl, {
          expectedState: checks.state,
          pkceCodeVerifier: checks.verifier,
          expectedNonce: checks.nonce,
          idTokenExpected: true,
        });
        return await tokensOf(r);
      } catch (e) {
        throw asProviderError(e);
      }
    },
    async userInfo(accessToken: string, subject: string): Promise<Record<string, unknown>> {
      try {
        return { ...(await oidc.fetchUserInfo(need(), accessToken, subject)) };
      } catch (e) {
        throw asProviderError(e);
      }
    },
    async refresh(previous: ProviderTokens): Promise<ProviderTokens> {
      try {
        const r = await oidc.refreshTokenGrant(need(), previous.refreshToken);
        const next = await tokensOf(r, previous);
        if (next.claims.sub !== previous.claims.sub) throw new ProviderError("the refreshed ID token names another subject");
        return next;
      } catch (e) {
        throw asProviderError(e);
      }
    },
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
    },
  };
}

export type OidcProvider = ReturnType<typeof createOidcProvider>;

function asProviderError(e: unknown): ProviderError {
  return e instanceof ProviderError ? e : new ProviderError(describe(e));
}

/** An error for the log: openid-client's messages and codes name what failed, never a token. */
function describe(e: unknown): string {
  const err = e as { message?: unknown; code?: unknown; error?: unknown; status?: unknown };
  const parts = [typeof err?.message === "string" ? err.message.slice(0, 200) : String(e).slice(0, 200)];
  if (typeof err?.code === "string") parts.push(`(${err.code})`);
  if (typeof err?.error === "string") parts.push(`error=${err.error.slice(0, 50)}`);
  return parts.join(" ");
}
