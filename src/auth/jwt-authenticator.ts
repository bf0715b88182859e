import type { Authenticator } from "./authenticate.js";
import { looksLikeJwt } from "./extract.js";
import type { TokenCache } from "./token-cache.js";
import type { VerifiedToken } from "./verify-access-token.js";

/**
 * Bearer JWT access tokens (`Bearer <a>.<b>.<c>`), verified once and then
 * served from the cache until they expire. Other bearer values (API keys) and
 * other schemes are left to the other authenticators.
 */
export function createJwtAuthenticator(o: { verify: (token: string) => Promise<VerifiedToken>; cache: TokenCache; now: () => number }): Authenticator {
  return async (scheme, token) => {
    if (scheme !== "bearer") return undefined;
    // Only verified JWTs are cached: a hit needs no shape check.
    const cached = o.cache.get(token, o.now());
    if (cached) return cached.identity;
    if (!looksLikeJwt(token)) return undefined;
    const verified = await o.verify(token);
    o.cache.set(token, verified);
    return verified.identity;
  };
}
