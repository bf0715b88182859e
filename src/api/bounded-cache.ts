/** What a bounded cache may hold. */
export interface CacheLimits {
  /** Most entries kept. */
  readonly maxEntries: number;
  /** Most bytes kept, as the cache's cost function counts them. */
  readonly maxBytes: number;
}

export interface BoundedCache<V> {
  /** The kept value for this key (now the most recently used), or undefined. */
  get(key: string): V | undefined;
  /** Keeps the value unless it alone exceeds the byte bound; older ones go to make room. */
  set(key: string, value: V): void;
  readonly size: number;
  readonly bytes: number;
}

/** Least-recently-used, bounded by entries and by the bytes `cost` gives each entry. */
export function createBoundedCache<V>(limits: CacheLimits, cost: (key: string, value: V) => number): BoundedCache<V> {
  const entries = new Map<string, { value: V; cost: number }>();
  let bytes = 0;
  const remove = (key: string) => {
    const entry = entries.get(key);
    if (entry === undefined) return;
    bytes -= entry.cost;
    entries.delete(key);
  };
  return {
    get(key) {
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      // A Map iterates in insertion order: re-inserting makes it the newest.
      entries.delete(key);
      entries.set(key, entry);
      return entry.value;
    },
    set(key, value) {
      remove(key);
      const c = cost(key, value);
      if (c > limits.maxBytes || limits.maxEntries < 1) return;
      entries.set(key, { value, cost: c });
      bytes += c;
      while (entries.size > limits.maxEntries || bytes > limits.maxBytes) remove(entries.keys().next().value!);
    },
    get size() {
      return entries.size;
    },
    get bytes() {
      return bytes;
    },
  };
}
