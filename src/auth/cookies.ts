import type { SameSitePolicy } from "./auth-config.js";

/** The browser session's cookie, and the one that carries a login in progress to /callback. */
export const SESSION_COOKIE = "flyte_session";
export const LOGIN_COOKIE = "flyte_login";

/** Longest Cookie header read; past it no cookie is looked for (a browser's is far shorter). */
const MAX_COOKIE_HEADER = 16 * 1024;

/**
 * The value of cookie `name` in a Cookie header (the first, as browsers send
 * the most specific first), or undefined. Bounded: an oversized header is
 * not parsed at all.
 */
export function readCookie(header: string | null | undefined, name: string): string | undefined {
  if (!header || header.length > MAX_COOKIE_HEADER) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    return value;
  }
  return undefined;
}

export interface CookieAttributes {
  secure: boolean;
  sameSite: SameSitePolicy;
  domain: string;
}

/**
 * A Set-Cookie value: HttpOnly, Path=/, Secure unless turned off, SameSite
 * (Lax for FlyteAdmin's DefaultMode), the configured Domain, and Max-Age
 * (0 expires it now).
 */
export function setCookie(name: string, value: string, maxAgeSeconds: number, a: CookieAttributes): string {
  const sameSite = { DefaultMode: "Lax", LaxMode: "Lax", StrictMode: "Strict", NoneMode: "None" }[a.sameSite];
  const parts = [`${name}=${value}`, "Path=/", `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`, "HttpOnly", `SameSite=${sameSite}`];
  if (maxAgeSeconds <= 0) parts.push("Expires=Thu, 01 Jan 1970 00:00:00 GMT");
  if (a.secure) parts.push("Secure");
  if (a.domain) parts.push(`Domain=${a.domain}`);
  return parts.join("; ");
}
