import type { ArtifactFilter, DatasetFilter, DcPage } from "../core/datacatalog/dc-list.js";
import type { DatasetKey } from "../core/datacatalog/dc-validation.js";

/** A dataset as stored: its key, its UUID (what its artifacts and tags hang off), metadata bytes and partition keys. */
export interface StoredDataset extends DatasetKey {
  uuid: string;
  /** datacatalog.Metadata bytes. */
  metadata: Uint8Array;
  partitionKeys: string[];
  createdAt: Date;
}

/** An artifact with everything GetArtifact answers: its data (core.Literal bytes), partitions and tags, in stored order. */
export interface StoredArtifact {
  dataset: StoredDataset;
  artifactId: string;
  /** datacatalog.Metadata bytes. */
  metadata: Uint8Array;
  data: { name: string; value: Uint8Array }[];
  partitions: { key: string; value: string }[];
  tags: string[];
  createdAt: Date;
}

/** What CreateArtifact writes (the dataset found already). */
export interface NewArtifact {
  datasetUuid: string;
  artifactId: string;
  metadata: Uint8Array;
  data: { name: string; value: Uint8Array }[];
  partitions: { key: string; value: string }[];
}

/** Which artifacts an eviction removes: of one project and domain, optionally one dataset name and one cache version. */
export interface ArtifactScope {
  project: string;
  domain: string;
  datasetName?: string | undefined;
  /** Dataset versions `<cacheVersion>-<8 chars>-<8 chars>`, as task caches name them. */
  cacheVersion?: string | undefined;
}

/** A reservation's key: a dataset's key fields (the dataset need not exist) and a tag name. */
export interface ReservationKey extends DatasetKey {
  tagName: string;
}

export interface StoredReservation extends ReservationKey {
  ownerId: string;
  expiresAt: Date;
}

/**
 * flyteidl.datacatalog's model (datasets, artifacts with their data,
 * partitions and tags, reservations) in the server's database: what the
 * DataCatalog service serves and the local engine's task cache is kept in.
 * Outcomes a caller acts on are results ("exists", undefined); failures are
 * the database's own errors. Every multi-row write is one transaction.
 */
export interface DataCatalogStore {
  /** Inserts a dataset; false (nothing written) when its key or UUID is taken. */
  createDataset(dataset: StoredDataset): Promise<boolean>;
  /** The dataset of a key (and of that UUID, when one is given). */
  getDataset(key: DatasetKey, uuid?: string): Promise<StoredDataset | undefined>;
  listDatasets(filters: readonly DatasetFilter[], page: DcPage): Promise<StoredDataset[]>;

  /** Inserts an artifact with its data and partitions; false (nothing written) when the dataset has an artifact of that id. */
  createArtifact(artifact: NewArtifact, now: Date): Promise<boolean>;
  /** An artifact by id: in one dataset, or (no dataset given) the newest of that id in any. */
  getArtifact(artifactId: string, dataset?: DatasetKey): Promise<StoredArtifact | undefined>;
  /** The artifact a tag of a dataset points to. */
  getArtifactByTag(dataset: DatasetKey, tagName: string): Promise<StoredArtifact | undefined>;
  /**
   * A page of a dataset's artifacts matching every filter. The page ends early
   * once the artifacts in it hold `maxDataBytes` of data (never before the
   * first).
   */
  listArtifacts(dataset: StoredDataset, filters: readonly ArtifactFilter[], page: DcPage, maxDataBytes: number): Promise<StoredArtifact[]>;
  /** Replaces an artifact's metadata and data (all of it); false when the artifact is gone. */
  updateArtifact(datasetUuid: string, artifactId: string, metadata: Uint8Array, data: readonly { name: string; value: Uint8Array }[]): Promise<boolean>;
  /** Tags an artifact: "exists" when the dataset has that tag already (it is not moved), "no-artifact" when the artifact is gone. */
  addTag(datasetUuid: string, tagName: string, artifactId: string, now: Date): Promise<"created" | "exists" | "no-artifact">;
  /**
   * Removes at most `limit` artifacts of a scope with their data, partitions
   * and tags (their datasets stay); how many it removed, fewer than `limit`
   * when none are left.
   */
  evictArtifacts(scope: ArtifactScope, limit: number): Promise<number>;

  /**
   * Takes the reservation of a key for `ownerId` (creating it), or extends it
   * when the owner holds it already or it expired before `now`: it then
   * expires at `expiresAt`. Otherwise it is left as it is. Returns the
   * reservation as it stands: its owner says who holds it.
   */
  getOrExtendReservation(key: ReservationKey, ownerId: string, expiresAt: Date, now: Date): Promise<StoredReservation>;
  /** Drops the reservation if `ownerId` holds it; false when it held none. */
  releaseReservation(key: ReservationKey, ownerId: string): Promise<boolean>;
}
