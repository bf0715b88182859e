import type { VerifiedToken } from "./verify-access-token.js";

export interface TokenCache {
  /** The verification of exactly this token, while it holds (never at or past its expiry). */
  get(token: string, nowMs: number): VerifiedToken | undefined;
  set(token: string, verified: VerifiedToken): void;
  readonly size: number;
}

/**
 * Verified tokens by their whole text, so a call with a token seen before
 * skips the signature check (which would otherwise be a large part of a
 * cheap call's cost). Keyed by the whole token, not its signature alone: a
 * hit then means the very same header and claims. Bounded: past `max`
 * entries the oldest go first. An entry is dropped once its token expires,
 * without the clock skew verification tolerates.
 */
export function createTokenCache(max = 10_000): TokenCache {
  const entries = new Map<string, VerifiedToken>();
  return {
    get(token, nowMs) {
      const hit = entries.get(token);
      if (!hit) return undefined;
      if (nowMs >= hit.expiresAtMs) {
        entries.delete(token);
        return undefined;
      }
      return hit;
    },
    set(token, verified) {
      entries.delete(token);
      entries.set(token, verified);
      if (entries.size > max) entries.delete(entries.keys().next().value!);
    },
    get size() {
      return entries.size;
    },
  };
}
