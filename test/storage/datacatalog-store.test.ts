import { afterEach, describe, expect, it } from "vitest";
import type { DcPage } from "../../src/core/datacatalog/dc-list.js";
import type { DataCatalogStore, StoredDataset } from "../../src/storage/datacatalog-store.js";
import type { Dialect } from "../../src/storage/dialect.js";
import { createSqlDataCatalog } from "../../src/storage/sql-datacatalog.js";
import { backends } from "../helpers/backends.js";

const NOW = new Date("2030-01-01T00:00:00.000Z");
const later = (ms: number) => new Date(NOW.getTime() + ms);
const bytes = (...b: number[]) => new Uint8Array(b);
const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
const key = (over: Partial<StoredDataset> = {}) => ({ project: "flytesnacks", name: "flyte_task-wf.square", domain: "development", version: "1.0-abcdefgh-ijklmnop", ...over });
const dataset = (n: number, over: Partial<StoredDataset> = {}): StoredDataset => ({
  ...key(over),
  uuid: uuid(n),
  metadata: bytes(1, 2),
  partitionKeys: [],
  createdAt: later(n),
  ...over,
});
const page = (over: Partial<DcPage> = {}): DcPage => ({ offset: 0, limit: 50, ascending: false, ...over });
const plain = (a: { data: { name: string; value: Uint8Array }[] }) => a.data.map((d) => [d.name, [...d.value]]);

describe.each(backends)("DataCatalog store on $name", ({ open }) => {
  let d: Dialect | undefined;
  let dc: DataCatalogStore;
  const start = async () => {
    d = await open();
    dc = createSqlDataCatalog(d);
  };
  afterEach(async () => {
    await d?.close();
    d = undefined;
  });

  /** A dataset with artifacts "a0".."a<n-1>", created a millisecond apart, each with one datum. */
  async function seeded(n: number, partitionKeys: string[] = []) {
    const ds = dataset(1, { partitionKeys });
    expect(await dc.createDataset(ds)).toBe(true);
    for (let i = 0; i < n; i++) {
      const partitions = partitionKeys.map((k) => ({ key: k, value: `${k}-${i % 2}` }));
      expect(await dc.createArtifact({ datasetUuid: ds.uuid, artifactId: `a${i}`, metadata: bytes(i), data: [{ name: "o0", value: bytes(i, i) }], partitions }, later(100 + i))).toBe(true);
    }
    return (await dc.getDataset(key()))!;
  }

  it("creates a dataset once: a second with the same key or UUID writes nothing, and it reads back by key (and UUID)", async () => {
    await start();
    const ds = dataset(1, { partitionKeys: ["region", "day"] });
    expect(await dc.createDataset(ds)).toBe(true);
    expect(await dc.createDataset(dataset(2))).toBe(false);
    expect(await dc.createDataset(dataset(1, { name: "other" }))).toBe(false);
    const got = await dc.getDataset(key());
    expect({ ...got, metadata: [...got!.metadata] }).toEqual({ ...ds, metadata: [1, 2] });
    expect(await dc.getDataset(key(), uuid(1))).toBeDefined();
    expect(await dc.getDataset(key(), uuid(2))).toBeUndefined();
    expect(await dc.getDataset(key({ version: "2.0" }))).toBeUndefined();
    expect(await dc.getDataset(key({ name: "other" }))).toBeUndefined();
  });

  it("lists datasets filtered on key fields, newest first or oldest first, paged", async () => {
    await start();
    await dc.createDataset(dataset(1));
    await dc.createDataset(dataset(2, { name: "b" }));
    await dc.createDataset(dataset(3, { project: "other" }));
    await dc.createDataset(dataset(4, { domain: "production", name: "b" }));
    const names = (l: StoredDataset[]) => l.map((x) => x.uuid.slice(-1));
    expect(names(await dc.listDatasets([], page()))).toEqual(["4", "3", "2", "1"]);
    expect(names(await dc.listDatasets([], page({ ascending: true })))).toEqual(["1", "2", "3", "4"]);
    expect(names(await dc.listDatasets([], page({ offset: 1, limit: 2 })))).toEqual(["3", "2"]);
    expect(names(await dc.listDatasets([{ field: "name", value: "b" }], page()))).toEqual(["4", "2"]);
    expect(names(await dc.listDatasets([{ field: "name", value: "b" }, { field: "domain", value: "development" }], page()))).toEqual(["2"]);
    expect(names(await dc.listDatasets([{ field: "project", value: "other" }], page()))).toEqual(["3"]);
    expect(names(await dc.listDatasets([{ field: "version", value: "nope" }], page()))).toEqual([]);
  });

  it("stores an artifact with its data, partitions and metadata in given order, once per id in a dataset", async () => {
    await start();
    const ds = dataset(1, { partitionKeys: ["b", "a"] });
    await dc.createDataset(ds);
    const data = [{ name: "z", value: bytes(9) }, { name: "a", value: bytes(8, 7) }];
    const partitions = [{ key: "b", value: "2" }, { key: "a", value: "1" }];
    expect(await dc.createArtifact({ datasetUuid: ds.uuid, artifactId: "art", metadata: bytes(5), data, partitions }, NOW)).toBe(true);
    // Taken: nothing of the second is written.
    expect(await dc.createArtifact({ datasetUuid: ds.uuid, artifactId: "art", metadata: bytes(6), data: [{ name: "other", value: bytes(1) }], partitions: [] }, later(1))).toBe(false);
    const got = (await dc.getArtifact("art", key()))!;
    expect(plain(got)).toEqual([["z", [9]], ["a", [8, 7]]]);
    expect(got).toMatchObject({ artifactId: "art", partitions, tags: [], createdAt: NOW, dataset: { uuid: ds.uuid, partitionKeys: ["b", "a"] } });
    expect([...got.metadata]).toEqual([5]);
    expect(await dc.getArtifact("art", key({ version: "other" }))).toBeUndefined();
    expect(await dc.getArtifact("nope", key())).toBeUndefined();
  });

  it("finds an artifact id without a dataset: the newest of that id in any dataset", async () => {
    await start();
    await dc.createDataset(dataset(1));
    await dc.createDataset(dataset(2, { version: "2" }));
    const art = (uuidN: number, at: Date) => dc.createArtifact({ datasetUuid: uuid(uuidN), artifactId: "same", metadata: bytes(), data: [{ name: "o", value: bytes(uuidN) }], partitions: [] }, at);
    await art(1, later(10));
    await art(2, later(5));
    expect((await dc.getArtifact("same"))?.dataset.version).toBe(key().version);
    expect((await dc.getArtifact("same", key({ version: "2" })))?.data[0]?.value[0]).toBe(2);
  });

  it("tags an artifact once: a tag never moves, and a missing artifact is said so", async () => {
    await start();
    const ds = await seeded(2);
    expect(await dc.addTag(ds.uuid, "latest", "a0", NOW)).toBe("created");
    expect(await dc.addTag(ds.uuid, "latest", "a1", later(1))).toBe("exists");
    expect(await dc.addTag(ds.uuid, "other", "missing", later(1))).toBe("no-artifact");
    expect((await dc.getArtifactByTag(key(), "latest"))?.artifactId).toBe("a0");
    expect(await dc.getArtifactByTag(key(), "other")).toBeUndefined();
    expect(await dc.getArtifactByTag(key({ domain: "production" }), "latest")).toBeUndefined();
    await dc.addTag(ds.uuid, "second", "a0", later(2));
    expect((await dc.getArtifact("a0", key()))?.tags).toEqual(["latest", "second"]);
  });

  it("lets exactly one of concurrent taggers of a name win", async () => {
    await start();
    const ds = await seeded(8);
    const outcomes = await Promise.all(Array.from({ length: 8 }, (_, i) => dc.addTag(ds.uuid, "t", `a${i}`, NOW)));
    expect(outcomes.filter((o) => o === "created")).toHaveLength(1);
    const winner = outcomes.indexOf("created");
    expect((await dc.getArtifactByTag(key(), "t"))?.artifactId).toBe(`a${winner}`);
  });

  it("lists a dataset's artifacts filtered on tags and partitions, paged in creation order", async () => {
    await start();
    const ds = await seeded(5, ["k"]);
    await dc.addTag(ds.uuid, "even", "a0", NOW);
    await dc.addTag(ds.uuid, "even2", "a2", NOW);
    const ids = async (...args: Parameters<DataCatalogStore["listArtifacts"]>) => (await dc.listArtifacts(...args)).map((a) => a.artifactId);
    expect(await ids(ds, [], page(), 1 << 20)).toEqual(["a4", "a3", "a2", "a1", "a0"]);
    expect(await ids(ds, [], page({ ascending: true, offset: 1, limit: 2 }), 1 << 20)).toEqual(["a1", "a2"]);
    expect(await ids(ds, [{ kind: "partition", key: "k", value: "k-1" }], page(), 1 << 20)).toEqual(["a3", "a1"]);
    expect(await ids(ds, [{ kind: "tag", name: "even" }], page(), 1 << 20)).toEqual(["a0"]);
    expect(await ids(ds, [{ kind: "tag", name: "even" }, { kind: "partition", key: "k", value: "k-1" }], page(), 1 << 20)).toEqual([]);
    expect(await ids(ds, [{ kind: "partition", key: "k", value: "k-0" }, { kind: "partition", key: "k", value: "k-0" }], page(), 1 << 20)).toEqual(["a4", "a2", "a0"]);
    const listed = await dc.listArtifacts(ds, [{ kind: "tag", name: "even2" }], page(), 1 << 20);
    expect(listed[0]).toMatchObject({ tags: ["even2"], partitions: [{ key: "k", value: "k-0" }] });
    expect(plain(listed[0]!)).toEqual([["o0", [2, 2]]]);
    // The data budget ends a page early, never before its first artifact.
    expect(await ids(ds, [], page(), 4)).toEqual(["a4", "a3"]);
    expect(await ids(ds, [], page(), 1)).toEqual(["a4"]);
  });

  it("replaces an artifact's data and metadata, keeping its id, tags and creation time", async () => {
    await start();
    const ds = await seeded(1);
    await dc.addTag(ds.uuid, "t", "a0", NOW);
    expect(await dc.updateArtifact(ds.uuid, "a0", bytes(42), [{ name: "n1", value: bytes(1) }, { name: "n2", value: bytes(2) }])).toBe(true);
    const got = (await dc.getArtifactByTag(key(), "t"))!;
    expect(plain(got)).toEqual([["n1", [1]], ["n2", [2]]]);
    expect(got).toMatchObject({ artifactId: "a0", tags: ["t"], createdAt: later(100) });
    expect([...got.metadata]).toEqual([42]);
    expect(await dc.updateArtifact(ds.uuid, "gone", bytes(), [{ name: "x", value: bytes() }])).toBe(false);
  });

  it("evicts the artifacts of a scope with their data, partitions and tags, in batches, and leaves the rest", async () => {
    await start();
    const mk = async (n: number, over: Partial<StoredDataset>, artifacts: number) => {
      await dc.createDataset(dataset(n, over));
      for (let i = 0; i < artifacts; i++) {
        await dc.createArtifact({ datasetUuid: uuid(n), artifactId: `x${i}`, metadata: bytes(), data: [{ name: "o", value: bytes(i) }], partitions: [] }, NOW);
        await dc.addTag(uuid(n), `t${i}`, `x${i}`, NOW);
      }
    };
    await mk(1, { version: "1.0-abcdefgh-ijklmnop" }, 3);
    await mk(2, { version: "1.0-rc-abcdefgh-ijklmnop" }, 1);
    await mk(3, { name: "flyte_task-other", version: "1.0-abcdefgh-ijklmnop" }, 1);
    await mk(4, { domain: "production" }, 1);
    const scope = { project: "flytesnacks", domain: "development" };
    expect(await dc.evictArtifacts({ ...scope, datasetName: "flyte_task-wf.square", cacheVersion: "1.0" }, 2)).toBe(2);
    expect(await dc.evictArtifacts({ ...scope, datasetName: "flyte_task-wf.square", cacheVersion: "1.0" }, 2)).toBe(1);
    expect(await dc.evictArtifacts({ ...scope, datasetName: "flyte_task-wf.square", cacheVersion: "1.0" }, 2)).toBe(0);
    expect(await dc.getArtifactByTag(key(), "t0")).toBeUndefined();
    expect(await dc.getArtifactByTag(key({ version: "1.0-rc-abcdefgh-ijklmnop" }), "t0")).toBeDefined();
    // Its dataset stays, and a new artifact can take the evicted one's id and tag.
    expect(await dc.getDataset(key())).toBeDefined();
    await dc.createArtifact({ datasetUuid: uuid(1), artifactId: "x0", metadata: bytes(), data: [{ name: "o", value: bytes(7) }], partitions: [] }, NOW);
    expect(await dc.addTag(uuid(1), "t0", "x0", NOW)).toBe("created");
    expect(await dc.evictArtifacts(scope, 100)).toBe(3);
    expect(await dc.getArtifactByTag(key({ domain: "production" }), "t0")).toBeDefined();
    await expect(dc.evictArtifacts(scope, 0)).rejects.toThrow(/eviction batch/);
  });

  it("takes, extends, refuses and takes over an expired reservation; release only by its owner", async () => {
    await start();
    const rk = { ...key(), tagName: "flyte_cached-x" };
    const mine = await dc.getOrExtendReservation(rk, "a", later(30_000), NOW);
    expect(mine).toEqual({ ...rk, ownerId: "a", expiresAt: later(30_000) });
    // Held: another owner gets the holder's reservation, unchanged.
    expect(await dc.getOrExtendReservation(rk, "b", later(40_000), later(10_000))).toEqual({ ...rk, ownerId: "a", expiresAt: later(30_000) });
    // The owner extends it.
    expect((await dc.getOrExtendReservation(rk, "a", later(50_000), later(20_000))).expiresAt).toEqual(later(50_000));
    // Expired: taken over.
    expect(await dc.getOrExtendReservation(rk, "b", later(90_000), later(60_000))).toMatchObject({ ownerId: "b", expiresAt: later(90_000) });
    expect(await dc.releaseReservation(rk, "a")).toBe(false);
    expect(await dc.releaseReservation(rk, "b")).toBe(true);
    expect(await dc.releaseReservation(rk, "b")).toBe(false);
    expect((await dc.getOrExtendReservation(rk, "c", later(100_000), later(70_000))).ownerId).toBe("c");
    // Another tag is another reservation.
    expect((await dc.getOrExtendReservation({ ...rk, tagName: "y" }, "d", later(100_000), later(70_000))).ownerId).toBe("d");
  });

  it("gives a free reservation to exactly one of many concurrent owners", async () => {
    await start();
    const rk = { ...key(), tagName: "race" };
    const got = await Promise.all(Array.from({ length: 10 }, (_, i) => dc.getOrExtendReservation(rk, `o${i}`, later(30_000), NOW)));
    const owners = new Set(got.map((r) => r.ownerId));
    expect(owners.size).toBe(1);
  });
});
