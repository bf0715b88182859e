import type { BindingKey, Principal, RoleBinding, RoleBindingStore } from "../storage/access-store.js";

export interface BindingCacheOptions {
  store: RoleBindingStore;
  /** How long one principal's bindings are reused; 0 reads them on every call. */
  ttlMs: number;
  /** How many principals are remembered at most (the least recently used go first). */
  maxEntries?: number;
  /** Milliseconds now (default Date.now). */
  now?: () => number;
}

/** Bindings by principal, read through a short cache; grants and revocations through it apply at once. */
export interface BindingCache {
  forPrincipals(principals: readonly Principal[]): Promise<readonly RoleBinding[]>;
  grant(binding: RoleBinding): Promise<boolean>;
  revoke(key: BindingKey): Promise<boolean>;
  /** Forgets everything read so far. */
  clear(): void;
}

const DEFAULT_MAX_ENTRIES = 10_000;

/**
 * A cache of each caller's bindings, keyed by the whole set of principals
 * one identity stands for (subject, email, groups), so a call costs one
 * indexed query at most once per `ttlMs`. Concurrent misses for the same
 * caller share one query. A grant or revocation made through the cache
 * empties it (they are rare, and a binding on a group touches many callers);
 * one made elsewhere (the CLI, another replica) is seen within `ttlMs`.
 */
export function createBindingCache(options: BindingCacheOptions): BindingCache {
  const { store, ttlMs } = options;
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const now = options.now ?? Date.now;
  const entries = new Map<string, { expires: number; bindings: Promise<readonly RoleBinding[]> }>();

  return {
    forPrincipals(principals) {
      if (ttlMs <= 0) return store.forPrincipals(principals);
      const key = principals
        .map((p) => `${p.kind}\u0000${p.subject}`)
        .sort()
        .join("\u0001");
      const at = now();
      const hit = entries.get(key);
      if (hit) {
        entries.delete(key);
        if (hit.expires > at) {
          // Re-inserted, so the Map's order is least recently used first.
          entries.set(key, hit);
          return hit.bindings;
        }
      }
      const entry = { expires: at + ttlMs, bindings: store.forPrincipals(principals) };
      entries.set(key, entry);
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
      // A failed read is not remembered: the next call tries again.
      entry.bindings.catch(() => {
        if (entries.get(key) === entry) entries.delete(key);
      });
      return entry.bindings;
    },

    async grant(binding) {
      try {
        return await store.grant(binding);
      } finally {
        entries.clear();
      }
    },

    async revoke(key) {
      try {
        return await store.revoke(key);
      } finally {
        entries.clear();
      }
    },

    clear: () => entries.clear(),
  };
}
