import { randomUUID } from "node:crypto";
import { SignJWT } from "jose";
import type { SigningKeys } from "../keys.js";

export interface TokenGrant {
  issuer: string;
  /** The public URL the token is for: its only audience. */
  audience: string;
  subject: string;
  clientId: string;
  scopes: readonly string[];
  /** The user's OIDC userinfo fields, as the `user_info` claim (user grants only). */
  userInfo?: Readonly<Record<string, string>> | undefined;
}

/**
 * Signs access tokens: RS256 JWTs with the key id in both `kid` and
 * FlyteAdmin's own `key_id` header (so a FlyteAdmin sharing the key accepts
 * them too), and the claims FlyteAdmin's resource server reads: `iss`, `sub`,
 * `aud`, `iat`, `exp`, `jti`, `scp`, `client_id`, and `user_info` for a user. Go clients read `exp`
 * (unverified) to decide when to fetch a new token.
 */
export function createTokenIssuer(o: { keys: SigningKeys; lifespanMs: number; now: () => number }) {
  return async (grant: TokenGrant): Promise<{ token: string; expiresIn: number }> => {
    const nowMs = o.now();
    const iat = Math.floor(nowMs / 1000);
    const exp = iat + Math.floor(o.lifespanMs / 1000);
    const { kid, privateKey } = o.keys.current;
    const token = await new SignJWT({ scp: [...grant.scopes], client_id: grant.clientId, ...(grant.userInfo ? { user_info: { ...grant.userInfo } } : {}) })
      .setProtectedHeader({ alg: "RS256", typ: "JWT", kid, key_id: kid })
      .setIssuer(grant.issuer)
      .setSubject(grant.subject)
      .setAudience([grant.audience])
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(randomUUID())
      .sign(privateKey);
    // Whole seconds left, as fosite counts them (1799 for 30 minutes).
    return { token, expiresIn: Math.max(0, Math.floor(exp - nowMs / 1000)) };
  };
}
