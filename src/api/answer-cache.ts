import { type DescMessage, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { answersInBinary, encodedAnswer } from "../server/encoded-answer.js";

/** What an answer cache may hold. */
export interface AnswerCacheLimits {
  /** Most answers kept. */
  readonly maxEntries: number;
  /** Most bytes kept: encoded answers and their keys. */
  readonly maxBytes: number;
}

/**
 * A registered task's answer is under a kilobyte, a workflow's a few to a
 * few hundred (its compiled closure): thousands of the versions callers ask
 * for stay encoded in a few tens of megabytes.
 */
export const ANSWER_CACHE_LIMITS: AnswerCacheLimits = { maxEntries: 10_000, maxBytes: 32 * 1024 * 1024 };

/** Bookkeeping per entry beyond its bytes (the map entry, the key's string header). */
const ENTRY_OVERHEAD = 96;

export interface AnswerCache {
  /** The kept answer for this key (now the most recently used), or undefined. */
  get(key: string): Uint8Array | undefined;
  /** Keeps the answer unless it alone exceeds the byte bound; older ones go to make room. */
  set(key: string, bytes: Uint8Array): void;
  readonly size: number;
  readonly bytes: number;
}

/** Least-recently-used, bounded by entries and by bytes. */
export function createAnswerCache(limits: AnswerCacheLimits = ANSWER_CACHE_LIMITS): AnswerCache {
  const entries = new Map<string, Uint8Array>();
  let bytes = 0;
  const cost = (key: string, value: Uint8Array) => value.length + 2 * key.length + ENTRY_OVERHEAD;
  const remove = (key: string) => {
    const value = entries.get(key);
    if (value === undefined) return;
    bytes -= cost(key, value);
    entries.delete(key);
  };
  return {
    get(key) {
      const value = entries.get(key);
      if (value === undefined) return undefined;
      entries.delete(key);
      entries.set(key, value);
      return value;
    },
    set(key, value) {
      remove(key);
      const c = cost(key, value);
      if (c > limits.maxBytes || limits.maxEntries < 1) return;
      entries.set(key, value);
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

/** The cache key of an entity version: every part of the identifier the store looks it up by. */
export const versionCacheKey = (id: { project: string; domain: string; name: string; version: string }) =>
  `${id.project}\u0000${id.domain}\u0000${id.name}\u0000${id.version}`;

/**
 * Answers for a Get of something that never changes once stored (a task or
 * workflow version: registering it again with other content is refused), so
 * every server may keep them without hearing of anyone else's writes. A
 * binary caller (gRPC, gRPC-Web, Connect proto, the REST gateway's hop) gets
 * the kept bytes, neither read nor decoded nor encoded again; a JSON caller
 * gets the message loaded as before. Nothing is kept for a load that fails
 * (NOT_FOUND stays a look-up, so a version registered later is found).
 */
export function immutableAnswers<D extends DescMessage>(schema: D, limits: AnswerCacheLimits = ANSWER_CACHE_LIMITS) {
  const cache = createAnswerCache(limits);
  return async (ctx: { requestHeader: Headers }, key: string, load: () => Promise<MessageShape<D>>): Promise<MessageShape<D>> => {
    if (!answersInBinary(ctx)) return load();
    let bytes = cache.get(key);
    if (bytes === undefined) {
      bytes = toBinary(schema, await load());
      cache.set(key, bytes);
    }
    return encodedAnswer(schema, bytes);
  };
}
