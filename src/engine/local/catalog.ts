/**
 * The engine's task cache (engine-spec §6.1) over the DataCatalog: look up,
 * store and evict cached outputs, and hold reservations for
 * cache_serializable tasks. It makes the calls flytepropeller's catalog
 * client makes, through the same functions the DataCatalog service answers
 * with, so an entry written by the engine is a hit for a propeller using
 * this server's DataCatalog and the other way round. Independent of any
 * node, so every handler that runs tasks (task nodes, array elements) can
 * use it: `catalog.lookup(taskCacheKey(template, inputs), template)` is a
 * hit or a miss.
 */
import { randomUUID } from "node:crypto";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { DurationSchema } from "@bufbuild/protobuf/wkt";
import { type CatalogMetadata, CatalogMetadataSchema, CatalogReservation_Status } from "../../../gen/flyteidl/core/catalog_pb.js";
import { IdentifierSchema, type TaskExecutionIdentifier } from "../../../gen/flyteidl/core/identifier_pb.js";
import { type LiteralMap, LiteralMapSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import type { TaskTemplate } from "../../../gen/flyteidl/core/tasks_pb.js";
import {
  type ArtifactData,
  ArtifactDataSchema,
  ArtifactSchema,
  DatasetSchema,
  ReservationIDSchema,
  TagSchema,
  UpdateArtifactRequestSchema,
} from "../../../gen/flyteidl/datacatalog/datacatalog_pb.js";
import { addTag, createArtifact, getArtifact, updateArtifact } from "../../api/datacatalog-artifacts.js";
import { createDataset, getDataset } from "../../api/datacatalog-datasets.js";
import type { DataCatalogDeps } from "../../api/datacatalog-deps.js";
import { getOrExtendReservation, releaseReservation } from "../../api/datacatalog-reservations.js";
import type { BlobStore } from "../../blob/blob-store.js";
import { AdminError, type ErrorKind } from "../../core/errors.js";
import { BINARY_READ_OPTIONS } from "../../core/proto-limits.js";
import type { Logger } from "../../logger.js";
import type { DataCatalogStore } from "../../storage/datacatalog-store.js";
import { type CatalogKey, datasetName, type TaskCacheKey, taskCacheKey } from "./cache-key.js";
import { artifactMetadataFor, datasetIdOf, datasetMetadataFor, eventCatalogMetadata, outputsFromArtifact, sourceFromMetadata } from "./catalog-transform.js";
import { errorText } from "./execution-error.js";
import { MAX_OUTPUTS_BYTES } from "./output-check.js";

/**
 * Blob key prefix where earlier versions kept a copy of each entry's outputs
 * (entries now keep their outputs in the database); `cache evict` removes
 * what is left there.
 */
export const CATALOG_PREFIX = "metadata/catalog";
/** How long a reservation lasts between two extensions, in heartbeats of this length (engine-spec §6.1: 10 s). */
export const RESERVATION_HEARTBEAT_MS = 10_000;
/** Entries an eviction removes per transaction. */
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

/** Which entries an eviction removes: all of a project and domain, or only one task's, or only one cache version's. */
export interface CatalogScope {
  project: string;
  domain: string;
  /** The task name (not the dataset name). */
  taskName?: string | undefined;
  cacheVersion?: string | undefined;
}

export interface Catalog {
  /** The cached outputs of a key, or a miss (also when the entry does not fit the task's outputs). */
  lookup(key: TaskCacheKey, template: TaskTemplate): Promise<CacheLookup>;
  /**
   * Stores the outputs at `outputsUri` under the key; with `overwrite` they
   * replace the data of an existing entry, otherwise an existing entry stays.
   * Never throws: a failure is reported as not populated.
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
  /** Removes the entries of a scope; the number removed. */
  evict(scope: CatalogScope): Promise<number>;
}

export interface CatalogOptions {
  store: DataCatalogStore;
  /** Where task attempts leave their outputs. */
  blobs: BlobStore;
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

const failedWith = (e: unknown, kind: ErrorKind) => e instanceof AdminError && e.kind === kind;
const HEARTBEAT = create(DurationSchema, { seconds: BigInt(RESERVATION_HEARTBEAT_MS / 1000) });

export function createCatalog(options: CatalogOptions): Catalog {
  const { store, blobs, logger } = options;
  const clock = options.clock ?? (() => new Date());
  const deps: DataCatalogDeps = { store, clock };
  const waiters = new Map<string, Map<string, () => void>>();
  const keyText = (k: CatalogKey) => JSON.stringify([k.project, k.domain, k.datasetName, k.datasetVersion, k.tag]);
  const byTag = (k: CatalogKey) => ({ dataset: datasetIdOf(k), queryHandle: { case: "tagName" as const, value: k.tag } });
  const reservationOf = (k: CatalogKey) => create(ReservationIDSchema, { datasetId: datasetIdOf(k), tagName: k.tag });

  /** The outputs a task attempt left, bounded as the engine bounds every outputs read. */
  async function readOutputs(uri: string): Promise<LiteralMap> {
    const key = blobs.keyOf(uri);
    if (key === undefined) throw new Error(`${uri} is not a location of the engine's blob store`);
    const info = await blobs.stat(key);
    if (!info) throw new Error(`outputs ${uri} not found`);
    if (info.size > MAX_OUTPUTS_BYTES) throw new Error(`outputs ${uri} are ${info.size} bytes, more than the ${MAX_OUTPUTS_BYTES} bytes allowed`);
    const bytes = await blobs.get(key);
    if (!bytes) throw new Error(`outputs ${uri} not found`);
    return fromBinary(LiteralMapSchema, bytes, BINARY_READ_OPTIONS);
  }

  return {
    async lookup(key, template) {
      let found;
      try {
        const dataset = await getDataset(deps, { dataset: datasetIdOf(key) });
        found = { dataset, artifact: await getArtifact(deps, { ...byTag(key), dataset: dataset.id }) };
      } catch (e) {
        if (failedWith(e, "NotFound")) return { hit: false };
        throw e;
      }
      const miss = (why: string) => {
        logger.warn("engine cache: an entry cannot be used; running the task", { dataset: `${key.datasetName}/${key.datasetVersion}`, tag: key.tag, why });
        return { hit: false } as const;
      };
      const outputs = outputsFromArtifact(template.interface, found.artifact);
      if (typeof outputs === "string") return miss(outputs);
      let metadata: CatalogMetadata;
      try {
        const source = sourceFromMetadata(found.dataset.metadata, found.artifact.metadata, template.id ?? create(IdentifierSchema));
        metadata = eventCatalogMetadata(found.dataset.id!, found.artifact.tags[0], source);
      } catch (e) {
        return miss(errorText(e));
      }
      return { hit: true, outputs, bytes: toBinary(LiteralMapSchema, outputs), metadata };
    },

    async put(key, template, outputsUri, source, overwrite) {
      const datasetId = datasetIdOf(key);
      try {
        const outputs = await readOutputs(outputsUri);
        const data: ArtifactData[] = Object.entries(outputs.literals).map(([name, value]) => create(ArtifactDataSchema, { name, value }));
        const metadata = artifactMetadataFor(source);
        // propeller's Put and Update: the dataset first (taken already is fine).
        try {
          await createDataset(deps, { dataset: create(DatasetSchema, { id: datasetId, metadata: datasetMetadataFor(source) }) });
        } catch (e) {
          if (!failedWith(e, "AlreadyExists")) throw e;
        }
        if (overwrite) {
          try {
            const artifactId = await updateArtifact(deps, create(UpdateArtifactRequestSchema, { ...byTag(key), data, metadata }));
            const from = sourceFromMetadata(datasetMetadataFor(source), metadata, template.id ?? source.taskId ?? create(IdentifierSchema));
            return { populated: true, metadata: eventCatalogMetadata(datasetId, { name: key.tag, artifactId }, from) };
          } catch (e) {
            // Nothing to overwrite yet: created as a first write is.
            if (!failedWith(e, "NotFound")) throw e;
          }
        } else {
          // A key keeps its first entry: nothing is written when the tag names one already.
          const held = await tagged(key);
          if (held) return { populated: true, metadata: eventCatalogMetadata(datasetId, { name: key.tag, artifactId: held }, undefined) };
        }
        const artifactId = randomUUID();
        await createArtifact(deps, { artifact: create(ArtifactSchema, { id: artifactId, dataset: datasetId, data, metadata }) });
        let taggedId: string = artifactId;
        try {
          await addTag(deps, { tag: create(TagSchema, { name: key.tag, artifactId, dataset: datasetId }) });
        } catch (e) {
          // Another writer tagged its artifact first (propeller takes this as success): that one is the entry.
          if (!failedWith(e, "AlreadyExists")) throw e;
          taggedId = (await tagged(key)) ?? artifactId;
        }
        // As propeller: a first write names no source.
        return { populated: true, metadata: eventCatalogMetadata(datasetId, { name: key.tag, artifactId: taggedId }, undefined) };
      } catch (e) {
        logger.warn("engine cache: could not store outputs", { dataset: `${key.datasetName}/${key.datasetVersion}`, tag: key.tag, error: errorText(e) });
        // propeller's put-failure status names the task as the dataset.
        return { populated: false, metadata: create(CatalogMetadataSchema, { datasetId: template.id }) };
      }
    },

    async reserve(key, ownerId, now, waiter) {
      const reservation = await getOrExtendReservation(
        { ...deps, clock: () => now },
        { reservationId: reservationOf(key), ownerId, heartbeatInterval: HEARTBEAT },
      );
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
      const released = await releaseReservation(deps, { reservationId: reservationOf(key), ownerId });
      if (!released) return;
      const text = keyText(key);
      const woken = waiters.get(text);
      waiters.delete(text);
      for (const wake of woken?.values() ?? []) wake();
    },

    async evict(scope) {
      let total = 0;
      const artifacts = { project: scope.project, domain: scope.domain, datasetName: scope.taskName === undefined ? undefined : datasetName(scope.taskName), cacheVersion: scope.cacheVersion };
      for (;;) {
        const removed = await store.evictArtifacts(artifacts, EVICT_BATCH);
        total += removed;
        if (removed < EVICT_BATCH) return total;
      }
    },
  };

  /** The id of the artifact a key's tag names, if any. */
  async function tagged(key: CatalogKey): Promise<string | undefined> {
    try {
      return (await getArtifact(deps, byTag(key))).id;
    } catch (e) {
      if (failedWith(e, "NotFound")) return undefined;
      throw e;
    }
  }
}
