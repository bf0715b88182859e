/**
 * Driver errors that are not bugs: the database is unreachable, the
 * connection broke, a statement timed out, or the disk is full. Each gets a
 * short message of our own, because driver messages may quote SQL, values
 * or (for a failed connect) the host and user, and clients should see none
 * of that. Everything else is left to the caller (an INTERNAL fault).
 */
export interface DatabaseFailure {
  /**
   * Unavailable: retrying later may well succeed (clients and load balancers retry it).
   * ResourceExhausted: the disk is full; retrying will not help until an operator frees space.
   */
  kind: "Unavailable" | "ResourceExhausted";
  message: string;
}

// Socket-level failures to reach or keep a connection (Node's errno codes).
const SOCKET_CODES: Record<string, string> = {
  ECONNREFUSED: "the database refused the connection",
  ECONNRESET: "the database connection was reset",
  EPIPE: "the database connection was reset",
  ETIMEDOUT: "connecting to the database timed out",
  EHOSTUNREACH: "the database host is unreachable",
  ENETUNREACH: "the database host is unreachable",
  ENOTFOUND: "the database host name does not resolve",
  EAI_AGAIN: "the database host name does not resolve",
};

// PostgreSQL SQLSTATEs (Appendix A of its manual).
const SQLSTATES: Record<string, string> = {
  "57P01": "the database is shutting down", // admin_shutdown (also pg_terminate_backend)
  "57P02": "the database crashed", // crash_shutdown
  "57P03": "the database is starting up", // cannot_connect_now
  "57014": "a database statement timed out", // query_canceled: statement_timeout
  "25P03": "a database transaction stayed idle too long", // idle_in_transaction_session_timeout
  "53300": "the database has too many connections", // too_many_connections
};

// pg and pg-pool raise these as plain Errors without a code.
const PG_MESSAGES: [RegExp, string][] = [
  [/^Connection terminated due to connection timeout/, "connecting to the database timed out"],
  [/^Connection terminated/, "the database connection was lost"],
  [/^timeout expired$/, "connecting to the database timed out"],
  [/^Query read timeout$/, "the database did not answer in time"],
  [/^timeout exceeded when trying to connect$/, "no database connection became free in time"],
  [/is not queryable$/, "the database connection was lost"],
  [/^Cannot use a pool after calling end on the pool$/, "the database is closed"],
];

/** Classifies e (or the driver error it wraps); undefined when it is none of the above. */
export function databaseFailure(e: unknown): DatabaseFailure | undefined {
  for (const err of causes(e)) {
    const code = typeof err.code === "string" ? err.code : "";
    const unavailable = (what: string): DatabaseFailure => ({ kind: "Unavailable", message: `database unavailable: ${what}${code ? ` (${code})` : ""}` });
    if (SOCKET_CODES[code]) return unavailable(SOCKET_CODES[code]);
    if (SQLSTATES[code]) return unavailable(SQLSTATES[code]);
    if (/^08[0-9A-Z]{3}$/.test(code)) return unavailable("the database connection failed");
    // SQLITE_BUSY: another process (a backup, a migration) held the lock past busy_timeout.
    if (code.startsWith("SQLITE_BUSY")) return unavailable("the database is locked by another process");
    if (code === "SQLITE_FULL" || code === "53100") return { kind: "ResourceExhausted", message: `database or disk is full (${code})` };
    if (typeof err.message === "string") {
      for (const [pattern, what] of PG_MESSAGES) if (pattern.test(err.message)) return unavailable(what);
    }
  }
  return undefined;
}

/** e, then what it wraps (drizzle keeps the driver error as `cause`; a failed multi-address connect is an AggregateError). */
function* causes(e: unknown): Generator<{ code?: unknown; message?: unknown }> {
  const seen = new Set<unknown>();
  const queue = [e];
  while (queue.length > 0 && seen.size < 8) {
    const err = queue.shift();
    if (!err || typeof err !== "object" || seen.has(err)) continue;
    seen.add(err);
    yield err as { code?: unknown; message?: unknown };
    queue.push((err as { cause?: unknown }).cause);
    const inner = (err as { errors?: unknown }).errors;
    if (Array.isArray(inner)) queue.push(...inner);
  }
}
