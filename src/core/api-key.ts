import { createHash } from "node:crypto";

/**
 * The text of an API key, pure: `fak_<id>_<secret>`, where `id` is 12
 * characters of base32 (RFC 4648 alphabet, lower case: 60 random bits, the
 * row's key) and `secret` 32 random bytes in unpadded base64url (43
 * characters). The secret's alphabet includes `_`, so a key is split by
 * position, never at underscores.
 */
export const API_KEY_PREFIX = "fak_";
const ID_CHARS = 12;
const SECRET_CHARS = 43;
export const API_KEY_LENGTH = API_KEY_PREFIX.length + ID_CHARS + 1 + SECRET_CHARS;
const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";
const ID_PATTERN = /^[a-z2-7]{12}$/;
// The last character of 32 bytes in base64url carries 4 bits and 2 zero bits: only these 16 letters end a canonical secret.
const SECRET_PATTERN = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

export interface ApiKeyParts {
  readonly id: string;
  readonly secret: string;
}

/** True when the bearer value claims to be an API key (so no other authenticator should try it). */
export const looksLikeApiKey = (token: string) => token.startsWith(API_KEY_PREFIX);

/** The id and secret of a well-formed key; undefined for anything else (wrong length, alphabet or separator). */
export function parseApiKey(text: string): ApiKeyParts | undefined {
  if (text.length !== API_KEY_LENGTH || !text.startsWith(API_KEY_PREFIX)) return undefined;
  const idEnd = API_KEY_PREFIX.length + ID_CHARS;
  if (text[idEnd] !== "_") return undefined;
  const id = text.slice(API_KEY_PREFIX.length, idEnd);
  const secret = text.slice(idEnd + 1);
  if (!ID_PATTERN.test(id) || !SECRET_PATTERN.test(secret)) return undefined;
  return { id, secret };
}

export const formatApiKey = (parts: ApiKeyParts) => `${API_KEY_PREFIX}${parts.id}_${parts.secret}`;

/**
 * A new key from `random` (node:crypto's randomBytes in production): 8 bytes
 * make the id (60 of their bits), 32 the secret.
 */
export function newApiKey(random: (n: number) => Buffer): ApiKeyParts {
  const idBytes = random(8);
  let bits = idBytes.readBigUInt64BE();
  let id = "";
  for (let i = 0; i < ID_CHARS; i++) {
    id += BASE32[Number(bits & 31n)];
    bits >>= 5n;
  }
  return { id, secret: random(32).toString("base64url") };
}

/**
 * What is stored of a secret: its SHA-256 in hex. A salt or a slow hash adds
 * nothing for 256 random bits, and a fast one keeps the per-call check cheap.
 */
export const secretDigest = (secret: string) => createHash("sha256").update(secret, "utf8").digest("hex");
