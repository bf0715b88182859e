import { PGlite } from "@electric-sql/pglite";
import Database from "better-sqlite3";
import { getTableColumns, getTableName, is, Table } from "drizzle-orm";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { getTableConfig as pgConfig } from "drizzle-orm/pg-core";
import { getTableConfig as sqliteConfig } from "drizzle-orm/sqlite-core";
import { expect, it } from "vitest";
import * as pg from "../src/storage/schema/pg.js";
import * as sqlite from "../src/storage/schema/sqlite.js";
import { migrationsFolder } from "../src/paths.js";

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

// The migrations are generated from the schema (drizzle-kit generate); a
// schema edited without generating one would pass every typed query here and
// fail on a real database. Migrating an empty database must give exactly the
// declared tables, columns and indexes.
const declared = (schema: Record<string, unknown>, indexesOf: (t: Table) => string[]) =>
  Object.values(tables(schema))
    .map((t) => ({
      table: getTableName(t),
      columns: Object.values(getTableColumns(t))
        // The configs' casing: snake_case
        .map((c) => `${c.name.replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`)}:${c.notNull}`)
        .sort(),
      indexes: indexesOf(t).sort(),
    }))
    .sort((a, b) => a.table.localeCompare(b.table));

it("migrating an empty SQLite database gives the declared schema", () => {
  const db = new Database(":memory:");
  try {
    migrate(drizzle(db), { migrationsFolder: migrationsFolder("sqlite") });
    const names = (db.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '__drizzle%'").all() as { name: string }[]).map((r) => r.name);
    const actual = names
      .map((table) => ({
        table,
        columns: (db.pragma(`table_info(${table})`) as { name: string; notnull: number; pk: number }[]).map((c) => `${c.name}:${c.notnull === 1 || c.pk > 0}`).sort(),
        indexes: (db.pragma(`index_list(${table})`) as { name: string; origin: string }[]).filter((i) => i.origin === "c").map((i) => i.name).sort(),
      }))
      .sort((a, b) => a.table.localeCompare(b.table));
    expect(actual).toEqual(declared(sqlite, (t) => sqliteConfig(t as never).indexes.map((i) => i.config.name)));
  } finally {
    db.close();
  }
});

it("migrating an empty PostgreSQL database gives the declared schema", async () => {
  const client = new PGlite();
  try {
    await migratePglite(drizzlePglite(client), { migrationsFolder: migrationsFolder("pg") });
    const columns = await client.query<{ table_name: string; column_name: string; is_nullable: string }>(
      "select table_name, column_name, is_nullable from information_schema.columns where table_schema = 'public'",
    );
    const indexes = await client.query<{ tablename: string; indexname: string }>(
      "select t.relname as tablename, i.relname as indexname from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class t on t.oid = x.indrelid join pg_namespace n on n.oid = t.relnamespace where n.nspname = 'public' and not x.indisprimary",
    );
    const byTable = new Map<string, { columns: string[]; indexes: string[] }>();
    const entry = (t: string) => byTable.get(t) ?? (byTable.set(t, { columns: [], indexes: [] }).get(t) as { columns: string[]; indexes: string[] });
    for (const c of columns.rows) entry(c.table_name).columns.push(`${c.column_name}:${c.is_nullable === "NO"}`);
    for (const i of indexes.rows) entry(i.tablename).indexes.push(i.indexname);
    const actual = [...byTable]
      .map(([table, v]) => ({ table, columns: v.columns.sort(), indexes: v.indexes.sort() }))
      .sort((a, b) => a.table.localeCompare(b.table));
    expect(actual).toEqual(declared(pg, (t) => pgConfig(t as never).indexes.map((i) => i.config.name ?? "")));
  } finally {
    await client.close();
  }
});
