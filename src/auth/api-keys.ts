import { randomBytes, timingSafeEqual } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";
import { formatApiKey, looksLikeApiKey, newApiKey, parseApiKey, secretDigest } from "../core/api-key.js";
import type { ApiKeyRow, ApiKeyStore } from "../storage/access-store.js";
import type { Identity } from "./identity.js";

/** Why a key that was recognised as one was refused (for metrics and logs; the client always sees the same message). */
export type ApiKeyRefusalReason = "malformed" | "invalid" | "expired" | "revoked";

/**
 * A bearer value that is an API key but is not accepted. It is an
 * UNAUTHENTICATED ConnectError with one message whatever went wrong, so a
 * client learns nothing about which part failed (an id that exists, a secret
 * that is wrong, a key that expired); `reason` says it for the server's own
 * counters and logs. Thrown rather than returned, so an authenticator chain
 * stops at a key that is bad instead of trying it as something else.
 */
export class ApiKeyRefused extends ConnectError {
  constructor(readonly reason: ApiKeyRefusalReason) {
    super("invalid API key", Code.Unauthenticated);
  }
}


export interface ApiKeyAuthenticatorOptions {
  store: Pick<ApiKeyStore, "get" | "touch">;
  clock?: () => Date;
  /** Hears a failed `last_used_at` write; the call is let through all the same. */
  onTouchError?: (e: unknown) => void;
}

/** How often `last_used_at` is written for a key in use (at most). */
export const LAST_USED_INTERVAL_MS = 60_000;
const ALL_SCOPES: ReadonlySet<string> = Object.freeze(new Set(["all"]));
// Compared against when the id is unknown, so that answer takes as long as a wrong secret.
const DUMMY_DIGEST = Buffer.from(secretDigest("no such key"), "hex");

/**
 * The authenticator for `Bearer fak_…`: looks the key up by its id, compares
 * the secret's digest in constant time, and refuses a revoked or expired key.
 * The identity acts for the key's service account when it has one, else for
 * its owner, with scope `all` (roles then decide what it may do). Anything
 * that is not a Bearer API key is left to the other authenticators.
 * A database failure is thrown as it is (the call fails UNAVAILABLE, not
 * UNAUTHENTICATED: a client must not drop a good key because of an outage).
 */
export function createApiKeyAuthenticator(options: ApiKeyAuthenticatorOptions): (scheme: string, token: string) => Promise<Identity | undefined> {
  const clock = options.clock ?? (() => new Date());
  return async (scheme, token) => {
    if (scheme.toLowerCase() !== "bearer" || !looksLikeApiKey(token)) return undefined;
    const parts = parseApiKey(token);
    if (!parts) throw new ApiKeyRefused("malformed");
    const row = await options.store.get(parts.id);
    const presented = Buffer.from(secretDigest(parts.secret), "hex");
    const stored = row ? Buffer.from(row.secretSha256, "hex") : DUMMY_DIGEST;
    const matches = stored.length === presented.length && timingSafeEqual(stored, presented);
    if (!row || !matches) throw new ApiKeyRefused("invalid");
    const now = clock();
    if (row.revokedAt && row.revokedAt <= now) throw new ApiKeyRefused("revoked");
    if (row.expiresAt && row.expiresAt <= now) throw new ApiKeyRefused("expired");
    if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= LAST_USED_INTERVAL_MS) {
      // Bookkeeping only: a failed write must not refuse a good key.
      await options.store.touch(row.id, now, LAST_USED_INTERVAL_MS).catch((e: unknown) => options.onTouchError?.(e));
    }
    return apiKeyIdentity(row);
  };
}

/** The identity a key acts as. */
export function apiKeyIdentity(row: ApiKeyRow): Identity {
  return {
    kind: "apikey",
    subject: row.serviceAccount ?? row.ownerSubject,
    appId: row.serviceAccount ?? "",
    scopes: ALL_SCOPES,
    claims: {},
  };
}

export interface IssueApiKeyOptions {
  owner: string;
  serviceAccount?: string | undefined;
  description?: string | undefined;
  /** Absent: the key never expires. */
  expiresAt?: Date | undefined;
  now: Date;
  random?: (n: number) => Buffer;
}

/** Creates and stores a new key; the returned text is the only time its secret exists outside the caller. */
export async function issueApiKey(store: Pick<ApiKeyStore, "create">, options: IssueApiKeyOptions): Promise<{ key: string; id: string }> {
  const random = options.random ?? randomBytes;
  // 60 random bits make a taken id rare; a few draws make a failure practically impossible.
  for (let attempt = 0; attempt < 5; attempt++) {
    const parts = newApiKey(random);
    const created = await store.create({
      id: parts.id,
      secretSha256: secretDigest(parts.secret),
      ownerSubject: options.owner,
      serviceAccount: options.serviceAccount,
      description: options.description ?? "",
      createdAt: options.now,
      expiresAt: options.expiresAt,
    });
    if (created) return { key: formatApiKey(parts), id: parts.id };
  }
  throw new Error("could not draw a free API key id");
}
