import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";

/**
 * The layout of an attempt's folder `<runRoot>/<project>/<domain>/<exec>/<node unique id>/<attempt>/`.
 * The task runs in it (its working directory, with `tmp/`); what the engine keeps about the
 * attempt lives in `.engine/` (owner-only), out of the task's way: a task, or a fast-register
 * tarball unpacked there, that writes `proc.json` or `abort.json` changes nothing the engine
 * reads. shim.cjs spells the same names (it cannot import this module).
 */
export const CONTROL_DIR = ".engine";
/** The shim's record of the task's process and exit (proc-record.ts). */
export const PROC_FILE = "proc.json";
/** Written by an abort: the engine ended this process, so its death is not a lost process. */
export const ABORT_FILE = "abort.json";
/** The command and environment handed to the shim (secrets included), deleted once read. */
export const LAUNCH_FILE = "launch.json";
/** The task's stdout and stderr, served at /engine/logs/…. */
export const LOG_FILE = "task.log";
/** Written once a raw container's outputs are uploaded, so a restart does not upload them again. */
export const UPLOADED_FILE = "outputs-uploaded";

/** `<attempt>/.engine/<name>` */
export function controlPath(dir: string, name: string): string {
  return join(dir, CONTROL_DIR, name);
}

const MAX_SEGMENT_BYTES = 255;

/** A name that is one folder or file below its parent: not empty, `.` or `..`, no separator or control character, at most 255 bytes. */
export function isPathSegment(s: string): boolean {
  return s !== "" && s !== "." && s !== ".." && Buffer.byteLength(s) <= MAX_SEGMENT_BYTES && !/[/\\\u0000-\u001f\u007f]/.test(s);
}

/** The attempt folder for `[project, domain, execution, node unique id, attempt]`, or undefined when one of them cannot name a folder. */
export function attemptFolder(runRoot: string, parts: readonly string[]): string | undefined {
  return parts.every(isPathSegment) ? join(runRoot, ...parts) : undefined;
}

const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;

/**
 * A small file's bytes, read only once fstat shows a regular file of at most `maxBytes` (a
 * record is never read whole before its size is known); undefined when it is absent, is a
 * symbolic link or something other than a file, or is larger.
 */
export async function readSmallFile(path: string, maxBytes: number): Promise<Buffer | undefined> {
  let fh;
  try {
    fh = await open(path, constants.O_RDONLY | NO_FOLLOW);
  } catch {
    return undefined;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.size > maxBytes) return undefined;
    // Read up to one byte more than allowed: a file that grew since the fstat is refused too.
    const buf = Buffer.alloc(maxBytes + 1);
    let n = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
      if (n > maxBytes) return undefined;
    }
    return buf.subarray(0, n);
  } catch {
    return undefined;
  } finally {
    await fh.close().catch(() => {});
  }
}
