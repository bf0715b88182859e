import { afterEach, describe, expect, it } from "vitest";
import type { CatalogEntry, CatalogKey, CatalogStore } from "../../src/storage/catalog-store.js";
import type { Dialect } from "../../src/storage/dialect.js";
import { createSqlCatalogStore } from "../../src/storage/sql-catalog.js";
import { backends } from "../helpers/backends.js";

const key = (tag: string, over: Partial<CatalogKey> = {}): CatalogKey => ({
  project: "flytesnacks",
  domain: "development",
  datasetName: "flyte_task-wf.square",
  datasetVersion: "1.0-abcdefgh-ijklmnop",
  tag,
  ...over,
});

const entry = (k: CatalogKey, artifactId: string, over: Partial<Omit<CatalogEntry, keyof CatalogKey>> = {}): Omit<CatalogEntry, "createdAt"> => ({
  ...k,
  cacheVersion: "1.0",
  artifactId,
  outputsUri: `file:///blobs/metadata/catalog/${artifactId}.pb`,
  source: {
    execution: { project: k.project, domain: k.domain, name: "exec1" },
    nodeId: "n0",
    retryAttempt: 2,
    task: { project: k.project, domain: k.domain, name: "wf.square", version: "v7" },
  },
  ...over,
});

const NOW = new Date("2030-01-01T00:00:00.000Z");
const later = (ms: number) => new Date(NOW.getTime() + ms);

describe.each(backends)("Catalog store on $name", ({ open }) => {
  let d: Dialect | undefined;
  let catalog: CatalogStore;
  const start = async () => {
    d = await open();
    catalog = createSqlCatalogStore(d);
  };
  afterEach(async () => {
    await d?.close();
    d = undefined;
  });

  it("stores an entry and reads every field back; another key is a miss", async () => {
    await start();
    const e = entry(key("flyte_cached-A"), "art-1");
    const put = await catalog.put(e, { overwrite: false, now: NOW });
    expect(put).toEqual({ entry: { ...e, createdAt: NOW }, written: true });
    expect(await catalog.get(key("flyte_cached-A"))).toEqual({ ...e, createdAt: NOW });
    expect(await catalog.get(key("flyte_cached-B"))).toBeUndefined();
    expect(await catalog.get(key("flyte_cached-A", { datasetVersion: "2.0-abcdefgh-ijklmnop" }))).toBeUndefined();
    expect(await catalog.get(key("flyte_cached-A", { domain: "production" }))).toBeUndefined();
  });

  it("keeps the first entry of a key when a put does not overwrite", async () => {
    await start();
    await catalog.put(entry(key("t"), "first"), { overwrite: false, now: NOW });
    const second = await catalog.put(entry(key("t"), "second"), { overwrite: false, now: later(5) });
    expect(second.written).toBe(false);
    expect(second.entry.artifactId).toBe("first");
    expect(second.replaced).toBeUndefined();
    expect((await catalog.get(key("t")))?.artifactId).toBe("first");
  });

  it("replaces an entry on overwrite and reports the one it replaced; overwriting a free key just writes", async () => {
    await start();
    const fresh = await catalog.put(entry(key("t"), "a1"), { overwrite: true, now: NOW });
    expect(fresh.written).toBe(true);
    expect(fresh.replaced).toBeUndefined();
    const source = { execution: { project: "flytesnacks", domain: "development", name: "exec2" }, nodeId: "n3", retryAttempt: 0, task: { project: "flytesnacks", domain: "development", name: "wf.square", version: "v8" } };
    const over = await catalog.put(entry(key("t"), "a2", { outputsUri: "file:///blobs/x.pb", source }), { overwrite: true, now: later(10) });
    expect(over.written).toBe(true);
    expect(over.replaced?.artifactId).toBe("a1");
    expect(over.entry).toMatchObject({ artifactId: "a2", outputsUri: "file:///blobs/x.pb", source, createdAt: later(10) });
    expect(await catalog.get(key("t"))).toEqual(over.entry);
  });

  it("lets exactly one of concurrent first writers of a key win", async () => {
    await start();
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => catalog.put(entry(key("race"), `r${i}`), { overwrite: false, now: NOW })));
    expect(results.filter((r) => r.written)).toHaveLength(1);
    const winner = results.find((r) => r.written)!.entry.artifactId;
    expect(new Set(results.map((r) => r.entry.artifactId))).toEqual(new Set([winner]));
    expect((await catalog.get(key("race")))?.artifactId).toBe(winner);
  });

  it("chains concurrent overwrites: each replaces a different entry and the last one stays", async () => {
    await start();
    await catalog.put(entry(key("race"), "r0"), { overwrite: false, now: NOW });
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => catalog.put(entry(key("race"), `w${i}`), { overwrite: true, now: NOW })));
    expect(results.every((r) => r.written)).toBe(true);
    const replaced = results.map((r) => r.replaced?.artifactId);
    expect(new Set(replaced).size).toBe(5);
    // Every entry ever written is replaced once, except the one that stays.
    const stays = (await catalog.get(key("race")))!.artifactId;
    expect(new Set([...replaced, stays])).toEqual(new Set(["r0", "w0", "w1", "w2", "w3", "w4"]));
  });

  it("evicts by project and domain, by task and by cache version, in batches, and touches nothing else", async () => {
    await start();
    const other = { datasetName: "flyte_task-wf.other" };
    await catalog.put(entry(key("a"), "sq-1"), { overwrite: false, now: NOW });
    await catalog.put(entry(key("b"), "sq-1b"), { overwrite: false, now: NOW });
    await catalog.put(entry(key("a", { datasetVersion: "2.0-abcdefgh-ijklmnop" }), "sq-2", { cacheVersion: "2.0" }), { overwrite: false, now: NOW });
    await catalog.put(entry(key("a", other), "ot-1"), { overwrite: false, now: NOW });
    await catalog.put(entry(key("a", { domain: "production" }), "prod-1"), { overwrite: false, now: NOW });
    await catalog.put(entry(key("a", { project: "other" }), "proj-1"), { overwrite: false, now: NOW });

    const scope = { project: "flytesnacks", domain: "development" };
    expect(await catalog.evict({ ...scope, taskName: "wf.square", cacheVersion: "9.9" }, 100)).toEqual([]);
    const v1 = await catalog.evict({ ...scope, taskName: "wf.square", cacheVersion: "1.0" }, 100);
    expect(v1.map((x) => x.artifactId).sort()).toEqual(["sq-1", "sq-1b"]);
    expect(v1[0]!.outputsUri).toMatch(/^file:\/\/\/blobs\/metadata\/catalog\/sq-1b?\.pb$/);
    expect((await catalog.evict({ ...scope, taskName: "wf.square" }, 100)).map((x) => x.artifactId)).toEqual(["sq-2"]);
    expect(await catalog.get(key("a", other))).toBeDefined();

    // A whole project-domain, one entry per batch.
    await catalog.put(entry(key("c"), "sq-3"), { overwrite: false, now: NOW });
    const first = await catalog.evict(scope, 1);
    const second = await catalog.evict(scope, 1);
    expect(first).toHaveLength(1);
    expect(second).toHaveLength(1);
    expect(await catalog.evict(scope, 1)).toEqual([]);
    expect(await catalog.get(key("a", { domain: "production" }))).toBeDefined();
    expect(await catalog.get(key("a", { project: "other" }))).toBeDefined();
    await expect(catalog.evict(scope, 0)).rejects.toThrow(/batch/);
  });

  it("gives a reservation to its first owner, extends it for that owner and shows it to the others", async () => {
    await start();
    const k = key("res");
    const a = await catalog.getOrExtendReservation(k, "owner-a", 10_000, NOW);
    expect(a).toEqual({ ...k, ownerId: "owner-a", expiresAt: later(30_000), heartbeatMs: 10_000 });
    const b = await catalog.getOrExtendReservation(k, "owner-b", 10_000, later(1_000));
    expect(b.ownerId).toBe("owner-a");
    expect(b.expiresAt).toEqual(later(30_000));
    const extended = await catalog.getOrExtendReservation(k, "owner-a", 10_000, later(20_000));
    expect(extended).toMatchObject({ ownerId: "owner-a", expiresAt: later(50_000) });
    // Not expired at 49 s; taken over after 50 s.
    expect((await catalog.getOrExtendReservation(k, "owner-b", 10_000, later(49_000))).ownerId).toBe("owner-a");
    const taken = await catalog.getOrExtendReservation(k, "owner-b", 5_000, later(50_001));
    expect(taken).toMatchObject({ ownerId: "owner-b", expiresAt: later(65_001), heartbeatMs: 5_000 });
    // Another key is free.
    expect((await catalog.getOrExtendReservation(key("other"), "owner-a", 10_000, NOW)).ownerId).toBe("owner-a");
  });

  it("releases a reservation only for its owner; then the next owner takes it", async () => {
    await start();
    const k = key("res");
    await catalog.getOrExtendReservation(k, "owner-a", 10_000, NOW);
    expect(await catalog.releaseReservation(k, "owner-b")).toBe(false);
    expect((await catalog.getOrExtendReservation(k, "owner-b", 10_000, NOW)).ownerId).toBe("owner-a");
    expect(await catalog.releaseReservation(k, "owner-a")).toBe(true);
    expect(await catalog.releaseReservation(k, "owner-a")).toBe(false);
    expect((await catalog.getOrExtendReservation(k, "owner-b", 10_000, NOW)).ownerId).toBe("owner-b");
  });

  it("lets exactly one of concurrent owners take a free reservation", async () => {
    await start();
    const k = key("race");
    const seen = await Promise.all(Array.from({ length: 6 }, (_, i) => catalog.getOrExtendReservation(k, `owner-${i}`, 10_000, NOW)));
    const owners = new Set(seen.map((s) => s.ownerId));
    expect(owners.size).toBe(1);
  });

  it("refuses a heartbeat that is not a positive 32-bit number of milliseconds", async () => {
    await start();
    for (const bad of [0, -1, 1.5, 2 ** 31, Number.NaN]) {
      await expect(catalog.getOrExtendReservation(key("x"), "o", bad, NOW)).rejects.toThrow(/heartbeat/);
    }
  });
});
