import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import pg from "pg";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";
import type { RunningServer } from "../../src/server.js";
import { loadFlytekitPackage, registerPackage } from "../fixtures/flytekit.js";
import { createTestDatabase, PG_URL } from "./backends.js";
import { startTcpProxy, type TcpProxy } from "./tcp-proxy.js";

/** Shared by the database outage tests: a database behind a proxy that fails on demand, and a registered workload. */
export const P = "flytesnacks";
export const D = "development";

/** A fresh database reached through a loopback proxy that can stall or drop it, with a password the server must never print. */
export async function proxiedDatabase(cleanups: (() => Promise<void>)[]): Promise<{ url: string; proxy: TcpProxy }> {
  const db = await createTestDatabase();
  cleanups.push(db.drop);
  const target = new URL(PG_URL);
  const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
  cleanups.push(() => proxy.close());
  const url = new URL(db.url);
  url.host = proxy.address;
  url.password = "s3cret-pw"; // trust authentication ignores it
  return { url: url.toString(), proxy };
}

// Small limits, so a stall is noticed in about a second.
export const FAST = { dbConnectTimeoutMs: "500", dbAcquireTimeoutMs: "1000", dbStatementTimeoutMs: "1000", healthCheckIntervalMs: "200" };

/** Polls (bounded) until check() holds. */
export async function eventually(check: () => Promise<boolean>, what: string, tries = 100): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`never happened: ${what}`);
}

/** "ok", or the code name the call failed with. */
export async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return "ok";
  } catch (e) {
    return Code[ConnectError.from(e).code];
  }
}

/** Registers a project and flytekit's hello package; launch() starts one more execution of it. */
export async function registered(server: RunningServer) {
  const admin = createClient(AdminService, createGrpcTransport({ baseUrl: server.url }));
  const health = createClient(Health, createGrpcTransport({ baseUrl: server.url }));
  await admin.registerProject({ project: { id: P, name: P } });
  const pkg = loadFlytekitPackage("hello", P, D, "v1");
  await registerPackage(admin, pkg);
  let n = 0;
  const acknowledged: string[] = [];
  const launch = async () => {
    const name = `x${n++}`;
    const o = await outcome(admin.createExecution({ project: P, domain: D, name, spec: { launchPlan: pkg.launchPlans[0]!.id }, inputs: {} }));
    if (o === "ok") acknowledged.push(name);
    return o;
  };
  const statuses = async () => ({
    all: (await health.check({ service: "" })).status,
    flyteadmin: (await health.check({ service: "flyteadmin" })).status,
    http: (await fetch(`${server.url}/healthcheck`)).status,
  });
  return { admin, launch, acknowledged, statuses };
}

export const SERVING = { all: Status.SERVING, flyteadmin: Status.SERVING, http: 200 };
export const NOT_SERVING = { all: Status.NOT_SERVING, flyteadmin: Status.NOT_SERVING, http: 503 };

/** Ends every session on the database but the caller's, as a restart or a failover would. */
export async function terminateBackends(dbName: string): Promise<number> {
  const client = new pg.Client(PG_URL);
  await client.connect();
  try {
    const res = await client.query("select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()", [dbName]);
    return res.rowCount ?? 0;
  } finally {
    await client.end();
  }
}
