import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import type { RunningServer } from "../../src/server.js";
import { realServer } from "../helpers/app.js";
import { createTestDatabase, PG_URL } from "../helpers/backends.js";
import { loadFlytekitPackage, registerPackage } from "../fixtures/flytekit.js";

/**
 * The real server on a real PostgreSQL whose connections are killed under it:
 * the process survives, the calls caught in the outage fail UNAVAILABLE (which
 * clients retry), and the server serves again without a restart.
 */
const P = "flytesnacks";
const D = "development";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serverOn(over: Record<string, string> = {}): Promise<{ server: RunningServer; admin: Client<typeof AdminService>; dbName: string }> {
  const db = await createTestDatabase();
  cleanups.push(db.drop);
  const server = await realServer({ database: db.url, ...over });
  cleanups.push(() => server.close());
  const admin = createClient(AdminService, createGrpcTransport({ baseUrl: server.url }));
  return { server, admin, dbName: new URL(db.url).pathname.slice(1) };
}

/** Ends every session on the database but the caller's, as a restart or a failover would. */
async function terminateBackends(dbName: string): Promise<number> {
  const client = new pg.Client(PG_URL);
  await client.connect();
  try {
    const res = await client.query("select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()", [dbName]);
    return res.rowCount ?? 0;
  } finally {
    await client.end();
  }
}

async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return "ok";
  } catch (e) {
    return Code[ConnectError.from(e).code];
  }
}

describe.skipIf(!PG_URL)("PostgreSQL connections dropped under load", () => {
  it("keeps serving: calls caught in the drop fail UNAVAILABLE, later calls succeed", async () => {
    const { admin, dbName } = await serverOn();
    await admin.registerProject({ project: { id: P, name: P } });
    const pkg = loadFlytekitPackage("hello", P, D, "v1");
    await registerPackage(admin, pkg);
    const launchPlan = pkg.launchPlans[0]!.id;

    let n = 0;
    const acknowledged: string[] = [];
    const launch = async () => {
      const name = `e${n++}`;
      const o = await outcome(admin.createExecution({ project: P, domain: D, name, spec: { launchPlan }, inputs: {} }));
      if (o === "ok") acknowledged.push(name);
      return o;
    };
    const outcomes: string[] = [];
    let terminated = 0;
    for (let round = 0; round < 6; round++) {
      // 8 writers at once, and every backend killed while they are in flight.
      const writers = Array.from({ length: 8 }, () => launch());
      await new Promise((r) => setTimeout(r, 5 + round * 3));
      terminated += await terminateBackends(dbName);
      outcomes.push(...(await Promise.all(writers)));
    }
    expect(terminated).toBeGreaterThan(0);
    expect(outcomes.filter((o) => o !== "ok" && o !== "Unavailable")).toEqual([]);

    // The server is still here and serves again once the database is back.
    const after = await Promise.all(Array.from({ length: 8 }, () => launch()));
    expect(after).toEqual(Array(8).fill("ok"));
    // Every acknowledged launch is there (a refused one may or may not be: its COMMIT may have landed).
    const listed = new Set((await admin.listExecutions({ id: { project: P, domain: D }, limit: 500 })).executions.map((e) => e.id!.name));
    expect(acknowledged.filter((name) => !listed.has(name))).toEqual([]);
  });
});
