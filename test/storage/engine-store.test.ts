import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { databaseFailure } from "../../src/storage/database-errors.js";
import type { Dialect } from "../../src/storage/dialect.js";
import type { EngineKey, EngineStore, EngineStatusUpdate } from "../../src/storage/engine-store.js";
import { openPostgres } from "../../src/storage/postgres.js";
import { createSqlEngineStore } from "../../src/storage/sql-engine.js";
import { createSqlStore } from "../../src/storage/sql-store.js";
import { openSqlite } from "../../src/storage/sqlite.js";
import { backends, createTestDatabase, PG_URL } from "../helpers/backends.js";

const key = (name: string): EngineKey => ({ project: "flytesnacks", domain: "development", name });
const DEFINITION = JSON.stringify({ kind: "FlyteWorkflow", spec: { id: "wf", nodes: { start: {}, end: {} } } });
const status = (phase: number, extra: Record<string, unknown> = {}) => JSON.stringify({ phase, ...extra });
const running = (s: string, nextWakeAt?: Date): EngineStatusUpdate => ({ status: s, active: true, nextWakeAt });

/** A status the size of a workflow with ~1,000 nodes and then some: about 1 MB of JSON. */
function largeStatus(): string {
  const nodeStatus: Record<string, unknown> = {};
  for (let i = 0; i < 1000; i++) {
    nodeStatus[`n${i}`] = {
      phase: 5,
      attempts: 1,
      message: `node n${i} ${"x".repeat(900)}`,
      TaskNodeStatus: { phase: 3, phaseVersion: 2, pState: { pid: 1000 + i, name: "ü — ✓ \\u0000 \" quoted" } },
    };
  }
  return JSON.stringify({ phase: 4, nodeStatus });
}

/** Waits until the clock has moved past `after` (rows created at distinct milliseconds). */
async function nextMillisecond(after: number): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (Date.now() <= after) {
    if (Date.now() > deadline) throw new Error("the clock did not advance");
    await new Promise((r) => setTimeout(r, 1));
  }
}

describe.each(backends)("Engine store on $name", ({ open }) => {
  let d: Dialect | undefined;
  let engine: EngineStore;
  const start = async () => {
    d = await open();
    engine = createSqlEngineStore(d);
  };
  afterEach(async () => {
    await d?.close();
    d = undefined;
  });

  it("creates a row at version 1, active, without an abort cause, and reads it back", async () => {
    await start();
    const before = Date.now();
    expect(await engine.create({ key: key("e1"), definition: DEFINITION, status: status(0) })).toBe(true);
    const row = await engine.get(key("e1"));
    expect(row).toMatchObject({ ...key("e1"), definition: DEFINITION, status: status(0), version: 1, active: true });
    expect(row!.abortCause).toBeUndefined();
    expect(row!.nextWakeAt).toBeUndefined();
    expect(row!.createdAt).toBeInstanceOf(Date);
    expect(row!.createdAt.getTime()).toBeGreaterThanOrEqual(before - 1);
    expect(row!.updatedAt.getTime()).toBe(row!.createdAt.getTime());
    expect(await engine.get(key("missing"))).toBeUndefined();
    expect(await engine.get({ ...key("e1"), domain: "production" })).toBeUndefined();
  });

  it("answers false for a taken key and keeps the first row", async () => {
    await start();
    expect(await engine.create({ key: key("e1"), definition: DEFINITION, status: status(0) })).toBe(true);
    expect(await engine.create({ key: key("e1"), definition: "{}", status: status(9) })).toBe(false);
    expect(await engine.get(key("e1"))).toMatchObject({ definition: DEFINITION, status: status(0), version: 1 });
  });

  it("lets exactly one of concurrent creates of one key win", async () => {
    await start();
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => engine.create({ key: key("race"), definition: DEFINITION, status: status(i) })),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results.indexOf(true);
    expect((await engine.get(key("race")))?.status).toBe(status(winner));
  });

  it("updates the status from the current version and bumps it; a stale or absent version changes nothing", async () => {
    await start();
    await engine.create({ key: key("e1"), definition: DEFINITION, status: status(0) });
    const created = (await engine.get(key("e1")))!;
    await nextMillisecond(created.updatedAt.getTime());
    expect(await engine.update(key("e1"), 1, running(status(1)))).toBe(true);
    const updated = (await engine.get(key("e1")))!;
    expect(updated).toMatchObject({ status: status(1), version: 2, active: true, definition: DEFINITION });
    expect(updated.createdAt).toEqual(created.createdAt);
    expect(updated.updatedAt.getTime()).toBeGreaterThan(created.updatedAt.getTime());

    expect(await engine.update(key("e1"), 1, running(status(7)))).toBe(false);
    expect(await engine.update(key("e1"), 3, running(status(7)))).toBe(false);
    expect(await engine.update(key("missing"), 1, running(status(7)))).toBe(false);
    expect(await engine.get(key("e1"))).toMatchObject({ status: status(1), version: 2 });
  });

  it("refuses versions no row can have without asking the database to compare them", async () => {
    await start();
    await engine.create({ key: key("e1"), definition: DEFINITION, status: status(0) });
    for (const v of [0, -1, 1.5, Number.NaN, 2 ** 31, Number.MAX_SAFE_INTEGER, Infinity]) {
      expect(await engine.update(key("e1"), v, running(status(7)))).toBe(false);
    }
    expect((await engine.get(key("e1")))?.version).toBe(1);
  });

  it("lets exactly one of concurrent updates from the same version win", async () => {
    await start();
    await engine.create({ key: key("e1"), definition: DEFINITION, status: status(0) });
    for (let version = 1; version <= 5; version++) {
      const results = await Promise.all([1, 2, 3, 4].map((w) => engine.update(key("e1"), version, running(status(version * 10 + w)))));
      expect(results.filter(Boolean)).toHaveLength(1);
      const row = (await engine.get(key("e1")))!;
      expect(row.version).toBe(version + 1);
      expect(row.status).toBe(status(version * 10 + results.indexOf(true) + 1));
    }
  });

  it("reads the state without the definition: every other field as get() has it", async () => {
    await start();
    const wake = new Date("2031-05-06T07:08:09.123Z");
    await engine.create({ key: key("e1"), definition: DEFINITION, status: status(0), nextWakeAt: wake });
    expect(await engine.update(key("e1"), 1, running(status(1), wake))).toBe(true);
    expect(await engine.requestAbort(key("e1"), "stop")).toBe(true);
    const { definition, ...rest } = (await engine.get(key("e1")))!;
    expect(definition).toBe(DEFINITION);
    const state = await engine.getState(key("e1"));
    expect(state).toEqual(rest);
    expect(state).not.toHaveProperty("definition");
    expect(await engine.getState(key("missing"))).toBeUndefined();
    await engine.create({ key: key("e2"), definition: DEFINITION, status: status(0) });
    const plain = await engine.getState(key("e2"));
    expect(plain!.abortCause).toBeUndefined();
    expect(plain!.nextWakeAt).toBeUndefined();
  });

  it("round-trips next_wake_at: undefined is NULL, a date keeps its milliseconds", async () => {
    await start();
    const wake = new Date("2031-05-06T07:08:09.123Z");
    await engine.create({ key: key("e1"), definition: DEFINITION, status: status(0), nextWakeAt: wake });
    expect((await engine.get(key("e1")))?.nextWakeAt).toEqual(wake);
    expect(await engine.update(key("e1"), 1, running(status(1)))).toBe(true);
    expect((await engine.get(key("e1")))?.nextWakeAt).toBeUndefined();
    const later = new Date("2031-05-06T07:08:10.456Z");
    expect(await engine.update(key("e1"), 2, running(status(2), later))).toBe(true);
    expect((await engine.get(key("e1")))?.nextWakeAt).toEqual(later);

    await engine.create({ key: key("e2"), definition: DEFINITION, status: status(0) });
    expect((await engine.get(key("e2")))?.nextWakeAt).toBeUndefined();
  });

  it("records the first abort cause only, without changing the version, and a round's update keeps it", async () => {
    await start();
    await engine.create({ key: key("e1"), definition: DEFINITION, status: status(0) });
    expect(await engine.requestAbort(key("e1"), "terminated by alice")).toBe(true);
    expect(await engine.requestAbort(key("e1"), "terminated by bob")).toBe(true);
    expect(await engine.get(key("e1"))).toMatchObject({ abortCause: "terminated by alice", version: 1, status: status(0) });
    // The round that was in flight when the cause arrived still commits, and the cause stays for the next one.
    expect(await engine.update(key("e1"), 1, running(status(1)))).toBe(true);
    expect(await engine.get(key("e1"))).toMatchObject({ abortCause: "terminated by alice", version: 2 });
  });

  it("keeps the first of concurrent abort causes", async () => {
    await start();
    await engine.create({ key: key("e1"), definition: DEFINITION, status: status(0) });
    const causes = ["a", "b", "c", "d"];
    expect(await Promise.all(causes.map((c) => engine.requestAbort(key("e1"), c)))).toEqual([true, true, true, true]);
    expect(causes).toContain((await engine.get(key("e1")))?.abortCause);
  });

  it("refuses an abort request for a missing or inactive row", async () => {
    await start();
    expect(await engine.requestAbort(key("missing"), "x")).toBe(false);
    await engine.create({ key: key("done"), definition: DEFINITION, status: status(0) });
    expect(await engine.update(key("done"), 1, { status: status(4), active: false, nextWakeAt: undefined })).toBe(true);
    expect(await engine.requestAbort(key("done"), "too late")).toBe(false);
    expect(await engine.get(key("done"))).toMatchObject({ active: false, abortCause: undefined, version: 2 });
  });

  it("lists active rows oldest first and leaves inactive ones out", async () => {
    await start();
    expect(await engine.listActive()).toEqual([]);
    // Creation order differs from name order, so the order seen is the age.
    let last = 0;
    for (const name of ["c", "a", "d", "b"]) {
      await nextMillisecond(last);
      await engine.create({ key: key(name), definition: DEFINITION, status: status(0), nextWakeAt: new Date(1_900_000_000_000) });
      last = (await engine.get(key(name)))!.createdAt.getTime();
    }
    expect(await engine.update(key("d"), 1, { status: status(4), active: false, nextWakeAt: undefined })).toBe(true);
    // An update does not make a row younger.
    expect(await engine.update(key("c"), 1, running(status(1)))).toBe(true);
    const active = await engine.listActive();
    expect(active.map((r) => r.name)).toEqual(["c", "a", "b"]);
    expect(active[0]).toMatchObject({ ...key("c"), version: 2, status: status(1), active: true, definition: DEFINITION });
    expect(active[1]!.nextWakeAt).toEqual(new Date(1_900_000_000_000));
  });

  it("breaks ties of the same creation millisecond by key", async () => {
    await start();
    await Promise.all(["z", "y", "x"].map((name) => engine.create({ key: key(name), definition: DEFINITION, status: status(0) })));
    const rows = await engine.listActive();
    const sorted = [...rows].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.name.localeCompare(b.name));
    expect(rows.map((r) => r.name)).toEqual(sorted.map((r) => r.name));
  });

  it("stores a status of about 1 MB and a definition of the same size", async () => {
    await start();
    const big = largeStatus();
    expect(big.length).toBeGreaterThan(1_000_000);
    expect(await engine.create({ key: key("big"), definition: big, status: big })).toBe(true);
    const row = (await engine.get(key("big")))!;
    expect(row.status.length).toBe(big.length);
    expect(row.status).toBe(big);
    expect(row.definition).toBe(big);
    const bigger = big.replace('"phase":4', '"phase":5');
    expect(await engine.update(key("big"), 1, running(bigger))).toBe(true);
    expect((await engine.get(key("big")))?.status).toBe(bigger);
    expect((await engine.listActive())[0]?.status).toBe(bigger);
  });

  it("is the Store's engine", async () => {
    await start();
    const store = createSqlStore(d!);
    expect(await store.engine.create({ key: key("e1"), definition: DEFINITION, status: status(0) })).toBe(true);
    expect((await engine.get(key("e1")))?.version).toBe(1);
  });
});

describe("Engine store across a restart", () => {
  const writeAndAbort = async (engine: EngineStore) => {
    const wake = new Date("2030-01-02T03:04:05.678Z");
    expect(await engine.create({ key: key("run"), definition: DEFINITION, status: status(0), nextWakeAt: wake })).toBe(true);
    expect(await engine.update(key("run"), 1, running(status(3), wake))).toBe(true);
    expect(await engine.requestAbort(key("run"), "stop")).toBe(true);
    expect(await engine.create({ key: key("done"), definition: DEFINITION, status: status(0) })).toBe(true);
    expect(await engine.update(key("done"), 1, { status: status(4), active: false, nextWakeAt: undefined })).toBe(true);
    return wake;
  };
  const expectResumed = async (engine: EngineStore, wake: Date) => {
    const active = await engine.listActive();
    expect(active.map((r) => r.name)).toEqual(["run"]);
    expect(active[0]).toMatchObject({ definition: DEFINITION, status: status(3), version: 2, active: true, abortCause: "stop", nextWakeAt: wake });
    expect(await engine.get(key("done"))).toMatchObject({ active: false, version: 2, status: status(4) });
    // The compare-and-set goes on from the stored version.
    expect(await engine.update(key("run"), 1, running(status(9)))).toBe(false);
    expect(await engine.update(key("run"), 2, running(status(5)))).toBe(true);
  };

  it("keeps rows in a SQLite file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "flyteadmin-engine-"));
    try {
      const file = join(dir, "admin.db");
      const first = openSqlite(file);
      const wake = await writeAndAbort(createSqlEngineStore(first));
      await first.close();
      const second = openSqlite(file);
      try {
        await expectResumed(createSqlEngineStore(second), wake);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!PG_URL)("keeps rows in PostgreSQL (needs FLYTEADMIN_TEST_PG_URL)", async () => {
    const db = await createTestDatabase();
    try {
      const first = await openPostgres(db.url, { poolSize: 2 });
      const wake = await writeAndAbort(createSqlEngineStore(first));
      await first.close();
      const second = await openPostgres(db.url, { poolSize: 2 });
      try {
        await expectResumed(createSqlEngineStore(second), wake);
      } finally {
        await second.close();
      }
    } finally {
      await db.drop();
    }
  });
});

describe.skipIf(!PG_URL)("Engine store on a PostgreSQL server (needs FLYTEADMIN_TEST_PG_URL)", () => {
  it("a compare-and-set that waited on a concurrent writer's lock sees its commit and fails", async () => {
    const db = await createTestDatabase();
    const other = new pg.Client(db.url);
    let d: Dialect | undefined;
    try {
      d = await openPostgres(db.url, { poolSize: 2 });
      const engine = createSqlEngineStore(d);
      await engine.create({ key: key("e1"), definition: DEFINITION, status: status(0) });
      await other.connect();
      // Another writer takes version 1 -> 2 and holds the row until it commits.
      await other.query("begin");
      await other.query("update engine_workflows set version = version + 1, status = $1 where name = 'e1' and version = 1", [status(1)]);
      const blocked = engine.update(key("e1"), 1, running(status(2)));
      // Poll until our update is waiting on the row lock, so the commit below really races it.
      const deadline = Date.now() + 10_000;
      for (;;) {
        if ((await lockWaiters(db.url)) > 0) break;
        if (Date.now() > deadline) throw new Error("the update never waited on the row lock");
        await new Promise((r) => setTimeout(r, 20));
      }
      await other.query("commit");
      expect(await blocked).toBe(false);
      expect(await engine.get(key("e1"))).toMatchObject({ version: 2, status: status(1) });
    } finally {
      await other.end().catch(() => undefined);
      await d?.close();
      await db.drop();
    }
  });

  it("fails calls on a closed store with an error the database error mapping classifies", async () => {
    const db = await createTestDatabase();
    try {
      const d = await openPostgres(db.url, { poolSize: 1 });
      const engine = createSqlEngineStore(d);
      await d.close();
      const e = await engine.get(key("e1")).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(e).toBeDefined();
      expect(databaseFailure(e)?.kind).toBe("Unavailable");
    } finally {
      await db.drop();
    }
  });
});

/** How many sessions of this database wait on a lock. */
async function lockWaiters(url: string): Promise<number> {
  const c = new pg.Client(url);
  await c.connect();
  try {
    const { rows } = await c.query("select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'");
    return (rows[0] as { n: number }).n;
  } finally {
    await c.end();
  }
}
