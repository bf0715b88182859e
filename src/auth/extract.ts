/** Longest credential header value looked at; longer ones are refused before any parsing. */
export const MAX_CREDENTIAL_BYTES = 8 * 1024;

/** A credential as a call carries it: `<scheme> <token>`, the scheme lower-cased (it is case-insensitive). */
export interface Credential {
  scheme: string;
  token: string;
}

export type Extracted = Credential | "oversized" | "malformed" | undefined;

/**
 * The credential of a call: the first of `names` that is present, so with
 * FlyteAdmin's order (`authorization`, then the configured
 * `flyte-authorization`) a client-sent `authorization` wins. A header given
 * several times arrives joined with ", ", and only its first value counts, as
 * FlyteAdmin reads the first `authorization` entry.
 */
export function extractCredential(read: (name: string) => string | null | undefined, names: readonly string[]): Extracted {
  for (const name of names) {
    const raw = read(name);
    if (raw === null || raw === undefined || raw === "") continue;
    if (raw.length > MAX_CREDENTIAL_BYTES) return "oversized";
    const comma = raw.indexOf(",");
    const value = (comma < 0 ? raw : raw.slice(0, comma)).trim();
    const space = value.indexOf(" ");
    if (space <= 0) return "malformed";
    const token = value.slice(space + 1).trim();
    if (token === "" || /\s/.test(token)) return "malformed";
    return { scheme: value.slice(0, space).toLowerCase(), token };
  }
  return undefined;
}

/** A compact JWS: three base64url parts (the last may be empty for `alg: none`, which verification refuses). */
export const looksLikeJwt = (token: string) => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
