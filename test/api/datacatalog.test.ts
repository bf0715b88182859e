import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, createRouterTransport, type Client } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Literal, LiteralSchema } from "../../gen/flyteidl/core/literals_pb.js";
import {
  DataCatalog,
  type DatasetIDSchema,
  type PaginationOptions_SortKey,
  PaginationOptions_SortOrder,
  type SinglePropertyFilter_ComparisonOperator,
} from "../../gen/flyteidl/datacatalog/datacatalog_pb.js";
import { dataCatalogService } from "../../src/api/datacatalog-service.js";
import { MAX_ARTIFACT_DATA_BYTES, MAX_DC_KEY_BYTES, MAX_METADATA_ENTRIES } from "../../src/core/datacatalog/dc-limits.js";
import { createLogger } from "../../src/logger.js";
import { createObservingInterceptor } from "../../src/server/interceptors.js";
import { createSqlStore } from "../../src/storage/sql-store.js";
import { openSqlite } from "../../src/storage/sqlite.js";
import type { Store } from "../../src/storage/store.js";

const int = (n: number): Literal => create(LiteralSchema, { value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "integer", value: BigInt(n) } } } } } });
const ID = { project: "flytesnacks", domain: "development", name: "flyte_task-wf.square", version: "1.0-abcdefgh-ijklmnop" };
type DatasetIdInit = MessageInitShape<typeof DatasetIDSchema>;

let store: Store;
let now: Date;
let dc: Client<typeof DataCatalog>;
beforeEach(() => {
  store = createSqlStore(openSqlite(":memory:"));
  now = new Date("2030-01-01T00:00:00.000Z");
  const transport = createRouterTransport((router) => router.service(DataCatalog, dataCatalogService({ store: store.dataCatalog, clock: () => now, maxPageSize: 100 })), {
    // The server's own error mapping (domain errors to their codes).
    router: { interceptors: [createObservingInterceptor(createLogger("silent"))] },
  });
  dc = createClient(DataCatalog, transport);
});
afterEach(() => store.close());

/** The code and message a call fails with. */
async function failure(call: Promise<unknown>): Promise<[string, string]> {
  try {
    await call;
  } catch (e) {
    const err = ConnectError.from(e);
    return [Code[err.code], err.rawMessage];
  }
  throw new Error("expected the call to fail");
}

const artifact = (id: string, o0 = 1, over: Record<string, unknown> = {}) => ({ id, dataset: ID, data: [{ name: "o0", value: int(o0) }], ...over });

describe("DataCatalog datasets", () => {
  it("creates a dataset once, with a UUID, metadata and partition keys, and reads it back", async () => {
    await dc.createDataset({ dataset: { id: ID, metadata: { keyMap: { "task-version": "v1" } }, partitionKeys: ["region"] } });
    const { dataset } = await dc.getDataset({ dataset: ID });
    expect(dataset?.id).toMatchObject(ID);
    expect(dataset?.id?.UUID).toMatch(/^[0-9a-f-]{36}$/);
    expect(dataset?.metadata?.keyMap).toEqual({ "task-version": "v1" });
    expect(dataset?.partitionKeys).toEqual(["region"]);
    expect(await failure(dc.createDataset({ dataset: { id: ID } }))).toEqual([
      "AlreadyExists",
      'value with matching already exists (ERROR: duplicate key value violates unique constraint "datasets_pkey" (SQLSTATE 23505))',
    ]);
    // A UUID in the id must be the dataset's.
    expect((await dc.getDataset({ dataset: { ...ID, UUID: dataset!.id!.UUID } })).dataset?.id?.UUID).toBe(dataset!.id!.UUID);
    expect((await failure(dc.getDataset({ dataset: { ...ID, UUID: "00000000-0000-4000-8000-000000000000" } })))[0]).toBe("NotFound");
    expect(await failure(dc.getDataset({ dataset: { ...ID, version: "2.0" } }))).toEqual([
      "NotFound",
      'missing entity of type Dataset with identifier project:"flytesnacks" name:"flyte_task-wf.square" domain:"development" version:"2.0"',
    ]);
  });

  it("refuses incomplete, duplicate-keyed and oversized datasets with datacatalog's messages", async () => {
    expect(await failure(dc.createDataset({}))).toEqual(["InvalidArgument", "missing dataset"]);
    expect(await failure(dc.createDataset({ dataset: { id: { ...ID, project: "" } } }))).toEqual(["InvalidArgument", "missing project"]);
    expect(await failure(dc.createDataset({ dataset: { id: { ...ID, version: "" }, partitionKeys: ["a", "b", "a"] } }))).toEqual([
      "InvalidArgument",
      "missing version, invalid value for partitionKey, value:[Keys are not unique, occurrence count: map[a:2 b:1]]",
    ]);
    expect(await failure(dc.getDataset({ dataset: { ...ID, domain: "" } }))).toEqual(["InvalidArgument", "missing domain"]);
    expect(await failure(dc.createDataset({ dataset: { id: { ...ID, name: "n".repeat(MAX_DC_KEY_BYTES + 1) } } }))).toEqual(["InvalidArgument", `name cannot exceed ${MAX_DC_KEY_BYTES} bytes`]);
    expect(await failure(dc.createDataset({ dataset: { id: { ...ID, UUID: "not-a-uuid" } } }))).toEqual(["InvalidArgument", "invalid value for UUID, value:[not-a-uuid]"]);
    const keyMap = Object.fromEntries(Array.from({ length: MAX_METADATA_ENTRIES + 1 }, (_, i) => [`k${i}`, "v"]));
    expect((await failure(dc.createDataset({ dataset: { id: ID, metadata: { keyMap } } })))[0]).toBe("InvalidArgument");
    expect((await failure(dc.createDataset({ dataset: { id: ID, metadata: { keyMap: { k: "a\u0000b" } } } })))[0]).toBe("InvalidArgument");
    // Nothing was written by any of them.
    expect((await dc.listDatasets({})).datasets).toEqual([]);
  });

  it("lists datasets with filters and datacatalog's tokens, and refuses artifact, tag and partition filters", async () => {
    for (const name of ["a", "b", "c"]) {
      await dc.createDataset({ dataset: { id: { ...ID, name } } });
      now = new Date(now.getTime() + 1000);
    }
    const names = (r: { datasets: { id?: DatasetIdInit }[] }) => r.datasets.map((d) => d.id?.name);
    expect(names(await dc.listDatasets({}))).toEqual(["c", "b", "a"]);
    const first = await dc.listDatasets({ pagination: { limit: 2, sortOrder: PaginationOptions_SortOrder.ASCENDING } });
    expect([names(first), first.nextToken]).toEqual([["a", "b"], "2"]);
    const second = await dc.listDatasets({ pagination: { limit: 2, token: first.nextToken, sortOrder: PaginationOptions_SortOrder.ASCENDING } });
    // The token goes on past the end, as datacatalog's does.
    expect([names(second), second.nextToken]).toEqual([["c"], "3"]);
    expect(names(await dc.listDatasets({ filter: { filters: [{ propertyFilter: { case: "datasetFilter", value: { property: { case: "name", value: "b" } } } }] } }))).toEqual(["b"]);
    const refused = async (propertyFilter: object) => failure(dc.listDatasets({ filter: { filters: [{ propertyFilter } as never] } }));
    expect(await refused({ case: "tagFilter", value: { property: { case: "tagName", value: "t" } } })).toEqual(["InvalidArgument", "Dataset cannot be filtered by Tag properties"]);
    expect(await refused({ case: "partitionFilter", value: {} })).toEqual(["InvalidArgument", "Dataset cannot be filtered by Partition properties"]);
    expect(await refused({ case: "artifactFilter", value: {} })).toEqual(["InvalidArgument", "Dataset cannot be filtered by Artifact properties"]);
    expect(await refused({ case: "datasetFilter", value: { property: { case: "project", value: "" } } })).toEqual(["InvalidArgument", "missing project"]);
    expect((await refused({ case: undefined }))[0]).toBe("InvalidArgument");
    expect(await failure(dc.listDatasets({ pagination: { token: "abc" } }))).toEqual(["InvalidArgument", "Invalid token value: abc"]);
    expect(await failure(dc.listDatasets({ pagination: { token: "-1" } }))).toEqual(["InvalidArgument", "Invalid token value: -1"]);
    expect(await failure(dc.listDatasets({ pagination: { sortOrder: 7 as PaginationOptions_SortOrder } }))).toEqual(["InvalidArgument", "Invalid sort order 7"]);
    expect(await failure(dc.listDatasets({ pagination: { sortKey: 3 as PaginationOptions_SortKey } }))).toEqual(["InvalidArgument", "Invalid sort key 3"]);
    expect((await failure(dc.listDatasets({ pagination: { limit: 101 } })))[0]).toBe("InvalidArgument");
    expect(await failure(dc.listDatasets({ filter: { filters: [{ operator: 4 as SinglePropertyFilter_ComparisonOperator, propertyFilter: { case: "datasetFilter", value: { property: { case: "name", value: "b" } } } }] } }))).toEqual([
      "InvalidArgument",
      "unsupported filter expression operator index: 4",
    ]);
  });
});

describe("DataCatalog artifacts and tags", () => {
  beforeEach(async () => {
    await dc.createDataset({ dataset: { id: ID } });
  });

  it("stores an artifact with its data and metadata, tags it, and answers it by id or tag", async () => {
    await dc.createArtifact({ artifact: artifact("art-1", 9, { metadata: { keyMap: { "execution-name": "e1" } } }) });
    await dc.addTag({ tag: { name: "flyte_cached-x", artifactId: "art-1", dataset: ID } });
    const byTag = (await dc.getArtifact({ dataset: ID, queryHandle: { case: "tagName", value: "flyte_cached-x" } })).artifact!;
    expect(byTag).toMatchObject({ id: "art-1", metadata: { keyMap: { "execution-name": "e1" } }, data: [{ name: "o0", value: int(9) }] });
    expect(byTag.dataset).toMatchObject(ID);
    expect(byTag.tags.map((t) => [t.name, t.artifactId, t.dataset?.UUID])).toEqual([["flyte_cached-x", "art-1", byTag.dataset?.UUID]]);
    expect(byTag.createdAt?.seconds).toBe(BigInt(now.getTime() / 1000));
    // By id, with or without the dataset.
    expect((await dc.getArtifact({ dataset: ID, queryHandle: { case: "artifactId", value: "art-1" } })).artifact).toEqual(byTag);
    expect((await dc.getArtifact({ queryHandle: { case: "artifactId", value: "art-1" } })).artifact).toEqual(byTag);
  });

  it("keeps a tag on its first artifact: tagging another is ALREADY_EXISTS", async () => {
    await dc.createArtifact({ artifact: artifact("first") });
    await dc.createArtifact({ artifact: artifact("second", 2) });
    await dc.addTag({ tag: { name: "t", artifactId: "first", dataset: ID } });
    expect(await failure(dc.addTag({ tag: { name: "t", artifactId: "second", dataset: ID } }))).toEqual([
      "AlreadyExists",
      'value with matching already exists (ERROR: duplicate key value violates unique constraint "tags_pkey" (SQLSTATE 23505))',
    ]);
    expect((await dc.getArtifact({ dataset: ID, queryHandle: { case: "tagName", value: "t" } })).artifact?.id).toBe("first");
  });

  it("refuses bad artifacts, tags and look-ups with datacatalog's codes and messages, writing nothing", async () => {
    expect(await failure(dc.createArtifact({}))).toEqual(["InvalidArgument", "missing artifact"]);
    expect(await failure(dc.createArtifact({ artifact: { ...artifact(""), id: "" } }))).toEqual(["InvalidArgument", "missing artifactID"]);
    expect(await failure(dc.createArtifact({ artifact: { ...artifact("a"), data: [] } }))).toEqual(["InvalidArgument", "missing artifactData"]);
    expect(await failure(dc.createArtifact({ artifact: { ...artifact("a"), dataset: { ...ID, name: "" } } }))).toEqual(["InvalidArgument", "missing name"]);
    expect(await failure(dc.createArtifact({ artifact: { ...artifact("a"), dataset: { ...ID, version: "other" } } }))).toEqual([
      "NotFound",
      'missing entity of type Dataset with identifier project:"flytesnacks" name:"flyte_task-wf.square" domain:"development" version:"other"',
    ]);
    expect(await failure(dc.createArtifact({ artifact: { ...artifact("a"), partitions: [{ key: "k", value: "v" }] } }))).toEqual([
      "InvalidArgument",
      'Partition key mismatch, dataset keys: [], artifact Partitions: [key:"k" value:"v"]',
    ]);
    expect((await failure(dc.createArtifact({ artifact: { ...artifact("a"), data: [{ name: "o0", value: int(1) }, { name: "o0", value: int(2) }] } })))[0]).toBe("InvalidArgument");
    const huge = create(LiteralSchema, { value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "stringValue", value: "x".repeat(MAX_ARTIFACT_DATA_BYTES) } } } } } });
    expect(await failure(dc.createArtifact({ artifact: { ...artifact("a"), data: [{ name: "o0", value: huge }] } }))).toEqual([
      "InvalidArgument",
      `the artifactData of an artifact cannot exceed ${MAX_ARTIFACT_DATA_BYTES} bytes`,
    ]);
    await dc.createArtifact({ artifact: artifact("a") });
    expect(await failure(dc.createArtifact({ artifact: artifact("a", 5) }))).toEqual([
      "AlreadyExists",
      'value with matching already exists (ERROR: duplicate key value violates unique constraint "artifacts_pkey" (SQLSTATE 23505))',
    ]);
    // The refused duplicate changed nothing.
    expect((await dc.getArtifact({ queryHandle: { case: "artifactId", value: "a" } })).artifact?.data[0]?.value).toEqual(int(1));

    expect(await failure(dc.getArtifact({ dataset: ID }))).toEqual(["InvalidArgument", "missing one of artifactID/tagName"]);
    expect(await failure(dc.getArtifact({ queryHandle: { case: "tagName", value: "t" } }))).toEqual(["InvalidArgument", "missing dataset"]);
    expect(await failure(dc.getArtifact({ dataset: ID, queryHandle: { case: "tagName", value: "" } }))).toEqual(["InvalidArgument", "missing tagName"]);
    expect(await failure(dc.getArtifact({ dataset: ID, queryHandle: { case: "tagName", value: "nope" } }))).toEqual(["NotFound", 'missing entity of type Tag with identifier name:"nope"']);
    expect(await failure(dc.getArtifact({ queryHandle: { case: "artifactId", value: "nope" } }))).toEqual(["NotFound", 'missing entity of type Artifact with identifier id:"nope" dataset:{}']);

    expect(await failure(dc.addTag({}))).toEqual(["InvalidArgument", "missing tag"]);
    expect(await failure(dc.addTag({ tag: { name: "t", dataset: ID } }))).toEqual(["InvalidArgument", "missing artifactID"]);
    expect(await failure(dc.addTag({ tag: { name: "t", artifactId: "nope", dataset: ID } }))).toEqual([
      "NotFound",
      'missing entity of type Artifact with identifier id:"nope" dataset:{project:"flytesnacks" name:"flyte_task-wf.square" domain:"development" version:"1.0-abcdefgh-ijklmnop"}',
    ]);
  });

  it("checks partitions against the dataset's keys and filters artifacts on them and on tags", async () => {
    const pid = { ...ID, name: "partitioned" };
    await dc.createDataset({ dataset: { id: pid, partitionKeys: ["region", "day"] } });
    const make = (id: string, region: string, day: string) =>
      dc.createArtifact({ artifact: { ...artifact(id), dataset: pid, partitions: [{ key: "day", value: day }, { key: "region", value: region }] } });
    await make("a1", "eu", "mon");
    now = new Date(now.getTime() + 1);
    await make("a2", "us", "mon");
    now = new Date(now.getTime() + 1);
    await make("a3", "eu", "tue");
    await dc.addTag({ tag: { name: "best", artifactId: "a3", dataset: pid } });
    expect(await failure(dc.createArtifact({ artifact: { ...artifact("x"), dataset: pid, partitions: [{ key: "region", value: "eu" }, { key: "region", value: "us" }] } }))).toEqual([
      "InvalidArgument",
      "Artifact partition assignment does not match dataset partition keys: map[day:false region:true]",
    ]);
    expect(await failure(dc.createArtifact({ artifact: { ...artifact("x"), dataset: pid, partitions: [{ key: "region", value: "" }, { key: "day", value: "mon" }] } }))).toEqual([
      "InvalidArgument",
      "missing partitionValue[0]",
    ]);
    const kv = (key: string, value: string) => ({ propertyFilter: { case: "partitionFilter" as const, value: { property: { case: "keyVal" as const, value: { key, value } } } } });
    const tag = (name: string) => ({ propertyFilter: { case: "tagFilter" as const, value: { property: { case: "tagName" as const, value: name } } } });
    const ids = async (filters: object[]) => (await dc.listArtifacts({ dataset: pid, filter: { filters: filters as never } })).artifacts.map((a) => a.id);
    expect(await ids([])).toEqual(["a3", "a2", "a1"]);
    expect(await ids([kv("region", "eu")])).toEqual(["a3", "a1"]);
    expect(await ids([kv("region", "eu"), kv("day", "mon")])).toEqual(["a1"]);
    expect(await ids([tag("best")])).toEqual(["a3"]);
    const listed = (await dc.listArtifacts({ dataset: pid, filter: { filters: [tag("best")] } })).artifacts[0]!;
    expect(listed).toMatchObject({ partitions: [{ key: "day", value: "tue" }, { key: "region", value: "eu" }], data: [{ name: "o0", value: int(1) }] });
    const page = await dc.listArtifacts({ dataset: pid, pagination: { limit: 2, token: "1" } });
    expect([page.artifacts.map((a) => a.id), page.nextToken]).toEqual([["a2", "a1"], "3"]);
    expect(await failure(dc.listArtifacts({ dataset: pid, filter: { filters: [{ propertyFilter: { case: "datasetFilter", value: { property: { case: "project", value: "p" } } } }] } }))).toEqual([
      "InvalidArgument",
      "Artifact cannot be filtered by Dataset properties",
    ]);
    expect(await failure(dc.listArtifacts({ dataset: pid, filter: { filters: [kv("", "x") as never] } }))).toEqual(["InvalidArgument", "missing PartitionKey"]);
    expect(await failure(dc.listArtifacts({ dataset: pid, filter: { filters: [tag("") as never] } }))).toEqual(["InvalidArgument", "missing TagName"]);
    expect((await failure(dc.listArtifacts({ dataset: { ...pid, name: "absent" } })))[0]).toBe("NotFound");
    expect(await failure(dc.listArtifacts({}))).toEqual(["InvalidArgument", "missing dataset"]);
    expect(await failure(dc.listArtifacts({ dataset: pid, pagination: { token: "x" } }))).toEqual(["InvalidArgument", "Invalid token value: x"]);
  });

  it("updates an artifact by tag or id: new data and metadata, same id, tags and creation time", async () => {
    await dc.createArtifact({ artifact: artifact("art", 1, { metadata: { keyMap: { "execution-name": "e1" } } }) });
    await dc.addTag({ tag: { name: "t", artifactId: "art", dataset: ID } });
    const created = (await dc.getArtifact({ queryHandle: { case: "artifactId", value: "art" } })).artifact!;
    now = new Date(now.getTime() + 60_000);
    const updated = await dc.updateArtifact({ dataset: ID, queryHandle: { case: "tagName", value: "t" }, data: [{ name: "o0", value: int(2) }, { name: "o1", value: int(3) }], metadata: { keyMap: { "execution-name": "e2" } } });
    expect(updated.artifactId).toBe("art");
    const after = (await dc.getArtifact({ dataset: ID, queryHandle: { case: "tagName", value: "t" } })).artifact!;
    expect(after).toMatchObject({ id: "art", metadata: { keyMap: { "execution-name": "e2" } }, data: [{ name: "o0", value: int(2) }, { name: "o1", value: int(3) }], createdAt: created.createdAt });
    expect(after.tags.map((x) => x.name)).toEqual(["t"]);
    await dc.updateArtifact({ queryHandle: { case: "artifactId", value: "art" }, data: [{ name: "o0", value: int(4) }] });
    expect((await dc.getArtifact({ queryHandle: { case: "artifactId", value: "art" } })).artifact?.data).toEqual([expect.objectContaining({ name: "o0", value: int(4) })]);
    expect(await failure(dc.updateArtifact({ dataset: ID, queryHandle: { case: "tagName", value: "t" } }))).toEqual(["InvalidArgument", "missing artifactData"]);
    expect(await failure(dc.updateArtifact({ dataset: ID, data: [{ name: "o0", value: int(1) }] }))).toEqual(["InvalidArgument", "missing one of artifactID/tagName"]);
    expect((await failure(dc.updateArtifact({ dataset: ID, queryHandle: { case: "tagName", value: "absent" }, data: [{ name: "o0", value: int(1) }] })))[0]).toBe("NotFound");
  });
});

describe("DataCatalog reservations", () => {
  const rid = { datasetId: ID, tagName: "flyte_cached-x" };
  const at = (ms: number) => new Date(Date.parse("2030-01-01T00:00:00.000Z") + ms);

  it("gives the reservation to the first owner for three heartbeats, extends it for that owner, and hands it over once expired", async () => {
    const first = (await dc.getOrExtendReservation({ reservationId: rid, ownerId: "a", heartbeatInterval: { seconds: 2n } })).reservation!;
    expect(first).toMatchObject({ ownerId: "a", heartbeatInterval: { seconds: 2n }, reservationId: { tagName: "flyte_cached-x", datasetId: ID } });
    expect(first.expiresAt?.seconds).toBe(BigInt(at(6_000).getTime() / 1000));
    now = at(1_000);
    // Someone else gets the holder's reservation, with its own heartbeat.
    const other = (await dc.getOrExtendReservation({ reservationId: rid, ownerId: "b", heartbeatInterval: { seconds: 1n } })).reservation!;
    expect(other).toMatchObject({ ownerId: "a", expiresAt: first.expiresAt, heartbeatInterval: { seconds: 1n } });
    now = at(5_000);
    expect((await dc.getOrExtendReservation({ reservationId: rid, ownerId: "a", heartbeatInterval: { seconds: 2n } })).reservation?.expiresAt?.seconds).toBe(BigInt(at(11_000).getTime() / 1000));
    now = at(11_001);
    expect((await dc.getOrExtendReservation({ reservationId: rid, ownerId: "b" })).reservation?.ownerId).toBe("b");
  });

  it("caps the heartbeat at 10 s, and refuses a negative one and missing ids", async () => {
    const r = (await dc.getOrExtendReservation({ reservationId: rid, ownerId: "a", heartbeatInterval: { seconds: 3600n } })).reservation!;
    expect(r.heartbeatInterval?.seconds).toBe(10n);
    expect(r.expiresAt?.seconds).toBe(BigInt(at(30_000).getTime() / 1000));
    expect((await dc.getOrExtendReservation({ reservationId: { ...rid, tagName: "y" }, ownerId: "a" })).reservation?.heartbeatInterval?.seconds).toBe(10n);
    expect((await failure(dc.getOrExtendReservation({ reservationId: rid, ownerId: "a", heartbeatInterval: { seconds: -1n } })))[0]).toBe("InvalidArgument");
    expect(await failure(dc.getOrExtendReservation({ ownerId: "a" }))).toEqual(["InvalidArgument", "missing reservationID"]);
    expect(await failure(dc.getOrExtendReservation({ reservationId: rid }))).toEqual(["InvalidArgument", "missing ownerID"]);
    expect(await failure(dc.getOrExtendReservation({ reservationId: { datasetId: ID }, ownerId: "a" }))).toEqual(["InvalidArgument", "missing tagName"]);
    expect(await failure(dc.releaseReservation({ reservationId: { tagName: "t" }, ownerId: "a" }))).toEqual(["InvalidArgument", "missing dataset"]);
  });

  it("releases only the owner's reservation; releasing none is no error", async () => {
    await dc.getOrExtendReservation({ reservationId: rid, ownerId: "a" });
    await dc.releaseReservation({ reservationId: rid, ownerId: "b" });
    expect((await dc.getOrExtendReservation({ reservationId: rid, ownerId: "b" })).reservation?.ownerId).toBe("a");
    await dc.releaseReservation({ reservationId: rid, ownerId: "a" });
    await dc.releaseReservation({ reservationId: rid, ownerId: "a" });
    expect((await dc.getOrExtendReservation({ reservationId: rid, ownerId: "b" })).reservation?.ownerId).toBe("b");
  });
});
