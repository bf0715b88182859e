import type { ServiceImpl } from "@connectrpc/connect";
import type { DataCatalog } from "../../gen/flyteidl/datacatalog/datacatalog_pb.js";
import { addTag, createArtifact, getArtifact, listArtifacts, updateArtifact } from "./datacatalog-artifacts.js";
import { createDataset, getDataset, listDatasets } from "./datacatalog-datasets.js";
import type { DataCatalogDeps } from "./datacatalog-deps.js";
import { getOrExtendReservation, releaseReservation } from "./datacatalog-reservations.js";

/**
 * datacatalog.DataCatalog, as Flyte's datacatalog v1.16.8 serves it: what
 * flytepropeller's catalog client calls to cache task outputs. The local
 * engine's task cache goes through the same functions.
 */
export function dataCatalogService(deps: DataCatalogDeps): ServiceImpl<typeof DataCatalog> {
  return {
    async createDataset(req) {
      await createDataset(deps, req);
      return {};
    },
    async getDataset(req) {
      return { dataset: await getDataset(deps, req) };
    },
    async createArtifact(req) {
      await createArtifact(deps, req);
      return {};
    },
    async getArtifact(req) {
      return { artifact: await getArtifact(deps, req) };
    },
    async addTag(req) {
      await addTag(deps, req);
      return {};
    },
    listArtifacts: (req) => listArtifacts(deps, req),
    listDatasets: (req) => listDatasets(deps, req),
    async updateArtifact(req) {
      return { artifactId: await updateArtifact(deps, req) };
    },
    async getOrExtendReservation(req) {
      return { reservation: await getOrExtendReservation(deps, req) };
    },
    async releaseReservation(req) {
      await releaseReservation(deps, req);
      return {};
    },
  };
}
