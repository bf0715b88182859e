import { createHash } from "node:crypto";
import { constants } from "node:fs";
import { open, stat } from "node:fs/promises";
import { promisify } from "node:util";
import * as zlib from "node:zlib";
import type { ContentCoding } from "./accept-encoding.js";

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;

/**
 * Brotli quality 6 and gzip level 6: measured on a 625 kB JavaScript bundle, brotli 6 takes
 * ~50 ms for 103 kB where quality 11 takes ~5 s for 90 kB, too slow for the first visitor
 * of a file; gzip 6 (~85 ms, 111 kB) is the usual default.
 */
const BROTLI_QUALITY = 6;
const GZIP_LEVEL = 6;
/** Below this a compressed body saves less than its headers cost. */
const MIN_COMPRESS_BYTES = 1024;

/** One file's bytes as served: the identity body, its strong validator, and compressed forms made on first use. */
export interface StaticBody {
  body: Buffer;
  /** A strong ETag of the identity body; a coded form appends `-br` / `-gz`. */
  etag: string;
  /** Whether compressing can pay off (text-like type, large enough). */
  compressible: boolean;
  /** The body in a coding, or undefined when it would not come out smaller. */
  coded(coding: ContentCoding): Promise<Buffer | undefined>;
}

/** The suffix a coded representation's ETag carries. */
export const CODING_TAG: Record<ContentCoding, string> = { br: "-br", gzip: "-gz" };

/** Wraps bytes as a served body; `onGrow` learns of compressed bytes added later (for cache accounting). */
export function staticBody(body: Buffer, compressible: boolean, onGrow: (bytes: number) => void = () => {}): StaticBody {
  const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`;
  const forms = new Map<ContentCoding, Promise<Buffer | undefined>>();
  const worth = compressible && body.length >= MIN_COMPRESS_BYTES;
  return {
    body,
    etag,
    compressible: worth,
    coded(coding) {
      if (!worth) return Promise.resolve(undefined);
      let form = forms.get(coding);
      if (!form) {
        const made =
          coding === "br"
            ? brotli(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length } })
            : gzip(body, { level: GZIP_LEVEL });
        form = made.then(
          (out) => {
            // Not worth a Content-Encoding when it saves under 5 %.
            if (out.length > body.length * 0.95) return undefined;
            onGrow(out.length);
            return out;
          },
          () => undefined,
        );
        forms.set(coding, form);
      }
      return form;
    },
  };
}

export interface StaticFileCacheOptions {
  /** Files larger than this are not served (and never read into memory). */
  maxFileBytes: number;
  /** Bytes kept in memory over all files, compressed forms included; least recently used go first. */
  maxTotalBytes: number;
  /** Whether a file name's type is worth compressing. */
  compressible: (path: string) => boolean;
}

interface Entry {
  file: StaticBody;
  mtimeMs: number;
  size: number;
  ino: number;
  bytes: number;
}

export type CachedFile = StaticBody | "too-large" | undefined;

/**
 * Files read once and kept in memory with their compressed forms, so a page load costs a
 * stat per file rather than a read and a compression. A file is re-read when its size,
 * modification time or inode changes (a rebuild while the server runs).
 */
export function createStaticFileCache(options: StaticFileCacheOptions) {
  const entries = new Map<string, Entry>();
  let total = 0;

  const drop = (path: string) => {
    const e = entries.get(path);
    if (!e) return;
    total -= e.bytes;
    entries.delete(path);
  };
  const grow = (path: string, entry: Entry, bytes: number) => {
    // A form finished after its entry was replaced or evicted is not counted.
    if (entries.get(path) !== entry) return;
    entry.bytes += bytes;
    total += bytes;
    evict();
  };
  const evict = () => {
    for (const [path] of entries) {
      if (total <= options.maxTotalBytes) break;
      drop(path);
    }
  };

  return {
    /**
     * The file at `path` (a real path, already checked to lie inside the served folder):
     * undefined when it is not a regular file, "too-large" over the size limit.
     */
    async get(path: string): Promise<CachedFile> {
      const st = await stat(path).catch(() => undefined);
      if (!st?.isFile()) return undefined;
      if (st.size > options.maxFileBytes) return "too-large";
      const hit = entries.get(path);
      if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size && hit.ino === st.ino) {
        // Most recently used last: Map keeps insertion order.
        entries.delete(path);
        entries.set(path, hit);
        return hit.file;
      }
      const body = await readRegularFile(path, options.maxFileBytes);
      if (body === undefined) return undefined;
      if (body === "too-large") return body;
      drop(path);
      const entry: Entry = { file: undefined as unknown as StaticBody, mtimeMs: st.mtimeMs, size: st.size, ino: st.ino, bytes: body.length };
      entry.file = staticBody(body, options.compressible(path), (bytes) => grow(path, entry, bytes));
      // A file alone over the budget is served but not kept.
      if (body.length <= options.maxTotalBytes) {
        entries.set(path, entry);
        total += body.length;
        evict();
      }
      return entry.file;
    },
    /** Bytes held now, for tests. */
    size: () => total,
  };
}

/** Reads a regular file without following a symbolic link in its last component, at most `max` bytes. */
async function readRegularFile(path: string, max: number): Promise<Buffer | "too-large" | undefined> {
  const fh = await open(path, constants.O_RDONLY | NO_FOLLOW).catch(() => undefined);
  if (!fh) return undefined;
  try {
    const st = await fh.stat();
    if (!st.isFile()) return undefined;
    if (st.size > max) return "too-large";
    // Read what the handle holds now (the file may have changed since the stat above).
    const body = await fh.readFile();
    return body.length > max ? "too-large" : body;
  } finally {
    await fh.close().catch(() => {});
  }
}
