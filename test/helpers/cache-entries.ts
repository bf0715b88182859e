import { fromBinary } from "@bufbuild/protobuf";
import { MetadataSchema } from "../../gen/flyteidl/datacatalog/datacatalog_pb.js";
import type { CatalogKey } from "../../src/engine/local/cache-key.js";
import type { DataCatalogStore, ReservationKey, StoredArtifact } from "../../src/storage/datacatalog-store.js";

/** The DataCatalog keys of an engine cache key. */
export const datasetKeyOf = (k: CatalogKey) => ({ project: k.project, name: k.datasetName, domain: k.domain, version: k.datasetVersion });
export const reservationKeyOf = (k: CatalogKey): ReservationKey => ({ ...datasetKeyOf(k), tagName: k.tag });

/** The artifact a cache key's tag names, with its metadata decoded (what names the execution that wrote it). */
export async function cacheEntry(store: DataCatalogStore, k: CatalogKey): Promise<(StoredArtifact & { keyMap: Record<string, string> }) | undefined> {
  const found = await store.getArtifactByTag(datasetKeyOf(k), k.tag);
  return found && { ...found, keyMap: fromBinary(MetadataSchema, found.metadata).keyMap };
}

/** Who holds a cache key's reservation: asks for it as `owner` (taking it when nobody holds it). */
export async function reservationOwner(store: DataCatalogStore, k: CatalogKey, owner: string): Promise<string> {
  const now = new Date();
  return (await store.getOrExtendReservation(reservationKeyOf(k), owner, new Date(now.getTime() + 30_000), now)).ownerId;
}
