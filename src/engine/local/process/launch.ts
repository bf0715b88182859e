import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, open, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { packageRoot } from "../../../paths.js";
import { CONTROL_DIR, LAUNCH_FILE, LOG_FILE, controlPath } from "./attempt-files.js";
import { processStartTime } from "./proc-record.js";

/**
 * shim.cjs: next to this module when the build copied it there, else in the package's
 * sources (dist/ is compiled from TypeScript only, and under tsx this module is in src/).
 */
export function findShim(): string {
  const sibling = join(dirname(fileURLToPath(import.meta.url)), "shim.cjs");
  if (existsSync(sibling)) return sibling;
  const source = join(packageRoot(), "src", "engine", "local", "process", "shim.cjs");
  if (existsSync(source)) return source;
  throw new Error(`the task process shim (shim.cjs) is neither at ${sibling} nor at ${source}`);
}

/**
 * Creates the attempt's folder (with `tmp/` and the engine's `.engine/` in it), never reusing
 * one: false when it already exists, which means an earlier launch of this attempt got this far.
 */
export async function createAttemptDir(dir: string): Promise<boolean> {
  await mkdir(dirname(dir), { recursive: true, mode: 0o700 });
  try {
    await mkdir(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw e;
  }
  await mkdir(join(dir, "tmp"), { mode: 0o700 });
  await mkdir(join(dir, CONTROL_DIR), { mode: 0o700 });
  return true;
}

/** What the shim is told in launch.json (see shim.cjs). */
export interface ShimLaunch {
  argv: readonly string[];
  env: Readonly<Record<string, string>>;
  /** From the first SIGTERM the shim passes on to the SIGKILL it sends the task's group. */
  graceMs: number;
  /** Run with the SIGKILL: ends what the task started outside its group (a container runtime's stop). */
  stopArgv?: readonly string[];
}

export interface Spawned {
  child: ChildProcess;
  shimPid: number;
  shimStart?: string;
}

/**
 * Starts the shim for the attempt in `dir` (absolute), detached (it survives the server), with
 * its output appended to `.engine/task.log`. The command and environment go through
 * `.engine/launch.json` (owner-only; the shim deletes it once read) so the shim itself runs with
 * an empty environment: NODE_OPTIONS and the like meant for the task cannot change the shim.
 * The launch file may hold secrets: when no shim is started it is deleted here.
 */
export async function spawnShim(shim: string, dir: string, launch: ShimLaunch): Promise<Spawned> {
  const launchPath = controlPath(dir, LAUNCH_FILE);
  try {
    await writeFile(launchPath, JSON.stringify(launch), { mode: 0o600, flag: "wx" });
    const child = await startDetached(shim, dir);
    return { child, shimPid: child.pid!, shimStart: processStartTime(child.pid!) };
  } catch (e) {
    // Never someone else's file: "wx" refused to write over one.
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") await rm(launchPath, { force: true }).catch(() => {});
    throw e;
  }
}

async function startDetached(shim: string, dir: string): Promise<ChildProcess> {
  const log = await open(controlPath(dir, LOG_FILE), "a", 0o600);
  let child: ChildProcess;
  let startError: Promise<Error>;
  try {
    child = spawn(process.execPath, [shim, dir], { cwd: dir, env: {}, detached: true, stdio: ["ignore", log.fd, log.fd] });
    // Listen at once: a failed start is reported on the next tick, and unheard it would crash the server.
    startError = new Promise<Error>((resolve) => child.once("error", resolve));
    child.on("error", () => {
      // Errors after a successful start (a failed kill) change nothing: the exit record decides.
    });
  } finally {
    await log.close();
  }
  if (child.pid === undefined) throw await startError;
  child.unref();
  return child;
}
