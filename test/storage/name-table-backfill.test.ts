import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import Database from "better-sqlite3";
import { drizzle as drizzleSqlite } from "drizzle-orm/better-sqlite3";
import { migrate as migrateSqlite } from "drizzle-orm/better-sqlite3/migrator";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import { NAMED_ENTITY_COLUMNS, NAMED_ENTITY_METADATA_COLUMNS } from "../../src/core/entity-columns.js";
import { parseListRequest } from "../../src/core/list-query.js";
import type { Dialect } from "../../src/storage/dialect.js";
import { openPglite, openPostgres } from "../../src/storage/postgres.js";
import * as pgSchema from "../../src/storage/schema/pg.js";
import * as sqliteSchema from "../../src/storage/schema/sqlite.js";
import { createSqlStore } from "../../src/storage/sql-store.js";
import { openSqlite } from "../../src/storage/sqlite.js";
import type { NamedResourceType } from "../../src/storage/store.js";
import { createTestDatabase, PG_URL } from "../helpers/backends.js";

/**
 * A database with tasks, workflows, launch plans and named-entity metadata
 * written before the name table (migration 0010), then migrated to 0011,
 * lists and gets its named entities as it did before.
 */

/** migrations/<dialect> up to 0010, in a folder of its own. */
function migrationsUpTo0010(dialect: "sqlite" | "pg"): string {
  const dir = mkdtempSync(join(tmpdir(), `flyteadmin-migrations-${dialect}-`));
  cpSync(join(process.cwd(), "migrations", dialect), dir, { recursive: true });
  const journalFile = join(dir, "meta", "_journal.json");
  const journal = JSON.parse(readFileSync(journalFile, "utf8")) as { entries: { idx: number }[] };
  journal.entries = journal.entries.filter((e) => e.idx <= 10);
  writeFileSync(journalFile, JSON.stringify(journal));
  return dir;
}

const P = "p";
const D = "d";
const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute));
const bytes = Buffer.from([1]);
const version = (name: string, v: string, minute: number) => ({ project: P, domain: D, name, version: v, closure: bytes, digest: bytes, createdAt: at(minute), updatedAt: at(minute) });

/** Rows as the server before the name table wrote them: metadata only where UpdateNamedEntity was called. */
type Insert = (table: "tasks" | "workflows" | "launchPlans" | "namedEntityMetadata", rows: object[]) => Promise<void>;
async function seedOld(insert: Insert) {
  await insert("tasks", [version("t1", "v1", 5), version("t1", "v2", 1), version("t2", "v1", 2), version(".flytegen.t3", "v1", 3)].map((r) => ({ ...r, type: "python-task" })));
  await insert("workflows", [version("wf", "v1", 1), version("wf", "v2", 2), version("wf2", "v1", 3)]);
  const wf = { workflowProject: P, workflowDomain: D, workflowName: "wf", workflowVersion: "v1", spec: bytes };
  await insert("launchPlans", [version("lp", "v1", 1), version("lp", "v2", 2), version("lp2", "v1", 3)].map((r) => ({ ...r, ...wf })));
  const meta = (resourceType: ResourceType, name: string, description: string, state: number) => ({ resourceType, project: P, domain: D, name, description, state, createdAt: at(9), updatedAt: at(9) });
  await insert("namedEntityMetadata", [
    meta(ResourceType.TASK, "t1", "first", 1),
    meta(ResourceType.WORKFLOW, "wf2", "d", 2),
    // Metadata of a name with no version: never listed, and gone after the migration.
    meta(ResourceType.TASK, "gone", "orphan", 1),
  ]);
}

const query = (filters: string) => parseListRequest({ filters, limit: 100, token: "" }, { scope: [NAMED_ENTITY_COLUMNS, NAMED_ENTITY_METADATA_COLUMNS], op: "test" });

async function expectListsAsBefore(d: Dialect) {
  const store = createSqlStore(d);
  try {
    const list = async (type: NamedResourceType, filters = "") =>
      (await store.namedEntities.list(type, { project: P, domain: D }, query(filters))).map((e) => [e.id?.name, e.metadata?.state, e.metadata?.description]);
    expect(await list(ResourceType.TASK)).toEqual([[".flytegen.t3", 0, ""], ["t1", 1, "first"], ["t2", 0, ""]]);
    expect(await list(ResourceType.TASK, "not_like(name,.flytegen%)")).toEqual([["t1", 1, "first"], ["t2", 0, ""]]);
    expect(await list(ResourceType.TASK, "eq(state,0)")).toEqual([[".flytegen.t3", 0, ""], ["t2", 0, ""]]);
    expect(await list(ResourceType.WORKFLOW)).toEqual([["wf", 0, ""], ["wf2", 2, "d"]]);
    expect(await list(ResourceType.LAUNCH_PLAN, "eq(state,0)")).toEqual([["lp", 0, ""], ["lp2", 0, ""]]);
    expect(await store.namedEntities.get(ResourceType.TASK, { project: P, domain: D, name: "gone" })).toBeUndefined();
    expect((await store.namedEntities.get(ResourceType.TASK, { project: P, domain: D, name: "t1" }))?.metadata?.description).toBe("first");
    // A backfilled row was created with the name's first version.
    const m = d.schema.namedEntityMetadata;
    const rows = await d.run((db) => db.select({ type: m.resourceType, name: m.name, createdAt: m.createdAt }).from(m));
    expect(rows.find((r) => r.type === ResourceType.TASK && r.name === "t1")?.createdAt.getTime()).toBe(at(9).getTime());
    expect(rows.find((r) => r.type === ResourceType.LAUNCH_PLAN && r.name === "lp")?.createdAt.getTime()).toBe(at(1).getTime());
    expect(rows.length).toBe(3 + 2 + 2);
  } finally {
    await store.close();
  }
}

describe("the name table's migration (0011)", () => {
  it("fills it from existing versions and metadata on SQLite", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "flyteadmin-backfill-")), "admin.db");
    const client = new Database(file);
    const db = drizzleSqlite({ client, schema: sqliteSchema, casing: "snake_case" });
    migrateSqlite(db, { migrationsFolder: migrationsUpTo0010("sqlite") });
    await seedOld(async (table, rows) => void db.insert(sqliteSchema[table]).values(rows as never).run());
    client.close();
    await expectListsAsBefore(openSqlite(file));
  });

  it("fills it from existing versions and metadata on PostgreSQL (PGlite)", async () => {
    const client = new PGlite();
    const db = drizzlePglite({ client, schema: pgSchema, casing: "snake_case" });
    await migratePglite(db, { migrationsFolder: migrationsUpTo0010("pg") });
    await seedOld(async (table, rows) => void (await db.insert(pgSchema[table]).values(rows as never)));
    await expectListsAsBefore(await openPglite(client));
  }, 60_000);

  it.skipIf(!PG_URL)("fills it from existing versions and metadata on a PostgreSQL server", async () => {
    const database = await createTestDatabase();
    try {
      const client = new pg.Client(database.url);
      await client.connect();
      const db = drizzlePg({ client, schema: pgSchema, casing: "snake_case" });
      await migratePg(db, { migrationsFolder: migrationsUpTo0010("pg") });
      await seedOld(async (table, rows) => void (await db.insert(pgSchema[table]).values(rows as never)));
      await client.end();
      await expectListsAsBefore(await openPostgres(database.url, { poolSize: 2 }));
    } finally {
      await database.drop();
    }
  }, 60_000);
});
