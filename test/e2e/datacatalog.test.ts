import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CatalogReservation_Status } from "../../gen/flyteidl/core/catalog_pb.js";
import { ResourceType, TaskExecutionIdentifierSchema } from "../../gen/flyteidl/core/identifier_pb.js";
import { type Literal, LiteralMapSchema, LiteralSchema } from "../../gen/flyteidl/core/literals_pb.js";
import type { TaskTemplate } from "../../gen/flyteidl/core/tasks_pb.js";
import { DataCatalog, type DatasetID } from "../../gen/flyteidl/datacatalog/datacatalog_pb.js";
import type { BlobStore } from "../../src/blob/blob-store.js";
import { openBlobStore } from "../../src/blob/open-blob-store.js";
import { taskCacheKey, type TaskCacheKey } from "../../src/engine/local/cache-key.js";
import { type Catalog, createCatalog } from "../../src/engine/local/catalog.js";
import { createLogger } from "../../src/logger.js";
import { packageRoot } from "../../src/paths.js";
import type { RunningServer } from "../../src/server.js";
import { realServer } from "../helpers/app.js";
import { pythonTask, T, taskId } from "../fixtures/flyte-builders.js";

/**
 * The DataCatalog on the server's port, called as flytepropeller's catalog
 * client calls it (Go gRPC over h2c), and over gRPC-Web and Connect; and the
 * local engine's cache entries seen through it (and the other way round).
 */
const int = (n: number): Literal => create(LiteralSchema, { value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "integer", value: BigInt(n) } } } } } });
const run = promisify(execFile);

let server: RunningServer;
let grpc: Client<typeof DataCatalog>;
let blobsDir: string;
let engineBlobs: BlobStore;
let catalog: Catalog;

beforeAll(async () => {
  server = await realServer();
  grpc = createClient(DataCatalog, createGrpcTransport({ baseUrl: server.url }));
  // The local engine's cache over the server's own store; task outputs in a blob store of the test's.
  blobsDir = mkdtempSync(join(tmpdir(), "flyteadmin-dc-blobs-"));
  engineBlobs = openBlobStore(blobsDir, {}, { sweepIntervalMs: 0 });
  catalog = createCatalog({ store: server.app.store.dataCatalog, blobs: engineBlobs, logger: createLogger("silent") });
});
afterAll(async () => {
  engineBlobs?.close();
  await server?.close();
  rmSync(blobsDir, { recursive: true, force: true });
});

function cachedTask(name: string): TaskTemplate {
  const t = pythonTask(name, { x: T.int() }, { o0: T.int() });
  t.metadata!.discoverable = true;
  t.metadata!.discoveryVersion = "1.0";
  return t;
}

/** The key propeller computes for a run (the engine's taskCacheKey is checked against propeller's vectors). */
const datasetOf = (k: TaskCacheKey): Omit<DatasetID, "$typeName" | "UUID" | "org"> => ({ project: k.project, domain: k.domain, name: k.datasetName, version: k.datasetVersion });

async function code(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (e) {
    return Code[ConnectError.from(e).code];
  }
  return "OK";
}

describe("DataCatalog over gRPC, as flytepropeller uses it", () => {
  it("reserves, creates the dataset (again: ALREADY_EXISTS), the artifact and its tag, hits it by tag, and releases", async () => {
    const task = cachedTask("dc.square");
    const key = taskCacheKey(task, create(LiteralMapSchema, { literals: { x: int(3) } }));
    const dataset = datasetOf(key);
    const reservationId = { datasetId: dataset, tagName: key.tag };
    const owner = "f1a2b3c4-n0-0";

    const reserved = (await grpc.getOrExtendReservation({ reservationId, ownerId: owner, heartbeatInterval: { seconds: 10n } })).reservation!;
    expect(reserved).toMatchObject({ ownerId: owner, heartbeatInterval: { seconds: 10n }, reservationId: { tagName: key.tag, datasetId: dataset } });
    // The miss before the run: no dataset yet.
    expect(await code(grpc.getDataset({ dataset }))).toBe("NotFound");
    // Another propeller's look while it is held.
    expect((await grpc.getOrExtendReservation({ reservationId, ownerId: "other-n0-0", heartbeatInterval: { seconds: 10n } })).reservation?.ownerId).toBe(owner);

    const metadata = { keyMap: { "task-version": "v1" } };
    await grpc.createDataset({ dataset: { id: dataset, metadata } });
    expect(await code(grpc.createDataset({ dataset: { id: dataset, metadata } }))).toBe("AlreadyExists");
    const artifactId = "0b5e6c59-6a0c-4b7c-9d7e-1f6c2a3b4c5d";
    await grpc.createArtifact({
      artifact: {
        id: artifactId,
        dataset,
        data: [{ name: "o0", value: int(9) }],
        metadata: { keyMap: { "exec-project": "flytesnacks", "exec-domain": "development", "execution-name": "f1a2b3c4", "exec-node": "n0", "exec-attempt": "0" } },
      },
    });
    await grpc.addTag({ tag: { name: key.tag, artifactId, dataset } });

    // The next run's look-up: dataset, then the artifact by its tag.
    const found = (await grpc.getDataset({ dataset })).dataset!;
    expect(found.metadata?.keyMap).toEqual({ "task-version": "v1" });
    const hit = (await grpc.getArtifact({ dataset: found.id, queryHandle: { case: "tagName", value: key.tag } })).artifact!;
    expect(hit).toMatchObject({ id: artifactId, data: [{ name: "o0", value: int(9) }], tags: [{ name: key.tag, artifactId }] });

    await grpc.releaseReservation({ reservationId, ownerId: owner });
    await grpc.releaseReservation({ reservationId, ownerId: owner });
    expect((await grpc.getOrExtendReservation({ reservationId, ownerId: "other-n0-0" })).reservation?.ownerId).toBe("other-n0-0");

    // The same entry is a hit for the local engine: it reports what propeller would.
    const lookup = await catalog.lookup(key, task);
    if (!lookup.hit) throw new Error("expected the engine to hit propeller's entry");
    expect(lookup.outputs.literals["o0"]).toEqual(int(9));
    expect(lookup.metadata).toMatchObject({
      datasetId: { resourceType: ResourceType.DATASET, name: key.datasetName, version: key.datasetVersion },
      artifactTag: { artifactId, name: key.tag },
      sourceExecution: { case: "sourceTaskExecution", value: { taskId: { version: "v1" }, nodeExecutionId: { nodeId: "n0", executionId: { name: "f1a2b3c4" } } } },
    });
    // And the engine takes the reservation propeller released (the same table).
    expect(await catalog.reserve(key, "engine-owner", new Date())).toBe(CatalogReservation_Status.RESERVATION_EXISTS);
    await grpc.releaseReservation({ reservationId, ownerId: "other-n0-0" });
    expect(await catalog.reserve(key, "engine-owner", new Date())).toBe(CatalogReservation_Status.RESERVATION_ACQUIRED);
  });

  it("answers the local engine's cache entries to propeller's look-up", async () => {
    const task = cachedTask("dc.engine");
    task.id = taskId("dc.engine", "v7");
    const key = taskCacheKey(task, create(LiteralMapSchema, { literals: { x: int(4) } }));
    const outputs = "metadata/propeller/flytesnacks-development-e9/n0/data/0/outputs.pb";
    await engineBlobs.putMessage(outputs, LiteralMapSchema, create(LiteralMapSchema, { literals: { o0: int(16) } }));
    const source = create(TaskExecutionIdentifierSchema, { taskId: task.id, nodeExecutionId: { nodeId: "n0", executionId: { project: "flytesnacks", domain: "development", name: "e9" } }, retryAttempt: 2 });
    const written = await catalog.put(key, task, engineBlobs.uri(outputs), source, false);
    expect(written.populated).toBe(true);

    const dataset = (await grpc.getDataset({ dataset: datasetOf(key) })).dataset!;
    expect(dataset.metadata?.keyMap).toEqual({ "task-version": "v7" });
    const artifact = (await grpc.getArtifact({ dataset: dataset.id, queryHandle: { case: "tagName", value: key.tag } })).artifact!;
    expect(artifact.id).toBe(written.metadata.artifactTag?.artifactId);
    expect(artifact.data).toEqual([expect.objectContaining({ name: "o0", value: int(16) })]);
    expect(artifact.metadata?.keyMap).toEqual({ "exec-project": "flytesnacks", "exec-domain": "development", "execution-name": "e9", "exec-node": "n0", "exec-attempt": "2" });
    const listed = await grpc.listArtifacts({ dataset: dataset.id, filter: { filters: [{ propertyFilter: { case: "tagFilter", value: { property: { case: "tagName", value: key.tag } } } }] } });
    expect(listed.artifacts.map((a) => a.id)).toEqual([artifact.id]);
    const datasets = await grpc.listDatasets({ filter: { filters: [{ propertyFilter: { case: "datasetFilter", value: { property: { case: "name", value: key.datasetName } } } }] } });
    expect(datasets.datasets.map((d) => d.id?.version)).toEqual([key.datasetVersion]);

    // propeller's overwrite (UpdateArtifact by tag) is what the engine's next run reads.
    await grpc.updateArtifact({ dataset: dataset.id, queryHandle: { case: "tagName", value: key.tag }, data: [{ name: "o0", value: int(17) }] });
    const again = await catalog.lookup(key, task);
    expect(again.hit && again.outputs.literals["o0"]).toEqual(int(17));
  });

  it("is served over gRPC-Web and Connect too, and listed and called through reflection", async () => {
    await grpc.createDataset({ dataset: { id: { project: "p", domain: "d", name: "protocols", version: "1" } } });
    const transports = [createGrpcWebTransport({ baseUrl: server.url, httpVersion: "1.1" }), createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" })];
    for (const t of transports) {
      const client = createClient(DataCatalog, t);
      expect((await client.getDataset({ dataset: { project: "p", domain: "d", name: "protocols", version: "1" } })).dataset?.id?.name).toBe("protocols");
      expect(await code(client.getDataset({ dataset: { project: "p", domain: "d", name: "protocols" } }))).toBe("InvalidArgument");
    }
    const json = await fetch(`${server.url}/datacatalog.DataCatalog/GetDataset`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ dataset: { project: "p", domain: "d", name: "protocols", version: "1" } }),
    });
    expect(((await json.json()) as { dataset: { id: { name: string } } }).dataset.id.name).toBe("protocols");
    const bufBin = join(packageRoot(), "node_modules/.bin/buf");
    const listed = await run(bufBin, ["curl", "--protocol", "grpc", "--http2-prior-knowledge", "-d", '{"filter":{"filters":[{"datasetFilter":{"name":"protocols"}}]}}', `${server.url}/datacatalog.DataCatalog/ListDatasets`]);
    expect(JSON.parse(listed.stdout)).toMatchObject({ datasets: [{ id: { name: "protocols" } }], nextToken: "1" });
  }, 60_000);

  it("refuses bad input over gRPC with datacatalog's codes, and writes nothing", async () => {
    const dataset = { project: "p", domain: "d", name: "bad-input", version: "1" };
    await grpc.createDataset({ dataset: { id: dataset } });
    expect(await code(grpc.createDataset({ dataset: { id: { ...dataset, project: "" } } }))).toBe("InvalidArgument");
    expect(await code(grpc.createArtifact({ artifact: { dataset, data: [{ name: "o0", value: int(1) }] } }))).toBe("InvalidArgument");
    expect(await code(grpc.createArtifact({ artifact: { id: "a", dataset: { ...dataset, name: "absent" }, data: [{ name: "o0", value: int(1) }] } }))).toBe("NotFound");
    expect(await code(grpc.getArtifact({ dataset }))).toBe("InvalidArgument");
    expect(await code(grpc.getArtifact({ dataset, queryHandle: { case: "tagName", value: "absent" } }))).toBe("NotFound");
    expect(await code(grpc.addTag({ tag: { name: "t", artifactId: "absent", dataset } }))).toBe("NotFound");
    expect(await code(grpc.listArtifacts({ dataset, pagination: { token: "not-a-number" } }))).toBe("InvalidArgument");
    expect(await code(grpc.listArtifacts({ dataset, filter: { filters: [{ propertyFilter: { case: "datasetFilter", value: { property: { case: "name", value: "x" } } } }] } }))).toBe("InvalidArgument");
    expect(await code(grpc.listDatasets({ filter: { filters: [{ propertyFilter: { case: "tagFilter", value: { property: { case: "tagName", value: "x" } } } }] } }))).toBe("InvalidArgument");
    expect(await code(grpc.getOrExtendReservation({ ownerId: "o" }))).toBe("InvalidArgument");
    expect(await code(grpc.getDataset({ dataset: { ...dataset, name: "x".repeat(10_000) } }))).toBe("InvalidArgument");
    // Larger than a request may be: the transport refuses it before any handler runs.
    const big = create(LiteralSchema, { value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "stringValue", value: "x".repeat(5 * 1024 * 1024) } } } } } });
    expect(await code(grpc.createArtifact({ artifact: { id: "big", dataset, data: [{ name: "o0", value: big }] } }))).toBe("ResourceExhausted");
    expect((await grpc.listArtifacts({ dataset })).artifacts).toEqual([]);
  }, 60_000);
});
