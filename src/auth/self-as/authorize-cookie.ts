import { hkdfSync } from "node:crypto";
import { compactDecrypt, CompactEncrypt } from "jose";
import type { AuthorizeRequest } from "../../core/authorize-request.js";

/** FlyteAdmin's name for the cookie that carries an authorization request through the login. */
export const AUTH_CODE_COOKIE = "flyte_auth_code";

export interface AuthorizeCookieSealer {
  /** The request sealed (JWE compact, dir + A256GCM), valid for `lifetimeMs` from `nowMs`. */
  seal(request: AuthorizeRequest, nowMs: number): Promise<string>;
  /** The request back; undefined when the value is forged, damaged, from another key or expired. */
  open(value: string, nowMs: number): Promise<AuthorizeRequest | undefined>;
  lifetimeMs: number;
}

const MAX_COOKIE_CHARS = 8192;

/**
 * Seals authorization requests into the `flyte_auth_code` cookie. The AES key
 * is derived (HKDF-SHA256) from the cookie block key, with a label of its own,
 * so no other cookie sealed with that key can be passed off as this one. The
 * expiry is inside the sealed payload: a browser ignoring Max-Age gains
 * nothing.
 */
export function createAuthorizeCookieSealer(blockKey: Buffer, lifetimeMs = 10 * 60_000): AuthorizeCookieSealer {
  const key = new Uint8Array(hkdfSync("sha256", blockKey, Buffer.alloc(0), "flyteadmin-ts flyte_auth_code v1", 32));
  return {
    lifetimeMs,
    async seal(request, nowMs) {
      const payload = JSON.stringify({ ...request, exp: nowMs + lifetimeMs });
      return new CompactEncrypt(new TextEncoder().encode(payload)).setProtectedHeader({ alg: "dir", enc: "A256GCM" }).encrypt(key);
    },
    async open(value, nowMs) {
      if (value.length > MAX_COOKIE_CHARS) return undefined;
      let text: string;
      try {
        const { plaintext } = await compactDecrypt(value, key, { keyManagementAlgorithms: ["dir"], contentEncryptionAlgorithms: ["A256GCM"] });
        text = new TextDecoder().decode(plaintext);
      } catch {
        return undefined;
      }
      const v = JSON.parse(text) as Partial<AuthorizeRequest> & { exp?: unknown };
      if (typeof v.exp !== "number" || v.exp <= nowMs) return undefined;
      const strings = [v.clientId, v.redirectUri, v.state, v.codeChallenge, v.nonce];
      if (strings.some((s) => typeof s !== "string") || !Array.isArray(v.scopes) || v.scopes.some((s) => typeof s !== "string")) return undefined;
      return { clientId: v.clientId!, redirectUri: v.redirectUri!, scopes: v.scopes, state: v.state!, codeChallenge: v.codeChallenge!, nonce: v.nonce! };
    },
  };
}

/** One cookie's value from a Cookie header; undefined when absent. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
