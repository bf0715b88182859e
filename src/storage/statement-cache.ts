import type { Database, Statement } from "better-sqlite3";

/**
 * Keeps a connection's compiled statements by SQL text. drizzle prepares
 * every query it runs anew, and compiling the SQL was the largest single cost
 * of an event or a read; the store's queries come in a few hundred shapes
 * (values are always bound parameters), so almost every prepare becomes a
 * lookup. At most `max` statements are kept, least recently used dropped.
 */
export function cacheStatements(client: Database, max = 1000): void {
  const prepare = client.prepare.bind(client);
  const cache = new Map<string, Statement>();
  client.prepare = ((source: string) => {
    let statement = cache.get(source);
    if (statement) {
      cache.delete(source);
      cache.set(source, statement);
      // drizzle switches reads to raw (array) rows for some calls and not for
      // others; a reused statement must start from the default each time.
      if (statement.reader) statement.raw(false);
      return statement;
    }
    statement = prepare(source);
    cache.set(source, statement);
    if (cache.size > max) cache.delete(cache.keys().next().value!);
    return statement;
  }) as Database["prepare"];
}
