import { parseArgs } from "node:util";
import { s3Options } from "./app.js";
import type { BlobStore } from "./blob/blob-store.js";
import { openBlobStore } from "./blob/open-blob-store.js";
import { commandConfig, openCommandStore } from "./command-config.js";
import { flagName, OPTIONS } from "./config.js";
import { CATALOG_PREFIX, createCatalog } from "./engine/local/catalog.js";

export const CACHE_USAGE = `flyteadmin-ts cache: the local engine's task cache.

Usage:
  flyteadmin-ts cache evict --project P --domain D [--task NAME] [--version CACHE_VERSION] [options]
      removes cached task outputs (the local engine's and those flytepropeller
      keeps in this server's DataCatalog): every entry of a project and domain,
      or only one task's (its full name, e.g. wf.square), or only those made
      with one cache_version; later runs compute them again

Options: --config <file> and the server's database and storage options
(--database, --data-dir, --storage, --s3-*), so it works on the server's cache.
`;

/** Identifiers are at most this long (FlyteAdmin's project/domain/name columns); longer ones cannot match anything stored. */
const MAX_ID_CHARS = 255;

export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

/** `flyteadmin-ts cache …` (argv after "cache"): the exit code. Bad arguments are a usage error (2), not a crash. */
export async function cacheCommand(argv: string[], io: CommandIo): Promise<number> {
  const configFlags = Object.fromEntries(OPTIONS.map((o) => [flagName(o.key), { type: "string" as const }]));
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        ...configFlags,
        config: { type: "string" },
        help: { type: "boolean", short: "h" },
        project: { type: "string" },
        domain: { type: "string" },
        task: { type: "string" },
        version: { type: "string" },
      },
    });
  } catch (e) {
    io.stderr(`${(e as Error).message}\n\n${CACHE_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(CACHE_USAGE);
    return 0;
  }
  if (positionals.length !== 1 || positionals[0] !== "evict") {
    io.stderr(`unknown cache command ${positionals.join(" ") || "(none)"}\n\n${CACHE_USAGE}`);
    return 2;
  }
  const problem = checkIds({ project: values.project, domain: values.domain, task: values.task, version: values.version });
  if (problem) {
    io.stderr(`${problem}\n\n${CACHE_USAGE}`);
    return 2;
  }
  const config = commandConfig(values, io);
  if (!config) return 2;
  // The log goes to stderr, the answer to stdout.
  const { store, logger } = await openCommandStore(config, io);
  const blobs = openBlobStore(config.storage, s3Options(config), { sweepIntervalMs: 0 });
  try {
    const scope = { project: values.project!, domain: values.domain!, taskName: values.task, cacheVersion: values.version };
    const removed = await createCatalog({ store: store.dataCatalog, blobs, logger }).evict(scope);
    const what = [`project ${scope.project}`, `domain ${scope.domain}`, ...(scope.taskName ? [`task ${scope.taskName}`] : []), ...(scope.cacheVersion ? [`cache version ${scope.cacheVersion}`] : [])];
    io.stdout(`evicted ${removed} cache ${removed === 1 ? "entry" : "entries"} (${what.join(", ")})\n`);
    const copies = await removeOldCopies(blobs, scope.project, scope.domain);
    if (copies > 0) io.stdout(`removed ${copies} output ${copies === 1 ? "copy" : "copies"} an earlier version kept under ${CATALOG_PREFIX}/${scope.project}/${scope.domain}/\n`);
    return 0;
  } finally {
    blobs.close();
    await store.close();
  }
}

/**
 * Earlier versions kept each entry's outputs as a blob under
 * `metadata/catalog/<project>/<domain>/`; the upgrade that moved entries into
 * the DataCatalog tables dropped those entries (their keys are computed
 * differently now), so every such blob is unused whatever the scope.
 */
async function removeOldCopies(blobs: BlobStore, project: string, domain: string): Promise<number> {
  // Segments with "/" or dot names cannot be a folder of their own: nothing to remove.
  if ([project, domain].some((s) => s.includes("/") || s === "." || s === "..")) return 0;
  const keys = await blobs.list(`${CATALOG_PREFIX}/${project}/${domain}/`);
  for (const key of keys) await blobs.delete(key);
  return keys.length;
}

function checkIds(ids: Record<"project" | "domain" | "task" | "version", string | undefined>): string | undefined {
  for (const required of ["project", "domain"] as const) {
    if (ids[required] === undefined || ids[required].trim() === "") return `--${required} is required`;
  }
  for (const [name, value] of Object.entries(ids)) {
    if (value === undefined) continue;
    if (value.trim() === "") return `--${name} must not be empty`;
    if (value.length > MAX_ID_CHARS) return `--${name} is longer than ${MAX_ID_CHARS} characters`;
  }
  return undefined;
}
