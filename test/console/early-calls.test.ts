import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, createRouterTransport, type Interceptor } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { sendExecutionPageCalls } from "../../console/src/pages/execution/early-calls.js";
import { earlyAnswerInterceptor } from "../../console/src/lib/early-answer-interceptor.js";
import { createEarlyAnswers, type EarlyAnswers, publishEarlyAnswers, publishedEarlyAnswers } from "../../console/src/lib/early-answers.js";
import { executionOfPath, getExecutionRequest, listNodeExecutionsRequest, nodeListPage } from "../../console/src/lib/execution-page-calls.js";
import { answerOf, grpcWebUnary } from "../../console/src/lib/grpc-web-unary.js";
import { createPageLimit, pageSizeInterceptor } from "../../console/src/lib/paging.js";
import { listNodePages } from "../../console/src/pages/execution/node-list-pages.js";
import { ExecutionSchema, WorkflowExecutionGetRequestSchema } from "../../gen/flyteidl/admin/execution_pb.js";
import { NodeExecutionListRequestSchema, NodeExecutionListSchema, NodeExecutionSchema } from "../../gen/flyteidl/admin/node_execution_pb.js";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";

const ID = { project: "flytesnacks", domain: "development", name: "a1b2c3" };

describe("the execution page's early requests", () => {
  it("are the bytes protobuf-es writes for the page's own requests", () => {
    const ids = [ID, { project: "p", domain: "d", name: "ünïcødé ✓" }, { project: "p", domain: "", name: "x" }];
    for (const id of ids) {
      expect(getExecutionRequest(id)).toEqual(toBinary(WorkflowExecutionGetRequestSchema, create(WorkflowExecutionGetRequestSchema, { id })));
      for (const [limit, token] of [
        [10_000, ""],
        [500, "500"],
        [7, "a-token/with=odd+chars"],
        [1, ""],
      ] as const) {
        const page = create(NodeExecutionListRequestSchema, { workflowExecutionId: id, uniqueParentId: "", limit, token });
        expect(listNodeExecutionsRequest(id, limit, token)).toEqual(toBinary(NodeExecutionListRequestSchema, page));
      }
    }
  });

  it("read a node list answer's size and token, past fields they do not know", () => {
    const nodes = Array.from({ length: 3 }, (_, i) => create(NodeExecutionSchema, { id: { nodeId: `n${i}`, executionId: ID }, inputUri: "s3://x" }));
    expect(nodeListPage(toBinary(NodeExecutionListSchema, create(NodeExecutionListSchema, { nodeExecutions: nodes, token: "3" })))).toEqual({ count: 3, token: "3" });
    expect(nodeListPage(toBinary(NodeExecutionListSchema, create(NodeExecutionListSchema, {})))).toEqual({ count: 0, token: "" });
    // An unknown varint field (99) before the token.
    const unknown = new Uint8Array([0x98, 0x06, 0x2a, 0x12, 0x01, 0x39]);
    expect(nodeListPage(unknown)).toEqual({ count: 0, token: "9" });
    expect(() => nodeListPage(new Uint8Array([0x0a, 0x10, 0x01]))).toThrow();
  });

  it("start only on an execution page's path, with its segments decoded", () => {
    const base = "/console";
    expect(executionOfPath("/console/projects/flytesnacks/domains/development/executions/a1b2c3", base)).toEqual(ID);
    expect(executionOfPath("/console/projects/flytesnacks/domains/development/executions/a1b2c3/", base)).toEqual(ID);
    expect(executionOfPath("/console/projects/flytesnacks/domains/development/executions/a1b2c3/nodeId/n0/taskId/t/attempt/0/view/logs", base)).toEqual(ID);
    expect(executionOfPath("/console/projects/my%20p/domains/d/executions/%C3%BC", base)).toEqual({ project: "my p", domain: "d", name: "ü" });
    for (const path of [
      "/console/projects/flytesnacks/domains/development/executions",
      "/console/projects/flytesnacks/domains/development/executions/",
      "/console/projects/flytesnacks/domains/development/workflows/wf",
      "/console/projects/flytesnacks/domains/development/executions/a1b2c3/other",
      "/console/projects/p/domains/d/executions/%E0%A4%A",
      "/projects/p/domains/d/executions/x",
      "/consolex/projects/p/domains/d/executions/x",
      "/console",
    ]) {
      expect(executionOfPath(path, base), path).toBeUndefined();
    }
  });
});

/** A gRPC-Web response body: each message as a data frame, then the trailer frame. */
function grpcWebBody(messages: Uint8Array[], status = 0, message = ""): Uint8Array {
  const frame = (flags: number, data: Uint8Array) => {
    const out = new Uint8Array(5 + data.length);
    out[0] = flags;
    new DataView(out.buffer).setUint32(1, data.length);
    out.set(data, 5);
    return out;
  };
  const trailer = new TextEncoder().encode(`grpc-status: ${status}\r\ngrpc-message: ${message}\r\n`);
  const frames = [...messages.map((m) => frame(0, m)), frame(0x80, trailer)];
  const body = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  frames.reduce((at, f) => (body.set(f, at), at + f.length), 0);
  return body;
}

describe("a gRPC-Web answer read without the transport", () => {
  const msg = new Uint8Array([1, 2, 3]);
  it("is the one message of an OK answer", () => {
    expect(answerOf(grpcWebBody([msg]), null)).toEqual(msg);
    expect(answerOf(grpcWebBody([new Uint8Array()]), null)).toEqual(new Uint8Array());
  });
  it("is nothing for an error, a trailers-only error, a cut body, a compressed frame or two messages", () => {
    expect(answerOf(grpcWebBody([], 5, "not found"), null)).toBeUndefined();
    expect(answerOf(new Uint8Array(), "3")).toBeUndefined();
    expect(answerOf(new Uint8Array(), null)).toBeUndefined();
    const whole = grpcWebBody([msg]);
    expect(answerOf(whole.subarray(0, whole.length - 3), null)).toBeUndefined();
    expect(answerOf(whole.subarray(0, 4), null)).toBeUndefined();
    const compressed = whole.slice();
    compressed[0] = 1;
    expect(answerOf(compressed, null)).toBeUndefined();
    expect(answerOf(grpcWebBody([msg, msg]), null)).toBeUndefined();
  });
  it("is nothing when the call fails at the HTTP level or the network", async () => {
    const opts = (f: typeof fetch) => ({ fetch: f, timeoutMs: 1_000 });
    expect(await grpcWebUnary("http://x/s/M", msg, opts(async () => new Response("no", { status: 404 })))).toBeUndefined();
    expect(await grpcWebUnary("http://x/s/M", msg, opts(async () => Promise.reject(new TypeError("network down"))))).toBeUndefined();
    let sent: RequestInit | undefined;
    const ok = await grpcWebUnary("http://x/s/M", msg, opts(async (_url, init) => ((sent = init), new Response(grpcWebBody([msg])))));
    expect(ok).toEqual(msg);
    expect(new Headers(sent?.headers).get("content-type")).toBe("application/grpc-web+proto");
    expect(new Uint8Array(sent?.body as Uint8Array)).toEqual(new Uint8Array([0, 0, 0, 0, 3, 1, 2, 3]));
  });
});

describe("early answers", () => {
  const url = "https://in-memory/flyteidl.service.AdminService/GetExecution";
  const bytes = (b: number[]) => new Uint8Array(b);
  it("are taken once, for the same URL and request bytes only", async () => {
    const answers = createEarlyAnswers({ maxAgeMs: 10_000 });
    answers.put(url, bytes([1, 2]), Promise.resolve(bytes([9])));
    expect(answers.expects(url)).toBe(true);
    expect(answers.expects(`${url}x`)).toBe(false);
    expect(answers.take(url, bytes([1, 3]))).toBeUndefined();
    expect(answers.take(`${url}s`, bytes([1, 2]))).toBeUndefined();
    expect(await answers.take(url, bytes([1, 2]))).toEqual(bytes([9]));
    expect(answers.take(url, bytes([1, 2]))).toBeUndefined();
    expect(answers.expects(url)).toBe(false);
  });
  it("reach the app through the scope the early script publishes them in, and nothing else does", () => {
    const answers = createEarlyAnswers({ maxAgeMs: 10_000 });
    const scope = {};
    expect(publishedEarlyAnswers(scope)).toBeUndefined();
    publishEarlyAnswers(scope, answers);
    expect(publishedEarlyAnswers(scope)).toBe(answers);
    expect(Object.keys(scope)).toEqual([]);
    const other = { [Symbol.for("flyteadmin-ts.console.earlyAnswers")]: { take: "not a store" } };
    expect(publishedEarlyAnswers(other)).toBeUndefined();
  });

  it("are not taken once older than their age limit", () => {
    let now = 1_000;
    const answers = createEarlyAnswers({ maxAgeMs: 10_000, now: () => now });
    answers.put(url, bytes([1]), Promise.resolve(bytes([9])));
    answers.put(url, bytes([2]), Promise.resolve(bytes([9])));
    now += 10_001;
    expect(answers.take(url, bytes([1]))).toBeUndefined();
    // The other stale one went with it.
    expect(answers.expects(url)).toBe(false);
  });
});

/**
 * The early calls against canned gRPC-Web answers, then the page's own reads through a transport with
 * the console's interceptors: every read the page makes is answered early, and anything the early
 * calls did not get is asked of the server as usual.
 */
describe("the page's reads after the early calls", () => {
  const ORIGIN = "https://in-memory";
  /** How many top-level nodes the execution has. */
  let total = 1_000;
  const node = (i: number) => create(NodeExecutionSchema, { id: { nodeId: `n${i}`, executionId: ID } });
  /** The server's paging: offset tokens, and a token whenever a page is full (FlyteAdmin's rule). */
  const listPage = (limit: number, token: string) => {
    const offset = Number(token || "0");
    const nodeExecutions = Array.from({ length: Math.max(0, Math.min(limit, total - offset)) }, (_, i) => node(offset + i));
    return create(NodeExecutionListSchema, { nodeExecutions, token: nodeExecutions.length === limit ? String(offset + limit) : "" });
  };
  const execution = create(ExecutionSchema, { id: ID });

  /** Early calls through a fake fetch that answers like the server (refusing limits over `cap`), recording each request. */
  async function early(answers: EarlyAnswers, cap = Infinity) {
    const sent: { method: string; limit?: number; token?: string }[] = [];
    const fakeFetch = (async (url: string, init?: RequestInit) => {
      const method = url.slice(url.lastIndexOf("/") + 1);
      const request = (init!.body as Uint8Array).subarray(5);
      if (method === "GetExecution") {
        sent.push({ method });
        return new Response(grpcWebBody([toBinary(ExecutionSchema, execution)]));
      }
      const { limit, token } = fromBinary(NodeExecutionListRequestSchema, request);
      sent.push({ method, limit, token });
      if (limit > cap) return new Response(grpcWebBody([], Code.InvalidArgument, `limit ${limit} is more than the maximum page size of ${cap}`));
      return new Response(grpcWebBody([toBinary(NodeExecutionListSchema, listPage(limit, token))]));
    }) as typeof fetch;
    await sendExecutionPageCalls(ORIGIN, ID, { answers, fetch: fakeFetch, timeoutMs: 5_000 });
    return sent;
  }

  /** A client as the console makes it, over a router that answers like the server and counts what reaches it. */
  function consoleClient(answers: EarlyAnswers, cap = Infinity) {
    const reached: string[] = [];
    const transport = createRouterTransport(
      ({ service }) =>
        service(AdminService, {
          getExecution: () => (reached.push("GetExecution"), execution),
          listNodeExecutions: (req) => {
            reached.push(`ListNodeExecutions ${req.limit} ${req.token}`);
            if (req.limit > cap) throw new ConnectError(`limit ${req.limit} is more than the maximum page size of ${cap}`, Code.InvalidArgument);
            return listPage(req.limit, req.token);
          },
        }),
      { transport: { interceptors: [pageSizeInterceptor(createPageLimit()), earlyAnswerInterceptor(answers) satisfies Interceptor] } },
    );
    return { admin: createClient(AdminService, transport), reached };
  }
  /** What the execution page reads first: the execution and every page of its top-level nodes. */
  const pageReads = async (admin: ReturnType<typeof consoleClient>["admin"]) => {
    const exec = await admin.getExecution({ id: ID });
    const workflowExecutionId = { project: ID.project, domain: ID.domain, name: ID.name };
    const nodes = await listNodePages(async (limit, token) => {
      const page = await admin.listNodeExecutions({ workflowExecutionId, uniqueParentId: "", limit, token });
      return { items: page.nodeExecutions.map((n) => n.id?.nodeId), token: page.token };
    });
    return { exec, nodes };
  };

  it("answers every one of them early, once; a later read goes to the server", async () => {
    total = 1_000;
    const answers = createEarlyAnswers({ maxAgeMs: 10_000 });
    const sent = await early(answers);
    // The whole list in one call.
    expect(sent).toEqual([
      { method: "GetExecution" },
      { method: "ListNodeExecutions", limit: 10_000, token: "" },
    ]);
    const { admin, reached } = consoleClient(answers);
    const first = await pageReads(admin);
    expect(reached).toEqual([]);
    expect(first.exec.id).toEqual(execution.id);
    expect(first.nodes.items).toEqual(Array.from({ length: total }, (_, i) => `n${i}`));
    expect(first.nodes.cut).toBe(false);
    const again = await pageReads(admin);
    expect(again.nodes.items).toEqual(first.nodes.items);
    expect(reached).toEqual(["GetExecution", "ListNodeExecutions 10000 "]);
  });

  it("answers a list longer than the page shows, which the page then calls cut", async () => {
    total = 10_200;
    const answers = createEarlyAnswers({ maxAgeMs: 10_000 });
    expect((await early(answers)).map((s) => s.token)).toEqual([undefined, ""]);
    const { admin, reached } = consoleClient(answers);
    const reads = await pageReads(admin);
    expect(reached).toEqual([]);
    expect(reads.nodes.items).toHaveLength(10_000);
    expect(reads.nodes.cut).toBe(true);
  });

  it("leaves what the server refused early to the page, which gets the same answer and pages within the cap", async () => {
    total = 1_000;
    const answers = createEarlyAnswers({ maxAgeMs: 10_000 });
    const sent = await early(answers, 300);
    expect(sent.map((s) => s.method)).toEqual(["GetExecution", "ListNodeExecutions"]);
    const { admin, reached } = consoleClient(answers, 300);
    const reads = await pageReads(admin);
    expect(reads.nodes.items).toHaveLength(total);
    // The refusal came from the server again, and the page learned the cap from it.
    expect(reached).toEqual(["ListNodeExecutions 10000 ", "ListNodeExecutions 300 ", "ListNodeExecutions 300 300", "ListNodeExecutions 300 600", "ListNodeExecutions 300 900"]);
  });

  it("ends a call cancelled while its early answer is on its way, as a cancelled call", async () => {
    const answers = createEarlyAnswers({ maxAgeMs: 10_000 });
    const request = toBinary(WorkflowExecutionGetRequestSchema, create(WorkflowExecutionGetRequestSchema, { id: ID }));
    answers.put(`${ORIGIN}/flyteidl.service.AdminService/GetExecution`, request, new Promise(() => undefined));
    const { admin } = consoleClient(answers);
    const controller = new AbortController();
    const call = admin.getExecution({ id: ID }, { signal: controller.signal });
    controller.abort();
    await expect(call).rejects.toMatchObject({ code: Code.Canceled });
  });

  it("does not answer a request that differs from the early one", async () => {
    const answers = createEarlyAnswers({ maxAgeMs: 10_000 });
    await early(answers);
    const { admin, reached } = consoleClient(answers);
    await admin.getExecution({ id: { ...ID, name: "other" } });
    await admin.listNodeExecutions({ workflowExecutionId: ID, uniqueParentId: "n3", limit: 500 });
    expect(reached).toEqual(["GetExecution", "ListNodeExecutions 500 "]);
  });
});
