import { fromJson, toJson, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Client, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GetDomainsResponseSchema, ProjectSchema, ProjectsSchema } from "../../gen/flyteidl/admin/project_pb.js";
import { GetVersionResponseSchema } from "../../gen/flyteidl/admin/version_pb.js";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import type { RunningServer } from "../../src/server.js";
import { realServer } from "../helpers/app.js";
import { grpcJsAdminClient } from "../helpers/grpc-js-client.js";

/**
 * The same calls through every protocol a Flyte client uses, against the real
 * server on a free port. Answers are compared in one canonical JSON form.
 */
let server: RunningServer;
let grpcJs: ReturnType<typeof grpcJsAdminClient>;
const clients: Record<string, Client<typeof AdminService>> = {};

beforeAll(async () => {
  server = await realServer();
  const baseUrl = server.url;
  const transports: Record<string, Transport> = {
    "connect-node gRPC (h2c)": createGrpcTransport({ baseUrl }),
    "connect-node gRPC-Web (HTTP/1.1)": createGrpcWebTransport({ baseUrl, httpVersion: "1.1" }),
    "connect-node Connect binary (HTTP/2)": createConnectTransport({ baseUrl, httpVersion: "2", useBinaryFormat: true }),
  };
  for (const [name, t] of Object.entries(transports)) clients[name] = createClient(AdminService, t);
  grpcJs = grpcJsAdminClient(`127.0.0.1:${server.port}`);
  const admin = clients["connect-node gRPC (h2c)"]!;
  await admin.registerProject({ project: { id: "flytesnacks", name: "flytesnacks", description: "snacks", labels: { values: { team: "ml" } } } });
  await admin.registerProject({ project: { id: "archived", name: "archived", state: 1 } });
});
afterAll(async () => {
  grpcJs?.close();
  await server?.close();
});

/** Drops null (proto-loader's unset message) and empty containers, so both JSON forms line up. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === null || v === undefined) continue;
      out[k] = canonical(v);
    }
    return out;
  }
  return value;
}
const json = <D extends DescMessage>(schema: D, msg: MessageShape<D>) =>
  canonical(toJson(schema, msg, { useProtoFieldName: true, alwaysEmitImplicit: true }));

/** Connect's JSON protocol with plain fetch, as a script would call it. */
async function connectJson(method: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${server.url}/flyteidl.service.AdminService/${method}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const cases: { method: "listProjects" | "getProject" | "getDomains" | "getVersion"; proto: string; request: object; schema: DescMessage }[] = [
  { method: "listProjects", proto: "ListProjects", request: {}, schema: ProjectsSchema },
  { method: "listProjects", proto: "ListProjects", request: { filters: "eq(state,1)", limit: 5 }, schema: ProjectsSchema },
  { method: "getProject", proto: "GetProject", request: { id: "flytesnacks" }, schema: ProjectSchema },
  { method: "getDomains", proto: "GetDomains", request: {}, schema: GetDomainsResponseSchema },
  { method: "getVersion", proto: "GetVersion", request: {}, schema: GetVersionResponseSchema },
];

describe.each(cases)("$proto $request", ({ method, proto, request, schema }) => {
  it("answers the same over every protocol", async () => {
    const answers: Record<string, unknown> = {};
    for (const [name, client] of Object.entries(clients)) {
      const res = await (client[method] as (r: object) => Promise<MessageShape<DescMessage>>)(request);
      answers[name] = json(schema, res);
    }
    answers["grpc-js + proto-loader"] = canonical(await grpcJs.call(proto, request));
    // Connect JSON with fetch: JSON names, so compare after a round trip through the schema.
    const viaFetch = await connectJson(proto, request);
    expect(viaFetch.status).toBe(200);
    answers["fetch Connect JSON"] = json(schema, fromJson(schema, viaFetch.body as never));
    const reference = answers["connect-node gRPC (h2c)"];
    expect(reference).toBeTruthy();
    for (const [name, answer] of Object.entries(answers)) expect({ name, answer }).toEqual({ name, answer: reference });
  });
});

describe("errors", () => {
  it("carry the same code and message over every protocol", async () => {
    for (const client of Object.values(clients)) {
      const err = await client.getProject({ id: "ghost" }).catch((e: unknown) => ConnectError.from(e));
      expect(err).toBeInstanceOf(ConnectError);
      expect([(err as ConnectError).code, (err as ConnectError).rawMessage]).toEqual([Code.NotFound, "project [ghost] not found"]);
    }
    const grpcErr = (await grpcJs.call("GetProject", { id: "ghost" }).catch((e: unknown) => e)) as { code: number; details: string };
    expect([grpcErr.code, grpcErr.details]).toEqual([5, "project [ghost] not found"]);
    const viaFetch = await connectJson("GetProject", { id: "ghost" });
    expect(viaFetch).toEqual({ status: 404, body: { code: "not_found", message: "project [ghost] not found" } });
    const invalid = await connectJson("RegisterProject", { project: { id: "Bad_ID", name: "x" } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.code).toBe("invalid_argument");
  });

  it("reject malformed input as INVALID_ARGUMENT, never UNKNOWN", async () => {
    const res = await fetch(`${server.url}/flyteidl.service.AdminService/GetProject`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe("invalid_argument");
  });

  it("tell the client the request id the log line carries", async () => {
    const err = await clients["connect-node gRPC (h2c)"]!.getProject({ id: "ghost" }).catch((e: unknown) => ConnectError.from(e));
    expect((err as ConnectError).metadata.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});
