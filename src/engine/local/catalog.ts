/**
 * The engine's task cache (engine-spec §6.1) over the catalog tables and the
 * blob store: look up, store and evict cached outputs, and hold
 * reservations for cache_serializable tasks. Independent of any node, so
 * every handler that runs tasks (task nodes, array elements) can use it:
 * `catalog.lookup(taskCacheKey(template, inputs), template)` is a hit or a miss.
 */
import { randomUUID } from "node:crypto";
import { create, fromBinary } from "@bufbuild/protobuf";
import { type CatalogMetadata, CatalogMetadataSchema, CatalogReservation_Status } from "../../../gen/flyteidl/core/catalog_pb.js";
import { type Identifier, ResourceType, type TaskExecutionIdentifier } from "../../../gen/flyteidl/core/identifier_pb.js";
import { type LiteralMap, LiteralMapSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import type { TaskTemplate } from "../../../gen/flyteidl/core/tasks_pb.js";
import type { BlobStore } from "../../blob/blob-store.js";
import { BINARY_READ_OPTIONS } from "../../core/proto-limits.js";
import type { Logger } from "../../logger.js";
import type { CatalogEntry, CatalogKey, CatalogScope, CatalogSource, CatalogStore } from "../../storage/catalog-store.js";
import { type TaskCacheKey, taskCacheKey } from "./cache-key.js";
import { errorText } from "./execution-error.js";
import { MAX_OUTPUTS_BYTES } from "./output-check.js";

/** Blob key prefix of the output copies the catalog owns (the server's engine and the eviction command agree on it). */
export const CATALOG_PREFIX = "metadata/catalog";
/** How long a reservation lasts between two extensions, in heartbeats of this length (engine-spec §6.1: 10 s). */
export const RESERVATION_HEARTBEAT_MS = 10_000;
/** Entries an eviction removes per statement. */
const EVICT_BATCH = 500;
/** Keys with waiters, and waiters per key, remembered at most (a waiter that is never woken polls anyway). */
const MAX_WAITED_KEYS = 10_000;
const MAX_WAITERS_PER_KEY = 10_000;

/** Who waits for a reservation: one entry per `id` however often it asks. */
export interface ReservationWaiter {
  id: string;
  wake: () => void;
}

export type CacheLookup =
  | { hit: true; outputs: LiteralMap; bytes: Uint8Array; metadata: CatalogMetadata }
  | { hit: false };

export interface CacheWrite {
  /** CACHE_POPULATED once stored (also when an earlier entry of the key stays), CACHE_PUT_FAILURE when it could not be. */
  populated: boolean;
  metadata: CatalogMetadata;
}

export interface Catalog {
  /** The cached outputs of a key, or a miss (also when the entry's blob is gone or does not fit the task's outputs). */
  lookup(key: TaskCacheKey, template: TaskTemplate): Promise<CacheLookup>;
  /**
   * Stores a copy of the outputs at `outputsUri` under the key; with
   * `overwrite` it replaces an existing entry, otherwise an existing entry
   * stays. Never throws: a failure is reported as not populated.
   */
  put(key: TaskCacheKey, template: TaskTemplate, outputsUri: string, source: TaskExecutionIdentifier, overwrite: boolean): Promise<CacheWrite>;
  /**
   * Takes or extends the key's reservation for `ownerId`: ACQUIRED when it
   * holds it, EXISTS when another owner does (then `waiter` is woken once
   * that owner releases it in this process).
   */
  reserve(key: CatalogKey, ownerId: string, now: Date, waiter?: ReservationWaiter): Promise<CatalogReservation_Status>;
  /** Releases the key's reservation if `ownerId` holds it, and wakes whoever waits for it. */
  release(key: CatalogKey, ownerId: string): Promise<void>;
  /** Removes the entries of a scope and their output copies; the number removed. */
  evict(scope: CatalogScope): Promise<number>;
}

export interface CatalogOptions {
  store: CatalogStore;
  blobs: BlobStore;
  /** Blob key prefix of the output copies the catalog owns (e.g. "metadata/catalog"). */
  prefix: string;
  logger: Logger;
  clock?: () => Date;
}

/**
 * Hit or miss of `template` run on `inputs` (the map its process reads), for
 * handlers that check the cache themselves (array elements). Throws
 * CacheKeyError when the task has no usable key (e.g. an empty cache_version).
 */
export const lookupTaskCache = (catalog: Catalog, template: TaskTemplate, inputs: LiteralMap): Promise<CacheLookup> =>
  catalog.lookup(taskCacheKey(template, inputs), template);

/** `CatalogMetadata.dataset_id`: the dataset as an identifier of resource type DATASET. */
export const datasetIdentifier = (key: CatalogKey): Identifier => ({
  $typeName: "flyteidl.core.Identifier",
  resourceType: ResourceType.DATASET,
  project: key.project,
  domain: key.domain,
  name: key.datasetName,
  version: key.datasetVersion,
  org: "",
});

export function createCatalog(options: CatalogOptions): Catalog {
  const { store, blobs, logger } = options;
  const clock = options.clock ?? (() => new Date());
  const prefix = options.prefix.replace(/^\/+|\/+$/g, "");
  const waiters = new Map<string, Map<string, () => void>>();
  const keyText = (k: CatalogKey) => JSON.stringify([k.project, k.domain, k.datasetName, k.datasetVersion, k.tag]);
  /** The blob key of a catalog-owned copy, or undefined for a URI the catalog does not own. */
  const ownedKey = (uri: string) => {
    const key = blobs.keyOf(uri);
    return key !== undefined && key.startsWith(`${prefix}/`) ? key : undefined;
  };
  const dropBlob = async (uri: string) => {
    const key = ownedKey(uri);
    if (key === undefined) return;
    await blobs.delete(key).catch((e) => logger.warn("engine cache: could not delete an output copy", { uri, error: errorText(e) }));
  };
  const readBounded = async (key: string) => {
    const info = await blobs.stat(key);
    if (!info) return undefined;
    if (info.size > MAX_OUTPUTS_BYTES) throw new Error(`outputs ${blobs.uri(key)} are ${info.size} bytes, more than the ${MAX_OUTPUTS_BYTES} bytes allowed`);
    return blobs.get(key);
  };

  return {
    async lookup(key, template) {
      const entry = await store.get(key);
      if (!entry) return { hit: false };
      const miss = (why: string) => {
        logger.warn("engine cache: an entry cannot be used; running the task", { dataset: `${key.datasetName}/${key.datasetVersion}`, tag: key.tag, why });
        return { hit: false } as const;
      };
      const blobKey = ownedKey(entry.outputsUri);
      if (blobKey === undefined) return miss(`its outputs ${entry.outputsUri} are not the catalog's`);
      let bytes: Uint8Array | undefined;
      let outputs: LiteralMap;
      try {
        bytes = await readBounded(blobKey);
        if (!bytes) return miss(`its outputs ${entry.outputsUri} are gone`);
        outputs = fromBinary(LiteralMapSchema, bytes, BINARY_READ_OPTIONS);
      } catch (e) {
        return miss(errorText(e));
      }
      // The dataset version covers the interface, so this only fails for entries written by hand or damaged.
      const declared = Object.keys(template.interface?.outputs?.variables ?? {}).sort();
      const held = Object.keys(outputs.literals).sort();
      if (declared.join("\0") !== held.join("\0")) return miss(`it holds outputs [${held.join(", ")}] where the task declares [${declared.join(", ")}]`);
      return { hit: true, outputs, bytes, metadata: hitMetadata(entry, template.id) };
    },

    async put(key, template, outputsUri, source, overwrite) {
      const failure = (e: unknown): CacheWrite => {
        logger.warn("engine cache: could not store outputs", { dataset: `${key.datasetName}/${key.datasetVersion}`, tag: key.tag, error: errorText(e) });
        // propeller's put-failure status names the task as the dataset.
        return { populated: false, metadata: create(CatalogMetadataSchema, { datasetId: template.id }) };
      };
      const artifactId = randomUUID();
      const copyKey = `${prefix}/${key.project}/${key.domain}/${artifactId}.pb`;
      try {
        const sourceKey = blobs.keyOf(outputsUri);
        if (sourceKey === undefined) throw new Error(`${outputsUri} is not a location of the engine's blob store`);
        const bytes = await readBounded(sourceKey);
        if (!bytes) throw new Error(`outputs ${outputsUri} not found`);
        await blobs.put(copyKey, bytes);
      } catch (e) {
        return failure(e);
      }
      try {
        const stored = await store.put(
          { ...key, artifactId, outputsUri: blobs.uri(copyKey), source: sourceOf(source, template) },
          { overwrite, now: clock() },
        );
        if (!stored.written) await dropBlob(blobs.uri(copyKey));
        if (stored.replaced) await dropBlob(stored.replaced.outputsUri);
        const metadata = create(CatalogMetadataSchema, {
          datasetId: datasetIdentifier(key),
          artifactTag: { artifactId: stored.entry.artifactId, name: key.tag },
          // As propeller: an overwrite names the execution that wrote it, a first write does not.
          ...(overwrite ? { sourceExecution: { case: "sourceTaskExecution", value: source } } : {}),
        });
        return { populated: true, metadata };
      } catch (e) {
        await dropBlob(blobs.uri(copyKey));
        return failure(e);
      }
    },

    async reserve(key, ownerId, now, waiter) {
      const reservation = await store.getOrExtendReservation(key, ownerId, RESERVATION_HEARTBEAT_MS, now);
      if (reservation.ownerId === ownerId) return CatalogReservation_Status.RESERVATION_ACQUIRED;
      if (waiter) {
        const text = keyText(key);
        let byId = waiters.get(text);
        if (!byId) {
          if (waiters.size >= MAX_WAITED_KEYS) waiters.delete(waiters.keys().next().value!);
          byId = new Map();
          waiters.set(text, byId);
        }
        if (byId.size < MAX_WAITERS_PER_KEY || byId.has(waiter.id)) byId.set(waiter.id, waiter.wake);
      }
      return CatalogReservation_Status.RESERVATION_EXISTS;
    },

    async release(key, ownerId) {
      const released = await store.releaseReservation(key, ownerId);
      if (!released) return;
      const text = keyText(key);
      const woken = waiters.get(text);
      waiters.delete(text);
      for (const wake of woken?.values() ?? []) wake();
    },

    async evict(scope) {
      let total = 0;
      for (;;) {
        const removed = await store.evict(scope, EVICT_BATCH);
        total += removed.length;
        for (const e of removed) await dropBlob(e.outputsUri);
        if (removed.length < EVICT_BATCH) return total;
      }
    },
  };
}

/** The stored form of the task execution that produced an entry. */
function sourceOf(id: TaskExecutionIdentifier, template: TaskTemplate): CatalogSource {
  const exec = id.nodeExecutionId?.executionId;
  const task = id.taskId ?? template.id;
  return {
    execution: { project: exec?.project ?? "", domain: exec?.domain ?? "", name: exec?.name ?? "" },
    nodeId: id.nodeExecutionId?.nodeId ?? "",
    retryAttempt: id.retryAttempt,
    task: { project: task?.project ?? "", domain: task?.domain ?? "", name: task?.name ?? "", version: task?.version ?? "" },
  };
}

/** What a hit reports (propeller's EventCatalogMetadata with the source from the artifact's metadata). */
function hitMetadata(entry: CatalogEntry, current: Identifier | undefined): CatalogMetadata {
  const s = entry.source;
  return create(CatalogMetadataSchema, {
    datasetId: datasetIdentifier(entry),
    artifactTag: { artifactId: entry.artifactId, name: entry.tag },
    sourceExecution: {
      case: "sourceTaskExecution",
      value: {
        // The current task's name; the version of the task that wrote the entry.
        taskId: { resourceType: ResourceType.TASK, project: current?.project ?? s.task.project, domain: current?.domain ?? s.task.domain, name: current?.name ?? s.task.name, version: s.task.version },
        nodeExecutionId: { nodeId: s.nodeId, executionId: s.execution },
        retryAttempt: s.retryAttempt,
      },
    },
  });
}
