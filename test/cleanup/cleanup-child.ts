// Runs one retention pass over a database and blob folder, logging each deleted
// execution to stdout: the kill test stops it with SIGKILL in the middle.
import { openBlobStore } from "../../src/blob/open-blob-store.js";
import { createExecutionCleaner } from "../../src/cleanup/execution-cleaner.js";
import { createExecutionFiles } from "../../src/cleanup/execution-files.js";
import { TERMINAL_PHASES } from "../../src/core/retention.js";
import { ENGINE_METADATA_PREFIX } from "../../src/engine-wiring.js";
import { createLogger } from "../../src/logger.js";
import { openStore } from "../../src/storage/open-store.js";

const [database, blobDir, runRoot] = process.argv.slice(2) as [string, string, string];
const store = await openStore(database);
const blobs = openBlobStore(blobDir, {}, { sweepIntervalMs: 0 });
const files = createExecutionFiles({
  blobs,
  engineMetadataPrefix: ENGINE_METADATA_PREFIX,
  runRoot,
  taken: async (k) => (await store.deletions.facts(k)) !== undefined || (await store.deletions.isMarked(k)),
});
const cleaner = createExecutionCleaner({ store, files, logger: createLogger("info"), batchRows: 2 });
const age = 30 * 86_400_000;
await cleaner.run({ phases: TERMINAL_PHASES, maxAgeFor: () => age, minAgeMs: age, limit: 1_000_000 }, false);
process.stdout.write("done\n");
await store.close();
blobs.close();
