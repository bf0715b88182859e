import * as http2 from "node:http2";
import { toBinary, create } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProjectListRequestSchema } from "../../gen/flyteidl/admin/project_pb.js";
import { buildApp, type App } from "../../src/app.js";
import { createLogger } from "../../src/logger.js";
import { createListener, type Listener } from "../../src/server/listener.js";
import { openStore } from "../../src/storage/open-store.js";
import { testConfig } from "../helpers/app.js";

/**
 * A call's deadline (grpc-timeout, connect-timeout-ms) and its client going
 * away reach the server's handlers: a list waiting for a slot of the
 * heavy-call gate leaves the queue. The one slot and the one queue place are
 * held by a list stopped inside the store, so the only way a later list gets
 * a queue place is that the earlier waiter was dropped by the server.
 */
describe("deadlines and cancellation over the wire", () => {
  let app: App;
  let listener: Listener;
  let url: string;
  let session: http2.ClientHttp2Session;
  let entered = 0;
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));

  beforeAll(async () => {
    const store = await openStore(":memory:");
    const list = store.projects.list.bind(store.projects);
    store.projects.list = async (...args) => {
      entered++;
      await gate;
      return list(...args);
    };
    app = await buildApp(testConfig({ maxConcurrentHeavyCalls: "1", maxQueuedHeavyCalls: "1" }), createLogger("silent"), { store });
    listener = createListener(app.handler, { headersTimeoutMs: 5000, idleTimeoutMs: 5000 });
    url = `http://127.0.0.1:${(await listener.listen(0, "127.0.0.1")).port}`;
    session = http2.connect(url);
  });
  afterAll(async () => {
    open?.();
    session?.close();
    await listener?.close(1000);
    await app?.close();
  });

  const body = Buffer.from(toBinary(ProjectListRequestSchema, create(ProjectListRequestSchema, { limit: 10 })));
  const frame = Buffer.concat([Buffer.from([0, 0, 0, 0, body.length]), body]);

  /** ListProjects over gRPC by hand (no client-side deadline); resolves with the grpc-status, or "reset". */
  const listOverGrpc = (headers: Record<string, string>, stream?: (s: http2.ClientHttp2Stream) => void) =>
    new Promise<string>((resolve) => {
      const s = session.request({ ":method": "POST", ":path": "/flyteidl.service.AdminService/ListProjects", "content-type": "application/grpc", te: "trailers", ...headers });
      let status = "reset";
      const take = (h: http2.IncomingHttpHeaders) => void (h["grpc-status"] !== undefined && (status = String(h["grpc-status"])));
      s.on("response", take);
      s.on("trailers", take);
      s.on("error", () => undefined);
      s.on("close", () => resolve(status));
      s.resume();
      s.end(frame);
      stream?.(s);
    });

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it("ends a waiting call at its grpc-timeout or connect-timeout-ms with DEADLINE_EXCEEDED, and drops a cancelled one", async () => {
    const running = listOverGrpc({});
    for (let i = 0; i < 200 && entered === 0; i++) await sleep(10);
    expect(entered).toBe(1);

    // gRPC: the server's own deadline, 200 ms; the client sets none.
    expect(await listOverGrpc({ "grpc-timeout": "200m" })).toBe("4");

    // Connect: the same deadline from connect-timeout-ms, answered 504 deadline_exceeded.
    const connect = await fetch(`${url}/flyteidl.service.AdminService/ListProjects`, {
      method: "POST",
      headers: { "content-type": "application/json", "connect-timeout-ms": "200" },
      body: "{}",
    });
    expect(connect.status).toBe(504);
    expect(((await connect.json()) as { code: string }).code).toBe("deadline_exceeded");

    // A client that resets its stream while waiting gives its queue place back.
    const cancelled = listOverGrpc({}, (s) => setTimeout(() => s.close(http2.constants.NGHTTP2_CANCEL), 200));
    expect(await cancelled).toBe("reset");

    // The queue is free again: this list waits (no RESOURCE_EXHAUSTED) and runs once the first one ends.
    const later = listOverGrpc({});
    await sleep(100);
    open();
    expect(await running).toBe("0");
    expect(await later).toBe("0");
    expect(entered).toBe(2);
  });
});
