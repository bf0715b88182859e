import type { Logger } from "../logger.js";
import { databaseFailure } from "./database-errors.js";
import { DatabaseOpenError, describeCause } from "./database-open-error.js";

export interface WaitOptions {
  /** What is waited for, for the log and the final error: `PostgreSQL at db.example.com:5432`. */
  what: string;
  logger?: Logger;
  /** Stop retrying this long after the first attempt and fail with a DatabaseOpenError. */
  giveUpAfterMs: number;
  firstDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * Runs `attempt` until it succeeds. While the database is unreachable
 * (refused, reset, timed out, starting up: see databaseFailure) it logs what
 * it is waiting for and retries with exponential backoff, because a database
 * and the server are often started together (compose, Kubernetes) and the
 * database may take a while. Any other failure (wrong password, missing
 * database) will not go away by waiting and fails at once.
 */
export async function waitForDatabase<T>(attempt: () => Promise<T>, options: WaitOptions): Promise<T> {
  const started = Date.now();
  let delay = options.firstDelayMs ?? 250;
  const maxDelay = options.maxDelayMs ?? 5000;
  for (let tries = 1; ; tries++) {
    try {
      const out = await attempt();
      if (tries > 1) options.logger?.info("database reachable", { database: options.what, attempts: tries });
      return out;
    } catch (e) {
      const reason = describeCause(e);
      if (databaseFailure(e)?.kind !== "Unavailable") throw new DatabaseOpenError(`cannot open ${options.what}: ${reason}`, { cause: e });
      const elapsed = Date.now() - started;
      if (elapsed + delay > options.giveUpAfterMs) {
        throw new DatabaseOpenError(`cannot reach ${options.what} after ${tries} attempts in ${Math.round(elapsed / 1000)} s: ${reason}`, { cause: e });
      }
      options.logger?.warn(`waiting for ${options.what}`, { reason, attempt: tries, retryInMs: delay });
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, maxDelay);
    }
  }
}
