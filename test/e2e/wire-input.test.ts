import * as http2 from "node:http2";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GetVersionRequestSchema, GetVersionResponseSchema } from "../../gen/flyteidl/admin/version_pb.js";
import { HealthCheckRequestSchema, HealthCheckResponseSchema, HealthCheckResponse_ServingStatus as Serving } from "../../gen/grpc/health/v1/health_pb.js";
import type { RunningServer } from "../../src/server.js";
import { realServer } from "../helpers/app.js";

/** What a client gets for bytes that do not decode, and the grpc-web-text framing of the official grpc-web client. */

let server: RunningServer;
beforeAll(async () => {
  server = await realServer();
});
afterAll(() => server?.close());

const varint = (n: number) => {
  const out: number[] = [];
  for (; n > 127; n >>>= 7) out.push((n & 127) | 128);
  out.push(n);
  return Buffer.from(out);
};
/** A length-delimited protobuf field. */
const field = (tag: number, bytes: Buffer) => Buffer.concat([Buffer.from([(tag << 3) | 2]), varint(bytes.length), bytes]);
/** A gRPC / gRPC-Web frame. */
const frame = (bytes: Buffer, flags = 0) => {
  const head = Buffer.alloc(5);
  head[0] = flags;
  head.writeUInt32BE(bytes.length, 1);
  return Buffer.concat([head, bytes]);
};

/** A Literal holding a collection of a collection of ... `depth` levels around one integer, built without recursion. */
function deepLiteral(depth: number): Buffer {
  const core = field(1, field(1, Buffer.from([0x08, 0x01]))); // scalar { primitive { integer: 1 } }
  // Each level is only a prefix (collection { literals: [ ... ] }): collect them inside out, join once.
  const prefixes: Buffer[] = [];
  let length = core.length;
  for (let i = 0; i < depth; i++) {
    const inner = Buffer.concat([Buffer.from([0x0a]), varint(length)]);
    const outer = Buffer.concat([Buffer.from([0x12]), varint(inner.length + length)]);
    prefixes.push(inner, outer);
    length += inner.length + outer.length;
  }
  return Buffer.concat([...prefixes.reverse(), core]);
}
/** ExecutionCreateRequest { project, domain, name, inputs: { literals: { x: literal } } }. */
const createExecution = (literal: Buffer) =>
  Buffer.concat([field(1, Buffer.from("flytesnacks")), field(2, Buffer.from("development")), field(3, Buffer.from("deep")), field(5, field(1, Buffer.concat([field(1, Buffer.from("x")), field(2, literal)])))]);
const deepJson = (depth: number) =>
  `{"project":"flytesnacks","domain":"development","name":"deep","inputs":{"literals":{"x":${'{"collection":{"literals":['.repeat(depth)}{"scalar":{"primitive":{"integer":"1"}}}${"]}}".repeat(depth)}}}}`;

/** A gRPC call over HTTP/2 with a raw message; resolves with grpc-status and grpc-message. */
async function grpcCall(path: string, message: Buffer): Promise<{ status: string; message: string }> {
  const session = http2.connect(server.url);
  session.on("error", () => undefined);
  try {
    const stream = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers" });
    stream.end(frame(message));
    return await new Promise((resolve, reject) => {
      const done = (h: http2.IncomingHttpHeaders) =>
        h["grpc-status"] !== undefined && resolve({ status: String(h["grpc-status"]), message: decodeURIComponent(String(h["grpc-message"] ?? "")) });
      stream.on("response", done);
      stream.on("trailers", done);
      stream.on("error", reject);
      stream.resume();
    });
  } finally {
    session.close();
  }
}

/** The trailer frame of a gRPC-Web body, as a map. */
function grpcWebTrailer(body: Buffer): Record<string, string> {
  for (let at = 0; at + 5 <= body.length; ) {
    const length = body.readUInt32BE(at + 1);
    if (body[at] === 0x80) {
      const lines = body.subarray(at + 5, at + 5 + length).toString("latin1").split("\r\n").filter(Boolean);
      return Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(":")).trim().toLowerCase(), decodeURIComponent(l.slice(l.indexOf(":") + 1).trim())]));
    }
    at += 5 + length;
  }
  return {};
}

const post = (path: string, contentType: string, body: Buffer | string) =>
  fetch(`${server.url}${path}`, { method: "POST", headers: { "content-type": contentType }, body });

describe("request messages that do not decode are INVALID_ARGUMENT", () => {
  const truncated = Buffer.from([0x0a, 0x05, 0x61]); // field 1 claims 5 bytes, 1 follows
  // ObjectGetRequest { id: Identifier { project: "\xff" } }: not UTF-8.
  const badUtf8 = field(1, Buffer.concat([Buffer.from([0x12, 0x01, 0xff])]));

  it("over gRPC", async () => {
    expect(await grpcCall("/flyteidl.service.AdminService/ListProjects", truncated)).toMatchObject({ status: "3" });
    expect(await grpcCall("/flyteidl.service.AdminService/GetTask", badUtf8)).toMatchObject({ status: "3" });
    // A server-streaming call decodes inside the interceptors: the same answer.
    expect(await grpcCall("/grpc.health.v1.Health/Watch", truncated)).toMatchObject({ status: "3" });
  });

  it("over gRPC-Web and Connect", async () => {
    for (const [path, bytes] of [
      ["/flyteidl.service.AdminService/ListProjects", truncated],
      ["/flyteidl.service.AdminService/GetTask", badUtf8],
    ] as const) {
      const web = await post(path, "application/grpc-web+proto", frame(bytes));
      expect(grpcWebTrailer(Buffer.from(await web.arrayBuffer()))["grpc-status"]).toBe("3");
      const connect = await post(path, "application/proto", bytes);
      expect(connect.status).toBe(400);
      expect(await connect.json()).toMatchObject({ code: "invalid_argument" });
    }
  });

  it("reads a literal nested 300 collections deep (600 message levels, beyond protobuf-es's default of 100) on every protocol", async () => {
    // No launch plan is named, so the call fails validation: after the whole message was read.
    const grpc = await grpcCall("/flyteidl.service.AdminService/CreateExecution", createExecution(deepLiteral(300)));
    expect(grpc.status).toBe("3");
    expect(grpc.message).not.toContain("recursion");
    for (const path of ["/flyteidl.service.AdminService/CreateExecution", "/api/v1/executions"]) {
      const res = await post(path, "application/json", deepJson(300));
      expect(res.status).toBe(400);
      expect(JSON.stringify(await res.json())).not.toContain("recursion");
    }
  });

  it("refuses a literal nested 20,000 deep (150 KB) over gRPC, Connect JSON and REST, and still serves", async () => {
    const binary = createExecution(deepLiteral(20_000));
    expect(binary.length).toBeLessThan(4 * 1024 * 1024);
    const grpc = await grpcCall("/flyteidl.service.AdminService/CreateExecution", binary);
    expect(grpc.status).toBe("3");
    expect(grpc.message).toContain("recursion depth");
    const json = await post("/flyteidl.service.AdminService/CreateExecution", "application/json", deepJson(20_000));
    expect(json.status).toBe(400);
    expect(await json.json()).toMatchObject({ code: "invalid_argument" });
    const rest = await post("/api/v1/executions", "application/json", deepJson(20_000));
    expect(rest.status).toBe(400);
    expect((await grpcCall("/flyteidl.service.AdminService/GetVersion", Buffer.alloc(0))).status).toBe("0");
  });
});

/** Decodes a grpc-web-text body: concatenated base64 segments, each padded on its own. */
const fromText = (text: string) => Buffer.concat((text.match(/[^=]*(?:=+|$)/g) ?? []).filter(Boolean).map((s) => Buffer.from(s, "base64")));

describe("application/grpc-web-text", () => {
  const getVersion = "/flyteidl.service.AdminService/GetVersion";

  it("serves a unary call, base64 both ways", async () => {
    for (const contentType of ["application/grpc-web-text", "application/grpc-web-text+proto"]) {
      const res = await post(getVersion, contentType, frame(Buffer.from(toBinary(GetVersionRequestSchema, create(GetVersionRequestSchema)))).toString("base64"));
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe(contentType);
      const body = fromText(await res.text());
      expect(body[0]).toBe(0);
      const version = fromBinary(GetVersionResponseSchema, body.subarray(5, 5 + body.readUInt32BE(1)));
      expect(version.controlPlaneVersion?.Version).toBeTruthy();
      expect(grpcWebTrailer(body)["grpc-status"]).toBe("0");
    }
  });

  it("streams health Watch, each message its own padded base64 chunk", async () => {
    const abort = new AbortController();
    const request = frame(Buffer.from(toBinary(HealthCheckRequestSchema, create(HealthCheckRequestSchema, { service: "flyteadmin" }))));
    const res = await fetch(`${server.url}/grpc.health.v1.Health/Watch`, {
      method: "POST",
      headers: { "content-type": "application/grpc-web-text" },
      body: request.toString("base64"),
      signal: abort.signal,
    });
    expect(res.headers.get("content-type")).toBe("application/grpc-web-text");
    const reader = res.body!.getReader();
    let text = "";
    const statuses: Serving[] = [];
    for (let i = 0; i < 20 && statuses.length < 2; i++) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
      const bytes = fromText(text);
      statuses.length = 0;
      for (let at = 0; at + 5 <= bytes.length && at + 5 + bytes.readUInt32BE(at + 1) <= bytes.length; at += 5 + bytes.readUInt32BE(at + 1)) {
        if (bytes[at] === 0) statuses.push(fromBinary(HealthCheckResponseSchema, bytes.subarray(at + 5, at + 5 + bytes.readUInt32BE(at + 1))).status);
      }
      if (statuses.length === 1) server.app.health.set("flyteadmin", Serving.NOT_SERVING);
    }
    abort.abort();
    server.app.health.set("flyteadmin", Serving.SERVING);
    expect(statuses).toEqual([Serving.SERVING, Serving.NOT_SERVING]);
  });

  it("answers a body that is not base64 with INVALID_ARGUMENT, and an oversized one with RESOURCE_EXHAUSTED", async () => {
    const bad = await post(getVersion, "application/grpc-web-text", "AAAA!!!!");
    expect(bad.status).toBe(200);
    const trailer = grpcWebTrailer(fromText(await bad.text()));
    expect(trailer["grpc-status"]).toBe("3");
    expect(trailer["grpc-message"]).toContain("base64");
    const big = await post(getVersion, "application/grpc-web-text", "A".repeat(8 * 1024 * 1024));
    expect(grpcWebTrailer(fromText(await big.text()))["grpc-status"]).toBe("8");
  });
});
