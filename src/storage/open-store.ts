import type { DatabaseObserver } from "./database-observer.js";
import { createSqlStore } from "./sql-store.js";
import { openSqlite } from "./sqlite.js";
import type { Store } from "./store.js";

/**
 * Opens (and migrates) the configured database: a `postgres://` or
 * `postgresql://` URL selects PostgreSQL; anything else is a SQLite file path
 * (optionally written `sqlite:<path>`), `:memory:` for a throw-away database.
 * The PostgreSQL driver is imported only when used, so a SQLite server does
 * not load it (it costs start-up time and memory).
 */
export async function openStore(database: string, options: { observer?: DatabaseObserver } = {}): Promise<Store> {
  if (/^postgres(ql)?:\/\//.test(database)) {
    const { openPostgres } = await import("./postgres.js");
    return createSqlStore(await openPostgres(database, options));
  }
  return createSqlStore(openSqlite(database.replace(/^sqlite:(\/\/)?/, ""), options));
}
