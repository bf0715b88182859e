import * as http2 from "node:http2";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LaunchPlanState } from "../../gen/flyteidl/admin/launch_plan_pb.js";
import { NodeExecution_Phase as NodePhase, WorkflowExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import type { RunningServer } from "../../src/server.js";
import { realServer } from "../helpers/app.js";
import { createTestDatabase, PG_URL } from "../helpers/backends.js";
import { failure } from "../helpers/rpc-failure.js";
import { loadFlytekitPackage, registerPackage } from "../fixtures/flytekit.js";

/** GET /metrics on the real server: RPC counts per protocol, latency, database waits, event counts. */
const P = "flytesnacks";
const D = "development";
const ADMIN = "/flyteidl.service.AdminService";
let server: RunningServer;
let grpc: Client<typeof AdminService>;

beforeAll(async () => {
  server = await realServer();
  grpc = createClient(AdminService, createGrpcTransport({ baseUrl: server.url }));
});
afterAll(() => server?.close());

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

// The text exposition format, line by line: `# HELP`/`# TYPE` comments, or `name{label="value",...} number`.
const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const LABEL = `[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\.)*"`;
const SAMPLE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*)?\\})? (-?[0-9.]+(?:e[+-]?[0-9]+)?|NaN|[+-]Inf)$`);
const COMMENT = new RegExp(`^# (?:HELP ${NAME} .*|TYPE ${NAME} (?:counter|gauge|histogram|summary|untyped))$`);

/** Parses a scrape, failing on any line that is not valid exposition format. */
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    if (line.startsWith("#")) {
      expect(line, "comment line").toMatch(COMMENT);
      continue;
    }
    const m = SAMPLE.exec(line);
    expect(m, `sample line: ${line}`).not.toBeNull();
    const labels: Record<string, string> = {};
    for (const l of (m![2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m![1]!, labels, value: Number(m![3]!.replace("Inf", "Infinity")) });
  }
  return samples;
}

async function scrape(url = server.url): Promise<Sample[]> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  return parse(await res.text());
}

/** The value of the one sample with exactly these labels (0 when absent: a counter not yet incremented). */
function value(samples: Sample[], name: string, labels: Record<string, string>): number {
  const found = samples.filter(
    (s) => s.name === name && Object.keys(s.labels).length === Object.keys(labels).length && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  expect(found.length).toBeLessThanOrEqual(1);
  return found[0]?.value ?? 0;
}

describe("GET /metrics", () => {
  it("counts RPCs per procedure, protocol and code, and times them", async () => {
    const before = await scrape();
    await grpc.getVersion({});
    await grpc.getVersion({});
    expect((await failure(grpc.getTask({ id: { resourceType: 1, project: P, domain: D, name: "nope", version: "v1" } }))).code).toBe("NotFound");
    await createClient(AdminService, createGrpcWebTransport({ baseUrl: server.url, httpVersion: "1.1" })).getVersion({});
    await createClient(AdminService, createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" })).getVersion({});
    expect((await fetch(`${server.url}/api/v1/version`)).status).toBe(200);
    expect((await fetch(`${server.url}/api/v1/tasks/${P}/${D}/nope/v1`)).status).toBe(404);

    const after = await scrape();
    const moved = (name: string, labels: Record<string, string>) => value(after, name, labels) - value(before, name, labels);
    const requests = "flyteadmin_rpc_requests_total";
    expect(moved(requests, { procedure: `${ADMIN}/GetVersion`, protocol: "grpc", code: "ok" })).toBe(2);
    expect(moved(requests, { procedure: `${ADMIN}/GetTask`, protocol: "grpc", code: "not_found" })).toBe(1);
    expect(moved(requests, { procedure: `${ADMIN}/GetVersion`, protocol: "grpc-web", code: "ok" })).toBe(1);
    expect(moved(requests, { procedure: `${ADMIN}/GetVersion`, protocol: "connect", code: "ok" })).toBe(1);
    expect(moved(requests, { procedure: `${ADMIN}/GetVersion`, protocol: "rest", code: "ok" })).toBe(1);
    expect(moved(requests, { procedure: `${ADMIN}/GetTask`, protocol: "rest", code: "not_found" })).toBe(1);

    const count = "flyteadmin_rpc_duration_seconds_count";
    expect(moved(count, { procedure: `${ADMIN}/GetVersion`, protocol: "grpc" })).toBe(2);
    expect(moved(count, { procedure: `${ADMIN}/GetTask`, protocol: "rest" })).toBe(1);
    // Every observation falls in the +Inf bucket, and the finest bucket is 1 ms.
    expect(value(after, "flyteadmin_rpc_duration_seconds_bucket", { procedure: `${ADMIN}/GetVersion`, protocol: "grpc", le: "+Inf" })).toBe(
      value(after, count, { procedure: `${ADMIN}/GetVersion`, protocol: "grpc" }),
    );
    expect(after.some((s) => s.name === "flyteadmin_rpc_duration_seconds_bucket" && s.labels.le === "0.001")).toBe(true);

    // The GetTask lookups waited for the SQLite connection (if only for no time at all).
    expect(moved("flyteadmin_db_wait_seconds_count", { kind: "statement" })).toBeGreaterThan(0);
    // SQLite has no pool; process metrics are there.
    expect(after.some((s) => s.name.startsWith("flyteadmin_db_pool_"))).toBe(false);
    expect(after.some((s) => s.name === "flyteadmin_process_cpu_user_seconds_total")).toBe(true);
    expect(after.some((s) => s.name === "flyteadmin_nodejs_eventloop_lag_seconds")).toBe(true);
    // Scrapes are not RPCs.
    expect(after.some((s) => s.name === "flyteadmin_rpc_requests_total" && s.labels.procedure?.includes("metrics"))).toBe(false);
  });

  it("counts accepted and refused execution events by kind and reason", async () => {
    await grpc.registerProject({ project: { id: P, name: P } });
    const pkg = loadFlytekitPackage("hello", P, D, "v1");
    await registerPackage(grpc, pkg);
    const id = { project: P, domain: D, name: "e1" };
    await grpc.createExecution({ ...id, spec: { launchPlan: pkg.launchPlans[0]!.id }, inputs: {} });
    const before = await scrape();
    const at = timestampFromDate(new Date());
    const workflowEvent = (phase: Phase, name = "e1") =>
      grpc.createWorkflowEvent({ event: { executionId: { ...id, name }, phase, occurredAt: at, producerId: "propeller" } });
    await workflowEvent(Phase.RUNNING);
    expect((await failure(workflowEvent(Phase.RUNNING))).code).toBe("AlreadyExists");
    expect((await failure(workflowEvent(Phase.RUNNING, "missing"))).code).toBe("NotFound");
    expect((await failure(grpc.createWorkflowEvent({}))).code).toBe("InvalidArgument");
    await grpc.createNodeEvent({ event: { id: { executionId: id, nodeId: "start-node" }, phase: NodePhase.SUCCEEDED, occurredAt: at, producerId: "propeller" } });
    await workflowEvent(Phase.SUCCEEDED);
    expect((await failure(workflowEvent(Phase.FAILED))).code).toBe("FailedPrecondition");

    const after = await scrape();
    const moved = (name: string, labels: Record<string, string>) => value(after, name, labels) - value(before, name, labels);
    expect(moved("flyteadmin_events_accepted_total", { kind: "workflow" })).toBe(2);
    expect(moved("flyteadmin_events_accepted_total", { kind: "node" })).toBe(1);
    expect(moved("flyteadmin_events_accepted_total", { kind: "task" })).toBe(0);
    expect(value(after, "flyteadmin_events_accepted_total", { kind: "task" })).toBe(0); // present before any task event
    const refused = (reason: string) => moved("flyteadmin_events_refused_total", { kind: "workflow", reason });
    expect(refused("already_exists")).toBe(1);
    expect(refused("not_found")).toBe(1);
    expect(refused("invalid")).toBe(1);
    expect(refused("already_terminal")).toBe(1);
    // Each event's writes ran in a transaction that queued for the connection.
    expect(moved("flyteadmin_db_wait_seconds_count", { kind: "transaction" })).toBeGreaterThan(0);
  });

  it("is served over HTTP/2 too, and HEAD answers without a body", async () => {
    const session = http2.connect(server.url);
    try {
      const { status, type, body } = await new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
        const stream = session.request({ ":method": "GET", ":path": "/metrics" });
        let status = 0;
        let type = "";
        let body = "";
        stream.on("response", (h) => {
          status = Number(h[":status"]);
          type = String(h["content-type"]);
        });
        stream.setEncoding("utf8");
        stream.on("data", (chunk: string) => (body += chunk));
        stream.on("end", () => resolve({ status, type, body }));
        stream.on("error", reject);
      });
      expect(status).toBe(200);
      expect(type).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(parse(body).some((s) => s.name === "flyteadmin_rpc_requests_total")).toBe(true);
    } finally {
      session.close();
    }
    const head = await fetch(`${server.url}/metrics`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
  });
});

describe("--metrics false", () => {
  it("serves no /metrics", async () => {
    const off = await realServer({ metrics: "false" });
    try {
      const res = await fetch(`${off.url}/metrics`);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ code: 5, message: "Not Found" });
    } finally {
      await off.close();
    }
  });
});

describe.skipIf(!PG_URL)("on PostgreSQL", () => {
  it("reports the pool and the waits for a connection", async () => {
    const db = await createTestDatabase();
    const pgServer = await realServer({ database: db.url });
    try {
      const admin = createClient(AdminService, createGrpcTransport({ baseUrl: pgServer.url }));
      await admin.registerProject({ project: { id: P, name: P } });
      const pkg = loadFlytekitPackage("hello", P, D, "v1");
      await registerPackage(admin, pkg);
      await admin.updateLaunchPlan({ id: pkg.launchPlans[0]!.id, state: LaunchPlanState.ACTIVE });
      const samples = await scrape(pgServer.url);
      expect(value(samples, "flyteadmin_db_pool_connections", {})).toBeGreaterThan(0);
      expect(value(samples, "flyteadmin_db_pool_connections", {})).toBeGreaterThanOrEqual(value(samples, "flyteadmin_db_pool_idle_connections", {}));
      expect(value(samples, "flyteadmin_db_pool_waiting_requests", {})).toBe(0);
      // Registration writes in transactions; activation takes an advisory lock.
      expect(value(samples, "flyteadmin_db_wait_seconds_count", { kind: "transaction" })).toBeGreaterThan(0);
      expect(value(samples, "flyteadmin_db_wait_seconds_count", { kind: "advisory_lock" })).toBe(1);
    } finally {
      await pgServer.close();
      await db.drop();
    }
  });
});
