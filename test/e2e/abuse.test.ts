import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import type { RunningServer } from "../../src/server.js";
import { realServer } from "../helpers/app.js";

/** Connections a broken or hostile client opens must not crash or hold the server. */
let server: RunningServer;
beforeAll(async () => {
  server = await realServer({ headersTimeoutMs: "500", maxMessageBytes: String(1024 * 1024) });
});
afterAll(() => server?.close());

const stillServes = async () => {
  const admin = createClient(AdminService, createGrpcTransport({ baseUrl: server.url }));
  expect((await admin.getVersion({})).controlPlaneVersion?.Version).toBeTruthy();
};

const connect = () =>
  new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect(server.port, "127.0.0.1", () => resolve(s));
    s.on("error", reject);
  });

/** Resolves when the server closes the socket, with the time it took. */
const closedByServer = (s: net.Socket) =>
  new Promise<number>((resolve) => {
    const started = Date.now();
    s.on("error", () => undefined);
    s.on("close", () => resolve(Date.now() - started));
    s.resume();
  });

describe("abusive connections", () => {
  it("survives connections reset at once", async () => {
    for (let i = 0; i < 20; i++) (await connect()).resetAndDestroy();
    await stillServes();
  });

  it("closes a connection that sends half an HTTP/2 preface and stalls", async () => {
    const s = await connect();
    s.write("PRI * HTTP/2.0\r\n");
    const closedAfter = await closedByServer(s);
    expect(closedAfter).toBeLessThan(5000);
    await stillServes();
  });

  it("closes a connection that never sends anything, and one stalling in HTTP/1.1 headers", async () => {
    const silent = await connect();
    const stalled = await connect();
    stalled.write("POST /flyteidl.service.AdminService/GetVersion HTTP/1.1\r\nHost: x\r\n");
    const [a, b] = await Promise.all([closedByServer(silent), closedByServer(stalled)]);
    expect(a).toBeLessThan(5000);
    expect(b).toBeLessThan(5000);
    await stillServes();
  });

  it("survives garbage on both protocols", async () => {
    const h1 = await connect();
    h1.write("GARBAGE \x00\x01\x02 NOT HTTP\r\n\r\n");
    await closedByServer(h1);
    const h2 = await connect();
    h2.write(Buffer.concat([Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), Buffer.alloc(64, 0xff)]));
    await closedByServer(h2);
    await stillServes();
  });

  it("refuses a 100 MB body over HTTP/1.1 without reading it all", async () => {
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          host: "127.0.0.1",
          port: server.port,
          method: "POST",
          path: "/flyteidl.service.AdminService/RegisterProject",
          headers: { "content-type": "application/proto", "content-length": String(100 * chunk.length) },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
          req.destroy();
        },
      );
      req.on("error", (e) => (e.message.includes("EPIPE") || e.message.includes("ECONNRESET") ? undefined : reject(e)));
      let sent = 0;
      const pump = () => {
        while (sent < 100 && !req.destroyed) {
          sent++;
          if (!req.write(chunk)) return void req.once("drain", pump);
        }
        if (!req.destroyed) req.end();
      };
      pump();
    });
    // Connect answers resource_exhausted (HTTP 429) as soon as the declared size is over the limit.
    expect(status).toBe(429);
    await stillServes();
  });

  it("refuses a gRPC message declaring 100 MB over HTTP/2", async () => {
    const session = http2.connect(server.url);
    session.on("error", () => undefined);
    const stream = session.request({
      ":method": "POST",
      ":path": "/flyteidl.service.AdminService/RegisterProject",
      "content-type": "application/grpc",
      te: "trailers",
    });
    const header = Buffer.alloc(5);
    header.writeUInt32BE(100 * 1024 * 1024, 1);
    stream.write(header);
    stream.write(Buffer.alloc(256 * 1024));
    // The server answers (trailers-only or trailers) without waiting for the rest of the body.
    const status = await new Promise<string>((resolve) => {
      stream.on("response", (h) => h["grpc-status"] !== undefined && resolve(String(h["grpc-status"])));
      stream.on("trailers", (t) => resolve(String(t["grpc-status"])));
      stream.on("error", () => undefined);
      stream.resume();
    });
    stream.close();
    session.close();
    expect(status).toBe("8"); // RESOURCE_EXHAUSTED
    await stillServes();
  });
});
