import { Code, ConnectError, createClient, createContextValues } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DataCatalog } from "../../gen/flyteidl/datacatalog/datacatalog_pb.js";
import { AdminService, file_flyteidl_service_admin } from "../../gen/flyteidl/service/admin_pb.js";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { buildApp, type App } from "../../src/app.js";
import { createLogger } from "../../src/logger.js";
import { createListener, type Listener } from "../../src/server/listener.js";
import { createLoadShedder, createWriteHold, isHeavyCall, writeHoldKey } from "../../src/server/load-shedder.js";
import { openStore } from "../../src/storage/open-store.js";
import type { Store } from "../../src/storage/store.js";
import { realServer, testConfig } from "../helpers/app.js";

/** Heavy calls (lists, data reads) are bounded: a few run, a few wait, the rest are refused at once. */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls (bounded) until `ready` holds. */
async function until(ready: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !ready(); i++) await sleep(10);
  if (!ready()) throw new Error(`gave up waiting for ${what}`);
}

describe("heavy calls over the wire", () => {
  let app: App;
  let listener: Listener;
  let url: string;
  // Every ListProjects waits here until the test opens the gate, so "in progress" is deterministic.
  let entered = 0;
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));

  beforeAll(async () => {
    const store = await openStore(":memory:");
    const projects = new Proxy(store.projects, {
      get: (target, key) =>
        key === "list"
          ? async (...args: Parameters<Store["projects"]["list"]>) => {
              entered++;
              await gate;
              return target.list(...args);
            }
          : Reflect.get(target, key),
    });
    const gated = new Proxy(store, { get: (target, key) => (key === "projects" ? projects : Reflect.get(target, key)) });
    app = await buildApp(testConfig({ maxConcurrentHeavyCalls: "2", maxQueuedHeavyCalls: "2" }), createLogger("silent"), { store: gated });
    listener = createListener(app.handler, { headersTimeoutMs: 5000, idleTimeoutMs: 5000 });
    url = `http://127.0.0.1:${(await listener.listen(0, "127.0.0.1")).port}`;
  });
  afterAll(async () => {
    open?.();
    await listener?.close(1000);
    await app?.close();
  });

  it("admits 2 running and 2 queued of 10 lists, refuses 6 at once, and cheap calls never wait", async () => {
    const transport = createGrpcTransport({ baseUrl: url });
    const admin = createClient(AdminService, transport);
    const outcomes: string[] = [];
    const calls = Array.from({ length: 10 }, () =>
      admin.listProjects({ limit: 10 }).then(
        () => outcomes.push("ok"),
        (e: unknown) => outcomes.push(Code[ConnectError.from(e).code] + ": " + ConnectError.from(e).rawMessage),
      ),
    );
    await until(() => entered === 2 && outcomes.length === 6, "two running lists and six refusals");
    expect(outcomes).toEqual(Array.from({ length: 6 }, () => "ResourceExhausted: server busy: 4 list calls in progress, retry later"));

    // While four lists are held: GetVersion, a Get of one entity, health and the REST list's refusal answer at once.
    expect((await admin.getVersion({})).controlPlaneVersion?.Version).toBeTruthy();
    expect((await createClient(Health, transport).check({})).status).toBe(1);
    const rest = await fetch(`${url}/api/v1/projects`);
    expect(rest.status).toBe(429);
    expect(await rest.text()).toContain("server busy");
    expect(entered).toBe(2);

    open();
    await Promise.all(calls);
    expect(outcomes.filter((o) => o === "ok")).toHaveLength(4);
    expect(entered).toBe(4);
  });
});

describe("the heavy-call gate", () => {
  const admin = file_flyteidl_service_admin.services[0]!;
  const method = (name: string) => admin.methods.find((m) => m.name === name)!;
  // The smallest request an interceptor sees; only method and signal matter here.
  const call = (name: string, signal: AbortSignal, contextValues = createContextValues(), header = new Headers()) =>
    ({ method: method(name), signal, contextValues, header }) as never;

  it("classifies lists and data reads as heavy, and single reads as cheap", () => {
    for (const name of ["ListExecutions", "ListProjects", "GetExecutionData", "GetNodeExecutionData", "GetTaskExecutionData", "GetExecutionMetrics"]) {
      expect(isHeavyCall(method(name)), name).toBe(true);
    }
    for (const name of ["GetVersion", "GetExecution", "GetTask", "CreateExecution", "CreateNodeEvent"]) {
      expect(isHeavyCall(method(name)), name).toBe(false);
    }
    // The DataCatalog's lists too; a cache look-up (GetArtifact) or a reservation never waits behind them.
    const dc = DataCatalog.method;
    for (const m of [dc.listArtifacts, dc.listDatasets]) expect(isHeavyCall(m), m.name).toBe(true);
    for (const m of [dc.getArtifact, dc.getDataset, dc.getOrExtendReservation, dc.createArtifact]) expect(isHeavyCall(m), m.name).toBe(false);
  });

  it("drops a waiting call whose client went away, freeing its place in the queue", async () => {
    const shedder = createLoadShedder({ maxRunning: 1, maxQueued: 1 });
    let finish!: () => void;
    const held = new Promise<void>((r) => (finish = r));
    const next = (async () => {
      await held;
      return {};
    }) as never;
    const run = (signal: AbortSignal) => (shedder.interceptor(next) as (req: unknown) => Promise<unknown>)(call("ListTasks", signal));

    const first = run(new AbortController().signal);
    const leaving = new AbortController();
    const waiting = run(leaving.signal);
    expect([shedder.running(), shedder.queued()]).toEqual([1, 1]);
    await expect(run(new AbortController().signal)).rejects.toMatchObject({ code: Code.ResourceExhausted });

    leaving.abort();
    await expect(waiting).rejects.toMatchObject({ code: Code.Canceled });
    expect(shedder.queued()).toBe(0);
    const later = run(new AbortController().signal);
    expect(shedder.queued()).toBe(1);

    finish();
    await Promise.all([first, later]);
    expect([shedder.running(), shedder.queued()]).toEqual([0, 0]);
  });

  it("keeps a heavy call's slot until its answer is written, or until the hold's limit", async () => {
    const shedder = createLoadShedder({ maxRunning: 1, maxQueued: 0 });
    const answer = (async () => ({})) as never;
    const run = (contextValues = createContextValues(), header = new Headers()) =>
      (shedder.interceptor(answer) as (req: unknown) => Promise<unknown>)(call("ListExecutions", new AbortController().signal, contextValues, header));

    // The transport's hold: the handler has answered, the answer is still being written.
    const hold = createWriteHold(60_000);
    const values = createContextValues();
    values.set(writeHoldKey, hold);
    await run(values);
    expect(shedder.running()).toBe(1);
    await expect(run()).rejects.toMatchObject({ code: Code.ResourceExhausted });
    hold.written();
    expect(shedder.running()).toBe(0);

    // A client that never reads keeps the slot only until the hold's limit.
    const short = createWriteHold(50);
    const shortValues = createContextValues();
    shortValues.set(writeHoldKey, short);
    await run(shortValues);
    expect(shedder.running()).toBe(1);
    await until(() => shedder.running() === 0, "the hold's limit");

    // An in-process caller (the REST gateway) names its hold in a header; an unknown name holds nothing.
    const rest = createWriteHold(60_000);
    const registered = shedder.holdHeader(rest);
    await run(createContextValues(), new Headers([registered.header]));
    registered.done();
    expect(shedder.running()).toBe(1);
    rest.written();
    expect(shedder.running()).toBe(0);
    await run(createContextValues(), new Headers([[registered.header[0], "forged"]]));
    expect(shedder.running()).toBe(0);
  });
});

describe("a heavy call's slot after its answer", () => {
  it("is free again as soon as the answer is written, on every protocol", async () => {
    const server = await realServer({ maxConcurrentHeavyCalls: "1", maxQueuedHeavyCalls: "0" });
    try {
      const admin = createClient(AdminService, createGrpcTransport({ baseUrl: server.url }));
      await admin.registerProject({ project: { id: "p", name: "p" } });
      // One slot, no queue: each call succeeds only if the one before it gave its slot back.
      for (let i = 0; i < 3; i++) {
        expect((await admin.listProjects({})).projects).toHaveLength(1);
        const rest = await fetch(`${server.url}/api/v1/projects`);
        expect(rest.status).toBe(200);
        const connect = await fetch(`${server.url}/flyteidl.service.AdminService/ListProjects`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
        expect(connect.status).toBe(200);
      }
    } finally {
      await server.close();
    }
  });
});
