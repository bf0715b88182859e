import { hkdfSync } from "node:crypto";
import { EncryptJWT, jwtDecrypt } from "jose";

/** What /login hands to /callback through the browser: the checks of one login in progress. */
export interface LoginState {
  state: string;
  /** The PKCE code verifier whose S256 challenge went to the provider. */
  verifier: string;
  nonce: string;
  /** The checked `redirect_url` of /login, "" for none. */
  redirect: string;
}

/** How long a login may take at the provider before /callback refuses it. */
export const LOGIN_STATE_SECONDS = 600;
// Bounds what a forged cookie makes us decrypt.
const MAX_SEALED = 4096;

/**
 * Seals login state into a compact JWE (`dir`, A256GCM) the browser carries
 * from /login to /callback, so any replica can finish a login another began.
 * The key is derived from the cookie block key for this use alone.
 */
export function createLoginSealer(blockKey: Uint8Array, now: () => number = Date.now) {
  const key = new Uint8Array(hkdfSync("sha256", blockKey, new Uint8Array(0), "flyteadmin-ts login state", 32));
  return {
    seal(s: LoginState): Promise<string> {
      const iat = Math.floor(now() / 1000);
      return new EncryptJWT({ st: s.state, cv: s.verifier, nn: s.nonce, rd: s.redirect })
        .setProtectedHeader({ alg: "dir", enc: "A256GCM" })
        .setIssuedAt(iat)
        .setExpirationTime(iat + LOGIN_STATE_SECONDS)
        .encrypt(key);
    },
    /** The state, or undefined when the cookie is not one we sealed, was altered or has expired. */
    async open(sealed: string): Promise<LoginState | undefined> {
      if (sealed.length > MAX_SEALED) return undefined;
      try {
        const { payload: p } = await jwtDecrypt(sealed, key, {
          keyManagementAlgorithms: ["dir"],
          contentEncryptionAlgorithms: ["A256GCM"],
          currentDate: new Date(now()),
        });
        if (typeof p.st !== "string" || typeof p.cv !== "string" || typeof p.nn !== "string" || typeof p.rd !== "string") return undefined;
        return { state: p.st, verifier: p.cv, nonce: p.nn, redirect: p.rd };
      } catch {
        return undefined;
      }
    },
  };
}
