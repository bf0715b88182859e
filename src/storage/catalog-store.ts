/** Where a cached artifact lives: a dataset (one task interface at one cache version) and the tag of its inputs. */
export interface CatalogKey {
  project: string;
  domain: string;
  /** `flyte_task-<task name>` */
  datasetName: string;
  /** `<cache_version>-<in8>-<out8>` */
  datasetVersion: string;
  /** `flyte_cached-<hash of the inputs>` */
  tag: string;
}

/** The task execution whose outputs a cache entry holds (what `CatalogMetadata.source_task_execution` reports). */
export interface CatalogSource {
  execution: { project: string; domain: string; name: string };
  nodeId: string;
  retryAttempt: number;
  task: { project: string; domain: string; name: string; version: string };
}

export interface CatalogEntry extends CatalogKey {
  /** The task's cache_version as written (trimmed), for eviction by version. */
  cacheVersion: string;
  /** Unique per write: a replaced entry gets a new one. */
  artifactId: string;
  /** A LiteralMap blob the engine owns (a copy, independent of the source execution's files). */
  outputsUri: string;
  source: CatalogSource;
  createdAt: Date;
}

export interface CatalogReservation extends CatalogKey {
  ownerId: string;
  expiresAt: Date;
  heartbeatMs: number;
}

/** Which entries an eviction removes: all of a project and domain, or only one task's, or only one cache version's. */
export interface CatalogScope {
  project: string;
  domain: string;
  /** The task name (not the dataset name). */
  taskName?: string | undefined;
  cacheVersion?: string | undefined;
}

export interface CatalogPutResult {
  /** The entry the key holds now. */
  entry: CatalogEntry;
  /** False when the key held an entry already and the put was not an overwrite (the first entry stays). */
  written: boolean;
  /** The entry an overwrite replaced (its outputs blob is the caller's to delete). */
  replaced?: CatalogEntry | undefined;
}

/**
 * The local engine's task cache and its reservations (engine-spec §6.1),
 * after datacatalog's artifact and reservation semantics. Failures are the
 * database's own errors, unchanged.
 */
export interface CatalogStore {
  get(key: CatalogKey): Promise<CatalogEntry | undefined>;
  /**
   * Stores an entry. Without `overwrite` a key keeps its first entry (a
   * concurrent writer of the same key loses quietly); with it, the new entry
   * replaces the old one atomically.
   */
  put(entry: Omit<CatalogEntry, "createdAt">, options: { overwrite: boolean; now: Date }): Promise<CatalogPutResult>;
  /**
   * Removes at most `limit` entries in the scope and returns them (their
   * outputs blobs are the caller's to delete); fewer than `limit` means none
   * are left.
   */
  evict(scope: CatalogScope, limit: number): Promise<CatalogEntry[]>;
  /**
   * Takes the reservation of a key for `ownerId`, or extends it when the owner
   * holds it already: it then expires at `now + heartbeatMs × 3`. A reservation
   * held by another owner is taken over only once it has expired. Returns the
   * reservation as it stands: its owner says who holds it.
   */
  getOrExtendReservation(key: CatalogKey, ownerId: string, heartbeatMs: number, now: Date): Promise<CatalogReservation>;
  /** Drops the reservation if `ownerId` holds it; false when it held none (not an error). */
  releaseReservation(key: CatalogKey, ownerId: string): Promise<boolean>;
}

/** A reservation lasts this many heartbeats without being extended (datacatalog's grace period multiplier). */
export const RESERVATION_GRACE_HEARTBEATS = 3;
