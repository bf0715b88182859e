import { toBinary } from "@bufbuild/protobuf";
import {
  type AddTagRequest,
  type Artifact,
  type CreateArtifactRequest,
  type GetArtifactRequest,
  type ListArtifactsRequest,
  type ListArtifactsResponse,
  MetadataSchema,
  type UpdateArtifactRequest,
} from "../../gen/flyteidl/datacatalog/datacatalog_pb.js";
import { dcDuplicate } from "../core/datacatalog/dc-errors.js";
import { MAX_LIST_DATA_BYTES } from "../core/datacatalog/dc-limits.js";
import { checkArtifactFilterKinds, dcNextToken, parseArtifactFilters, parseDcPage } from "../core/datacatalog/dc-list.js";
import {
  type ArtifactHandle,
  checkMetadata,
  checkPartitions,
  encodeArtifactData,
  requireArtifact,
  requireArtifactHandle,
  requireDatasetId,
  requireTag,
} from "../core/datacatalog/dc-validation.js";
import type { StoredArtifact } from "../storage/datacatalog-store.js";
import { type DataCatalogDeps, nowOf } from "./datacatalog-deps.js";
import { findDataset } from "./datacatalog-datasets.js";
import { artifactMessage, artifactNotFound, tagNotFound } from "./datacatalog-messages.js";

/**
 * CreateArtifact (datacatalog's artifactManager): into an existing dataset,
 * one value per partition key of it, at least one ArtifactData; the artifact
 * and its data are written together or not at all.
 */
export async function createArtifact(deps: DataCatalogDeps, req: Pick<CreateArtifactRequest, "artifact">): Promise<void> {
  const { artifact } = requireArtifact(req.artifact);
  const data = encodeArtifactData(artifact.data);
  const metadata = checkMetadata(artifact.metadata);
  const dataset = await findDataset(deps, artifact.dataset);
  checkPartitions(dataset.partitionKeys, artifact.partitions);
  const created = await deps.store.createArtifact(
    {
      datasetUuid: dataset.uuid,
      artifactId: artifact.id,
      metadata: toBinary(MetadataSchema, metadata),
      data,
      partitions: artifact.partitions.map((p) => ({ key: p.key, value: p.value })),
    },
    nowOf(deps),
  );
  if (!created) throw dcDuplicate("artifacts");
}

/** The artifact a handle names, or NOT_FOUND (datacatalog's findArtifact). */
async function findArtifact(deps: DataCatalogDeps, handle: ArtifactHandle): Promise<StoredArtifact> {
  if (handle.by === "id") {
    const found = await deps.store.getArtifact(handle.artifactId, handle.dataset);
    if (!found) throw artifactNotFound(handle.artifactId, handle.dataset);
    return found;
  }
  const found = await deps.store.getArtifactByTag(handle.dataset, handle.tagName);
  if (!found) throw tagNotFound(handle.tagName);
  return found;
}

/** GetArtifact: by id, or by tag in a dataset; with its data. */
export async function getArtifact(deps: DataCatalogDeps, req: Pick<GetArtifactRequest, "dataset" | "queryHandle">): Promise<Artifact> {
  return artifactMessage(await findArtifact(deps, requireArtifactHandle(req)));
}

/**
 * UpdateArtifact: replaces the data (and metadata) of the artifact an id or a
 * tag names, keeping its id, tags and creation time; answers its id.
 */
export async function updateArtifact(deps: DataCatalogDeps, req: UpdateArtifactRequest): Promise<string> {
  const handle = requireArtifactHandle(req);
  const data = encodeArtifactData(req.data);
  const metadata = checkMetadata(req.metadata);
  const found = await findArtifact(deps, handle);
  const updated = await deps.store.updateArtifact(found.dataset.uuid, found.artifactId, toBinary(MetadataSchema, metadata), data);
  if (!updated) throw artifactNotFound(found.artifactId, found.dataset);
  return found.artifactId;
}

/**
 * AddTag: names an artifact of a dataset. A tag is given once: tagging
 * another artifact with a name the dataset has is ALREADY_EXISTS and the tag
 * stays where it is (propeller takes that as success).
 */
export async function addTag(deps: DataCatalogDeps, req: Pick<AddTagRequest, "tag">): Promise<void> {
  const tag = requireTag(req.tag);
  const dataset = await findDataset(deps, req.tag!.dataset);
  const outcome = await deps.store.addTag(dataset.uuid, tag.name, tag.artifactId, nowOf(deps));
  if (outcome === "no-artifact") throw artifactNotFound(tag.artifactId, dataset);
  if (outcome === "exists") throw dcDuplicate("tags");
}

/** ListArtifacts: a dataset's artifacts with their data, filtered on tags and partitions. */
export async function listArtifacts(deps: DataCatalogDeps, req: ListArtifactsRequest): Promise<Omit<ListArtifactsResponse, "$typeName">> {
  requireDatasetId(req.dataset);
  checkArtifactFilterKinds(req.filter);
  const page = parseDcPage(req.pagination, deps.maxPageSize);
  const dataset = await findDataset(deps, req.dataset);
  const filters = parseArtifactFilters(req.filter);
  const rows = await deps.store.listArtifacts(dataset, filters, page, MAX_LIST_DATA_BYTES);
  return { artifacts: rows.map(artifactMessage), nextToken: dcNextToken(page, rows.length) };
}
