import { mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { MatchableResource } from "../gen/flyteidl/admin/matchable_resource_pb.js";
import { HealthCheckResponse_ServingStatus as Status } from "../gen/grpc/health/v1/health_pb.js";
import type { App } from "../src/app.js";
import { buildApp } from "../src/app.js";
import { createLogger } from "../src/logger.js";
import { isUnexpected, toConnectError } from "../src/server/errors.js";
import { openPostgres } from "../src/storage/postgres.js";
import { openSqlite } from "../src/storage/sqlite.js";
import { openStore } from "../src/storage/open-store.js";
import { sampleAttributes } from "./fixtures/attributes.js";
import { inMemoryAdmin, testConfig } from "./helpers/app.js";
import { createTestDatabase, PG_URL } from "./helpers/backends.js";
import { eventually } from "./helpers/database-outage.js";
import { failure } from "./helpers/rpc-failure.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "flyteadmin-resilience-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function fileServer(healthCheckIntervalMs = "50") {
  const database = join(tempDir(), "flyteadmin.db");
  const { app, admin } = await inMemoryAdmin({ database, healthCheckIntervalMs });
  cleanups.push(() => app.close());
  return { app, admin, database };
}

describe("a SQLite file deleted or replaced while serving", () => {
  it("refuses writes UNAVAILABLE naming the path, instead of acknowledging them into the deleted file", async () => {
    const { app, admin, database } = await fileServer();
    await admin.registerProject({ project: { id: "before", name: "before" } });
    unlinkSync(database);

    const write = await failure(admin.registerProject({ project: { id: "after", name: "after" } }));
    expect(write.code).toBe("Unavailable");
    expect(write.message).toContain(database);
    expect(write.message).toContain("deleted");
    // Writes outside a transaction (attributes) are refused as well.
    const attributes = await failure(
      admin.updateProjectAttributes({ attributes: { project: "before", matchingAttributes: sampleAttributes(MatchableResource.TASK_RESOURCE, "x") } }),
    );
    expect(attributes.code).toBe("Unavailable");
    // Reads too: a refused autocommit write may already be in the deleted file, and no read may show it.
    expect((await failure(admin.listProjects({}))).code).toBe("Unavailable");
    await eventually(async () => app.health.get("") === Status.NOT_SERVING && app.health.get("flyteadmin") === Status.NOT_SERVING, "NOT_SERVING");
  });

  it("notices a file replaced under the same name", async () => {
    const { app, admin, database } = await fileServer();
    await admin.registerProject({ project: { id: "before", name: "before" } });
    const other = join(tempDir(), "other.db");
    writeFileSync(other, "");
    renameSync(other, database);
    const write = await failure(admin.registerProject({ project: { id: "after", name: "after" } }));
    expect(write).toMatchObject({ code: "Unavailable", message: expect.stringContaining(`database file ${database} was replaced`) });
    await eventually(async () => app.health.get("") === Status.NOT_SERVING, "NOT_SERVING");
  });
});

describe("a failed ROLLBACK", () => {
  it("keeps the error that caused it (SQLITE_FULL, answered RESOURCE_EXHAUSTED) and logs the rollback failure beside it", async () => {
    const lines: string[] = [];
    const d = openSqlite(join(tempDir(), "full.db"), { logger: createLogger("warn", (l) => lines.push(l)) });
    cleanups.push(() => d.close());
    // A tiny page limit fills the "disk"; SQLite then rolls the transaction back itself, so our ROLLBACK fails.
    await d.run(async (db) => {
      const pages = Number(Object.values(db.get<Record<string, unknown>>(sql`pragma page_count`))[0]);
      db.run(sql.raw(`pragma max_page_count = ${pages + 2}`));
    });
    const failed = await d.transaction((tx) => tx.insert(d.schema.projects).values({ identifier: "p", name: "p", description: "x".repeat(200_000), createdAt: new Date(), updatedAt: new Date() })).then(
      () => undefined,
      (e: unknown) => e,
    );
    const err = toConnectError(failed, "req-1");
    expect(err.code).toBe(Code.ResourceExhausted);
    expect(err.rawMessage).toBe("database or disk is full (SQLITE_FULL)");
    expect(isUnexpected(failed)).toBe(true);
    expect(lines.map((l) => JSON.parse(l) as { msg: string; error: string; cause: string })).toEqual([
      expect.objectContaining({ msg: "rollback failed after a failed transaction", error: expect.stringContaining("no transaction is active"), cause: expect.stringContaining("SQLITE_FULL") }),
    ]);
  });
});

describe("driver errors meaning the database is unreachable", () => {
  const pgError = (code: string, message: string) => Object.assign(new Error(message), { code, severity: "FATAL" });
  // drizzle wraps the driver error, and its own message quotes the SQL and the values.
  const wrapped = (cause: unknown) => Object.assign(new Error("Failed query: insert into executions values ($1)\nparams: secret-value"), { cause });
  const cases: [string, unknown, Code][] = [
    ["refused", Object.assign(new Error("connect ECONNREFUSED 10.1.2.3:5432"), { code: "ECONNREFUSED", address: "10.1.2.3", port: 5432 }), Code.Unavailable],
    ["refused on every address", Object.assign(new AggregateError([new Error("connect ECONNREFUSED ::1:5432")], ""), { code: "ECONNREFUSED" }), Code.Unavailable],
    ["reset", Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }), Code.Unavailable],
    ["terminated by the administrator", wrapped(pgError("57P01", "terminating connection due to administrator command")), Code.Unavailable],
    ["starting up", pgError("57P03", "the database system is starting up"), Code.Unavailable],
    ["connection failure class", pgError("08006", "connection failure"), Code.Unavailable],
    ["statement timeout", wrapped(pgError("57014", "canceling statement due to statement timeout")), Code.Unavailable],
    ["connection lost", wrapped(new Error("Connection terminated unexpectedly")), Code.Unavailable],
    ["read timeout", new Error("Query read timeout"), Code.Unavailable],
    ["pool acquire timeout", new Error("timeout exceeded when trying to connect"), Code.Unavailable],
    ["connect timeout", new Error("Connection terminated due to connection timeout"), Code.Unavailable],
    ["broken client", new Error("Client has encountered a connection error and is not queryable"), Code.Unavailable],
    ["SQLite busy", wrapped(Object.assign(new Error("database is locked"), { code: "SQLITE_BUSY" })), Code.Unavailable],
    ["SQLite full", wrapped(Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" })), Code.ResourceExhausted],
    ["PostgreSQL disk full", pgError("53100", "could not extend file"), Code.ResourceExhausted],
    ["a bug", new TypeError("x is undefined"), Code.Internal],
    ["a constraint", wrapped(pgError("23503", "violates foreign key constraint")), Code.Internal],
  ];
  it.each(cases)("%s", (_, e, code) => {
    const err = toConnectError(e, "req-1");
    expect(Code[err.code]).toBe(Code[code]);
    for (const leak of ["10.1.2.3", "secret-value", "Failed query", "::1"]) expect(err.rawMessage).not.toContain(leak);
    // An outage is expected and logged as a plain call failure, not as a fault with a stack.
    expect(isUnexpected(e)).toBe(code !== Code.Unavailable);
  });

  it("answers an outage as a ConnectError the REST gateway turns into 503", () => {
    const err = toConnectError(new Error("Connection terminated unexpectedly"), "req-1");
    expect(err).toBeInstanceOf(ConnectError);
    expect(err.rawMessage).toBe("database unavailable: the database connection was lost");
  });
});

describe("health follows the store", () => {
  async function appWithProbe(probe: () => Promise<void>, healthCheckIntervalMs: string): Promise<{ app: App; calls: () => number }> {
    const store = await openStore(":memory:");
    let calls = 0;
    const app = await buildApp(testConfig({ healthCheckIntervalMs }), createLogger("silent"), {
      store: {
        ...store,
        probe: () => {
          calls++;
          return probe();
        },
      },
    });
    cleanups.push(() => app.close());
    return { app, calls: () => calls };
  }

  it("answers health calls from the last probe, never with a query per call", async () => {
    const { app, calls } = await appWithProbe(async () => undefined, "60000");
    const { createClient, createRouterTransport } = await import("@connectrpc/connect");
    const { Health } = await import("../gen/grpc/health/v1/health_pb.js");
    const health = createClient(Health, createRouterTransport(app.routes, { router: { interceptors: app.interceptors } }));
    for (let i = 0; i < 50; i++) expect((await health.check({ service: "flyteadmin" })).status).toBe(Status.SERVING);
    expect(calls()).toBe(0);
  });

  it("turns NOT_SERVING on a failed probe and SERVING again on a good one; after close it probes no more and stays NOT_SERVING", async () => {
    let up = true;
    const { app, calls } = await appWithProbe(async () => {
      if (!up) throw new Error("connect ECONNREFUSED 127.0.0.1:5432");
    }, "20");
    up = false;
    await eventually(async () => app.health.get("") === Status.NOT_SERVING, "NOT_SERVING");
    up = true;
    await eventually(async () => app.health.get("") === Status.SERVING, "SERVING");
    await app.close();
    const after = calls();
    await new Promise((r) => setTimeout(r, 100));
    expect(calls()).toBe(after);
    expect(app.health.get("")).toBe(Status.NOT_SERVING);
  });

  it("takes an interval beyond the longest timer Node keeps as a long wait, not as one millisecond", async () => {
    // Node runs a setTimeout of 2^31 ms or more after 1 ms, which would probe in a tight loop.
    const { calls } = await appWithProbe(async () => undefined, String(2 ** 32));
    await new Promise((r) => setTimeout(r, 100));
    expect(calls()).toBe(0);
  });

  it("times out a probe that hangs", async () => {
    const { app } = await appWithProbe(() => new Promise<void>(() => undefined), "20");
    await eventually(async () => app.health.get("") === Status.NOT_SERVING, "NOT_SERVING");
  });
});

describe.skipIf(!PG_URL)("PostgreSQL timeouts at the ends of their range", () => {
  async function open(options: Parameters<typeof openPostgres>[1]) {
    const db = await createTestDatabase();
    cleanups.push(db.drop);
    const d = await openPostgres(db.url, options);
    cleanups.push(() => d.close());
    return d;
  }
  const sleep = (d: Awaited<ReturnType<typeof openPostgres>>, seconds: number) =>
    d.run((db) => (db as unknown as { execute(q: unknown): Promise<unknown> }).execute(sql`select pg_sleep(${seconds})`));

  it("sets the server-side statement and idle-transaction limits on every pooled connection", async () => {
    const d = await open({ statementTimeoutMs: 1234 });
    const show = async (setting: string) =>
      ((await d.run((db) => (db as unknown as { execute(q: unknown): Promise<{ rows: Record<string, string>[] }> }).execute(sql.raw(`show ${setting}`)))).rows[0]?.[setting]);
    expect(await show("statement_timeout")).toBe("1234ms");
    expect(await show("idle_in_transaction_session_timeout")).toBe("1234ms");
    await expect(sleep(d, 2)).rejects.toBeDefined();
  });

  it("a statement timeout of 0 is no limit, as PostgreSQL's statement_timeout = 0 is, on the client side too", async () => {
    const d = await open({ statementTimeoutMs: 0 });
    await expect(sleep(d, 1.2)).resolves.toBeDefined();
    await expect(d.transaction(async (tx) => sleep({ ...d, run: (fn) => fn(tx) }, 1.2))).resolves.toBeDefined();
  });

  it("timeouts longer than PostgreSQL and Node timers hold are capped, not turned into errors on every call", async () => {
    // statement_timeout above 2^31-1 ms is refused by PostgreSQL; a Node timer that long fires at once.
    const huge = 2 ** 32;
    const d = await open({ statementTimeoutMs: huge, connectTimeoutMs: huge, acquireTimeoutMs: huge });
    await expect(sleep(d, 0.2)).resolves.toBeDefined();
    await expect(d.transaction(async (tx) => sleep({ ...d, run: (fn) => fn(tx) }, 0.2))).resolves.toBeDefined();
    await expect(d.probe()).resolves.toBeUndefined();
  });
});
