import { create, fromBinary } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { LiteralSchema } from "../../gen/flyteidl/core/literals_pb.js";
import {
  type Artifact,
  ArtifactSchema,
  type Dataset,
  type DatasetID,
  DatasetIDSchema,
  DatasetSchema,
  MetadataSchema,
  TagSchema,
} from "../../gen/flyteidl/datacatalog/datacatalog_pb.js";
import { protoText } from "../core/compiler/proto-text.js";
import { dcMissingEntity } from "../core/datacatalog/dc-errors.js";
import type { DatasetKey } from "../core/datacatalog/dc-validation.js";
import { BINARY_READ_OPTIONS } from "../core/proto-limits.js";
import type { StoredArtifact, StoredDataset } from "../storage/datacatalog-store.js";

/** The id of a stored dataset, with its UUID (datacatalog's FromDatasetModel). */
export const datasetIdOf = (d: StoredDataset): DatasetID =>
  create(DatasetIDSchema, { project: d.project, name: d.name, domain: d.domain, version: d.version, UUID: d.uuid });

export const datasetMessage = (d: StoredDataset): Dataset =>
  create(DatasetSchema, {
    id: datasetIdOf(d),
    metadata: fromBinary(MetadataSchema, d.metadata, BINARY_READ_OPTIONS),
    partitionKeys: d.partitionKeys,
  });

/** An artifact as GetArtifact and ListArtifacts answer it: with its data, partitions, every tag, and its dataset's UUID. */
export function artifactMessage(a: StoredArtifact): Artifact {
  const dataset = datasetIdOf(a.dataset);
  return create(ArtifactSchema, {
    id: a.artifactId,
    dataset,
    data: a.data.map((x) => ({ name: x.name, value: fromBinary(LiteralSchema, x.value, BINARY_READ_OPTIONS) })),
    metadata: fromBinary(MetadataSchema, a.metadata, BINARY_READ_OPTIONS),
    partitions: a.partitions,
    tags: a.tags.map((name) => create(TagSchema, { name, artifactId: a.artifactId, dataset })),
    createdAt: timestampFromDate(a.createdAt),
  });
}

const keyText = (k: DatasetKey) => protoText(DatasetIDSchema, create(DatasetIDSchema, { project: k.project, name: k.name, domain: k.domain, version: k.version }));

/** NOT_FOUND for a dataset, naming its id as datacatalog does. */
export const datasetNotFound = (k: DatasetKey) => dcMissingEntity("Dataset", keyText(k));

/** NOT_FOUND for an artifact (of a dataset, or of any when none was given: `dataset:{}`). */
export const artifactNotFound = (artifactId: string, dataset: DatasetKey | undefined) =>
  dcMissingEntity(
    "Artifact",
    protoText(
      ArtifactSchema,
      create(ArtifactSchema, {
        id: artifactId,
        dataset: dataset ? { project: dataset.project, name: dataset.name, domain: dataset.domain, version: dataset.version } : {},
      }),
    ),
  );

/**
 * NOT_FOUND for a tag. datacatalog names the tag it failed to read (an empty
 * one, so its message ends in "identifier "); the name asked for is given here.
 */
export const tagNotFound = (name: string) => dcMissingEntity("Tag", protoText(TagSchema, create(TagSchema, { name })));
