import type { DataCatalogStore } from "../storage/datacatalog-store.js";

/** What the DataCatalog service (and the local engine's task cache, which goes through the same functions) is given. */
export interface DataCatalogDeps {
  store: DataCatalogStore;
  /** Stamps creations and measures reservations (default: the system clock). */
  clock?: () => Date;
  /** The largest `limit` a list may ask for (the server's maxPageSize; undefined or 0: none). */
  maxPageSize?: number | undefined;
}

/**
 * datacatalog's reservation defaults (max-reservation-heartbeat,
 * heartbeat-grace-period-multiplier): a reservation is extended at most every
 * 10 s, and lasts three heartbeats without an extension.
 */
export const MAX_RESERVATION_HEARTBEAT_MS = 10_000;
export const RESERVATION_GRACE_HEARTBEATS = 3;

export const nowOf = (deps: DataCatalogDeps) => (deps.clock ?? (() => new Date()))();
