import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import { join } from "node:path";
import * as tls from "node:tls";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus as Serving } from "../../gen/grpc/health/v1/health_pb.js";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import { DataProxyService } from "../../gen/flyteidl/service/dataproxy_pb.js";
import { LOCAL_TMP_DIR } from "../../src/blob/local-blob-store.js";
import { packageRoot } from "../../src/paths.js";
import type { RunningServer } from "../../src/server.js";
import { realServer } from "../helpers/app.js";

/** Slow clients and floods of connections: bodies that stall, too many sockets, oversized heads, silent TLS. */

const connect = (port: number) =>
  new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1", () => resolve(s));
    s.on("error", reject);
  });

/** Everything the server sends until it closes the connection. */
const untilClosed = (s: net.Socket) =>
  new Promise<string>((resolve) => {
    let text = "";
    s.on("data", (d: Buffer) => (text += d.toString("latin1")));
    s.on("error", () => undefined);
    s.on("close", () => resolve(text));
  });

const stillServes = async (url: string) => {
  const admin = createClient(AdminService, createGrpcTransport({ baseUrl: url }));
  expect((await admin.getVersion({})).controlPlaneVersion?.Version).toBeTruthy();
};

const stillServesTls = async (url: string, ca: Buffer) => {
  const admin = createClient(AdminService, createGrpcTransport({ baseUrl: url, nodeOptions: { ca } }));
  expect((await admin.getVersion({})).controlPlaneVersion?.Version).toBeTruthy();
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("request bodies that stop arriving", () => {
  let server: RunningServer;
  const storage = mkdtempSync(join(tmpdir(), "flyteadmin-blobs-"));
  beforeAll(async () => {
    server = await realServer({ bodyTimeoutMs: "300", storage });
    await createClient(AdminService, createGrpcTransport({ baseUrl: server.url })).registerProject({ project: { id: "flytesnacks", name: "flytesnacks" } });
  });
  afterAll(() => server?.close());

  const uploadUrl = async (body: Buffer) => {
    const proxy = createClient(DataProxyService, createGrpcTransport({ baseUrl: server.url }));
    const contentMd5 = new Uint8Array(createHash("md5").update(body).digest());
    const loc = await proxy.createUploadLocation({ project: "flytesnacks", domain: "development", filename: `f${Math.random()}.bin`, contentMd5 });
    return { url: new URL(loc.signedUrl), md5: Buffer.from(contentMd5).toString("base64") };
  };

  it("cuts a signed upload that trickles one byte and stalls with 408, and closes the connection", async () => {
    const { url, md5 } = await uploadUrl(Buffer.alloc(1000, 1));
    const s = await connect(server.port);
    const answer = untilClosed(s);
    s.write(`PUT ${url.pathname}${url.search} HTTP/1.1\r\nHost: x\r\nContent-MD5: ${md5}\r\nContent-Length: 1000\r\n\r\n\x01`);
    expect(await answer).toMatch(/^HTTP\/1\.1 408 /);
    // The cut upload's temporary file is closed and removed, not left for the hourly sweep.
    const temps = () => readdirSync(join(storage, LOCAL_TMP_DIR));
    for (let i = 0; i < 100 && temps().length > 0; i++) await sleep(20);
    expect(temps()).toEqual([]);
  });

  it("cuts an RPC POST whose body stalls, and a gRPC stream over HTTP/2 whose body stalls", async () => {
    const s = await connect(server.port);
    const answer = untilClosed(s);
    s.write(`POST /flyteidl.service.AdminService/GetVersion HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`);
    expect(await answer).toMatch(/^HTTP\/1\.1 408 /);
    // gRPC-Web over HTTP/1.1: the status in the headers and an empty body.
    const web = await connect(server.port);
    const webAnswer = untilClosed(web);
    web.write(`POST /flyteidl.service.AdminService/GetVersion HTTP/1.1\r\nHost: x\r\nContent-Type: application/grpc-web+proto\r\nContent-Length: 100\r\n\r\n\0`);
    const webText = await webAnswer;
    expect(webText).toMatch(/^HTTP\/1\.1 200 [^]*grpc-status: 4\r\n/i);
    expect(webText.endsWith("\r\n\r\n")).toBe(true);

    const session = http2.connect(server.url);
    session.on("error", () => undefined);
    const stream = session.request({ ":method": "POST", ":path": "/flyteidl.service.AdminService/GetVersion", "content-type": "application/grpc", te: "trailers" });
    stream.write(Buffer.from([0, 0, 0, 0, 10])); // a 10-byte message that never comes
    let bodyBytes = 0;
    let trailersOnly = false;
    const status = await new Promise<string>((resolve) => {
      stream.on("response", (h, flags) => {
        trailersOnly = (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0;
        if (h["grpc-status"] !== undefined) resolve(String(h["grpc-status"]));
      });
      stream.on("trailers", (t) => resolve(String(t["grpc-status"])));
      stream.on("close", () => resolve(`closed with ${stream.rstCode}`));
      stream.on("error", () => undefined);
      stream.on("data", (d: Buffer) => (bodyBytes += d.length));
    });
    await new Promise<void>((resolve) => (stream.closed ? resolve() : stream.once("close", () => resolve())));
    session.close();
    expect(status).toBe("4"); // DEADLINE_EXCEEDED
    // Trailers-only, with no body: gRPC clients read any body as a message frame, and text there
    // turns the status into RESOURCE_EXHAUSTED or INTERNAL.
    expect([trailersOnly, bodyBytes]).toEqual([true, 0]);
    await stillServes(server.url);
  });

  it("cuts an HTTP/1.1 body that trickles a byte now and then, never idle for a whole timeout, for its rate", async () => {
    const s = await connect(server.port);
    const answer = untilClosed(s);
    s.write(`POST /flyteidl.service.AdminService/GetVersion HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`);
    // A byte every 100 ms: never silent for the 300 ms timeout, far under 256 bytes per second.
    const timer = setInterval(() => s.destroyed || s.write(" "), 100);
    try {
      expect(await answer).toMatch(/^HTTP\/1\.1 408 [^]*too slow/);
    } finally {
      clearInterval(timer);
    }
  });

  it("cuts a body that keeps trickling after an early answer (a 404, a refused signed PUT, a health check)", async () => {
    for (const head of [
      "PUT /nothing/here HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n",
      "PUT /dataproxy/blobs/x?signature=bad HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n",
      "GET /healthcheck HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n",
    ]) {
      const s = await connect(server.port);
      const answer = untilClosed(s);
      s.write(head);
      // Answered at once, then a byte every 100 ms: never silent for the timeout, far under the rate.
      const timer = setInterval(() => s.destroyed || s.write("x"), 100);
      try {
        expect(await answer).toMatch(/^HTTP\/1\.1 (404|403|200) /);
      } finally {
        clearInterval(timer);
      }
    }
  });

  it("cuts an HTTP/2 stream whose body trickles a byte now and then, for its rate, with a trailers-only DEADLINE_EXCEEDED", async () => {
    const session = http2.connect(server.url);
    session.on("error", () => undefined);
    const stream = session.request({ ":method": "POST", ":path": "/flyteidl.service.AdminService/GetVersion", "content-type": "application/grpc", te: "trailers" });
    stream.write(Buffer.from([0, 0, 0, 1, 0])); // a 256-byte message, sent a byte every 100 ms
    const timer = setInterval(() => stream.writable && stream.write(Buffer.from([0x0a])), 100);
    try {
      const answer = await new Promise<{ status: string; message: string }>((resolve) => {
        stream.on("response", (h) => h["grpc-status"] !== undefined && resolve({ status: String(h["grpc-status"]), message: decodeURIComponent(String(h["grpc-message"])) }));
        stream.on("close", () => resolve({ status: `closed with ${stream.rstCode}`, message: "" }));
        stream.on("error", () => undefined);
        stream.resume();
      });
      expect(answer.status).toBe("4");
      expect(answer.message).toMatch(/too slow/);
    } finally {
      clearInterval(timer);
      session.close();
    }
  });

  it("lets a large upload that keeps sending run for many times the timeout", async () => {
    const chunk = Buffer.alloc(64 * 1024, 7);
    const chunks = 12;
    const body = Buffer.concat(Array.from({ length: chunks }, () => chunk));
    const { url, md5 } = await uploadUrl(body);
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        { host: "127.0.0.1", port: server.port, method: "PUT", path: url.pathname + url.search, agent: false, headers: { "content-md5": md5, "content-length": String(body.length) } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      let sent = 0;
      const timer = setInterval(() => {
        req.write(chunk);
        if (++sent === chunks) {
          clearInterval(timer);
          req.end();
        }
      }, 100); // 1.2 s in all, four times the 300 ms body timeout
    });
    expect(status).toBe(200);
  });

  it("does not cut a gRPC-Web server stream over HTTP/1.1 once its request is complete", async () => {
    const health = createClient(Health, createGrpcWebTransport({ baseUrl: server.url, httpVersion: "1.1" }));
    const abort = new AbortController();
    const it = health.watch({ service: "flyteadmin" }, { signal: abort.signal })[Symbol.asyncIterator]();
    expect((await it.next()).value?.status).toBe(Serving.SERVING);
    await sleep(1000);
    server.app.health.set("flyteadmin", Serving.NOT_SERVING);
    expect((await it.next()).value?.status).toBe(Serving.NOT_SERVING);
    server.app.health.set("flyteadmin", Serving.SERVING);
    abort.abort();
  });
});

describe("oversized request heads", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await realServer();
  });
  afterAll(() => server?.close());

  it("answers a 20 KB request line with 414 and 20 KB of headers with 431", async () => {
    const long = await connect(server.port);
    const a = untilClosed(long);
    long.write(`GET /${"a".repeat(20 * 1024)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(await a).toMatch(/^HTTP\/1\.1 414 /);
    const fat = await connect(server.port);
    const b = untilClosed(fat);
    fat.write(`GET /healthcheck HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 200 }, (_, i) => `X-Pad-${i}: ${"b".repeat(100)}\r\n`).join("")}\r\n`);
    expect(await b).toMatch(/^HTTP\/1\.1 431 /);
    await stillServes(server.url);
  });
});

describe("request heads that stop arriving", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await realServer({ headersTimeoutMs: "300" });
  });
  afterAll(() => server?.close());

  it("answers headers that do not arrive within the header deadline with 408, not a bare close", async () => {
    const s = await connect(server.port);
    const answer = untilClosed(s);
    s.write("GET /healthcheck HTTP/1.1\r\nHost: x\r\n");
    expect(await answer).toMatch(/^HTTP\/1\.1 408 /);
    await stillServes(server.url);
  });
});

describe("the connection cap", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await realServer({ maxConnections: "20", headersTimeoutMs: "10000" });
  });
  afterAll(() => server?.close());

  const healthcheck = () =>
    new Promise<number>((resolve) => {
      http
        .get({ host: "127.0.0.1", port: server.port, path: "/healthcheck", agent: false }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on("error", () => resolve(0));
    });

  it("refuses the 21st connection with 503, and serves again once others close", async () => {
    const held: net.Socket[] = [];
    for (let i = 0; i < 20; i++) held.push(await connect(server.port));
    for (const s of held) s.on("error", () => undefined);
    const extra = await connect(server.port);
    const answer = untilClosed(extra);
    extra.write("GET /healthcheck HTTP/1.1\r\nHost: x\r\n\r\n");
    const text = await answer;
    expect(text).toMatch(/^HTTP\/1\.1 503 /);
    expect(text.toLowerCase()).toContain("connection: close");

    for (const s of held.splice(0, 5)) s.destroy();
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = await healthcheck();
      if (status !== 200) await sleep(50);
    }
    expect(status).toBe(200);
    await stillServes(server.url);
    for (const s of held) s.destroy();
  });
});

describe("TLS handshakes", () => {
  const tlsDir = join(packageRoot(), "test/fixtures/tls");
  let server: RunningServer;
  beforeAll(async () => {
    server = await realServer({ tlsCert: join(tlsDir, "cert.pem"), tlsKey: join(tlsDir, "key.pem"), headersTimeoutMs: "500" });
  });
  afterAll(() => server?.close());

  it("closes a client that never starts TLS, and ones that stall after the handshake (HTTP/1.1 and h2)", async () => {
    const ca = readFileSync(join(tlsDir, "cert.pem"));
    const handshake = (alpn: string) =>
      new Promise<tls.TLSSocket>((resolve, reject) => {
        const s = tls.connect({ host: "127.0.0.1", port: server.port, ca, servername: "localhost", ALPNProtocols: [alpn] }, () => resolve(s));
        s.on("error", reject);
      });
    const silent = await connect(server.port);
    const [h1, h2] = [await handshake("http/1.1"), await handshake("h2")];
    expect([h1.alpnProtocol, h2.alpnProtocol]).toEqual(["http/1.1", "h2"]);
    // Each would be held for minutes (Node's 120 s handshake timeout, then the idle timeout) without the header deadline.
    const closed = await Promise.all([silent, h1, h2].map((s) => untilClosed(s)));
    expect(closed[0]).toBe("");
    await stillServesTls(server.url, ca);
  });
});
