import { getTableColumns, getTableName, is, Table } from "drizzle-orm";
import { getTableConfig as pgConfig } from "drizzle-orm/pg-core";
import { getTableConfig as sqliteConfig } from "drizzle-orm/sqlite-core";
import { expect, it } from "vitest";
import * as pg from "../src/storage/schema/pg.js";
import * as sqlite from "../src/storage/schema/sqlite.js";

// Queries are written once against the SQLite schema's types and run on the
// Postgres one too; that only works while both name the same tables, columns
// and indexes.
const tables = (schema: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(schema)
      .filter(([, v]) => is(v, Table))
      .map(([k, v]) => [k, v as Table]),
  );

it("both dialects declare the same tables, columns and indexes", () => {
  const a = tables(sqlite);
  const b = tables(pg);
  expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
  for (const [key, table] of Object.entries(a)) {
    const twin = b[key]!;
    expect(getTableName(twin)).toBe(getTableName(table));
    const cols = (t: Table) =>
      Object.entries(getTableColumns(t))
        .map(([k, c]) => `${k}:${c.name}:${c.notNull}:${c.primary}`)
        .sort();
    expect(cols(twin)).toEqual(cols(table));
    const sqliteIndexes = sqliteConfig(table as never).indexes.map((i) => i.config.name).sort();
    const pgIndexes = pgConfig(twin as never).indexes.map((i) => i.config.name).sort();
    expect(pgIndexes).toEqual(sqliteIndexes);
  }
});
