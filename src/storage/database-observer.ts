/** Connection pool numbers, as pg.Pool counts them. */
export interface PoolStats {
  /** Connections open, idle or in use. */
  total: number;
  idle: number;
  /** Queries and transactions queued for a free connection. */
  waiting: number;
}

/**
 * What the storage layer reports about waiting for the database, without
 * knowing who listens (the metrics registry in a server, nothing in tests).
 */
export interface DatabaseObserver {
  /**
   * Seconds a unit of work waited before it could start: on SQLite for the
   * connection mutex (`transaction`, `statement`); on PostgreSQL for a pooled
   * connection and BEGIN (`transaction`) or an advisory lock (`advisory_lock`).
   */
  waited(kind: WaitKind, seconds: number): void;
  /** Registers where the pool numbers are read from, at scrape time. */
  pool(stats: () => PoolStats): void;
}

export type WaitKind = "transaction" | "statement" | "advisory_lock";

export const noDatabaseObserver: DatabaseObserver = {
  waited: () => undefined,
  pool: () => undefined,
};


/** Seconds since a `performance.now()` reading. */
export const secondsSince = (start: number) => (performance.now() - start) / 1000;
