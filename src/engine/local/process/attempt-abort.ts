import { writeFile } from "node:fs/promises";
import type { Logger } from "../../../logger.js";
import { ABORT_FILE, controlPath } from "./attempt-files.js";
import { type ContainerRef, stopContainer } from "./container-runner.js";
import { hasExited, isAlive, readProcRecord, signalGroup } from "./proc-record.js";

/** What is known of the attempt to end: its folder, and what the state or this server remembers. */
export interface AbortTarget {
  dir: string;
  /** The shim started for it (the record's own pid, once written, wins). */
  shim?: { shimPid: number; shimStart?: string | undefined } | undefined;
  container?: ContainerRef | undefined;
}

export interface AbortOptions {
  gracePeriodMs: number;
  /** The container runtime client's settings, for its `stop`. */
  clientEnv: Readonly<Record<string, string>>;
  logger: Logger;
}

/**
 * Ends an attempt's processes (engine-spec §8.5): records that the engine asked (`abort.json`, so
 * the death is not a lost process), stops its container, and sends SIGTERM to the shim, which
 * passes it on to the task's group and sends the SIGKILL after the grace period itself, so the
 * kill outlives a server restart and a repeated abort never puts it off. A shim that has not
 * started the task yet starts nothing. Only when the shim is gone does the server kill the
 * recorded group itself, at once: nobody else would.
 */
export async function abortAttempt(t: AbortTarget, o: AbortOptions): Promise<void> {
  await writeFile(controlPath(t.dir, ABORT_FILE), JSON.stringify({ requestedAt: new Date().toISOString() }), { mode: 0o600 }).catch(() => {});
  const rec = await readProcRecord(t.dir);
  if (rec && hasExited(rec)) return;
  // Ending the runtime's client leaves its container running: stop the container itself.
  if (t.container) stopContainer(t.container, o.gracePeriodMs, o.clientEnv, o.logger);
  const shimPid = rec?.shimPid ?? t.shim?.shimPid;
  const shimStart = rec?.shimStart ?? (shimPid === t.shim?.shimPid ? t.shim?.shimStart : undefined);
  if (shimPid !== undefined && isAlive(shimPid, shimStart)) {
    try {
      process.kill(shimPid, "SIGTERM");
    } catch {
      // Ended meanwhile: its record says how.
    }
    return;
  }
  if (rec) signalGroup(rec, "SIGKILL");
}
