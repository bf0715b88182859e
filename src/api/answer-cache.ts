import { type DescMessage, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { answersInBinary, encodedAnswer } from "../server/encoded-answer.js";
import { type BoundedCache, type CacheLimits, createBoundedCache } from "./bounded-cache.js";

/** What an answer cache may hold: bytes are the encoded answers and their keys. */
export type AnswerCacheLimits = CacheLimits;

/**
 * A registered task's answer is under a kilobyte, a workflow's a few to a
 * few hundred (its compiled closure): thousands of the versions callers ask
 * for stay encoded in a few tens of megabytes.
 */
export const ANSWER_CACHE_LIMITS: AnswerCacheLimits = { maxEntries: 10_000, maxBytes: 32 * 1024 * 1024 };

/** Bookkeeping per entry beyond its bytes (the map entry, the key's string header). */
const ENTRY_OVERHEAD = 96;

export type AnswerCache = BoundedCache<Uint8Array>;

/** Least-recently-used, bounded by entries and by bytes. */
export function createAnswerCache(limits: AnswerCacheLimits = ANSWER_CACHE_LIMITS): AnswerCache {
  return createBoundedCache(limits, (key, value) => value.length + 2 * key.length + ENTRY_OVERHEAD);
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
