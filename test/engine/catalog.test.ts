import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CatalogReservation_Status } from "../../gen/flyteidl/core/catalog_pb.js";
import { ResourceType, type TaskExecutionIdentifier, TaskExecutionIdentifierSchema } from "../../gen/flyteidl/core/identifier_pb.js";
import { type Literal, LiteralMapSchema, LiteralSchema } from "../../gen/flyteidl/core/literals_pb.js";
import type { TaskTemplate } from "../../gen/flyteidl/core/tasks_pb.js";
import type { BlobStore } from "../../src/blob/blob-store.js";
import { openBlobStore } from "../../src/blob/open-blob-store.js";
import { MAX_ARTIFACT_DATA_BYTES } from "../../src/core/datacatalog/dc-limits.js";
import { taskCacheKey } from "../../src/engine/local/cache-key.js";
import { type Catalog, createCatalog, lookupTaskCache } from "../../src/engine/local/catalog.js";
import { createLogger } from "../../src/logger.js";
import { openStore } from "../../src/storage/open-store.js";
import type { Store } from "../../src/storage/store.js";
import { cacheEntry, datasetKeyOf } from "../helpers/cache-entries.js";
import { pythonTask, T, taskId } from "../fixtures/flyte-builders.js";

const int = (n: number): Literal => create(LiteralSchema, { value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "integer", value: BigInt(n) } } } } } });
const str = (s: string): Literal => create(LiteralSchema, { value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "stringValue", value: s } } } } } });
const inputs = (x: number) => create(LiteralMapSchema, { literals: { x: int(x) } });

function cachedTask(): TaskTemplate {
  const t = pythonTask("wf.square", { x: T.int() }, { o0: T.int() });
  t.metadata!.discoverable = true;
  t.metadata!.discoveryVersion = "1.0";
  return t;
}

const source = (execution: string, attempt = 0, version = "v4"): TaskExecutionIdentifier =>
  create(TaskExecutionIdentifierSchema, {
    taskId: taskId("wf.square", version),
    nodeExecutionId: { nodeId: "n0", executionId: { project: "flytesnacks", domain: "development", name: execution } },
    retryAttempt: attempt,
  });

let dir: string;
let store: Store;
let blobs: BlobStore;
let catalog: Catalog;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "flyteadmin-catalog-"));
  store = await openStore(":memory:");
  blobs = openBlobStore(join(dir, "blobs"), {}, { sweepIntervalMs: 0 });
  catalog = createCatalog({ store: store.dataCatalog, blobs, logger: createLogger("silent") });
});
afterEach(async () => {
  await store.close();
  blobs.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Outputs as a task attempt leaves them. */
async function outputs(name: string, literals: Record<string, Literal>) {
  const key = `metadata/propeller/${name}/n0/data/0/outputs.pb`;
  await blobs.putMessage(key, LiteralMapSchema, create(LiteralMapSchema, { literals }));
  return blobs.uri(key);
}

describe("the engine's task catalog", () => {
  it("writes an entry as propeller does (dataset, artifact per output, tag, source metadata) that outlives the outputs file", async () => {
    const task = cachedTask();
    const key = taskCacheKey(task, inputs(3));
    expect(await lookupTaskCache(catalog, task, inputs(3))).toEqual({ hit: false });
    const uri = await outputs("e1", { o0: int(9) });
    const written = await catalog.put(key, task, uri, source("e1", 1), false);
    expect(written.populated).toBe(true);
    expect(written.metadata.datasetId).toMatchObject({ resourceType: ResourceType.DATASET, name: key.datasetName, version: key.datasetVersion });
    expect(written.metadata.artifactTag?.name).toBe(key.tag);
    // A first write names no source (as propeller's).
    expect(written.metadata.sourceExecution.case).toBeUndefined();
    await blobs.delete(blobs.keyOf(uri)!);

    const dataset = await store.dataCatalog.getDataset(datasetKeyOf(key));
    expect(dataset?.partitionKeys).toEqual([]);
    const entry = await cacheEntry(store.dataCatalog, key);
    expect(entry).toMatchObject({ artifactId: written.metadata.artifactTag?.artifactId, tags: [key.tag] });
    expect(entry?.data.map((d) => d.name)).toEqual(["o0"]);
    expect(entry?.keyMap).toEqual({ "exec-project": "flytesnacks", "exec-domain": "development", "execution-name": "e1", "exec-node": "n0", "exec-attempt": "1" });

    const found = await lookupTaskCache(catalog, task, inputs(3));
    if (!found.hit) throw new Error("expected a hit");
    expect(found.outputs.literals["o0"]).toEqual(int(9));
    expect(found.metadata.artifactTag).toEqual(written.metadata.artifactTag);
    expect(found.metadata.sourceExecution).toEqual({
      case: "sourceTaskExecution",
      value: expect.objectContaining({
        taskId: expect.objectContaining({ resourceType: ResourceType.TASK, name: "wf.square", version: "v4" }),
        nodeExecutionId: expect.objectContaining({ nodeId: "n0", executionId: expect.objectContaining({ name: "e1" }) }),
        retryAttempt: 1,
      }),
    });
    expect(await lookupTaskCache(catalog, task, inputs(4))).toEqual({ hit: false });
  });

  it("keeps the first entry of a key unless told to overwrite, which replaces its data under the same artifact", async () => {
    const task = cachedTask();
    const key = taskCacheKey(task, inputs(3));
    const first = await catalog.put(key, task, await outputs("e1", { o0: int(9) }), source("e1"), false);
    const second = await catalog.put(key, task, await outputs("e2", { o0: int(10) }), source("e2"), false);
    expect(second.populated).toBe(true);
    expect(second.metadata.artifactTag?.artifactId).toBe(first.metadata.artifactTag?.artifactId);
    const datasetUuid = (await store.dataCatalog.getDataset(datasetKeyOf(key)))!.uuid;
    const page = { offset: 0, limit: 10, ascending: true };
    // Nothing written by the second: no untagged artifact either.
    expect(await store.dataCatalog.listArtifacts((await store.dataCatalog.getDataset(datasetKeyOf(key)))!, [], page, 1 << 20)).toHaveLength(1);
    const over = await catalog.put(key, task, await outputs("e3", { o0: int(11) }), source("e3", 0, "v5"), true);
    expect(over.metadata.artifactTag?.artifactId).toBe(first.metadata.artifactTag?.artifactId);
    expect(over.metadata.sourceExecution.value).toMatchObject({ taskId: { version: "v5" }, nodeExecutionId: { executionId: { name: "e3" } } });
    const found = await catalog.lookup(key, task);
    expect(found.hit && found.outputs.literals["o0"]).toEqual(int(11));
    // The dataset keeps the version of the task that created it, as propeller's does.
    expect(found.hit && found.metadata.sourceExecution.value).toMatchObject({ taskId: { version: "v4" }, nodeExecutionId: { executionId: { name: "e3" } } });
    expect(datasetUuid).toBe((await store.dataCatalog.getDataset(datasetKeyOf(key)))!.uuid);
    // Overwriting a key nobody wrote creates its entry.
    const fresh = taskCacheKey(task, inputs(5));
    expect((await catalog.put(fresh, task, await outputs("e4", { o0: int(25) }), source("e4"), true)).populated).toBe(true);
    expect((await catalog.lookup(fresh, task)).hit).toBe(true);
  });

  it("reports a put it cannot make as not populated, naming the task, and never throws", async () => {
    const task = cachedTask();
    const key = taskCacheKey(task, inputs(3));
    const missing = await catalog.put(key, task, blobs.uri("metadata/propeller/nowhere/outputs.pb"), source("e1"), false);
    expect(missing.populated).toBe(false);
    expect(missing.metadata.datasetId).toMatchObject({ resourceType: ResourceType.TASK, name: "wf.square" });
    const foreign = await catalog.put(key, task, "s3://elsewhere/outputs.pb", source("e1"), false);
    expect(foreign.populated).toBe(false);
    // Outputs larger than an artifact may hold are not cached, and nothing is left behind.
    const huge = await outputs("e2", { o0: str("x".repeat(MAX_ARTIFACT_DATA_BYTES + 1)) });
    expect((await catalog.put(key, task, huge, source("e2"), false)).populated).toBe(false);
    expect(await catalog.lookup(key, task)).toEqual({ hit: false });
    expect(await cacheEntry(store.dataCatalog, key)).toBeUndefined();
  });

  it("misses when an entry does not hold the task's outputs: other names, other count, or a type the output cannot take", async () => {
    const task = cachedTask();
    const cases: Record<string, Literal>[] = [{ other: int(1) }, { o0: int(1), o1: int(2) }, { o0: str("not an int") }];
    for (const [i, literals] of cases.entries()) {
      const key = taskCacheKey(task, inputs(100 + i));
      expect((await catalog.put(key, task, await outputs(`bad${i}`, literals), source(`bad${i}`), false)).populated).toBe(true);
      expect(await catalog.lookup(key, task)).toEqual({ hit: false });
    }
  });

  it("evicts entries of a task, of one cache version, or of a whole project and domain", async () => {
    const task = cachedTask();
    for (const x of [1, 2, 3]) await catalog.put(taskCacheKey(task, inputs(x)), task, await outputs(`e${x}`, { o0: int(x) }), source(`e${x}`), false);
    const v2 = cachedTask();
    v2.metadata!.discoveryVersion = "1.0-rc";
    await catalog.put(taskCacheKey(v2, inputs(1)), v2, await outputs("v2", { o0: int(1) }), source("v2"), false);
    expect(await catalog.evict({ project: "flytesnacks", domain: "development", taskName: "wf.other" })).toBe(0);
    // "1.0" is not a prefix match of "1.0-rc".
    expect(await catalog.evict({ project: "flytesnacks", domain: "development", taskName: "wf.square", cacheVersion: "1.0" })).toBe(3);
    expect(await catalog.lookup(taskCacheKey(task, inputs(1)), task)).toEqual({ hit: false });
    expect((await catalog.lookup(taskCacheKey(v2, inputs(1)), v2)).hit).toBe(true);
    expect(await catalog.evict({ project: "flytesnacks", domain: "production" })).toBe(0);
    expect(await catalog.evict({ project: "flytesnacks", domain: "development" })).toBe(1);
    expect((await catalog.lookup(taskCacheKey(v2, inputs(1)), v2)).hit).toBe(false);
  });

  it("wakes the waiters of a reservation when its owner releases it, and only then", async () => {
    const key = taskCacheKey(cachedTask(), inputs(3));
    const now = new Date();
    expect(await catalog.reserve(key, "owner-a", now)).toBe(CatalogReservation_Status.RESERVATION_ACQUIRED);
    const woken: string[] = [];
    const waiter = (id: string) => ({ id, wake: () => woken.push(id) });
    // One waiter asking on every look is woken once.
    for (let i = 0; i < 3; i++) expect(await catalog.reserve(key, "owner-b", now, waiter("exec-b"))).toBe(CatalogReservation_Status.RESERVATION_EXISTS);
    expect(await catalog.reserve(key, "owner-c", now, waiter("exec-c"))).toBe(CatalogReservation_Status.RESERVATION_EXISTS);
    await catalog.release(key, "owner-b");
    expect(woken).toEqual([]);
    await catalog.release(key, "owner-a");
    expect(woken.sort()).toEqual(["exec-b", "exec-c"]);
    await catalog.release(key, "owner-a");
    expect(woken).toHaveLength(2);
    expect(await catalog.reserve(key, "owner-b", now)).toBe(CatalogReservation_Status.RESERVATION_ACQUIRED);
    // Three heartbeats later it has expired, and another owner takes it over.
    expect(await catalog.reserve(key, "owner-c", new Date(now.getTime() + 30_001))).toBe(CatalogReservation_Status.RESERVATION_ACQUIRED);
  });
});
