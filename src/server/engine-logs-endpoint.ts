import { constants } from "node:fs";
import { type FileHandle, lstat, open } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { CONTROL_DIR, LOG_FILE, isPathSegment } from "../engine/local/process/attempt-files.js";
import type { Req, Res } from "./http-types.js";

export const ENGINE_LOGS_PATH = "/engine/logs/";

export interface EngineLogsEndpointOptions {
  /** The local engine's run root: attempts live in `<runRoot>/<p>/<d>/<exec>/<unique id>/<attempt>/`. */
  runRoot: string;
}

const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;

/**
 * Serves a task attempt's log (`.engine/task.log` in its attempt folder) at
 * `GET|HEAD /engine/logs/<project>/<domain>/<execution>/<node unique id>/<attempt>`, the
 * link the local engine puts in task events. `Range: bytes=N-` lets a viewer tail a log
 * that is still growing. Only folders under the run root are read, never through a
 * symbolic link. Returns false for other paths.
 */
export function createEngineLogsEndpoint({ runRoot }: EngineLogsEndpointOptions) {
  return async function handle(req: Req, res: Res): Promise<boolean> {
    const url = req.url ?? "/";
    if (!url.startsWith(ENGINE_LOGS_PATH)) return false;
    const method = req.method ?? "GET";
    req.resume();
    if (method !== "GET" && method !== "HEAD") {
      res.setHeader("allow", "GET, HEAD");
      return reply(res, 405, "only GET and HEAD are allowed here");
    }
    const segments = parseSegments(url.slice(ENGINE_LOGS_PATH.length).split("?")[0]!);
    if (typeof segments === "string") return reply(res, 400, segments);

    let fh: FileHandle | undefined;
    try {
      fh = await openLog(runRoot, segments);
      if (!fh) return reply(res, 404, "no log for this task attempt");
      const { size } = await fh.stat();
      const range = parseRange(req.headers["range"], size);
      res.setHeader("content-type", "text/plain; charset=utf-8");
      res.setHeader("x-content-type-options", "nosniff");
      res.setHeader("cache-control", "no-store");
      res.setHeader("accept-ranges", "bytes");
      if (range === "unsatisfiable") {
        res.setHeader("content-range", `bytes */${size}`);
        return reply(res, 416, `the log has ${size} bytes`);
      }
      const [start, end] = range ?? [0, size - 1];
      const length = Math.max(0, end - start + 1);
      res.statusCode = range ? 206 : 200;
      if (range) res.setHeader("content-range", `bytes ${start}-${end}/${size}`);
      res.setHeader("content-length", length);
      if (method === "HEAD" || length === 0) {
        res.end();
        return true;
      }
      // Exactly the bytes counted above, even while the task appends more.
      const stream = fh.createReadStream({ start, end, autoClose: false });
      await pipeline(stream, res).catch(() => {
        // The viewer went away; the answer is cut short either way.
      });
      return true;
    } catch {
      if (!res.headersSent) return reply(res, 500, "the log could not be read");
      res.destroy();
      return true;
    } finally {
      await fh?.close().catch(() => {});
    }
  };
}

/** The five decoded path segments, or why they are refused. */
function parseSegments(path: string): string[] | string {
  const raw = path.split("/");
  if (raw.length !== 5) return "expected /engine/logs/<project>/<domain>/<execution>/<node id>/<attempt>";
  const out: string[] = [];
  for (const r of raw) {
    let s: string;
    try {
      s = decodeURIComponent(r);
    } catch {
      return "malformed percent-encoding in the path";
    }
    if (!isPathSegment(s)) return "invalid path segment";
    out.push(s);
  }
  if (!/^\d{1,9}$/.test(out[4]!)) return "the attempt must be a number";
  return out;
}

/** Opens `<runRoot>/<segments…>/.engine/task.log`, refusing symbolic links at every level below the run root; undefined when absent. */
async function openLog(runRoot: string, segments: string[]): Promise<FileHandle | undefined> {
  let dir = runRoot;
  for (const s of [...segments, CONTROL_DIR]) {
    dir = join(dir, s);
    const st = await lstat(dir).catch(() => undefined);
    if (!st?.isDirectory()) return undefined;
  }
  let fh: FileHandle;
  try {
    fh = await open(join(dir, LOG_FILE), constants.O_RDONLY | NO_FOLLOW);
  } catch {
    return undefined;
  }
  if (!(await fh.stat()).isFile()) {
    await fh.close();
    return undefined;
  }
  return fh;
}

/**
 * A single byte range (`bytes=N-`, `bytes=N-M`, `bytes=-S`) clamped to the file, undefined
 * for no or an unusable Range header (the whole log is served, as RFC 9110 allows), or
 * "unsatisfiable" when it starts past the end.
 */
export function parseRange(header: string | string[] | undefined, size: number): [number, number] | "unsatisfiable" | undefined {
  if (typeof header !== "string") return undefined;
  const m = /^\s*bytes\s*=\s*(\d{0,15})\s*-\s*(\d{0,15})\s*$/i.exec(header);
  if (!m || (m[1] === "" && m[2] === "")) return undefined;
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0) return "unsatisfiable";
    return size === 0 ? "unsatisfiable" : [Math.max(0, size - suffix), size - 1];
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== "" && Number(m[2]) < start) return undefined;
  if (start >= size) return "unsatisfiable";
  return [start, end];
}

function reply(res: Res, status: number, message: string): true {
  res.statusCode = status;
  res.setHeader("content-type", "text/plain; charset=utf-8");
  res.end(`${message}\n`);
  return true;
}
