import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import type { Dialect } from "../../src/storage/dialect.js";
import { openPglite, openPostgres } from "../../src/storage/postgres.js";
import { openSqlite } from "../../src/storage/sqlite.js";

/**
 * A real PostgreSQL server for the contract tests, when one is given
 * (.ci/run sets it). Each opened store gets a database of its own, so test
 * files running in parallel never see each other's rows.
 */
export const PG_URL = process.env.FLYTEADMIN_TEST_PG_URL ?? "";

export interface Backend {
  name: string;
  /** Opens a fresh, migrated, empty database; `close` also removes it. */
  open(): Promise<Dialect>;
}

export const backends: Backend[] = [
  { name: "sqlite :memory:", open: async () => openSqlite(":memory:") },
  {
    name: "sqlite file (WAL)",
    open: async () => {
      const dir = mkdtempSync(join(tmpdir(), "flyteadmin-store-"));
      return removing(openSqlite(join(dir, "admin.db")), async () => rmSync(dir, { recursive: true, force: true }));
    },
  },
  { name: "postgres (pglite)", open: () => openSharedPglite() },
  ...(PG_URL ? [{ name: "postgres (server)", open: () => openFreshPostgres() }] : []),
];

// A PGlite instance takes seconds to start, so a test file shares one and
// each open() empties its tables instead.
let pglite: Promise<Dialect> | undefined;

async function openSharedPglite(): Promise<Dialect> {
  pglite ??= openPglite(new PGlite());
  const d = await pglite;
  for (const table of Object.values(d.schema)) await d.run(async (db) => db.delete(table));
  return { ...d, close: async () => undefined };
}

/** Creates an empty, uniquely named database on the PG_URL server. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `flyteadmin_test_${randomBytes(6).toString("hex")}`;
  await adminQuery(`create database ${name}`);
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => adminQuery(`drop database if exists ${name} with (force)`) };
}

async function openFreshPostgres(): Promise<Dialect> {
  const db = await createTestDatabase();
  return removing(await openPostgres(db.url, { poolSize: 4 }), db.drop);
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client(PG_URL);
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function removing(d: Dialect, cleanup: () => Promise<void>): Dialect {
  return { ...d, close: async () => (await d.close(), await cleanup()) };
}
