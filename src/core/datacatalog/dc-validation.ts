import { create, toBinary } from "@bufbuild/protobuf";
import {
  type Artifact,
  type ArtifactData,
  type DatasetID,
  type GetArtifactRequest,
  type Metadata,
  MetadataSchema,
  type Partition,
  PartitionSchema,
  type ReservationID,
  type Tag,
  type UpdateArtifactRequest,
} from "../../../gen/flyteidl/datacatalog/datacatalog_pb.js";
import { LiteralSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import { protoText } from "../compiler/proto-text.js";
import { invalidArgument } from "../errors.js";
import { collected, dcInvalid, dcMissing } from "./dc-errors.js";
import {
  checkDatasetKeyText,
  checkNoNul,
  MAX_ARTIFACT_DATA_BYTES,
  MAX_ARTIFACT_DATA_ENTRIES,
  MAX_DC_KEY_BYTES,
  MAX_METADATA_BYTES,
  MAX_METADATA_ENTRIES,
  MAX_PARTITION_KEYS,
} from "./dc-limits.js";

/**
 * datacatalog's request validation (pkg/manager/impl/validators), in its
 * order and with its messages, plus the bounds of dc-limits.ts. Each check
 * throws an AdminError (INVALID_ARGUMENT).
 */

/** A dataset id with the four key fields a dataset is stored under. */
export interface DatasetKey {
  project: string;
  name: string;
  domain: string;
  version: string;
}

/** ValidateDatasetID: every key field set (`missing dataset` when there is no id at all). */
export function requireDatasetId(id: DatasetID | undefined): DatasetKey & { uuid: string } {
  if (!id) throw dcMissing("dataset");
  for (const field of ["project", "domain", "name", "version"] as const) {
    if (id[field] === "") throw dcMissing(field);
    checkDatasetKeyText(id[field], field);
  }
  if (id.UUID !== "") checkUuid(id.UUID);
  return { project: id.project, name: id.name, domain: id.domain, version: id.version, uuid: id.UUID };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A dataset UUID (datacatalog's column is PostgreSQL's uuid type, which refuses anything else). */
export function checkUuid(uuid: string): void {
  if (!UUID.test(uuid)) throw dcInvalid("UUID", uuid.length > 64 ? `${uuid.slice(0, 64)}...` : uuid);
}

/** ValidateUniquePartitionKeys, with the count and size bounds. */
export function checkPartitionKeys(keys: readonly string[]): void {
  if (keys.length > MAX_PARTITION_KEYS) throw invalidArgument(`a dataset cannot have more than ${MAX_PARTITION_KEYS} partition keys`);
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  if ([...counts.values()].some((n) => n > 1)) {
    throw dcInvalid("partitionKey", `Keys are not unique, occurrence count: ${goMap(counts)}`);
  }
  keys.forEach((k, i) => checkDatasetKeyText(k, `partitionKey[${i}]`));
}

/**
 * ValidatePartitions: an artifact gives one value to each of its dataset's
 * partition keys. datacatalog lets one key take two values when another key
 * is left out (it counts, then only looks for unknown keys); here each key
 * must be given exactly once.
 */
export function checkPartitions(datasetKeys: readonly string[], partitions: readonly Partition[]): void {
  if (datasetKeys.length !== partitions.length) {
    throw invalidArgument(
      `Partition key mismatch, dataset keys: [${datasetKeys.join(" ")}], artifact Partitions: [${partitions.map((p) => protoText(PartitionSchema, p)).join(" ")}]`,
    );
  }
  if (datasetKeys.length === 0) return;
  const matched = new Map(datasetKeys.map((k) => [k, false]));
  const checks: (() => void)[] = [];
  let mismatch = false;
  partitions.forEach((p, i) => {
    if (p.value === "") {
      checks.push(() => {
        throw dcMissing(`partitionValue[${i}]`);
      });
    } else if (matched.has(p.key) && !matched.get(p.key)) {
      matched.set(p.key, true);
      checks.push(() => checkDatasetKeyText(p.value, `partitionValue[${i}]`));
    } else {
      mismatch = true;
    }
  });
  if (mismatch) {
    checks.push(() => {
      throw invalidArgument(`Artifact partition assignment does not match dataset partition keys: ${goMap(matched)}`);
    });
  }
  const failed = collected(checks);
  if (failed) throw failed;
}

/** Metadata as stored: bounded entries, no NUL; absent is empty (datacatalog marshals a nil one as empty). */
export function checkMetadata(metadata: Metadata | undefined, field = "metadata"): Metadata {
  const m = metadata ?? create(MetadataSchema);
  const entries = Object.entries(m.keyMap);
  if (entries.length > MAX_METADATA_ENTRIES) throw invalidArgument(`${field} cannot have more than ${MAX_METADATA_ENTRIES} entries`);
  for (const [k, v] of entries) {
    if (Buffer.byteLength(k, "utf8") > MAX_DC_KEY_BYTES) throw invalidArgument(`${field} keys cannot exceed ${MAX_DC_KEY_BYTES} bytes`);
    checkNoNul(k, `${field} key`);
    checkNoNul(v, `${field} value of ${k}`);
  }
  if (toBinary(MetadataSchema, m).length > MAX_METADATA_BYTES) throw invalidArgument(`${field} cannot exceed ${MAX_METADATA_BYTES} bytes`);
  return m;
}

/** ArtifactData as stored: its literals encoded, at least one, names unique, bounded in count and size. */
export function encodeArtifactData(data: readonly ArtifactData[]): { name: string; value: Uint8Array }[] {
  if (data.length === 0) throw dcMissing("artifactData");
  if (data.length > MAX_ARTIFACT_DATA_ENTRIES) throw invalidArgument(`an artifact cannot have more than ${MAX_ARTIFACT_DATA_ENTRIES} artifactData entries`);
  const seen = new Set<string>();
  let total = 0;
  return data.map((d, i) => {
    checkDatasetKeyText(d.name, `artifactData[${i}].name`);
    if (seen.has(d.name)) throw invalidArgument(`artifactData name [${d.name}] is given more than once`);
    seen.add(d.name);
    if (!d.value) throw dcMissing(`artifactData[${i}].value`);
    const value = toBinary(LiteralSchema, d.value);
    total += value.length;
    if (total > MAX_ARTIFACT_DATA_BYTES) throw invalidArgument(`the artifactData of an artifact cannot exceed ${MAX_ARTIFACT_DATA_BYTES} bytes`);
    return { name: d.name, value };
  });
}

/** ValidateArtifact (CreateArtifact): dataset id, artifact id, data. */
export function requireArtifact(artifact: Artifact | undefined): { artifact: Artifact; dataset: DatasetKey & { uuid: string } } {
  if (!artifact) throw dcMissing("artifact");
  const dataset = requireDatasetId(artifact.dataset);
  if (artifact.id === "") throw dcMissing("artifactID");
  checkDatasetKeyText(artifact.id, "artifactID");
  if (artifact.data.length === 0) throw dcMissing("artifactData");
  return { artifact, dataset };
}

/** How GetArtifact and UpdateArtifact find an artifact: by id (the dataset optional) or by tag (the dataset required). */
export type ArtifactHandle =
  | { by: "id"; artifactId: string; dataset: DatasetKey | undefined }
  | { by: "tag"; tagName: string; dataset: DatasetKey };

/** ValidateGetArtifactRequest / ValidateUpdateArtifactRequest (before the data check). */
export function requireArtifactHandle(req: Pick<GetArtifactRequest | UpdateArtifactRequest, "dataset" | "queryHandle">): ArtifactHandle {
  const handle = req.queryHandle;
  switch (handle.case) {
    case undefined:
      throw dcMissing("one of artifactID/tagName");
    case "artifactId": {
      const dataset = req.dataset ? requireDatasetId(req.dataset) : undefined;
      if (handle.value === "") throw dcMissing("artifactID");
      checkDatasetKeyText(handle.value, "artifactID");
      return { by: "id", artifactId: handle.value, dataset };
    }
    case "tagName": {
      const dataset = requireDatasetId(req.dataset);
      if (handle.value === "") throw dcMissing("tagName");
      checkDatasetKeyText(handle.value, "tagName");
      return { by: "tag", tagName: handle.value, dataset };
    }
  }
}

/** ValidateTag (AddTag). */
export function requireTag(tag: Tag | undefined): { name: string; artifactId: string; dataset: DatasetKey & { uuid: string } } {
  if (!tag) throw dcMissing("tag");
  const dataset = requireDatasetId(tag.dataset);
  if (tag.name === "") throw dcMissing("tagName");
  checkDatasetKeyText(tag.name, "tagName");
  if (tag.artifactId === "") throw dcMissing("artifactID");
  checkDatasetKeyText(tag.artifactId, "artifactID");
  return { name: tag.name, artifactId: tag.artifactId, dataset };
}

/**
 * A reservation's key and owner. datacatalog checks neither (an empty id
 * reserves the empty key); here both are required, as for every other key.
 */
export function requireReservation(id: ReservationID | undefined, ownerId: string): { dataset: DatasetKey; tagName: string; ownerId: string } {
  if (!id) throw dcMissing("reservationID");
  const dataset = requireDatasetId(id.datasetId);
  if (id.tagName === "") throw dcMissing("tagName");
  checkDatasetKeyText(id.tagName, "tagName");
  if (ownerId === "") throw dcMissing("ownerID");
  checkDatasetKeyText(ownerId, "ownerID");
  return { dataset, tagName: id.tagName, ownerId };
}

/** Go's `%v` of a map with string keys: `map[k1:v1 k2:v2]`, keys sorted. */
function goMap(m: ReadonlyMap<string, unknown>): string {
  return `map[${[...m.keys()]
    .sort()
    .map((k) => `${k}:${String(m.get(k))}`)
    .join(" ")}]`;
}
