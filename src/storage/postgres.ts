import type { PGlite } from "@electric-sql/pglite";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import { type SQL, sql } from "drizzle-orm";
import pg from "pg";
import { migrationsFolder } from "../paths.js";
import { type DatabaseObserver, noDatabaseObserver, secondsSince } from "./database-observer.js";
import { type Db, type Dialect, driverErrorCode, type Schema } from "./dialect.js";
import * as schema from "./schema/pg.js";

const UNIQUE_VIOLATION = "23505";
// Any fixed 64-bit key works; it only has to be the same for every replica.
const MIGRATION_LOCK_KEY = 0x466c79746541646dn; // "FlyteAdm"

const isUniqueViolation = (e: unknown) => driverErrorCode(e) === UNIQUE_VIOLATION;

/**
 * PostgreSQL through a pg.Pool, so several replicas can share one database.
 * drizzle's migrator takes no lock, so replicas booting together would race
 * on the migration table; a session advisory lock held on one pooled
 * connection serialises them.
 */
export async function openPostgres(url: string, options: { poolSize?: number; observer?: DatabaseObserver } = {}): Promise<Dialect> {
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10 });
  const observer = options.observer ?? noDatabaseObserver;
  observer.pool(() => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }));
  pool.on("error", () => undefined); // an idle client dropped by the server is replaced on next use
  const db = drizzlePg({ client: pool, schema, casing: "snake_case" });
  const lockConn = await pool.connect();
  try {
    await lockConn.query("select pg_advisory_lock($1)", [MIGRATION_LOCK_KEY.toString()]);
    await migratePg(db, { migrationsFolder: migrationsFolder("pg") });
  } finally {
    await lockConn.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY.toString()]).catch(() => undefined);
    lockConn.release();
  }
  return pgDialect(db as unknown as Db, () => pool.end(), observer);
}

/** In-process Postgres (WASM): the same dialect and migrations, no server. For tests. */
export async function openPglite(client: PGlite): Promise<Dialect> {
  const { drizzle } = await import("drizzle-orm/pglite");
  const { migrate } = await import("drizzle-orm/pglite/migrator");
  const db = drizzle({ client, schema, casing: "snake_case" });
  await migrate(db, { migrationsFolder: migrationsFolder("pg") });
  return pgDialect(db as unknown as Db, () => client.close());
}

function pgDialect(db: Db, close: () => Promise<void>, observer: DatabaseObserver = noDatabaseObserver): Dialect {
  const transaction = db.transaction as unknown as (f: (tx: Db) => Promise<unknown>) => Promise<never>;
  return {
    name: "postgres",
    schema: schema as unknown as Schema,
    run: (fn) => fn(db),
    // The Postgres transaction API is async and takes an async callback.
    // The wait measured is for a pooled connection and BEGIN, both inside drizzle.
    transaction: (fn) => {
      const queued = performance.now();
      return transaction.call(db, (tx) => {
        observer.waited("transaction", secondsSince(queued));
        return fn(tx);
      });
    },
    lock: async (tx, key) => {
      const queued = performance.now();
      // The Postgres query builder runs raw SQL with execute() (the SQLite-typed handle calls it run()).
      await (tx as unknown as { execute(query: SQL): Promise<unknown> }).execute(sql`select pg_advisory_xact_lock(hashtext(${key}))`);
      observer.waited("advisory_lock", secondsSince(queued));
    },
    isUniqueViolation,
    close,
  };
}
