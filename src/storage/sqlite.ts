import Database from "better-sqlite3";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import type { Logger } from "../logger.js";
import { migrationsFolder } from "../paths.js";
import { DatabaseOpenError, describeCause } from "./database-open-error.js";
import { watchFileIdentity } from "./file-identity.js";
import { type DatabaseObserver, noDatabaseObserver, secondsSince, type WaitKind } from "./database-observer.js";
import { type Db, type Dialect, driverErrorCode, type PluckableQuery } from "./dialect.js";
import { groupCommit } from "./group-commit.js";
import { createMutex } from "./mutex.js";
import { cacheStatements } from "./statement-cache.js";
import * as schema from "./schema/sqlite.js";

/**
 * SQLite on better-sqlite3: one connection in WAL mode, migrated on open.
 * better-sqlite3 is synchronous and its own transaction() refuses async
 * callbacks, so transactions are BEGIN IMMEDIATE ... COMMIT by hand, under a
 * mutex that also serialises every other statement on the connection: an
 * unlocked statement issued while a transaction awaits would silently join it.
 */
export interface SqliteOptions {
  /** Sees every statement with its parameters (tests read query plans with it). */
  onQuery?: (sql: string, params: unknown[]) => void;
  /** Hears how long work waited for the connection mutex. */
  observer?: DatabaseObserver;
  /** Hears faults that are not the caller's error (a failed ROLLBACK). */
  logger?: Logger;
  /** Permissions of a database file created here (default 0600); SQLite gives its -wal and -shm files the same. */
  fileMode?: number;
  /** Permissions of the folders created for it (default 0700). */
  dirMode?: number;
}

/** Creates `file` empty with `mode` unless it exists (an existing database is opened as it is). */
function createPrivately(file: string, mode: number): void {
  try {
    closeSync(openSync(file, "wx", mode));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  }
}

export function openSqlite(file: string, options: SqliteOptions = {}): Dialect {
  try {
    return open(file, options);
  } catch (e) {
    // One line naming the file and the errno or SQLite code, not a stack.
    throw new DatabaseOpenError(`cannot open SQLite database ${file}: ${describeCause(e)}`, { cause: e });
  }
}

function open(file: string, options: SqliteOptions): Dialect {
  if (file !== ":memory:") {
    mkdirSync(dirname(file), { recursive: true, mode: options.dirMode ?? 0o700 });
    // Created (empty, which SQLite reads as an empty database) with the file mode before SQLite opens it:
    // SQLite would make it 0644, and copies the database file's mode to its -wal and -shm files.
    // Private by default, so callers that pass no modes (the migrate command) create no open files either.
    createPrivately(file, options.fileMode ?? 0o600);
  }
  const client = new Database(file);
  cacheStatements(client);
  client.pragma("journal_mode = WAL"); // readers do not block the writer
  client.pragma("synchronous = NORMAL"); // durable across process kills in WAL mode
  client.pragma("busy_timeout = 5000"); // another process (migrate, backup) makes us wait, not fail
  client.pragma("foreign_keys = ON");
  // FlyteAdmin's `contains` is Postgres LIKE, which is case-sensitive.
  client.pragma("case_sensitive_like = ON");
  const onQuery = options.onQuery;
  const db = drizzle({ client, schema, casing: "snake_case", ...(onQuery ? { logger: { logQuery: onQuery } } : {}) });
  migrate(db, { migrationsFolder: migrationsFolder("sqlite") });

  // The file opened: a write after it was deleted or replaced would be acknowledged and lost.
  const identity = file === ":memory:" ? undefined : watchFileIdentity(file);
  const totalChanges = client.prepare("select total_changes()").pluck();
  const probeQuery = client.prepare("select count(*) from sqlite_master");
  // Compiled once: drizzle would build each of them anew for every transaction.
  const begin = client.prepare("BEGIN IMMEDIATE");
  const commit = client.prepare("COMMIT");
  const rollback = client.prepare("ROLLBACK");
  const mutex = createMutex();
  const observer = options.observer ?? noDatabaseObserver;
  // Time spent queued behind other work on the one connection: the cost of serialising.
  const lock = <T>(kind: WaitKind, fn: () => Promise<T>): Promise<T> => {
    const queued = performance.now();
    return mutex(() => {
      observer.waited(kind, secondsSince(queued));
      return fn();
    });
  };
  // Single-statement writes (engine events) share transactions: see group-commit.ts.
  const batched = groupCommit({
    lock: (fn) => lock("transaction", fn),
    begin: () => {
      identity?.refuseIfKnownGone();
      begin.run();
    },
    beforeCommit: () => identity?.check(),
    commit: () => commit.run(),
    rollback: () => rollback.run(),
    inTransaction: () => client.inTransaction,
  });
  return {
    name: "sqlite",
    schema,
    run: (fn) =>
      lock("statement", async () => {
        if (!identity) return fn(db);
        // Once the file is gone nothing is served from it: a write refused
        // below may already be in it, and no read may show it.
        identity.refuseIfKnownGone();
        // Reads are not worth a stat (it costs several times a read by key);
        // a statement that wrote (autocommit) is checked before it is acknowledged.
        const before = totalChanges.get();
        const out = await fn(db);
        if (totalChanges.get() !== before) identity.check();
        return out;
      }),
    pluck: <T>(build: (db: Db) => PluckableQuery) =>
      lock("statement", async () => {
        identity?.refuseIfKnownGone();
        const { sql, params } = build(db).toSQL();
        onQuery?.(sql, params);
        // Kept statements are shared by SQL text: whoever prepares this text next gets it in its usual mode.
        const statement = client.prepare(sql).pluck(true);
        try {
          return statement.all(...params) as T[];
        } finally {
          statement.pluck(false);
        }
      }),
    write: (fn) => batched(() => fn(db)),
    transaction: (fn) =>
      lock("transaction", async () => {
        identity?.refuseIfKnownGone();
        begin.run();
        try {
          const out = await fn(db);
          // A stat costs a few percent of a write transaction; a deleted file refuses the commit.
          identity?.check();
          commit.run();
          return out;
        } catch (e) {
          try {
            rollback.run();
          } catch (rollbackError) {
            // SQLite may already have rolled back (SQLITE_FULL, SQLITE_IOERR); the caller hears the cause.
            options.logger?.warn("rollback failed after a failed transaction", { error: describeCause(rollbackError), cause: describeCause(e) });
          }
          throw e;
        }
      }),
    lock: async () => undefined,
    isUniqueViolation: (e) => /^SQLITE_CONSTRAINT_(PRIMARYKEY|UNIQUE)$/.test(String(driverErrorCode(e))),
    // Synchronous and outside the mutex: a read joins an open transaction harmlessly, and never waits behind one.
    probe: async () => {
      identity?.check();
      probeQuery.get();
    },
    close: async () => {
      await mutex(async () => client.close());
    },
  };
}
