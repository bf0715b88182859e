import type { BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import type * as sqliteSchema from "./schema/sqlite.js";

/**
 * Queries are written once against the SQLite-typed drizzle API; the Postgres
 * query builder has the same shape, so the Postgres database is used through
 * this type too (drizzle has no dialect-neutral schema). Only connection
 * set-up, transactions and error classification differ per dialect.
 */
export type Db = BetterSQLite3Database<typeof sqliteSchema>;
export type Schema = typeof sqliteSchema;

export interface Dialect {
  readonly name: "sqlite" | "postgres";
  readonly schema: Schema;
  /** Runs fn outside a transaction (on SQLite still serialised with transactions). */
  run<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  /**
   * The first column of every row a select returns, in its order, as one
   * array: no object per row, which for a page of thousands of names costs
   * more than the query (SQLite: better-sqlite3's pluck mode). Runs as run() does.
   */
  pluck<T>(build: (db: Db) => PluckableQuery): Promise<T[]>;
  /**
   * Runs fn, one write statement, and resolves once it is committed; on SQLite
   * in one transaction with the other writes queued meanwhile (group-commit.ts),
   * on PostgreSQL on its own. fn must await nothing but its statement.
   */
  write<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  /** Runs fn in one transaction; fn may await; a throw rolls everything back. */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  /**
   * Inside a transaction, waits until no other transaction holds `key`, then
   * holds it until this one ends (Postgres: an advisory transaction lock).
   * SQLite transactions already run one at a time, so there it does nothing.
   */
  lock(tx: Db, key: string): Promise<void>;
  /** True when e reports a primary-key or unique-index violation. */
  isUniqueViolation(e: unknown): boolean;
  /** A cheap check that the database can serve now (health probes); rejects with the reason when it cannot. */
  probe(): Promise<void>;
  close(): Promise<void>;
}

/** A drizzle select: its SQL, and (PostgreSQL) the rows it resolves to. */
export interface PluckableQuery extends PromiseLike<readonly Record<string, unknown>[]> {
  toSQL(): { sql: string; params: unknown[] };
}

/** The driver error drizzle wraps (DrizzleQueryError keeps it as `cause`). */
export function driverErrorCode(e: unknown): unknown {
  const err = e as { code?: unknown; cause?: { code?: unknown } } | undefined;
  return err?.cause?.code ?? err?.code;
}
