import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { create, type MessageInitShape, toBinary, toJson } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NamedEntityListSchema, NamedEntityState } from "../../gen/flyteidl/admin/common_pb.js";
import { ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import { answersInBinary, encodedAnswer, writtenAnswer } from "../../src/server/encoded-answer.js";
import { createRpcAdapter } from "../../src/server/rpc-adapter.js";

/**
 * A handler that answers with pre-encoded bytes when the answer is binary must
 * put exactly the bytes of the real message on the wire, on every protocol,
 * and JSON callers must get the real message.
 */
const answer = create(NamedEntityListSchema, {
  entities: [
    { resourceType: ResourceType.WORKFLOW, id: { project: "p", domain: "d", name: "wf.é🙂" }, metadata: { description: "x".repeat(300), state: NamedEntityState.NAMED_ENTITY_ARCHIVED } },
    { resourceType: ResourceType.TASK, id: { project: "p", domain: "d", name: "t" }, metadata: { description: "", state: NamedEntityState.NAMED_ENTITY_ACTIVE } },
    { resourceType: ResourceType.LAUNCH_PLAN, id: { project: "p", domain: "d", name: "lp" }, metadata: { state: NamedEntityState.SYSTEM_GENERATED } },
  ],
  token: "3",
} satisfies MessageInitShape<typeof NamedEntityListSchema>);
const bytes = toBinary(NamedEntityListSchema, answer);
const seen: boolean[] = [];

let server: http2.Http2Server;
// connect-node's clients keep their sessions open; they are closed with the server.
const sessions = new Set<http2.ServerHttp2Session>();
let url: string;
beforeAll(async () => {
  const handler = createRpcAdapter({
    routes: (router) =>
      router.service(AdminService, {
        listNamedEntities(_req, ctx) {
          const binary = answersInBinary(ctx);
          seen.push(binary);
          return binary ? encodedAnswer(NamedEntityListSchema, bytes) : answer;
        },
      }),
    fallback: (_req, res) => {
      res.statusCode = 404;
      res.end();
    },
    readMaxBytes: 1 << 20,
    onFailure: () => undefined,
  });
  server = http2.createServer(handler as never);
  server.on("session", (s) => sessions.add(s));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const s of sessions) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** One raw HTTP/2 POST; the whole response body. */
function post(path: string, headers: Record<string, string>, body: Uint8Array): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url);
    session.on("error", reject);
    const req = session.request({ ":method": "POST", ":path": path, ...headers });
    const chunks: Buffer[] = [];
    let status = 0;
    req.on("response", (h) => (status = Number(h[":status"])));
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      session.close();
      resolve({ status, body: Buffer.concat(chunks) });
    });
    req.on("error", reject);
    req.end(body);
  });
}

const PATH = "/flyteidl.service.AdminService/ListNamedEntities";
const request = new Uint8Array(0);
const envelope = (data: Uint8Array) => Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), Buffer.from(data)]).fill(data.length, 4, 5);
/** The first envelope's message (gRPC, gRPC-Web; the trailer frame follows in gRPC-Web). */
const firstMessage = (b: Buffer) => b.subarray(5, 5 + b.readUInt32BE(1));

describe("pre-encoded answers", () => {
  it("are byte-identical to toBinary over Connect binary", async () => {
    const res = await post(PATH, { "content-type": "application/proto" }, request);
    expect(res.status).toBe(200);
    expect(Buffer.compare(res.body, Buffer.from(bytes))).toBe(0);
    expect(seen.at(-1)).toBe(true);
  });

  it("are byte-identical over gRPC and gRPC-Web, binary and text", async () => {
    const grpc = await post(PATH, { "content-type": "application/grpc", te: "trailers" }, envelope(request));
    expect(Buffer.compare(firstMessage(grpc.body), Buffer.from(bytes))).toBe(0);
    const web = await post(PATH, { "content-type": "application/grpc-web+proto" }, envelope(request));
    expect(Buffer.compare(firstMessage(web.body), Buffer.from(bytes))).toBe(0);
    const text = await post(PATH, { "content-type": "application/grpc-web-text" }, Buffer.from(envelope(request).toString("base64")));
    expect(Buffer.compare(firstMessage(Buffer.from(text.body.toString("latin1"), "base64")), Buffer.from(bytes))).toBe(0);
    expect(seen.slice(-3)).toEqual([true, true, true]);
  });

  it("decode to the real message in connect-node's clients", async () => {
    for (const transport of [
      createGrpcTransport({ baseUrl: url }),
      createGrpcWebTransport({ baseUrl: url, httpVersion: "2" }),
      createConnectTransport({ baseUrl: url, httpVersion: "2", useBinaryFormat: true }),
    ]) {
      const got = await createClient(AdminService, transport).listNamedEntities({});
      expect(toBinary(NamedEntityListSchema, got)).toEqual(bytes);
    }
  });

  it("leave JSON callers with the real message", async () => {
    const res = await post(PATH, { "content-type": "application/json" }, Buffer.from("{}"));
    expect(JSON.parse(res.body.toString("utf8"))).toEqual(toJson(NamedEntityListSchema, answer));
    expect(seen.at(-1)).toBe(false);
    const got = await createClient(AdminService, createConnectTransport({ baseUrl: url, httpVersion: "2" })).listNamedEntities({});
    expect(toJson(NamedEntityListSchema, got)).toEqual(toJson(NamedEntityListSchema, answer));
    const grpcJson = await post(PATH, { "content-type": "application/grpc+json", te: "trailers" }, envelope(Buffer.from("{}")));
    expect(JSON.parse(firstMessage(grpcJson.body).toString("utf8"))).toEqual(toJson(NamedEntityListSchema, answer));
  });

  it("split any sequence of whole fields and refuse a cut one", () => {
    expect(toBinary(NamedEntityListSchema, encodedAnswer(NamedEntityListSchema, new Uint8Array(0)))).toEqual(new Uint8Array(0));
    const twice = Buffer.concat([bytes, bytes]);
    expect(toBinary(NamedEntityListSchema, encodedAnswer(NamedEntityListSchema, twice))).toEqual(new Uint8Array(twice));
    expect(() => encodedAnswer(NamedEntityListSchema, bytes.subarray(0, bytes.length - 1))).toThrow();
  });

  it("of the server's own writing keep its bytes whole without walking them", () => {
    expect(toBinary(NamedEntityListSchema, writtenAnswer(NamedEntityListSchema, bytes))).toEqual(bytes);
    expect(toBinary(NamedEntityListSchema, writtenAnswer(NamedEntityListSchema, new Uint8Array(0)))).toEqual(new Uint8Array(0));
    // Only the first tag is read: whole fields are the writer's to guarantee.
    const cut = bytes.subarray(0, bytes.length - 1);
    expect(toBinary(NamedEntityListSchema, writtenAnswer(NamedEntityListSchema, cut))).toEqual(cut);
  });

  it("tell binary answers from the content type alone", () => {
    const is = (type?: string) => answersInBinary({ requestHeader: new Headers(type ? { "content-type": type } : {}) });
    expect(is("application/grpc")).toBe(true);
    expect(is("Application/GRPC-Web+Proto; charset=utf-8")).toBe(true);
    expect(is("application/proto")).toBe(true);
    expect(is("application/json")).toBe(false);
    expect(is("application/grpc+json")).toBe(false);
    expect(is("application/grpc-web-text")).toBe(false);
    expect(is(undefined)).toBe(false);
  });
});
