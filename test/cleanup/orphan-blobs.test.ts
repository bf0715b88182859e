import { mkdtempSync, rmSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BlobStore } from "../../src/blob/blob-store.js";
import { openBlobStore } from "../../src/blob/open-blob-store.js";
import { createS3BlobStore } from "../../src/blob/s3-blob-store.js";
import { createExecutionCleaner } from "../../src/cleanup/execution-cleaner.js";
import { createExecutionFiles, type FileTally } from "../../src/cleanup/execution-files.js";
import { createOrphanBlobs, ORPHAN_MIN_AGE_MS } from "../../src/cleanup/orphan-blobs.js";
import { dynamicClosureKey, executionInputsKey, executionOutputsKey, nodeOffloadKey, taskOffloadKey } from "../../src/core/blob-keys.js";
import { TERMINAL_PHASES } from "../../src/core/retention.js";
import { CATALOG_PREFIX } from "../../src/engine/local/catalog.js";
import { ENGINE_METADATA_PREFIX } from "../../src/engine-wiring.js";
import { createLogger } from "../../src/logger.js";
import { createSqlStore } from "../../src/storage/sql-store.js";
import { openSqlite } from "../../src/storage/sqlite.js";
import type { ExecutionKey, Store } from "../../src/storage/store.js";
import { TEST_BUCKET, TEST_CREDENTIALS, type TestS3Server, startS3Server } from "../blob/s3-server.js";
import { backends } from "../helpers/backends.js";
import { seedExecution } from "./seed.js";

const TASK = { project: "p", domain: "d", name: "t.square", version: "v1" };
const key = (name: string, project = "p", domain = "d"): ExecutionKey => ({ project, domain, name });

/** Every key shape the server writes for an execution. */
const ownKeys = (k: ExecutionKey) => [
  executionInputsKey(k, "inputs"),
  executionInputsKey(k, "user_inputs"),
  executionOutputsKey(k),
  nodeOffloadKey(k, "n0", "offloaded_inputs"),
  taskOffloadKey(k, "n0", TASK, 0, "offloaded_outputs"),
  dynamicClosureKey(k, "n0", { ...TASK, name: "wf.dyn" }),
  `${ENGINE_METADATA_PREFIX}/${k.project}-${k.domain}-${k.name}/n0/data/0/outputs.pb`,
];

/** Keys that are no execution's own, however they are named: never removed. */
const otherKeys = [
  `${CATALOG_PREFIX}/p/d/artifact.pb`,
  "metadata/p/d/gone/notes.txt",
  "metadata/p/d/gone/n0/outputs.pb",
  `${ENGINE_METADATA_PREFIX}/nohyphens/x`,
  "data/ab/p-d-gone/n0/out.pb",
  "p/d/registration/fast.tar.gz",
];

interface Setup {
  store: Store;
  blobs: BlobStore;
  /** Makes a blob new (written now), where the store lets the test set write times. */
  touch?: (key: string) => void;
}

/**
 * Seeds a live execution, one being deleted, and blobs of two that are gone (a
 * plain name, and one in project "admin", whose folder nests in the dynamic
 * closures' folder), then sweeps with a clock a safety age ahead.
 */
async function exercise({ store, blobs, touch }: Setup) {
  const now = new Date();
  const later = new Date(now.getTime() + ORPHAN_MIN_AGE_MS + 60_000);
  const runRoot = mkdtempSync(join(tmpdir(), "flyteadmin-orphans-"));
  try {
    const live = await seedExecution(store, blobs, runRoot, key("live"), { ageDays: 1, now });
    const marked = await seedExecution(store, blobs, runRoot, key("marked"), { ageDays: 1, now });
    expect(await store.deletions.mark([key("marked")], TERMINAL_PHASES, now)).toBe(true);
    const orphans = [...ownKeys(key("gone")), ...ownKeys(key("Y", "admin", "X"))];
    for (const k of [...orphans, ...otherKeys]) await blobs.put(k, new Uint8Array(10));
    // An execution being created now: its inputs are written before its row.
    const young = executionInputsKey(key("young"), "inputs");
    await blobs.put(young, new Uint8Array(10));

    const taken = async (k: ExecutionKey) => (await store.executions.exists(k)) || (await store.deletions.isMarked(k));
    const files = createExecutionFiles({ blobs, engineMetadataPrefix: ENGINE_METADATA_PREFIX, runRoot, taken });
    const deleted: FileTally[] = [];
    const make = (clock: () => Date) =>
      createExecutionCleaner({
        store,
        files,
        orphans: createOrphanBlobs({ blobs, engineMetadataPrefix: ENGINE_METADATA_PREFIX, taken, clock }),
        logger: createLogger("silent"),
        metrics: { deleted: () => undefined, orphansDeleted: (t) => void deleted.push(t) },
      });
    const exists = async (keys: string[]) => (await Promise.all(keys.map((k) => blobs.stat(k)))).filter(Boolean).length;

    // Nothing is old enough today.
    expect(await make(() => now).sweepOrphans(1_000, false)).toEqual({ files: 0, bytes: 0, done: true });
    touch?.(young);
    const cleaner = make(() => later);
    const dry = await cleaner.sweepOrphans(1_000, true);
    expect(dry).toEqual({ files: orphans.length + (touch ? 0 : 1), bytes: 10 * (orphans.length + (touch ? 0 : 1)), done: true });
    expect(await exists(orphans)).toBe(orphans.length);
    expect(deleted).toEqual([]);

    // A few keys per call: the walk goes on where the last call stopped.
    let total = 0;
    for (let calls = 0; ; calls++) {
      expect(calls).toBeLessThan(100);
      const swept = await cleaner.sweepOrphans(3, false);
      total += swept.files;
      if (swept.done) break;
    }
    expect(total).toBe(dry.files);
    expect(await exists(orphans)).toBe(0);
    expect(await exists(otherKeys)).toBe(otherKeys.length);
    expect(await exists(live.keys)).toBe(live.keys.length);
    expect(await exists(marked.keys)).toBe(marked.keys.length);
    if (touch) expect(await exists([young])).toBe(1);
    expect(deleted.reduce((n, t) => n + t.files, 0)).toBe(dry.files);
    expect(await cleaner.sweepOrphans(1_000, false)).toEqual({ files: 0, bytes: 0, done: true });
  } finally {
    rmSync(runRoot, { recursive: true, force: true });
  }
}

describe.each(backends)("Orphaned execution blobs on $name, local blob store", ({ open }) => {
  it("are found by key shape and age, counted in a dry run, then removed page by page; nothing else is touched", async () => {
    const store = createSqlStore(await open());
    const dir = mkdtempSync(join(tmpdir(), "flyteadmin-orphan-blobs-"));
    const blobs = openBlobStore(join(dir, "blobs"), {}, { sweepIntervalMs: 0 });
    try {
      const future = new Date(Date.now() + 2 * ORPHAN_MIN_AGE_MS);
      await exercise({ store, blobs, touch: (k) => utimesSync(join(dir, "blobs", ...k.split("/")), future, future) });
    } finally {
      blobs.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe("Orphaned execution blobs on S3", () => {
  let server: TestS3Server;
  beforeAll(async () => {
    server = await startS3Server();
  });
  afterAll(() => server?.stop());

  it("are found by key shape and age, counted in a dry run, then removed page by page; nothing else is touched", async () => {
    const store = createSqlStore(openSqlite(":memory:"));
    const blobs = createS3BlobStore({
      bucket: TEST_BUCKET,
      prefix: "orphans",
      endpoint: server.endpoint,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: TEST_CREDENTIALS,
      listPageSize: 2,
    });
    try {
      await exercise({ store, blobs });
    } finally {
      blobs.close();
      await store.close();
    }
  }, 120_000);
});
