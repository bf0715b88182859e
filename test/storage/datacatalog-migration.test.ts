import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import Database from "better-sqlite3";
import { drizzle as drizzleSqlite } from "drizzle-orm/better-sqlite3";
import { migrate as migrateSqlite } from "drizzle-orm/better-sqlite3/migrator";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { describe, expect, it } from "vitest";
import type { Dialect } from "../../src/storage/dialect.js";
import { openPglite } from "../../src/storage/postgres.js";
import * as pgSchema from "../../src/storage/schema/pg.js";
import * as sqliteSchema from "../../src/storage/schema/sqlite.js";
import { createSqlStore } from "../../src/storage/sql-store.js";
import { openSqlite } from "../../src/storage/sqlite.js";

/**
 * The DataCatalog migration (0016) on a database that holds the local
 * engine's old cache entries: they (and their reservations) are dropped, as
 * their keys were computed differently; nothing else is touched.
 */

/** migrations/<dialect> before the DataCatalog, in a folder of its own. */
function migrationsBeforeDataCatalog(dialect: "sqlite" | "pg"): string {
  const dir = mkdtempSync(join(tmpdir(), `flyteadmin-migrations-${dialect}-`));
  cpSync(join(process.cwd(), "migrations", dialect), dir, { recursive: true });
  const journalFile = join(dir, "meta", "_journal.json");
  const journal = JSON.parse(readFileSync(journalFile, "utf8")) as { entries: { idx: number; tag: string }[] };
  journal.entries = journal.entries.filter((e) => e.idx < 16);
  expect(journal.entries.at(-1)?.tag).toBe("0015_notification_deliveries");
  writeFileSync(journalFile, JSON.stringify(journal));
  return dir;
}

/** A project, and an old cache entry with its reservation; `t` is a timestamp literal of the dialect. */
const oldRows = (t: string) => [
  `insert into projects (identifier, name, description, state, created_at, updated_at) values ('p', 'p', 'kept', 0, ${t}, ${t})`,
  `insert into catalog_entries values ('p', 'd', 'flyte_task-t', '1.0-aaaaaaaa-bbbbbbbb', 'flyte_cached-x', '1.0', 'art', 'file:///x.pb', 'p', 'd', 'e', 'n0', 0, 'p', 'd', 't', 'v1', ${t})`,
  `insert into catalog_reservations values ('p', 'd', 'flyte_task-t', '1.0-aaaaaaaa-bbbbbbbb', 'flyte_cached-x', 'owner', ${t}, 10000, ${t}, ${t})`,
];

async function expectMigrated(d: Dialect, tables: () => Promise<string[]>) {
  const store = createSqlStore(d);
  try {
    expect((await store.projects.get("p"))?.description).toBe("kept");
    const names = await tables();
    expect(names).not.toContain("catalog_entries");
    expect(names).not.toContain("catalog_reservations");
    expect(names).toEqual(expect.arrayContaining(["datasets", "artifacts", "artifact_data", "tags", "partitions", "reservations"]));
    // The new tables are empty and in use.
    const key = { project: "p", name: "flyte_task-t", domain: "d", version: "1.0-aaaaaaaa-bbbbbbbb" };
    expect(await store.dataCatalog.getDataset(key)).toBeUndefined();
    const now = new Date();
    expect((await store.dataCatalog.getOrExtendReservation({ ...key, tagName: "flyte_cached-x" }, "me", now, now)).ownerId).toBe("me");
  } finally {
    await store.close();
  }
}

describe("the DataCatalog migration (0016)", () => {
  it("drops the old cache tables and keeps everything else, on SQLite", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "flyteadmin-dcmig-")), "admin.db");
    const client = new Database(file);
    migrateSqlite(drizzleSqlite({ client, schema: sqliteSchema, casing: "snake_case" }), { migrationsFolder: migrationsBeforeDataCatalog("sqlite") });
    for (const sql of oldRows("1")) client.prepare(sql).run();
    client.close();
    const d = openSqlite(file);
    const raw = new Database(file, { readonly: true });
    try {
      await expectMigrated(d, async () => (raw.prepare("select name from sqlite_master where type = 'table'").all() as { name: string }[]).map((r) => r.name));
    } finally {
      raw.close();
    }
  });

  it("drops the old cache tables and keeps everything else, on PostgreSQL (PGlite)", async () => {
    const client = new PGlite();
    await migratePglite(drizzlePglite({ client, schema: pgSchema, casing: "snake_case" }), { migrationsFolder: migrationsBeforeDataCatalog("pg") });
    for (const sql of oldRows("to_timestamp(1)")) await client.query(sql);
    const d = await openPglite(client);
    await expectMigrated(d, async () => (await client.query<{ tablename: string }>("select tablename from pg_tables where schemaname = 'public'")).rows.map((r) => r.tablename));
  }, 60_000);
});
