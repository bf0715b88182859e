import { sql } from "drizzle-orm";
import type { Db, Dialect } from "./dialect.js";

interface Prepared<R> {
  execute(values: Record<string, unknown>): PromiseLike<R>;
}

/** A drizzle insert or update, before it runs. */
type Write<R> = PromiseLike<R> & { prepare(): unknown };

/**
 * A write run inside a transaction, its SQL rendered once per shape on SQLite.
 * drizzle renders a statement's SQL every time one is built, which was most of
 * the cost of an event's insert or update. `build` gets each value, or where
 * it goes (`sql.placeholder`); a value that is undefined or null is left out,
 * so its column keeps its value (update) or takes its default (insert: null
 * for every nullable column written this way), and which values are present
 * is the statement's shape: one prepared statement per shape, a handful per
 * write. On PostgreSQL a transaction runs on a client of its own, which a
 * statement prepared once cannot follow, so there the query is built with the
 * values each time, as it always was.
 */
export function preparedWrite<R>(d: Dialect, build: (db: Db, v: Record<string, any>) => Write<R>): (tx: Db, values: Record<string, unknown>) => Promise<R> {
  const byDb = new WeakMap<Db, Map<string, Prepared<R>>>();
  return async (tx, values) => {
    if (d.name !== "sqlite") return build(tx, values);
    const present = Object.keys(values).filter((k) => values[k] !== undefined && values[k] !== null);
    const shape = present.join("\u0000");
    let shapes = byDb.get(tx);
    if (!shapes) byDb.set(tx, (shapes = new Map()));
    let prepared = shapes.get(shape);
    if (!prepared) {
      prepared = build(tx, Object.fromEntries(present.map((k) => [k, sql.placeholder(k)]))).prepare() as Prepared<R>;
      shapes.set(shape, prepared);
    }
    return prepared.execute(Object.fromEntries(present.map((k) => [k, values[k]])));
  };
}

/**
 * One write statement whose rows say whether it applied: inside a transaction
 * of its own when other work must commit with it (`beforeCommit`, e.g. a blob
 * the row points at), otherwise through `Dialect.write`, which commits it as
 * atomically and saves a BEGIN and COMMIT per write (on SQLite it shares them
 * with the writes queued meanwhile; on PostgreSQL it saves two round trips).
 */
export async function writeOne(d: Dialect, write: (db: Db) => Promise<readonly unknown[]>, beforeCommit?: () => Promise<void>): Promise<boolean> {
  if (!beforeCommit) return (await d.write(write)).length > 0;
  return d.transaction(async (tx) => {
    if ((await write(tx)).length === 0) return false;
    await beforeCommit();
    return true;
  });
}
