import { isAlive } from "./proc-record.js";

/** A process this server did not start (or whose shim it lost), watched until it is gone. */
export interface Watched {
  shimPid?: number;
  shimStart?: string;
  pid?: number;
  startTime?: string;
  /** Called once, when neither the shim nor the task runs any more. */
  wake(): void;
}

export interface ExitWatcher {
  /** Starts or updates the watch of the attempt `key` (its attempt dir). */
  watch(key: string, w: Watched): void;
  unwatch(key: string): void;
  has(key: string): boolean;
  /** Stops the timer and forgets every watch (the processes keep running). */
  close(): void;
}

/**
 * After a restart the server holds no child handles, so it cannot hear a task end: one
 * timer for all such attempts checks every `intervalMs` whether the shim (which writes the
 * exit record and then ends) and the task are gone, and then asks for a round. The timer
 * is unref'd and runs only while something is watched.
 */
export function createExitWatcher(intervalMs: number, alive: typeof isAlive = isAlive): ExitWatcher {
  const watched = new Map<string, Watched>();
  let timer: NodeJS.Timeout | undefined;

  const tick = () => {
    for (const [key, w] of [...watched]) {
      if (alive(w.shimPid, w.shimStart) || alive(w.pid, w.startTime)) continue;
      watched.delete(key);
      try {
        w.wake();
      } catch {
        // A wake-up that fails is retried by the engine's own schedule.
      }
    }
    if (watched.size === 0) stop();
  };
  const stop = () => {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  };

  return {
    watch(key, w) {
      watched.set(key, w);
      if (timer === undefined) {
        timer = setInterval(tick, intervalMs);
        timer.unref();
      }
    },
    unwatch(key) {
      watched.delete(key);
      if (watched.size === 0) stop();
    },
    has: (key) => watched.has(key),
    close() {
      watched.clear();
      stop();
    },
  };
}
