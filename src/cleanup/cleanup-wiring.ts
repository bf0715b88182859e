import type { BlobStore } from "../blob/blob-store.js";
import type { Config } from "../config.js";
import { ENGINE_METADATA_PREFIX } from "../engine-wiring.js";
import type { Logger } from "../logger.js";
import type { ExecutionKey, Store } from "../storage/store.js";
import { type CleanupMetrics, createExecutionCleaner } from "./execution-cleaner.js";
import { createExecutionFiles } from "./execution-files.js";
import { createOrphanBlobs } from "./orphan-blobs.js";
import { createRetentionTimer } from "./retention-timer.js";

export interface CleanupWiringOptions {
  config: Config;
  store: Store;
  blobs: BlobStore;
  logger: Logger;
  metrics?: CleanupMetrics | undefined;
  clock?: () => Date;
}

/** The execution cleaner over the configured stores, and the retention timer over it (the server's and the CLI's alike). */
export function createCleanup(o: CleanupWiringOptions) {
  const { store } = o;
  const taken = async (k: ExecutionKey) => (await store.executions.exists(k)) || (await store.deletions.isMarked(k));
  const files = createExecutionFiles({
    blobs: o.blobs,
    engineMetadataPrefix: ENGINE_METADATA_PREFIX,
    // Also with --engine none: run folders of executions the local engine ran earlier are theirs.
    runRoot: o.config.engineRunRoot,
    taken,
  });
  const orphans = createOrphanBlobs({ blobs: o.blobs, engineMetadataPrefix: ENGINE_METADATA_PREFIX, taken, ...(o.clock ? { clock: o.clock } : {}) });
  const cleaner = createExecutionCleaner({
    store,
    files,
    orphans,
    logger: o.logger,
    ...(o.clock ? { clock: o.clock } : {}),
    ...(o.metrics ? { metrics: o.metrics } : {}),
  });
  const timer = createRetentionTimer({
    cleaner,
    policy: o.config.retention,
    leases: store.leases,
    logger: o.logger,
    intervalMs: o.config.retentionIntervalMs,
    batch: o.config.retentionBatch,
    ...(o.clock ? { clock: o.clock } : {}),
  });
  return { cleaner, timer };
}
