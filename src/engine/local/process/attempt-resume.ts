import { rm, stat } from "node:fs/promises";
import { LAUNCH_FILE, controlPath } from "./attempt-files.js";
import type { ContainerRef } from "./container-runner.js";
import type { AttemptJob, ProcState } from "./monitor.js";
import { readProcRecord } from "./proc-record.js";

/** How long a launch file may wait for its shim to read it before the launch counts as crashed. */
export const LAUNCH_GRACE_MS = 10_000;

/** Adopt the attempt with this state; wait (the shim is about to start); or the attempt is lost. */
export type Resumed = { state: ProcState } | { pending: true } | { lost: string };

/**
 * What to make of an attempt folder that already exists when a round has no state for it: the
 * round that launched the attempt lost its result (a refused event, a lost status write) and
 * is being replayed, or a server stopped during the launch. A launch that got anywhere is
 * adopted and followed, never killed: from this server's memory of it (`job`), else from the
 * shim's record, which the shim writes as soon as it runs and so proves a start. Without
 * either, a fresh launch file means the shim is about to run; anything else is a launch that
 * stopped before it started anything.
 */
export async function resumeAttempt(dir: string, job: AttemptJob | undefined, container: ContainerRef | undefined, now = Date.now()): Promise<Resumed> {
  const base: ProcState = { v: 1, dir, ...(container ? { container } : {}) };
  if (job) return { state: { ...base, ...job.spawned } };
  const rec = await readProcRecord(dir);
  if (rec) return { state: { ...base, shimPid: rec.shimPid, ...(rec.shimStart !== undefined ? { shimStart: rec.shimStart } : {}) } };
  const launchFile = controlPath(dir, LAUNCH_FILE);
  const st = await stat(launchFile).catch(() => undefined);
  if (st && now - st.mtimeMs < LAUNCH_GRACE_MS) return { pending: true };
  // It may hold secrets, and no shim will read it now.
  await rm(launchFile, { force: true }).catch(() => {});
  return { lost: `the attempt folder ${dir} exists but no task process was started in it: the launch of this attempt stopped before that` };
}
