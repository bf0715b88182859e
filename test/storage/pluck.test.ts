import { desc, eq, sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import type { Db, Dialect, PluckableQuery } from "../../src/storage/dialect.js";
import { openSqlite } from "../../src/storage/sqlite.js";
import { backends } from "../helpers/backends.js";

/**
 * Dialect.pluck reads one column of many rows without an object per row; on
 * SQLite it shares compiled statements (kept by SQL text) with drizzle.
 */
describe.each(backends)("Dialect.pluck on $name", ({ open }) => {
  let d: Dialect | undefined;
  afterEach(async () => {
    await d?.close();
    d = undefined;
  });

  // PGlite takes long to start on a loaded host.
  it("returns each row's first column in the select's order, and leaves drizzle's reads of the same SQL as they were", { timeout: 120_000 }, async () => {
    const dialect = (d = await open());
    const m = dialect.schema.namedEntityMetadata;
    const now = new Date();
    await dialect.run((db) =>
      db.insert(m).values(["b", "c", "a"].map((name, i) => ({ resourceType: 2, project: "p", domain: "d", name, state: i, createdAt: now, updatedAt: now }))),
    );
    const names = (db: Db) => db.select({ name: m.name, state: m.state }).from(m).where(eq(m.project, "p")).orderBy(desc(m.name));
    const objects = [
      { name: "c", state: 1 },
      { name: "b", state: 0 },
      { name: "a", state: 2 },
    ];
    expect(await dialect.run((db) => names(db))).toEqual(objects);
    expect(await dialect.pluck<string>(names)).toEqual(["c", "b", "a"]);
    expect(await dialect.run((db) => names(db))).toEqual(objects);
    expect(await dialect.pluck<string>((db) => db.select({ name: m.name }).from(m).where(eq(m.project, "none")))).toEqual([]);
  });
});

describe("Dialect.pluck on SQLite", () => {
  it("leaves a kept statement in its usual mode for whoever prepares the same SQL next", async () => {
    const d = openSqlite(":memory:");
    try {
      const m = d.schema.namedEntityMetadata;
      const now = new Date();
      await d.run((db) => db.insert(m).values(["b", "a"].map((name) => ({ resourceType: 2, project: "p", domain: "d", name, createdAt: now, updatedAt: now }))));
      // A read drizzle runs as it is (no row mapping): it gets what better-sqlite3's statement returns.
      const text = 'select "name" from "named_entity_metadata" order by "name" desc';
      const query = { toSQL: () => ({ sql: text, params: [] }) } as unknown as PluckableQuery;
      expect(await d.pluck<string>(() => query)).toEqual(["b", "a"]);
      expect(await d.run(async (db) => db.all(sql.raw(text)))).toEqual([{ name: "b" }, { name: "a" }]);
    } finally {
      await d.close();
    }
  });
});
