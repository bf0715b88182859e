import type { Identity, UserInfo } from "../auth/identity.js";

/** The scope FlyteAdmin requires of every authenticated caller (its BlanketAuthorization). */
export const SCOPE_ALL = "all";

/**
 * The scopes a verified access token grants: the `scp` claim (a list, or one
 * string naming a single scope, as FlyteAdmin reads it), else the `scope`
 * claim (space-separated, RFC 8693 §4.2), which FlyteAdmin ignores and
 * Auth0-style tokens carry instead of `scp`.
 */
export function scopesOf(claims: Readonly<Record<string, unknown>>): Set<string> {
  const scp = claims.scp;
  if (Array.isArray(scp)) return new Set(scp.filter((s): s is string => typeof s === "string" && s !== ""));
  if (typeof scp === "string" && scp !== "") return new Set([scp]);
  const scope = claims.scope;
  if (typeof scope === "string") return new Set(scope.split(" ").filter((s) => s !== ""));
  return new Set();
}

const str = (v: unknown): string => (typeof v === "string" ? v : "");

/**
 * FlyteAdmin's identity of a verified access token (its verifyClaims):
 * subject = `sub`, app = `client_id`, user info from the self-hosted server's
 * `user_info` claim with `email` laid over it, every claim kept. A token with
 * neither a client nor scopes is a user's own token and counts as scope `all`,
 * "as good as a login". It is an app's when the client is also the subject
 * (client_credentials: our server writes the client id as `sub`, external
 * servers such as Okta do the same).
 */
export function identityFromClaims(claims: Readonly<Record<string, unknown>>): Identity {
  const subject = str(claims.sub);
  const appId = str(claims.client_id);
  const scopes = scopesOf(claims);
  if (appId === "" && scopes.size === 0) scopes.add(SCOPE_ALL);
  const userInfo = userInfoOf(claims);
  const iat = typeof claims.iat === "number" && Number.isFinite(claims.iat) ? new Date(claims.iat * 1000) : undefined;
  return {
    kind: appId !== "" && (subject === appId || subject === "") ? "app" : "user",
    subject,
    appId,
    scopes,
    claims,
    ...(userInfo ? { userInfo } : {}),
    ...(iat ? { authenticatedAt: iat } : {}),
  };
}

/** UserInfo fields and the OIDC claim names they travel under. */
export const USER_INFO_FIELDS: readonly [keyof UserInfo, string][] = [
  ["subject", "sub"],
  ["name", "name"],
  ["preferredUsername", "preferred_username"],
  ["givenName", "given_name"],
  ["familyName", "family_name"],
  ["email", "email"],
  ["picture", "picture"],
];

/** The `user_info` claim (OIDC userinfo field names) with the `email` claim over it; undefined when neither is there. */
function userInfoOf(claims: Readonly<Record<string, unknown>>): UserInfo | undefined {
  const raw = claims.user_info;
  const out: UserInfo = {};
  if (raw && typeof raw === "object" && !Array.isArray(raw)) {
    for (const [field, claim] of USER_INFO_FIELDS) {
      const v = (raw as Record<string, unknown>)[claim];
      if (typeof v === "string" && v !== "") out[field] = v;
    }
  }
  if (typeof claims.email === "string" && claims.email !== "") out.email = claims.email;
  return Object.keys(out).length > 0 ? out : undefined;
}
