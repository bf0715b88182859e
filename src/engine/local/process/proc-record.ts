import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";

/** What the shim writes to `<attempt dir>/proc.json` (see shim.cjs). */
export interface ProcRecord {
  shimPid: number;
  /** The task's main process; absent when it could not be started. */
  pid?: number;
  pgid?: number;
  /** `/proc/<pid>/stat` field 22, so a reused pid is not taken for the task. */
  startTime?: string;
  startedAt?: string;
  /** Set once the task has ended (null when a signal ended it). */
  exitCode?: number | null;
  signal?: string | null;
  endedAt?: string;
  oomKilled?: boolean;
  /** Why the command could not be started. */
  error?: string;
}

export const PROC_FILE = "proc.json";
/** Written by `abort()`: the engine ended this process, so its death is not a lost process. */
export const ABORT_FILE = "abort.json";

export function hasExited(r: ProcRecord): boolean {
  return r.endedAt !== undefined;
}

/** The record, or undefined when there is none yet or it cannot be read (it is replaced by rename, never torn). */
export async function readProcRecord(dir: string): Promise<ProcRecord | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, PROC_FILE), "utf8");
  } catch {
    return undefined;
  }
  if (text.length > 64 * 1024) return undefined;
  try {
    const v = JSON.parse(text) as unknown;
    if (!v || typeof v !== "object" || typeof (v as ProcRecord).shimPid !== "number") return undefined;
    return v as ProcRecord;
  } catch {
    return undefined;
  }
}

/** Field 22 of /proc/<pid>/stat; undefined when the process is gone or there is no /proc (not Linux). */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) is in parentheses and may hold spaces or parentheses itself.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // A zombie has ended; only its parent has yet to collect it.
    if (rest[0] === "Z") return undefined;
    return rest[19];
  } catch {
    return undefined;
  }
}

const HAS_PROC = (() => {
  try {
    readFileSync("/proc/self/stat");
    return true;
  } catch {
    return false;
  }
})();

/**
 * Whether the process `pid` that started at `startTime` still runs. On Linux the start
 * time must match (pids are reused); elsewhere only the pid can be checked.
 */
export function isAlive(pid: number | undefined, startTime: string | undefined): boolean {
  if (pid === undefined || !Number.isInteger(pid) || pid <= 0) return false;
  if (HAS_PROC) {
    const now = processStartTime(pid);
    return now !== undefined && (startTime === undefined || now === startTime);
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Sends `signal` to the task's process group if its leader is still the recorded process; true if sent. */
export function signalGroup(r: ProcRecord, signal: NodeJS.Signals): boolean {
  if (r.pgid === undefined || !Number.isInteger(r.pgid) || r.pgid <= 1) return false;
  // Once the leader is gone its pgid may name someone else's group after pid reuse; the shim
  // kills the rest of the group when the leader ends, so nothing of ours is left to signal.
  if (!isAlive(r.pid, r.startTime)) return false;
  try {
    process.kill(-r.pgid, signal);
    return true;
  } catch {
    return false;
  }
}
