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
import { taskCacheKey } from "../../src/engine/local/cache-key.js";
import { type Catalog, createCatalog, lookupTaskCache } from "../../src/engine/local/catalog.js";
import { createLogger } from "../../src/logger.js";
import { openStore } from "../../src/storage/open-store.js";
import type { Store } from "../../src/storage/store.js";
import { pythonTask, T, taskId } from "../fixtures/flyte-builders.js";

const int = (n: number): Literal => create(LiteralSchema, { value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "integer", value: BigInt(n) } } } } } });
const inputs = (x: number) => create(LiteralMapSchema, { literals: { x: int(x) } });

function cachedTask(): TaskTemplate {
  const t = pythonTask("wf.square", { x: T.int() }, { o0: T.int() });
  t.metadata!.discoverable = true;
  t.metadata!.discoveryVersion = "1.0";
  return t;
}

const source = (execution: string, attempt = 0): TaskExecutionIdentifier =>
  create(TaskExecutionIdentifierSchema, {
    taskId: taskId("wf.square", "v4"),
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
  catalog = createCatalog({ store: store.catalog, blobs, prefix: "metadata/catalog", logger: createLogger("silent") });
});
afterEach(async () => {
  await store.close();
  blobs.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Outputs as a task attempt leaves them. */
async function outputs(name: string, o0: number) {
  const key = `metadata/propeller/${name}/n0/data/0/outputs.pb`;
  await blobs.putMessage(key, LiteralMapSchema, create(LiteralMapSchema, { literals: { o0: int(o0) } }));
  return blobs.uri(key);
}

describe("the engine's task catalog", () => {
  it("stores a copy of the outputs that outlives the source's files, and answers hits with it", async () => {
    const task = cachedTask();
    const key = taskCacheKey(task, inputs(3));
    expect(await lookupTaskCache(catalog, task, inputs(3))).toEqual({ hit: false });
    const uri = await outputs("e1", 9);
    const written = await catalog.put(key, task, uri, source("e1", 1), false);
    expect(written.populated).toBe(true);
    expect(written.metadata.datasetId).toMatchObject({ resourceType: ResourceType.DATASET, name: key.datasetName, version: key.datasetVersion });
    expect(written.metadata.artifactTag?.name).toBe(key.tag);
    // A first write names no source (as propeller's).
    expect(written.metadata.sourceExecution.case).toBeUndefined();
    await blobs.delete(blobs.keyOf(uri)!);

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

  it("keeps the first entry of a key unless told to overwrite, and deletes the copies it does not keep", async () => {
    const task = cachedTask();
    const key = taskCacheKey(task, inputs(3));
    const first = await catalog.put(key, task, await outputs("e1", 9), source("e1"), false);
    const second = await catalog.put(key, task, await outputs("e2", 10), source("e2"), false);
    expect(second.metadata.artifactTag?.artifactId).toBe(first.metadata.artifactTag?.artifactId);
    expect(await blobs.list("metadata/catalog/")).toHaveLength(1);
    const over = await catalog.put(key, task, await outputs("e3", 11), source("e3"), true);
    expect(over.metadata.artifactTag?.artifactId).not.toBe(first.metadata.artifactTag?.artifactId);
    expect(over.metadata.sourceExecution.value).toMatchObject({ nodeExecutionId: { executionId: { name: "e3" } } });
    expect(await blobs.list("metadata/catalog/")).toHaveLength(1);
    const found = await catalog.lookup(key, task);
    expect(found.hit && found.outputs.literals["o0"]).toEqual(int(11));
  });

  it("reports a put it cannot make as not populated, naming the task, and never throws", async () => {
    const task = cachedTask();
    const key = taskCacheKey(task, inputs(3));
    const missing = await catalog.put(key, task, blobs.uri("metadata/propeller/nowhere/outputs.pb"), source("e1"), false);
    expect(missing.populated).toBe(false);
    expect(missing.metadata.datasetId).toMatchObject({ resourceType: ResourceType.TASK, name: "wf.square" });
    const foreign = await catalog.put(key, task, "s3://elsewhere/outputs.pb", source("e1"), false);
    expect(foreign.populated).toBe(false);
    expect(await catalog.lookup(key, task)).toEqual({ hit: false });
  });

  it("misses when an entry's copy is gone or does not hold the task's outputs", async () => {
    const task = cachedTask();
    const key = taskCacheKey(task, inputs(3));
    await catalog.put(key, task, await outputs("e1", 9), source("e1"), false);
    const [copy] = await blobs.list("metadata/catalog/");
    await blobs.putMessage(copy!, LiteralMapSchema, create(LiteralMapSchema, { literals: { other: int(1) } }));
    expect(await catalog.lookup(key, task)).toEqual({ hit: false });
    await blobs.delete(copy!);
    expect(await catalog.lookup(key, task)).toEqual({ hit: false });
  });

  it("evicts entries with their copies", async () => {
    const task = cachedTask();
    for (const x of [1, 2, 3]) await catalog.put(taskCacheKey(task, inputs(x)), task, await outputs(`e${x}`, x), source(`e${x}`), false);
    expect(await catalog.evict({ project: "flytesnacks", domain: "development", taskName: "wf.other" })).toBe(0);
    expect(await catalog.evict({ project: "flytesnacks", domain: "development", taskName: "wf.square", cacheVersion: "1.0" })).toBe(3);
    expect(await blobs.list("metadata/catalog/")).toEqual([]);
    expect(await catalog.lookup(taskCacheKey(task, inputs(1)), task)).toEqual({ hit: false });
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
  });
});
