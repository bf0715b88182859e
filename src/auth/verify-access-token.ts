import { errors, type JWTPayload, jwtVerify, type JWTVerifyGetKey } from "jose";
import { identityFromClaims } from "../core/token-claims.js";
import { AuthRefusal, type RefusalReason } from "./auth-refusal.js";
import type { Identity } from "./identity.js";

/** What an access token is checked against: where its key comes from, which algorithms and issuers are accepted. */
export interface TokenTrust {
  key: JWTVerifyGetKey;
  algorithms: readonly string[];
  issuers: readonly string[];
}

export interface AccessTokenVerifierOptions {
  /** Resolved per verification: an external server's comes from its metadata, fetched when first needed. */
  trust: () => TokenTrust | Promise<TokenTrust>;
  /** Accepted audiences: the public URLs, and an external server's allowed audiences. */
  audiences: readonly string[];
  clock?: (() => Date) | undefined;
}

/** Clock skew tolerated on `exp`, `nbf` and `iat`. */
export const CLOCK_TOLERANCE_SECONDS = 60;

/** Thrown by a key source that could not be reached (an identity provider's JWKS): the call is UNAVAILABLE, not unauthenticated. */
export class KeySourceUnavailable extends Error {
  override name = "KeySourceUnavailable";
}

/** A verified token: who it is, and until when (ms since the epoch) the verification holds. */
export interface VerifiedToken {
  identity: Identity;
  expiresAtMs: number;
}

/**
 * Verifies a JWT access token with jose: an allow-listed algorithm, the
 * signature, `exp`/`nbf` with 60 s of skew (`exp` required), the issuer
 * (FlyteAdmin checks none), and an audience that is one of ours. Throws an
 * AuthRefusal naming what failed, or KeySourceUnavailable.
 */
export function createAccessTokenVerifier(o: AccessTokenVerifierOptions): (token: string) => Promise<VerifiedToken> {
  return async (token) => {
    const trust = await o.trust();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, trust.key, {
        algorithms: [...trust.algorithms],
        issuer: [...trust.issuers],
        audience: [...o.audiences],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ["exp"],
        ...(o.clock ? { currentDate: o.clock() } : {}),
      }));
    } catch (e) {
      if (e instanceof KeySourceUnavailable) throw e;
      throw new AuthRefusal(refusalOf(e));
    }
    return { identity: identityFromClaims(payload), expiresAtMs: payload.exp! * 1000 };
  };
}

/** What a jose failure means, for the metrics label and the log; the client is told none of it. */
function refusalOf(e: unknown): RefusalReason {
  if (e instanceof errors.JWTExpired) return "expired";
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.claim === "nbf") return "not_yet_valid";
    if (e.claim === "aud") return "audience";
    if (e.claim === "iss") return "issuer";
    return "claims";
  }
  if (e instanceof errors.JWSSignatureVerificationFailed) return "signature";
  if (e instanceof errors.JOSEAlgNotAllowed) return "algorithm";
  if (e instanceof errors.JWKSNoMatchingKey || e instanceof errors.JWKSMultipleMatchingKeys) return "unknown_key";
  return "malformed";
}
