import { afterEach, describe, expect, it } from "vitest";
import { realServer } from "../helpers/app.js";
import { createTestDatabase, PG_URL } from "../helpers/backends.js";
import { D, eventually, FAST, P, proxiedDatabase, registered, SERVING, terminateBackends } from "../helpers/database-outage.js";

/**
 * The real server on a real PostgreSQL whose connections are killed or
 * stranded under it: the process survives, the calls caught in the outage
 * fail UNAVAILABLE (which clients retry), and the server serves again
 * without a restart.
 */
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serverOn() {
  const db = await createTestDatabase();
  cleanups.push(db.drop);
  const server = await realServer({ database: db.url });
  cleanups.push(() => server.close());
  return { server, dbName: new URL(db.url).pathname.slice(1) };
}

describe.skipIf(!PG_URL)("PostgreSQL connections dropped under load", () => {
  it("keeps serving: calls caught in the drop fail UNAVAILABLE, later calls succeed", async () => {
    const { server, dbName } = await serverOn();
    const { admin, launch, acknowledged } = await registered(server);
    const outcomes: string[] = [];
    let terminated = 0;
    for (let round = 0; round < 4; round++) {
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

  it("replaces connections left half-open by a failover instead of waiting on them for ever", async () => {
    const { url, proxy } = await proxiedDatabase(cleanups);
    // A small pool, filled by the first burst: every pooled connection is then stranded.
    const server = await realServer({ database: url, ...FAST, dbPoolSize: "3" });
    cleanups.push(() => server.close());
    const { launch, statuses } = await registered(server);
    expect(await Promise.all(Array.from({ length: 6 }, () => launch()))).toEqual(Array(6).fill("ok"));

    proxy.strand();
    // Calls on a stranded connection fail when the driver's read timeout ends it; the rest get new connections.
    const during = await Promise.all(Array.from({ length: 6 }, () => launch()));
    expect(during.filter((o) => o !== "ok" && o !== "Unavailable")).toEqual([]);
    await eventually(async () => JSON.stringify(await statuses()) === JSON.stringify(SERVING), "SERVING after the failover");
    expect(await Promise.all(Array.from({ length: 6 }, () => launch()))).toEqual(Array(6).fill("ok"));
  });
});
