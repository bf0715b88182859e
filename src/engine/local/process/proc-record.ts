import { readFileSync } from "node:fs";
import { PROC_FILE, controlPath, readSmallFile } from "./attempt-files.js";

/** What the shim writes to `<attempt dir>/.engine/proc.json` (see shim.cjs). */
export interface ProcRecord {
  shimPid: number;
  /** The shim's `/proc/<pid>/stat` field 22 (absent where there is no /proc). */
  shimStart?: string;
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
  /** The shim could not start the command for reasons of its own (unusable launch.json, failed spawn). */
  launchFault?: boolean;
}

const MAX_RECORD_BYTES = 64 * 1024;

export function hasExited(r: ProcRecord): boolean {
  return r.endedAt !== undefined;
}

/** The record, or undefined when there is none yet or it cannot be read (it is replaced by rename, never torn). */
export async function readProcRecord(dir: string): Promise<ProcRecord | undefined> {
  const bytes = await readSmallFile(controlPath(dir, PROC_FILE), MAX_RECORD_BYTES);
  if (!bytes) return undefined;
  try {
    const v = JSON.parse(bytes.toString("utf8")) as unknown;
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
