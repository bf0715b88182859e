import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createRegistry } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import type { RunningServer } from "../../src/server.js";
import { createGateway } from "../../src/server/gateway/gateway.js";
import { realServer } from "../helpers/app.js";

/**
 * What grpc-gateway adds around the RPC on FlyteAdmin's REST port: response
 * metadata as Grpc-Metadata-* headers (and Grpc-Trailer-* trailers for a
 * client that accepts them), and the form-POST stand-in for long GETs.
 */
const P = "flytesnacks";
let server: RunningServer;
beforeAll(async () => {
  server = await realServer();
  const res = await fetch(`${server.url}/api/v1/projects`, { method: "POST", body: JSON.stringify({ project: { id: P, name: P } }) });
  expect(res.status).toBe(200);
});
afterAll(() => server?.close());

const form = (path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json", ...headers }, body });

describe("response metadata", () => {
  it("surfaces the request id the server sets as Grpc-Metadata-X-Request-Id, on success and on failure", async () => {
    const ok = await fetch(`${server.url}/api/v1/projects`, { headers: { "x-request-id": "req-1" } });
    expect(ok.headers.get("grpc-metadata-x-request-id")).toBe("req-1");
    const generated = await fetch(`${server.url}/api/v1/projects/${P}`);
    expect(generated.headers.get("grpc-metadata-x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const missing = await fetch(`${server.url}/api/v1/projects/nope`, { headers: { "x-request-id": "req-2" } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get("grpc-metadata-x-request-id")).toBe("req-2");
    // The in-process call's own protocol headers are not metadata.
    expect(ok.headers.get("grpc-metadata-content-type")).toBeNull();
  });

  it("writes handler trailers as Grpc-Trailer-* only for a client that sent TE: trailers", async () => {
    const gateway = createGateway({
      services: [AdminService],
      routes: (router) =>
        router.service(AdminService, {
          getVersion(_req, ctx) {
            ctx.responseHeader.set("x-answer", "42");
            ctx.responseTrailer.set("x-done", "yes");
            return {};
          },
          getProject(_req, ctx) {
            ctx.responseHeader.set("x-answer", "no");
            throw new ConnectError("gone", Code.NotFound);
          },
        }),
      interceptors: [],
      registry: createRegistry(),
      maxBodyBytes: 1 << 20,
    });
    const http: Server = createServer((req, res) => void gateway(req, res));
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    const port = (http.address() as AddressInfo).port;
    const call = (path: string, headers: Record<string, string>) =>
      new Promise<{ status: number; headers: Record<string, unknown>; trailers: Record<string, string> }>((resolve, reject) => {
        request({ port, host: "127.0.0.1", path, headers }, (res) => {
          res.resume();
          res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, trailers: res.trailers as Record<string, string> }));
        })
          .on("error", reject)
          .end();
      });
    try {
      const withTrailers = await call("/api/v1/version", { te: "trailers" });
      expect(withTrailers.headers["grpc-metadata-x-answer"]).toBe("42");
      expect(withTrailers.headers.trailer).toBe("Grpc-Trailer-X-Done");
      expect(withTrailers.trailers["grpc-trailer-x-done"]).toBe("yes");
      const without = await call("/api/v1/version", {});
      expect(without.headers.trailer).toBeUndefined();
      expect(without.trailers).toEqual({});
      const failed = await call("/api/v1/projects/x", {});
      expect([failed.status, failed.headers["grpc-metadata-x-answer"]]).toEqual([404, "no"]);
    } finally {
      await new Promise((resolve) => http.close(resolve));
    }
  });
});

describe("form POST for a GET route (grpc-gateway's path length fallback)", () => {
  it("serves the GET with the form fields as query parameters", async () => {
    const res = await form("/api/v1/projects", "limit=1&sort_by.key=name");
    // /api/v1/projects has a POST route (RegisterProject): the form is its body, not a fallback.
    expect(res.status).toBe(400);
    const list = await form(`/api/v1/project_domain_attributes/${P}/development`, "resource_type=EXECUTION_QUEUE");
    expect(list.status).toBe(404); // GetProjectDomainAttributes found nothing, so the GET ran
    const got = await form(`/api/v1/projects/${P}`, "");
    expect(got.status).toBe(200);
    expect(((await got.json()) as { id: string }).id).toBe(P);
  });

  it("merges form fields before the URL's and rejects a malformed form", async () => {
    const domains = await form("/api/v1/domains", "x=1");
    expect(domains.status).toBe(200);
    const twice = await form(`/api/v1/task_ids/${P}/development?limit=3`, "limit=2");
    expect(twice.status).toBe(400);
    expect(((await twice.json()) as { message: string }).message).toBe('too many values for field "limit": 2, 3');
    const bad = await form(`/api/v1/task_ids/${P}/development`, "limit=%zz");
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toBe('invalid URL escape "%zz"');
  });

  it("honours X-HTTP-Method-Override only on such a form POST", async () => {
    const overridden = await form(`/api/v1/projects`, "", { "x-http-method-override": "get" });
    expect(overridden.status).toBe(200);
    expect(((await overridden.json()) as { projects: unknown[] }).projects).toHaveLength(1);
    const json = await fetch(`${server.url}/api/v1/projects`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-http-method-override": "GET" },
      body: JSON.stringify({ project: { id: "second", name: "second" } }),
    });
    expect(json.status).toBe(200); // registered: the override was ignored
    expect((await form(`/api/v1/projects/${P}`, "", { "x-http-method-override": "POST" })).status).toBe(200);
    expect((await form(`/api/v1/projects/${P}`, "", { "x-http-method-override": "PATCH" })).status).toBe(501);
    const charset = await form(`/api/v1/projects/${P}`, "", { "content-type": "application/x-www-form-urlencoded; charset=utf-8" });
    expect(charset.status).toBe(501); // not exactly the form type: no fallback, POST is not allowed there
  });
});
