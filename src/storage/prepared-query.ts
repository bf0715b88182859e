import { sql } from "drizzle-orm";
import type { Db, Dialect } from "./dialect.js";

/**
 * Stand-ins for a key's values in a prepared query: `keyOf(placeholders("project", ...))`
 * builds the same condition as `keyOf(id)`, with each value supplied at execution.
 */
export const placeholders = <K extends string>(...names: K[]): Record<K, string> =>
  Object.fromEntries(names.map((n) => [n, sql.placeholder(n)])) as unknown as Record<K, string>;

/** What drizzle's prepared queries have in common on both dialects. */
interface Prepared<R> {
  execute(values: Record<string, unknown>): PromiseLike<R>;
}

/**
 * A query built once, with `sql.placeholder(...)` where its values go, and
 * run many times. drizzle renders a query's SQL afresh every time one is
 * built, which was most of the cost of a read by key; the hot reads (a task
 * for GetTask, an execution, node or task execution for every event) keep
 * theirs. `name` names the PostgreSQL prepared statement, so it must be unique
 * per query; SQLite ignores it.
 *
 * A read by a unique key is built without `.limit(1)`: drizzle binds a LIMIT
 * as a parameter, and SQLite (3.53) compiles such a statement again at every
 * run, since its planner reads the bound value. That made a read by key two to
 * three times as costly (better-sqlite3, CPU per read: 3.5 µs against 7.3 µs
 * for a two-column key, 20 µs against 73 µs for an event's three-table join).
 */
export function preparedQuery<R>(d: Dialect, name: string, build: (db: Db) => { prepare(): unknown }): (values: Record<string, unknown>) => Promise<R> {
  let prepared: Prepared<R> | undefined;
  return (values) =>
    d.run(async (db) => {
      // run() hands over the same database object every time, so one build serves every call.
      if (!prepared) {
        const query = build(db);
        prepared = (query.prepare as (name: string) => Prepared<R>).call(query, name);
      }
      return prepared.execute(values);
    });
}
