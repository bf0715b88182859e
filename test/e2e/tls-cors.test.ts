import { readFileSync } from "node:fs";
import * as https from "node:https";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import { packageRoot } from "../../src/paths.js";
import type { RunningServer } from "../../src/server.js";
import { realServer } from "../helpers/app.js";

const tlsDir = join(packageRoot(), "test/fixtures/tls");
const ca = readFileSync(join(tlsDir, "cert.pem"));

describe("TLS on the same port", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await realServer({ listen: "127.0.0.1:0", tlsCert: join(tlsDir, "cert.pem"), tlsKey: join(tlsDir, "key.pem") });
  });
  afterAll(() => server?.close());

  it("serves gRPC over HTTP/2 and Connect and gRPC-Web over HTTP/1.1, chosen by ALPN", async () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const baseUrl = server.url;
    const transports = [
      createGrpcTransport({ baseUrl, nodeOptions: { ca } }),
      createConnectTransport({ baseUrl, httpVersion: "1.1", nodeOptions: { ca } }),
      createGrpcWebTransport({ baseUrl, httpVersion: "1.1", nodeOptions: { ca } }),
    ];
    for (const t of transports) {
      expect((await createClient(AdminService, t).getDomains({})).domains).toHaveLength(3);
    }
  });

  it("refuses cleartext on a TLS port without crashing", async () => {
    const plain = server.url.replace("https:", "http:");
    await expect(fetch(`${plain}/healthcheck`)).rejects.toThrow();
    const ok = await new Promise<number>((resolve, reject) =>
      https.get(`${server.url}/healthcheck`, { ca }, (res) => resolve(res.statusCode ?? 0)).on("error", reject),
    );
    expect(ok).toBe(200);
  });
});

describe("CORS", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await realServer({ corsOrigins: "http://console.example" });
  });
  afterAll(() => server?.close());

  it("answers preflights for allowed origins with the headers browsers and the console need", async () => {
    const res = await fetch(`${server.url}/flyteidl.service.AdminService/ListProjects`, {
      method: "OPTIONS",
      headers: {
        origin: "http://console.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type,x-grpc-web,flyte-authorization",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("http://console.example");
    const allowed = (res.headers.get("access-control-allow-headers") ?? "").toLowerCase();
    for (const h of ["content-type", "x-grpc-web", "connect-protocol-version", "authorization", "flyte-authorization"]) {
      expect(allowed).toContain(h);
    }
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
  });

  it("adds CORS headers to real calls from allowed origins only", async () => {
    const call = (origin: string) =>
      fetch(`${server.url}/flyteidl.service.AdminService/GetVersion`, {
        method: "POST",
        headers: { origin, "content-type": "application/json" },
        body: "{}",
      });
    const allowed = await call("http://console.example");
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get("access-control-allow-origin")).toBe("http://console.example");
    expect(allowed.headers.get("access-control-expose-headers")?.toLowerCase()).toContain("grpc-status");
    const other = await call("http://evil.example");
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("CORS defaults and refusals", () => {
  let open: RunningServer;
  let listed: RunningServer;
  beforeAll(async () => {
    open = await realServer();
    listed = await realServer({ corsOrigins: "http://console.example,null" });
  });
  afterAll(async () => {
    await open?.close();
    await listed?.close();
  });

  const call = (server: RunningServer, origin?: string) =>
    fetch(`${server.url}/flyteidl.service.AdminService/GetVersion`, {
      method: "POST",
      headers: { ...(origin !== undefined ? { origin } : {}), "content-type": "application/json" },
      body: "{}",
    });
  const preflight = (server: RunningServer, origin: string) =>
    fetch(`${server.url}/flyteidl.service.AdminService/ListProjects`, {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
  const vary = (res: Response) => (res.headers.get("vary") ?? "").toLowerCase();

  it("answers any origin with * and never with credentials by default", async () => {
    const res = await call(open, "http://any-page.example");
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-credentials")).toBeNull();
    expect(vary(res)).toContain("origin");
    const pre = await preflight(open, "http://any-page.example");
    expect([pre.status, pre.headers.get("access-control-allow-origin"), pre.headers.get("access-control-allow-credentials")]).toEqual([204, "*", null]);
  });

  it("never allows the opaque origin null through *", async () => {
    const res = await call(open, "null");
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    expect(vary(res)).toContain("origin");
    const pre = await preflight(open, "null");
    // Refused here, cleanly: no allow headers and no answer from the RPC router.
    expect(pre.status).toBe(204);
    expect(await pre.text()).toBe("");
    for (const h of ["access-control-allow-origin", "access-control-allow-methods", "access-control-allow-headers", "grpc-status", "content-type"]) {
      expect([h, pre.headers.get(h)]).toEqual([h, null]);
    }
    // Without an Origin the answer still varies on it, so caches keep them apart.
    expect(vary(await call(open))).toContain("origin");
  });

  it("echoes explicitly listed origins with credentials, null included when listed", async () => {
    for (const origin of ["http://console.example", "null"]) {
      const res = await call(listed, origin);
      expect([origin, res.headers.get("access-control-allow-origin"), res.headers.get("access-control-allow-credentials")]).toEqual([origin, origin, "true"]);
      expect(vary(res)).toContain("origin");
    }
    const other = await preflight(listed, "http://evil.example");
    expect([other.status, other.headers.get("access-control-allow-origin")]).toEqual([204, null]);
    expect(vary(other)).toContain("origin");
  });
});
