import type { PGlite } from "@electric-sql/pglite";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import { type SQL, sql } from "drizzle-orm";
import pg from "pg";
import type { Logger } from "../logger.js";
import { migrationsFolder } from "../paths.js";
import { databaseFailure } from "./database-errors.js";
import { type DatabaseObserver, noDatabaseObserver, secondsSince } from "./database-observer.js";
import { type Db, type Dialect, driverErrorCode, type PluckableQuery, type Schema } from "./dialect.js";
import { withTimeout } from "./with-timeout.js";
import * as schema from "./schema/pg.js";
import { waitForDatabase } from "./wait-for-database.js";

const UNIQUE_VIOLATION = "23505";
// Any fixed 64-bit key works; it only has to be the same for every replica.
const MIGRATION_LOCK_KEY = 0x466c79746541646dn; // "FlyteAdm"

const isUniqueViolation = (e: unknown) => driverErrorCode(e) === UNIQUE_VIOLATION;

export interface PostgresOptions {
  poolSize?: number;
  observer?: DatabaseObserver;
  /** Longest a new connection may take to open (TCP, TLS, authentication). */
  connectTimeoutMs?: number;
  /** Longest a statement may run (server side), and, a second later, wait for its answer (client side); 0: no limit. */
  statementTimeoutMs?: number;
  /** Longest a call waits for a pooled connection, a new one's opening included. */
  acquireTimeoutMs?: number;
  /** Hears the start-up waits ("waiting for PostgreSQL at host:port"). */
  logger?: Logger;
}

/** `host:port` of a connection URL, for logs and errors: never the user or password. */
export function postgresAddress(url: string): string {
  const u = new URL(url);
  const host = u.hostname || u.searchParams.get("host") || "localhost";
  return `${host}:${u.port || "5432"}`;
}

/**
 * PostgreSQL through a pg.Pool, so several replicas can share one database.
 * drizzle's migrator takes no lock, so replicas booting together would race
 * on the migration table; a session advisory lock held on one pooled
 * connection serialises them.
 *
 * Every wait is bounded: opening a connection, getting one from the pool, a
 * statement (statement_timeout on the server, query_timeout in the driver for
 * a network that stops answering), a transaction left idle; TCP keepalive
 * notices a peer that vanished. A dropped connection fails only the calls on
 * it (UNAVAILABLE, see database-errors.ts) and the pool opens a new one.
 */
export async function openPostgres(url: string, options: PostgresOptions = {}): Promise<Dialect> {
  const connectTimeoutMs = timerMs(options.connectTimeoutMs ?? 10_000);
  const statementTimeoutMs = timerMs(options.statementTimeoutMs ?? 30_000);
  const boundedPool = (max: number) => {
    const pool = new pg.Pool({
      connectionString: url,
      max,
      // pg-pool applies this to waiting for a free client and to opening a new one.
      connectionTimeoutMillis: timerMs(options.acquireTimeoutMs ?? 10_000),
      Client: connectingWithin(connectTimeoutMs),
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      // 0 is no limit, for PostgreSQL's statement_timeout and for pg's query_timeout alike.
      query_timeout: statementTimeoutMs === 0 ? 0 : timerMs(statementTimeoutMs + 1000),
      // The server-side limits: a statement's, and a transaction held open past it (a hung
      // blob write, a crashed caller) that would keep its locks. Set by a statement before
      // the pool hands the connection out (a query queued behind it is what pg deprecates),
      // not as startup parameters, which PgBouncer refuses unless told to ignore them. Where
      // a SET is not kept (a transaction-mode pooler), query_timeout still bounds every call.
      // A connection the SET fails on is dropped and the caller gets the error.
      onConnect: async (client: pg.ClientBase) => {
        if (statementTimeoutMs > 0) {
          await client.query(`set statement_timeout = ${statementTimeoutMs}; set idle_in_transaction_session_timeout = ${statementTimeoutMs}`);
        }
      },
    });
    // A connection can break whenever the server goes away, also while a
    // transaction holds it between statements (waiting for a blob write), when
    // pg-pool's idle listener is off it. pg then emits 'error' on the client,
    // which with no listener ends the process. The failure is reported to the
    // call by its next statement, so the event itself needs no handling.
    pool.on("connect", (client) => client.on("error", () => undefined));
    pool.on("error", () => undefined); // an idle client dropped by the server is replaced on next use
    return pool;
  };
  const what = `PostgreSQL at ${postgresAddress(url)}`;
  await waitForDatabase(() => migrate(url, connectTimeoutMs), {
    what,
    ...(options.logger ? { logger: options.logger } : {}),
    // Long enough for a database started alongside the server; a minute by default (and with no connect limit).
    giveUpAfterMs: 6 * (connectTimeoutMs || 10_000),
  });
  const pool = boundedPool(options.poolSize ?? 10);
  // Health probes get a connection of their own: a pool busy with slow calls
  // is not a database that is down, and must not turn the server NOT_SERVING.
  const probePool = boundedPool(1);
  const observer = options.observer ?? noDatabaseObserver;
  observer.pool(() => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }));
  const db = drizzlePg({ client: pool, schema, casing: "snake_case" });
  return pgDialect({
    db: db as unknown as Db,
    transaction: pooledTransaction(pool, observer),
    probe: async () => void (await probePool.query("select 1")),
    close: async () => void (await Promise.all([pool.end(), probePool.end()])),
    observer,
  });
}

/**
 * A timeout as pg and PostgreSQL can hold it: 0 stays "no limit"; longer than
 * 2^31-1 ms is capped, because PostgreSQL refuses such a statement_timeout
 * (every connection would fail) and Node runs such a timer after 1 ms.
 */
function timerMs(ms: number): number {
  return Math.min(ms, 2 ** 31 - 1);
}

/** pg.Client with its own connect timeout (the pool's covers the whole wait for a connection). */
function connectingWithin(connectTimeoutMs: number): typeof pg.Client {
  return class extends pg.Client {
    constructor(config?: pg.ClientConfig) {
      super({ ...config, connectionTimeoutMillis: connectTimeoutMs });
    }
  };
}

/**
 * Migrates on a connection of its own, which holds the advisory lock for the
 * session (ending it releases the lock). It has none of the pool's statement
 * limits: building an index on a large table, or waiting for another
 * replica's migration, may rightly take longer than any call; keepalive still
 * notices a server that vanished.
 */
async function migrate(url: string, connectTimeoutMs: number): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs, keepAlive: true, keepAliveInitialDelayMillis: 10_000 });
  client.on("error", () => undefined); // the statement in progress fails with it
  try {
    await client.connect();
    await client.query("select pg_advisory_lock($1)", [MIGRATION_LOCK_KEY.toString()]);
    await migratePg(drizzlePg({ client, casing: "snake_case" }), { migrationsFolder: migrationsFolder("pg") });
  } finally {
    // A connection that broke may never confirm its end; stop waiting for it.
    await withTimeout(client.end(), connectTimeoutMs || 10_000, "closing the migration connection timed out").catch(() => undefined);
  }
}

/**
 * Transactions on a client checked out by hand rather than drizzle's: a
 * client whose connection broke is released with the error, so the pool
 * destroys it instead of handing it to the next caller, and a failed
 * ROLLBACK (the connection is gone) never replaces the error that caused it.
 */
function pooledTransaction(pool: pg.Pool, observer: DatabaseObserver) {
  // One drizzle handle per pooled connection, made on its first transaction.
  const handles = new WeakMap<pg.PoolClient, Db>();
  const handleOf = (client: pg.PoolClient) => {
    let handle = handles.get(client);
    if (!handle) handles.set(client, (handle = drizzlePg({ client, schema, casing: "snake_case" }) as unknown as Db));
    return handle;
  };
  return async <T>(fn: (tx: Db) => Promise<T>): Promise<T> => {
    const queued = performance.now();
    const client = await pool.connect();
    let broken: Error | undefined;
    const onError = (e: Error) => (broken ??= e);
    client.on("error", onError);
    try {
      await client.query("begin");
      observer.waited("transaction", secondsSince(queued));
      try {
        const out = await fn(handleOf(client));
        await client.query("commit");
        return out;
      } catch (e) {
        if (databaseFailure(e)) broken ??= e as Error;
        if (!broken) {
          await client.query("rollback").catch((rollbackError: Error) => {
            // The original error is what the caller hears; the connection is in an unknown state.
            broken = new Error(`rollback failed after ${String((e as Error)?.message ?? e).split("\n")[0]}`, { cause: rollbackError });
          });
        }
        throw e;
      }
    } catch (e) {
      if (databaseFailure(e)) broken ??= e as Error;
      throw e;
    } finally {
      client.off("error", onError);
      client.release(broken);
    }
  };
}

/** In-process Postgres (WASM): the same dialect and migrations, no server. For tests. */
export async function openPglite(client: PGlite): Promise<Dialect> {
  const { drizzle } = await import("drizzle-orm/pglite");
  const { migrate } = await import("drizzle-orm/pglite/migrator");
  const db = drizzle({ client, schema, casing: "snake_case" });
  await migrate(db, { migrationsFolder: migrationsFolder("pg") });
  const transaction = db.transaction as unknown as <T>(f: (tx: Db) => Promise<T>) => Promise<T>;
  return pgDialect({
    db: db as unknown as Db,
    transaction: <T>(fn: (tx: Db) => Promise<T>) => transaction.call(db, fn) as Promise<T>,
    probe: async () => void (await client.query("select 1")),
    close: () => client.close(),
  });
}

interface PgParts {
  db: Db;
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  probe(): Promise<void>;
  close(): Promise<void>;
  observer?: DatabaseObserver;
}

function pgDialect(parts: PgParts): Dialect {
  const observer = parts.observer ?? noDatabaseObserver;
  return {
    name: "postgres",
    schema: schema as unknown as Schema,
    run: (fn) => fn(parts.db),
    // The rows are objects already (node-postgres builds one per row either way); only the first value is kept.
    pluck: async <T>(build: (db: Db) => PluckableQuery) => {
      const rows = await build(parts.db);
      return rows.map((row) => Object.values(row)[0] as T);
    },
    // Each statement commits on whichever pooled connection runs it; batching would need one connection for all.
    write: (fn) => fn(parts.db),
    // The Postgres transaction API is async and takes an async callback.
    transaction: parts.transaction,
    lock: async (tx, key) => {
      const queued = performance.now();
      // The Postgres query builder runs raw SQL with execute() (the SQLite-typed handle calls it run()).
      await (tx as unknown as { execute(query: SQL): Promise<unknown> }).execute(sql`select pg_advisory_xact_lock(hashtext(${key}))`);
      observer.waited("advisory_lock", secondsSince(queued));
    },
    isUniqueViolation,
    probe: parts.probe,
    close: parts.close,
  };
}
