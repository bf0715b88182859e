import type { Identifier } from "../../gen/flyteidl/core/identifier_pb.js";
import type { TaskTemplate } from "../../gen/flyteidl/core/tasks_pb.js";
import { type EncodedTemplate, encodeTemplate } from "../core/compiled-closure.js";
import type { TaskStore } from "../storage/store.js";
import { type CacheLimits, createBoundedCache } from "./bounded-cache.js";
import { versionCacheKey } from "./answer-cache.js";

/** A registered task version's template, with what a compiled closure needs of it. */
export interface RegisteredTemplate extends EncodedTemplate {
  /** Frozen: it is shared by every compile that uses it. */
  readonly template: TaskTemplate;
}

export interface TaskTemplates {
  /** The template of a registered task version; undefined when there is none (nothing is kept for it). */
  get(id: Identifier): Promise<RegisteredTemplate | undefined>;
}

/**
 * A decoded template takes about six times its encoding on the heap (a
 * python task of 517 bytes: about 3 KB), beside its bytes and its canonical
 * text: some 4.5 KB for a typical task, so the bound holds about 7,000.
 */
const DECODED_PER_ENCODED_BYTE = 6;
const ENTRY_OVERHEAD = 256;

export const TASK_TEMPLATE_CACHE_LIMITS: CacheLimits = { maxEntries: 10_000, maxBytes: 32 * 1024 * 1024 };

/**
 * The templates of registered task versions for CreateWorkflow, kept decoded
 * and encoded (least recently used go first). A task version never changes
 * once stored (registering it again with other content is refused) and is
 * never deleted, so every server may keep them without hearing of anyone
 * else's writes; a workflow's versions name the same few tasks again and
 * again, which are then neither read, nor decoded, nor encoded again.
 */
export function createTaskTemplates(tasks: Pick<TaskStore, "get">, limits: CacheLimits = TASK_TEMPLATE_CACHE_LIMITS): TaskTemplates {
  const cache = createBoundedCache<RegisteredTemplate>(
    limits,
    (key, e) => e.bytes.length * (1 + DECODED_PER_ENCODED_BYTE) + e.canonicalText.length + 2 * key.length + ENTRY_OVERHEAD,
  );
  // Concurrent registrations of a workflow's versions ask for the same tasks at once: one read each.
  const loading = new Map<string, Promise<RegisteredTemplate | undefined>>();

  const load = async (id: Identifier, key: string): Promise<RegisteredTemplate | undefined> => {
    const template = (await tasks.get(id))?.closure?.compiledTask?.template;
    if (!template) return undefined;
    const entry = { template: deepFreeze(template), ...encodeTemplate(template) };
    cache.set(key, entry);
    return entry;
  };

  return {
    get(id) {
      const key = versionCacheKey(id);
      const kept = cache.get(key);
      if (kept) return Promise.resolve(kept);
      let pending = loading.get(key);
      if (!pending) {
        pending = load(id, key).finally(() => loading.delete(key));
        loading.set(key, pending);
      }
      return pending;
    },
  };
}

/**
 * Freezes a decoded message and everything in it, so a change to a shared
 * template fails loudly (modules run in strict mode) instead of reaching
 * other workflows. Byte arrays cannot be frozen; nothing writes into them.
 */
function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== "object" || ArrayBuffer.isView(value) || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const v of Object.values(value)) deepFreeze(v);
  return value;
}
