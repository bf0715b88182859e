import { equals } from "@bufbuild/protobuf";
import { Code, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendExecutionPageCalls } from "../../console/src/pages/execution/early-calls.js";
import { earlyAnswerInterceptor } from "../../console/src/lib/early-answer-interceptor.js";
import { createEarlyAnswers } from "../../console/src/lib/early-answers.js";
import { createPageLimit, pageSizeInterceptor } from "../../console/src/lib/paging.js";
import { listNodePages } from "../../console/src/pages/execution/node-list-pages.js";
import { ExecutionSchema } from "../../gen/flyteidl/admin/execution_pb.js";
import { NodeExecutionSchema } from "../../gen/flyteidl/admin/node_execution_pb.js";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import type { RunningServer } from "../../src/server.js";
import { registerFanout, runFanout } from "../fixtures/console-executions.js";
import { DOMAIN, PROJECT } from "../fixtures/flyte-builders.js";
import { realServer } from "../helpers/app.js";

/**
 * The execution page's early calls against the real server over HTTP (its gRPC-Web answers, read
 * without the transport), then the page's reads through a gRPC-Web transport with the console's
 * interceptors: the same messages as asking the server directly, with no second call.
 */
describe("early calls against the server", () => {
  let server: RunningServer;
  let admin: Client<typeof AdminService>;
  const NAME = "early";

  beforeAll(async () => {
    server = await realServer();
    admin = createClient(AdminService, createGrpcTransport({ baseUrl: server.url }));
    await registerFanout(admin, 3);
    await runFanout(admin, NAME, 3);
  });
  afterAll(() => server?.close());

  /** fetch that counts the calls it makes. */
  const counting = () => {
    const calls: string[] = [];
    const f = ((input: string | URL | Request, init?: RequestInit) => {
      calls.push(String(input).slice(String(input).lastIndexOf("/") + 1));
      return fetch(input, init);
    }) as typeof fetch;
    return { calls, fetch: f };
  };
  const consoleClient = (answers: ReturnType<typeof createEarlyAnswers>, f: typeof fetch) =>
    createClient(
      AdminService,
      createGrpcWebTransport({ baseUrl: server.url, fetch: f, interceptors: [pageSizeInterceptor(createPageLimit()), earlyAnswerInterceptor(answers)] }),
    );

  it("answers the execution and its node list with what the server says, without asking again", async () => {
    const id = { project: PROJECT, domain: DOMAIN, name: NAME };
    const answers = createEarlyAnswers({ maxAgeMs: 10_000 });
    const early = counting();
    await sendExecutionPageCalls(server.url, id, { answers, fetch: early.fetch, timeoutMs: 5_000 });
    expect(early.calls).toEqual(["GetExecution", "ListNodeExecutions"]);

    const page = counting();
    const client = consoleClient(answers, page.fetch);
    const exec = await client.getExecution({ id });
    const nodes = await listNodePages(async (limit, token) => {
      const p = await client.listNodeExecutions({ workflowExecutionId: id, uniqueParentId: "", limit, token });
      return { items: p.nodeExecutions, token: p.token };
    });
    expect(page.calls).toEqual([]);

    expect(equals(ExecutionSchema, exec, await admin.getExecution({ id }))).toBe(true);
    const direct = await admin.listNodeExecutions({ workflowExecutionId: id, limit: 500 });
    expect(nodes.items).toHaveLength(3);
    expect(nodes.items.every((n, i) => equals(NodeExecutionSchema, n, direct.nodeExecutions[i]!))).toBe(true);
  });

  it("leaves a call the server refused to the page, which gets the server's error", async () => {
    const id = { project: PROJECT, domain: DOMAIN, name: "no-such-execution" };
    const answers = createEarlyAnswers({ maxAgeMs: 10_000 });
    await sendExecutionPageCalls(server.url, id, { answers, fetch, timeoutMs: 5_000 });
    const page = counting();
    await expect(consoleClient(answers, page.fetch).getExecution({ id })).rejects.toMatchObject({ code: Code.NotFound });
    expect(page.calls).toEqual(["GetExecution"]);
  });
});
