import { invalidArgument } from "../errors.js";

/**
 * Bounds on what the DataCatalog stores, checked before anything is written.
 * datacatalog itself has none; here every column and row has one, so a
 * request is refused with INVALID_ARGUMENT the same way on SQLite and
 * PostgreSQL (whose btree entries must stay under ~2,700 bytes and whose text
 * cannot hold NUL) instead of failing in the database.
 */

/**
 * Bytes of one key field (dataset project, name, domain, version, tag name,
 * artifact id, partition key and value, reservation owner). Five of them make
 * the widest key (a reservation's), 2,000 bytes, under PostgreSQL's limit.
 * Above FlyteAdmin's 255 because propeller's dataset names are
 * `flyte_task-<task name>` and its versions `<cache_version>-<8>-<8>`.
 */
export const MAX_DC_KEY_BYTES = 400;
/** Entries of one metadata key map, and its encoded size. */
export const MAX_METADATA_ENTRIES = 256;
export const MAX_METADATA_BYTES = 64 * 1024;
/** Partition keys of a dataset (an artifact has one value per key). */
export const MAX_PARTITION_KEYS = 32;
/** ArtifactData entries of one artifact (one per task output for propeller). */
export const MAX_ARTIFACT_DATA_ENTRIES = 1_000;
/**
 * The encoded literals of one artifact, together. Stored inline in the
 * database (see the artifact_data table), and answered whole by GetArtifact:
 * a Go gRPC client (flytepropeller) reads answers of up to 4 MiB by default,
 * so larger entries are only of use to the local engine.
 */
export const MAX_ARTIFACT_DATA_BYTES = 10 * 1024 * 1024;
/** Filters of one list request. */
export const MAX_FILTERS = 32;
/**
 * The data a ListArtifacts answer carries: once the artifacts of a page hold
 * this much, the page ends early (at least one artifact is always answered)
 * and the token continues after the last one answered.
 */
export const MAX_LIST_DATA_BYTES = 32 * 1024 * 1024;

const CONTROL = /[\u0000-\u001f\u007f]/;

/** A key field: at most MAX_DC_KEY_BYTES, no control characters (PostgreSQL cannot store NUL). */
export function checkDatasetKeyText(value: string, field: string): void {
  if (value.length > MAX_DC_KEY_BYTES || Buffer.byteLength(value, "utf8") > MAX_DC_KEY_BYTES) {
    throw invalidArgument(`${field} cannot exceed ${MAX_DC_KEY_BYTES} bytes`);
  }
  if (CONTROL.test(value)) throw invalidArgument(`${field} cannot contain control characters`);
}

/** Free text stored in a column or a metadata value: anything but NUL. */
export function checkNoNul(value: string, field: string): void {
  if (value.includes("\u0000")) throw invalidArgument(`${field} cannot contain a NUL character`);
}
