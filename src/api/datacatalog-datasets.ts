import { randomUUID } from "node:crypto";
import { toBinary } from "@bufbuild/protobuf";
import {
  type CreateDatasetRequest,
  type Dataset,
  type GetDatasetRequest,
  type ListDatasetsRequest,
  type ListDatasetsResponse,
  MetadataSchema,
} from "../../gen/flyteidl/datacatalog/datacatalog_pb.js";
import { collected, dcDuplicate } from "../core/datacatalog/dc-errors.js";
import { dcNextToken, parseDatasetFilters, parseDcPage } from "../core/datacatalog/dc-list.js";
import { checkMetadata, checkPartitionKeys, requireDatasetId } from "../core/datacatalog/dc-validation.js";
import type { StoredDataset } from "../storage/datacatalog-store.js";
import { type DataCatalogDeps, nowOf } from "./datacatalog-deps.js";
import { datasetMessage, datasetNotFound } from "./datacatalog-messages.js";

/** CreateDataset (datacatalog's datasetManager): ALREADY_EXISTS when the key (or a given UUID) is taken. */
export async function createDataset(deps: DataCatalogDeps, req: Pick<CreateDatasetRequest, "dataset">): Promise<void> {
  const dataset = req.dataset;
  // The id and the partition keys are checked together and their failures reported together.
  const invalid = collected([() => requireDatasetId(dataset?.id), () => checkPartitionKeys(dataset?.partitionKeys ?? [])]);
  if (invalid) throw invalid;
  const key = requireDatasetId(dataset!.id);
  const metadata = checkMetadata(dataset!.metadata);
  const created = await deps.store.createDataset({
    ...key,
    uuid: key.uuid || randomUUID(),
    metadata: toBinary(MetadataSchema, metadata),
    partitionKeys: [...dataset!.partitionKeys],
    createdAt: nowOf(deps),
  });
  if (!created) throw dcDuplicate("datasets");
}

/** The stored dataset of an id, or NOT_FOUND (a UUID in the id must match too). */
export async function findDataset(deps: DataCatalogDeps, id: GetDatasetRequest["dataset"]): Promise<StoredDataset> {
  const key = requireDatasetId(id);
  const found = await deps.store.getDataset(key, key.uuid || undefined);
  if (!found) throw datasetNotFound(key);
  return found;
}

export async function getDataset(deps: DataCatalogDeps, req: Pick<GetDatasetRequest, "dataset">): Promise<Dataset> {
  return datasetMessage(await findDataset(deps, req.dataset));
}

/** ListDatasets: every project's, filtered on the key fields, newest first unless asked otherwise. */
export async function listDatasets(deps: DataCatalogDeps, req: ListDatasetsRequest): Promise<Omit<ListDatasetsResponse, "$typeName">> {
  const page = parseDcPage(req.pagination, deps.maxPageSize);
  const filters = parseDatasetFilters(req.filter);
  const rows = await deps.store.listDatasets(filters, page);
  return { datasets: rows.map(datasetMessage), nextToken: dcNextToken(page, rows.length) };
}
