/** Scopes that ask for a refresh token: flytekit and the Go client request them with every grant. */
const OFFLINE_SCOPES = new Set(["offline", "offline_access"]);

/** The space-separated `scope` parameter of an OAuth2 request (RFC 6749 §3.3) as a list without repeats. */
export function parseScopeParam(scope: string): string[] {
  return [...new Set(scope.split(" ").filter((s) => s !== ""))];
}

/** fosite's hierarchic match: an allowed `a` also allows `a.b`. */
const allows = (allowed: readonly string[], requested: string) => allowed.some((a) => a === requested || requested.startsWith(`${a}.`));

/**
 * The scopes a client_credentials request is granted, or the first it may not
 * have. Every requested scope must be allowed for the client (fosite's rule),
 * except `offline`/`offline_access`: flytekit asks for `all offline` by
 * default and no refresh token comes with this grant, so an offline scope the
 * client lacks is dropped rather than failing the request. Nothing requested
 * means the client's own scopes (RFC 6749 §3.3 lets the server pick a default),
 * offline ones left out.
 */
export function grantClientScopes(requested: readonly string[], allowed: readonly string[]): { granted: string[] } | { refused: string } {
  if (requested.length === 0) return { granted: allowed.filter((s) => !OFFLINE_SCOPES.has(s)) };
  const granted: string[] = [];
  for (const scope of requested) {
    if (allows(allowed, scope)) granted.push(scope);
    else if (!OFFLINE_SCOPES.has(scope)) return { refused: scope };
  }
  return { granted };
}
