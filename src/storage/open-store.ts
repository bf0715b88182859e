import type { Logger } from "../logger.js";
import type { DatabaseObserver } from "./database-observer.js";
import type { PostgresOptions } from "./postgres.js";
import { createSqlStore } from "./sql-store.js";
import { openSqlite, type SqliteOptions } from "./sqlite.js";
import type { Store } from "./store.js";

export interface StoreOptions {
  observer?: DatabaseObserver;
  /** Hears start-up waits and database faults noticed outside a call. */
  logger?: Logger;
  /** PostgreSQL only: pool size and timeouts (see PostgresOptions). */
  postgres?: Omit<PostgresOptions, "observer" | "logger">;
  /** SQLite only: permissions of the database file and folders it creates. */
  sqlite?: Pick<SqliteOptions, "fileMode" | "dirMode">;
}

/**
 * Opens (and migrates) the configured database: a `postgres://` or
 * `postgresql://` URL selects PostgreSQL; anything else is a SQLite file path
 * (optionally written `sqlite:<path>`), `:memory:` for a throw-away database.
 * The PostgreSQL driver is imported only when used, so a SQLite server does
 * not load it (it costs start-up time and memory). A database that cannot be
 * opened fails with a DatabaseOpenError naming the path or host:port.
 */
export async function openStore(database: string, options: StoreOptions = {}): Promise<Store> {
  const { observer, logger } = options;
  if (/^postgres(ql)?:\/\//.test(database)) {
    const { openPostgres } = await import("./postgres.js");
    return createSqlStore(await openPostgres(database, { ...options.postgres, ...(observer ? { observer } : {}), ...(logger ? { logger } : {}) }));
  }
  return createSqlStore(openSqlite(database.replace(/^sqlite:(\/\/)?/, ""), { ...options.sqlite, ...(observer ? { observer } : {}), ...(logger ? { logger } : {}) }));
}
