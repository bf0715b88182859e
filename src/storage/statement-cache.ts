import type { Database, Statement } from "better-sqlite3";

/** What a connection's statement cache may hold. */
export interface StatementCacheLimits {
  /** Most statements kept. */
  readonly maxStatements: number;
  /** Most native memory kept, as estimated by statementCost. */
  readonly maxBytes: number;
  /** Statements binding more parameters are compiled for each use and never kept. */
  readonly maxParameters: number;
  /** Statements with longer SQL are compiled for each use and never kept. */
  readonly maxSqlLength: number;
}

/**
 * The store's own queries have a few hundred shapes, of a few kilobytes of
 * SQL and a handful of parameters each; a filter listing many values
 * (`value_in(name,a;b;...)`) is a shape of its own per count, each costly
 * (a 30,000-value list compiles to ~5 MB) and unlikely to recur, so such
 * statements are not kept at all and the rest are bounded by count and by size.
 */
export const STATEMENT_CACHE_LIMITS: StatementCacheLimits = {
  maxStatements: 1000,
  maxBytes: 64 * 1024 * 1024,
  maxParameters: 64,
  maxSqlLength: 16 * 1024,
};

/**
 * Estimated native memory of a compiled SQLite statement, in bytes. Measured
 * with better-sqlite3 12: a 160-character select with five parameters takes
 * about 7 KB, a 3,000-character one binding 1,000 values about 180 KB; the
 * program grows with the SQL text, and each parameter adds its own slots.
 */
export function statementCost(sql: string): number {
  return 1024 + 40 * sql.length + 64 * parameterCount(sql);
}

/** drizzle binds every value as `?`, and splices no client text into SQL. */
function parameterCount(sql: string): number {
  let n = 0;
  for (let i = sql.indexOf("?"); i >= 0; i = sql.indexOf("?", i + 1)) n++;
  return n;
}

export interface StatementCache<T> {
  /** The kept value for this SQL (now the most recently used), or undefined. */
  get(sql: string): T | undefined;
  /** Keeps the value unless its statement is too large to keep; says whether it was kept. */
  set(sql: string, value: T): boolean;
  readonly size: number;
  /** Estimated bytes of everything kept. */
  readonly bytes: number;
}

/** Least-recently-used by SQL text, bounded by count and estimated size. */
export function createStatementCache<T>(limits: StatementCacheLimits = STATEMENT_CACHE_LIMITS): StatementCache<T> {
  const entries = new Map<string, { value: T; cost: number }>();
  let bytes = 0;
  const evict = (sql: string) => {
    bytes -= entries.get(sql)?.cost ?? 0;
    entries.delete(sql);
  };
  return {
    get(sql) {
      const entry = entries.get(sql);
      if (!entry) return undefined;
      entries.delete(sql);
      entries.set(sql, entry);
      return entry.value;
    },
    set(sql, value) {
      if (sql.length > limits.maxSqlLength || parameterCount(sql) > limits.maxParameters) return false;
      const cost = statementCost(sql);
      if (cost > limits.maxBytes) return false;
      evict(sql);
      entries.set(sql, { value, cost });
      bytes += cost;
      while (entries.size > limits.maxStatements || bytes > limits.maxBytes) evict(entries.keys().next().value!);
      return true;
    },
    get size() {
      return entries.size;
    },
    get bytes() {
      return bytes;
    },
  };
}

/**
 * Keeps a connection's compiled statements by SQL text. drizzle prepares
 * every query it runs anew, and compiling the SQL was the largest single cost
 * of an event or a read; the store's queries come in a few hundred shapes
 * (values are always bound parameters), so almost every prepare becomes a
 * lookup. Statements not kept are compiled per use and freed with their object.
 */
export function cacheStatements(client: Database, limits: StatementCacheLimits = STATEMENT_CACHE_LIMITS): StatementCache<Statement> {
  const prepare = client.prepare.bind(client);
  const cache = createStatementCache<Statement>(limits);
  client.prepare = ((source: string) => {
    let statement = cache.get(source);
    if (statement) {
      // drizzle switches reads to raw (array) rows for some calls and not for
      // others; a reused statement must start from the default each time.
      if (statement.reader) statement.raw(false);
      return statement;
    }
    statement = prepare(source);
    cache.set(source, statement);
    return statement;
  }) as Database["prepare"];
  return cache;
}
