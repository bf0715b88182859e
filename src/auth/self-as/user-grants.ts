import { createHash, randomBytes } from "node:crypto";
import { parseScopeParam } from "../../core/oauth-scopes.js";
import { verifierMatches } from "../../core/pkce.js";
import type { Logger } from "../../logger.js";
import type { NewOAuthRefreshToken, OAuthGrantStore } from "../../storage/oauth-grant-store.js";
import type { StaticClient } from "../static-clients.js";
import type { TokenGrant } from "./issue-token.js";
import { OAuthError } from "./oauth-error.js";

/** What the authorization_code and refresh_token grants need besides the request. */
export interface UserGrantOptions {
  /** The database's grants; undefined until the store is attached (the request is then refused as unavailable). */
  store(): OAuthGrantStore | undefined;
  issue(grant: TokenGrant): Promise<{ token: string; expiresIn: number }>;
  refreshLifespanMs: number;
  now(): number;
  logger: Logger;
}

/** The token response of a user grant (RFC 6749 §5.1). */
export interface UserTokenResponse {
  access_token: string;
  token_type: "bearer";
  expires_in: number;
  scope: string;
  refresh_token?: string;
}

/** Codes and refresh tokens are 32 random bytes, base64url: 43 characters. Anything much longer is no value of ours. */
const MAX_SECRET_CHARS = 200;
const OFFLINE = new Set(["offline", "offline_access"]);

/** The stored key of a code or refresh token: its SHA-256, so the table never holds a usable value. */
export const secretHash = (value: string) => createHash("sha256").update(value, "utf8").digest("hex");
/** A new code or refresh token. */
export const newSecret = () => randomBytes(32).toString("base64url");

const storeOf = (o: UserGrantOptions) => {
  const store = o.store();
  if (!store) throw new OAuthError("temporarily_unavailable", "the server is starting; try again");
  return store;
};

function secretParam(form: URLSearchParams, name: string): string {
  const value = form.get(name) ?? "";
  if (value === "") throw new OAuthError("invalid_request", `${name} is required`);
  if (value.length > MAX_SECRET_CHARS) throw new OAuthError("invalid_grant", `the ${name.replace("_", " ")} is not valid`);
  return value;
}

/**
 * `grant_type=authorization_code`: the code must exist, be unused and
 * unexpired, belong to the authenticated client and the same redirect URI,
 * and answer its PKCE challenge. A failed check leaves the code usable (a
 * wrong verifier proves nothing about who holds it). Redemption is one
 * conditional UPDATE, so one request wins across replicas; a code presented
 * again after that revokes the refresh tokens issued from it (RFC 6749 §4.1.2).
 */
export async function authorizationCodeGrant(o: UserGrantOptions, client: StaticClient, form: URLSearchParams, audience: string, issuer: string): Promise<UserTokenResponse> {
  if (!client.grantTypes.includes("authorization_code")) throw new OAuthError("unauthorized_client", `client ${client.id} may not use the authorization_code grant`);
  const code = secretParam(form, "code");
  const store = storeOf(o);
  const hash = secretHash(code);
  const row = await store.getCode(hash);
  const now = new Date(o.now());
  if (!row) throw new OAuthError("invalid_grant", "the authorization code is not valid");
  if (row.usedAt) {
    const revoked = await store.revokeFamily(hash, now);
    o.logger.warn("an authorization code was presented again; its refresh tokens are revoked", { client: client.id, revoked });
    throw new OAuthError("invalid_grant", "the authorization code was used already");
  }
  if (row.expiresAt.getTime() <= now.getTime()) throw new OAuthError("invalid_grant", "the authorization code has expired");
  if (row.clientId !== client.id) throw new OAuthError("invalid_grant", "the authorization code was issued to another client");
  if ((form.get("redirect_uri") ?? "") !== row.redirectUri) throw new OAuthError("invalid_grant", "redirect_uri differs from the one of the authorization request");
  if (row.codeChallenge !== "" && !verifierMatches(form.get("code_verifier") ?? "", row.codeChallenge)) {
    throw new OAuthError("invalid_grant", "the code_verifier does not match the code_challenge");
  }
  const refresh = wantsRefresh(client, row.scopes) ? newSecret() : undefined;
  const issued = await o.issue({ issuer, audience, subject: row.subject, clientId: client.id, scopes: row.scopes, userInfo: row.userInfo });
  const family: NewOAuthRefreshToken | undefined = refresh ? refreshRow(o, refresh, hash, row, now) : undefined;
  if (!(await store.redeemCode(hash, now, family))) {
    // Another request redeemed it between the read and the update: a replay as well.
    await store.revokeFamily(hash, now);
    throw new OAuthError("invalid_grant", "the authorization code was used already");
  }
  return response(issued, row.scopes, refresh);
}

/**
 * `grant_type=refresh_token`: rotation. The token must be the client's,
 * unexpired, unrevoked and unused; using it marks it used and issues the
 * next of its family in one transaction. A used token presented again means
 * two parties hold the family: all of it is revoked (RFC 9700 §4.14.2).
 * A `scope` may narrow the new access token, never widen it.
 */
export async function refreshTokenGrant(o: UserGrantOptions, client: StaticClient, form: URLSearchParams, audience: string, issuer: string): Promise<UserTokenResponse> {
  if (!client.grantTypes.includes("refresh_token")) throw new OAuthError("unauthorized_client", `client ${client.id} may not use the refresh_token grant`);
  const token = secretParam(form, "refresh_token");
  const store = storeOf(o);
  const hash = secretHash(token);
  const row = await store.getRefreshToken(hash);
  const now = new Date(o.now());
  if (!row || row.clientId !== client.id) throw new OAuthError("invalid_grant", "the refresh token is not valid");
  if (row.revokedAt) throw new OAuthError("invalid_grant", "the refresh token was revoked");
  if (row.usedAt) {
    const revoked = await store.revokeFamily(row.family, now);
    o.logger.warn("a used refresh token was presented again; its family is revoked", { client: client.id, revoked });
    throw new OAuthError("invalid_grant", "the refresh token was used already");
  }
  if (row.expiresAt.getTime() <= now.getTime()) throw new OAuthError("invalid_grant", "the refresh token has expired");
  const requested = parseScopeParam(form.get("scope") ?? "");
  const widened = requested.find((s) => !row.scopes.includes(s));
  if (widened !== undefined) throw new OAuthError("invalid_scope", `scope ${widened} was not granted to this refresh token`);
  const scopes = requested.length > 0 ? requested : [...row.scopes];
  const next = newSecret();
  const issued = await o.issue({ issuer, audience, subject: row.subject, clientId: client.id, scopes, userInfo: row.userInfo });
  if (!(await store.rotateRefreshToken(hash, now, refreshRow(o, next, row.family, row, now)))) {
    await store.revokeFamily(row.family, now);
    throw new OAuthError("invalid_grant", "the refresh token was used already");
  }
  return response(issued, scopes, next);
}

const wantsRefresh = (client: StaticClient, scopes: readonly string[]) => client.grantTypes.includes("refresh_token") && scopes.some((s) => OFFLINE.has(s));

function refreshRow(
  o: UserGrantOptions,
  token: string,
  family: string,
  from: { clientId: string; subject: string; scopes: readonly string[]; userInfo: Readonly<Record<string, string>> },
  now: Date,
): NewOAuthRefreshToken {
  return {
    idHash: secretHash(token),
    family,
    clientId: from.clientId,
    subject: from.subject,
    scopes: from.scopes,
    userInfo: from.userInfo,
    createdAt: now,
    expiresAt: new Date(now.getTime() + o.refreshLifespanMs),
  };
}

function response(issued: { token: string; expiresIn: number }, scopes: readonly string[], refresh: string | undefined): UserTokenResponse {
  return {
    access_token: issued.token,
    token_type: "bearer",
    expires_in: issued.expiresIn,
    scope: scopes.join(" "),
    ...(refresh ? { refresh_token: refresh } : {}),
  };
}
