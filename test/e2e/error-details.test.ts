import { create, fromBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { connectNodeAdapter, createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import type * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InactiveProjectSchema } from "../../gen/flyteidl/admin/project_pb.js";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import { AdminError } from "../../src/core/errors.js";
import { createLogger } from "../../src/logger.js";
import { createObservingInterceptor } from "../../src/server/interceptors.js";
import { createListener, type Listener } from "../../src/server/listener.js";
import { grpcJsAdminClient } from "../helpers/grpc-js-client.js";
import { decodeStatus } from "../helpers/rpc-status.js";

/**
 * Typed error details (FlyteAdmin's InactiveProject, EventFailureReason, ...)
 * must reach every kind of client. No project RPC attaches one, so a stand-in
 * AdminService handler raises the AdminError an inactive-project check will,
 * through the server's own interceptor, error mapping and listener.
 */
let listener: Listener;
let baseUrl: string;
let port: number;
const logs: string[] = [];

beforeAll(async () => {
  const handler = connectNodeAdapter({
    routes: (router) =>
      router.service(AdminService, {
        createTask() {
          throw new AdminError("InvalidArgument", "project [beta] is not active", [
            { desc: InactiveProjectSchema, value: create(InactiveProjectSchema, { id: "beta" }) },
          ]);
        },
        getTask() {
          throw new TypeError("cannot read properties of undefined");
        },
      }),
    interceptors: [createObservingInterceptor(createLogger("info", (l) => logs.push(l)))],
  });
  listener = createListener(handler, { headersTimeoutMs: 5000, idleTimeoutMs: 5000 });
  port = (await listener.listen(0, "127.0.0.1")).port;
  baseUrl = `http://127.0.0.1:${port}`;
});
afterAll(() => listener?.close(1000));

const transports = (): Record<string, Transport> => ({
  "gRPC (h2c)": createGrpcTransport({ baseUrl }),
  "gRPC-Web (HTTP/1.1)": createGrpcWebTransport({ baseUrl, httpVersion: "1.1" }),
  "gRPC-Web (HTTP/2)": createGrpcWebTransport({ baseUrl, httpVersion: "2" }),
  "Connect JSON (HTTP/1.1)": createConnectTransport({ baseUrl, httpVersion: "1.1" }),
  "Connect binary (HTTP/2)": createConnectTransport({ baseUrl, httpVersion: "2", useBinaryFormat: true }),
});

describe("typed error details", () => {
  const names = ["gRPC (h2c)", "gRPC-Web (HTTP/1.1)", "gRPC-Web (HTTP/2)", "Connect JSON (HTTP/1.1)", "Connect binary (HTTP/2)"];
  it("covers every transport", () => expect(Object.keys(transports())).toEqual(names));
  it.each(names)("survive %s", async (name) => {
    const client = createClient(AdminService, transports()[name]!);
    const err = ConnectError.from(await client.createTask({}).catch((e: unknown) => e));
    expect([err.code, err.rawMessage]).toEqual([Code.InvalidArgument, "project [beta] is not active"]);
    const [detail] = err.findDetails(InactiveProjectSchema);
    expect(detail?.id).toBe("beta");
  });

  it("survive an independent gRPC client (grpc-status-details-bin)", async () => {
    const grpcJs = grpcJsAdminClient(`127.0.0.1:${port}`);
    const err = (await grpcJs.call("CreateTask", {}).catch((e: unknown) => e)) as grpc.ServiceError;
    grpcJs.close();
    expect([err.code, err.details]).toEqual([3, "project [beta] is not active"]);
    const [bin] = err.metadata.get("grpc-status-details-bin") as Buffer[];
    const status = decodeStatus(bin!);
    expect(status.code).toBe(3);
    expect(status.details.map((d) => d.typeUrl)).toEqual(["type.googleapis.com/flyteidl.admin.InactiveProject"]);
    expect(fromBinary(InactiveProjectSchema, status.details[0]!.value).id).toBe("beta");
  });

  it("are listed in Connect JSON for scripts", async () => {
    const res = await fetch(`${baseUrl}/flyteidl.service.AdminService/CreateTask`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    const body = (await res.json()) as { code: string; details: { type: string; value: string }[] };
    expect(res.status).toBe(400);
    expect(body.code).toBe("invalid_argument");
    expect(body.details[0]?.type).toBe("flyteidl.admin.InactiveProject");
    expect(fromBinary(InactiveProjectSchema, Buffer.from(body.details[0]!.value, "base64")).id).toBe("beta");
  });
});

describe("unexpected failures", () => {
  it("become INTERNAL with a request id that is also in the log, never UNKNOWN", async () => {
    for (const transport of Object.values(transports())) {
      const err = ConnectError.from(await createClient(AdminService, transport).getTask({}).catch((e: unknown) => e));
      expect(err.code).toBe(Code.Internal);
      const id = /request id ([0-9a-f-]{36})/.exec(err.rawMessage)?.[1];
      expect(id).toBeDefined();
      expect(err.rawMessage).not.toContain("cannot read properties");
      const line = logs.map((l) => JSON.parse(l) as Record<string, string>).find((l) => l.requestId === id);
      expect(line).toMatchObject({ level: "error", code: "internal", procedure: "flyteidl.service.AdminService/GetTask" });
      expect(line?.error).toContain("cannot read properties of undefined");
    }
  });
});
