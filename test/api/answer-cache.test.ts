import { create, toBinary, toJson } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TaskSchema } from "../../gen/flyteidl/admin/task_pb.js";
import { ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import { createAnswerCache, immutableAnswers } from "../../src/api/answer-cache.js";
import type { RunningServer } from "../../src/server.js";
import { DOMAIN, PROJECT, pythonTask, T, taskId } from "../fixtures/flyte-builders.js";
import { realServer } from "../helpers/app.js";

const bytes = (n: number) => new Uint8Array(n);

describe("the answer cache", () => {
  it("keeps the most recently used answers within its entry bound", () => {
    const cache = createAnswerCache({ maxEntries: 2, maxBytes: 1 << 20 });
    cache.set("a", bytes(1));
    cache.set("b", bytes(2));
    expect(cache.get("a")?.length).toBe(1); // a is now the most recent
    cache.set("c", bytes(3));
    expect([cache.get("a")?.length, cache.get("b"), cache.get("c")?.length]).toEqual([1, undefined, 3]);
    expect(cache.size).toBe(2);
  });

  it("keeps its bytes within the byte bound, and never an answer larger than it", () => {
    const cache = createAnswerCache({ maxEntries: 100, maxBytes: 1000 });
    for (let i = 0; i < 10; i++) cache.set(`k${i}`, bytes(300));
    expect(cache.bytes).toBeLessThanOrEqual(1000);
    expect(cache.get("k9")?.length).toBe(300);
    expect(cache.get("k0")).toBeUndefined();
    cache.set("huge", bytes(2000));
    expect(cache.get("huge")).toBeUndefined();
    // Replacing a key counts its bytes once.
    const before = cache.bytes;
    cache.set("k9", bytes(300));
    expect(cache.bytes).toBe(before);
  });

  it("answers binary callers with the loaded message's bytes, JSON callers with the message, and keeps nothing that failed", async () => {
    const answers = immutableAnswers(TaskSchema, { maxEntries: 10, maxBytes: 1 << 20 });
    const task = create(TaskSchema, { id: { resourceType: ResourceType.TASK, project: "p", domain: "d", name: "t", version: "v" }, shortDescription: "x" });
    const binary = { requestHeader: new Headers({ "content-type": "application/grpc" }) };
    const json = { requestHeader: new Headers({ "content-type": "application/json" }) };
    let loads = 0;
    const load = async () => (loads++, task);
    await expect(answers(binary, "k", () => Promise.reject(new Error("missing")))).rejects.toThrow("missing");
    for (let i = 0; i < 3; i++) expect(toBinary(TaskSchema, await answers(binary, "k", load))).toEqual(toBinary(TaskSchema, task));
    expect(loads).toBe(1);
    expect(await answers(json, "k", load)).toBe(task);
    expect(loads).toBe(2);
  });
});

describe("GetTask answers kept per version", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await realServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it("are the stored task on every protocol, and a version registered after a NOT_FOUND is found", async () => {
    const baseUrl = server.url;
    const grpc = createClient(AdminService, createGrpcTransport({ baseUrl }));
    const clients = [
      grpc,
      createClient(AdminService, createGrpcWebTransport({ baseUrl, httpVersion: "1.1" })),
      createClient(AdminService, createConnectTransport({ baseUrl, httpVersion: "2", useBinaryFormat: true })),
      createClient(AdminService, createConnectTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: false })),
    ];
    await grpc.registerProject({ project: { id: PROJECT, name: PROJECT } });
    const id = taskId("app.cached", "v1");
    for (const c of clients) {
      await expect(c.getTask({ id })).rejects.toSatisfy((e) => ConnectError.from(e).code === Code.NotFound);
    }
    await grpc.createTask({ id, spec: { template: pythonTask("app.cached", { x: T.int() }, { o0: T.int() }) } });
    const answers = [];
    for (let round = 0; round < 2; round++) for (const c of clients) answers.push(toJson(TaskSchema, await c.getTask({ id })));
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(answers[0]).toMatchObject({ id: { project: PROJECT, domain: DOMAIN, name: "app.cached", version: "v1" } });
    // Another version is its own answer.
    const v2 = taskId("app.cached", "v2");
    await grpc.createTask({ id: v2, spec: { template: pythonTask("app.cached", { y: T.str() }, {}) } });
    const inputs = async (of: typeof id) => Object.keys((await grpc.getTask({ id: of })).closure?.compiledTask?.template?.interface?.inputs?.variables ?? {});
    expect(await inputs(v2)).toEqual(["y"]);
    expect(await inputs(id)).toEqual(["x"]);
    // REST answers it too (its hop to the handler is binary).
    const rest = await fetch(`${baseUrl}/api/v1/tasks/${PROJECT}/${DOMAIN}/app.cached/v1`);
    expect(rest.status).toBe(200);
    expect(((await rest.json()) as { id: { version: string } }).id.version).toBe("v1");
  });
});
