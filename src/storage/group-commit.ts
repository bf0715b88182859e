/** What a group commit needs from its connection; every call is synchronous (better-sqlite3). */
export interface GroupCommitConnection {
  /** Runs `fn` holding the connection: nothing else runs on it until fn settles. */
  lock<T>(fn: () => Promise<T>): Promise<T>;
  begin(): void;
  /** Called last before COMMIT; a throw rolls the batch back (the database file is gone). */
  beforeCommit(): void;
  commit(): void;
  rollback(): void;
  /** False once SQLite rolled the transaction back by itself (SQLITE_FULL, SQLITE_IOERR). */
  inTransaction(): boolean;
}

interface Pending {
  run(): Promise<unknown>;
  resolve(value: unknown): void;
  reject(reason: unknown): void;
}

/** Most writes one transaction takes; more wait for the next (a bound on how long the connection is held). */
export const MAX_BATCH = 128;

/**
 * Single-statement writes, each committed together with the others queued
 * while the connection was busy: one BEGIN and COMMIT (one WAL append of the
 * pages they share, one check of the database file) for all of them instead
 * of one per write. A commit in WAL mode without fsync (synchronous=NORMAL)
 * is CPU spent per transaction, and engines report events many at a time.
 *
 * Each write keeps its own outcome: a statement that fails (a constraint)
 * is undone alone by SQLite and only its caller hears the error; nothing is
 * acknowledged before the COMMIT that holds it, and when the transaction is
 * lost (COMMIT fails, SQLite rolled it back, the database file is gone) every
 * write of that batch that was not already refused fails with that error.
 * Writes run in the order they were queued, each seeing the ones before it,
 * so compare-and-set updates stay correct within a batch.
 */
export function groupCommit(connection: GroupCommitConnection, maxBatch = MAX_BATCH) {
  let queue: Pending[] = [];
  let scheduled = false;

  const schedule = () => {
    scheduled = true;
    // The lock's own failures cannot happen here: flush settles every write it takes.
    void connection.lock(flush);
  };

  const flush = async () => {
    const batch = queue.length <= maxBatch ? queue : queue.slice(0, maxBatch);
    queue = queue.length <= maxBatch ? [] : queue.slice(maxBatch);
    scheduled = false;
    // Writes queued from now on go to the next transaction.
    if (queue.length > 0) schedule();
    try {
      connection.begin();
    } catch (e) {
      for (const w of batch) w.reject(e);
      return;
    }
    const done: { w: Pending; value: unknown }[] = [];
    // Boxed: whatever was thrown, even undefined, is what the batch's writes hear.
    let lost: { error: unknown } | undefined;
    for (const w of batch) {
      if (lost) {
        w.reject(lost.error);
        continue;
      }
      try {
        done.push({ w, value: await w.run() });
      } catch (e) {
        w.reject(e);
        // A constraint undoes the statement alone; other errors may have ended the transaction.
        if (!connection.inTransaction()) lost = { error: e };
      }
    }
    if (!lost) {
      try {
        connection.beforeCommit();
        connection.commit();
      } catch (e) {
        lost = { error: e };
        if (connection.inTransaction()) {
          try {
            connection.rollback();
          } catch {
            // The caller hears the cause; a ROLLBACK SQLite already did itself fails harmlessly.
          }
        }
      }
    }
    for (const { w, value } of done) {
      if (lost) w.reject(lost.error);
      else w.resolve(value);
    }
  };

  return function write<T>(run: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      queue.push({ run, resolve: resolve as (v: unknown) => void, reject });
      if (!scheduled) schedule();
    });
  };
}
