import { createHash, randomUUID } from "node:crypto";
import { constants, type Dirent, mkdirSync, realpathSync } from "node:fs";
import { type FileHandle, link, lstat, mkdir, open, readdir, realpath, rename, rm, unlink } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import type { Readable } from "node:stream";
import {
  type BlobEntry,
  type BlobWrite,
  type BlobInfo,
  BlobExistsError,
  type BlobStore,
  type PutOptions,
  type PutStreamOptions,
  checkKey,
  checkPrefix,
  keyUnder,
  verifyMd5,
  withMessages,
} from "./blob-store.js";
import { closeDescriptor, openDescriptor, syncDescriptor, syncFolder, writeAll, writeDescriptor } from "./descriptor-io.js";

/**
 * Where in-flight writes live. It sits inside the store's directory so `rename` never
 * crosses a filesystem; `list` skips it and keys may not start with it. A writer killed
 * mid-write leaves an orphan here, never a torn file at a key's path; orphans are swept.
 */
export const LOCAL_TMP_DIR = ".blob-tmp";

export interface LocalBlobStoreOptions {
  /** Permissions of the blob files (and temp files); default 0600. */
  fileMode?: number;
  /** Permissions of the folders it creates, the root included; default 0700. */
  dirMode?: number;
  /** Milliseconds since the epoch; temp files are aged by it. */
  now?: () => number;
  /** Temp files unchanged for this long are orphans of killed or cut writes; default an hour. */
  tmpMaxAgeMs?: number;
  /** How often orphans are swept after the start-up sweep; default 10 minutes, 0 for never. */
  sweepIntervalMs?: number;
  /** Hears a sweep that failed (the next one tries again). */
  onSweepError?: (error: unknown) => void;
}

export type LocalBlobStore = BlobStore & {
  /** Removes temp files older than `tmpMaxAgeMs` by mtime; resolves to how many. */
  sweepTemp(): Promise<number>;
};

/** Errors that mean "there is no blob at this path" rather than a real failure. */
const ABSENT = new Set(["ENOENT", "ENOTDIR", "EISDIR"]);
// O_NOFOLLOW makes opening a symlink fail (ELOOP); Windows has no such flag (nor such links by default).
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;

/** One blob of a write: its key, what writes its bytes into the (open) temp file, and whether the key must be new. */
interface PendingWrite {
  key: string;
  write: (fd: number) => Promise<void>;
  /** The bytes `write` writes, when known up front: a blob equal to an earlier one of the write shares its file. */
  bytes?: Uint8Array;
  createOnly?: boolean;
}

/** Errors of a filesystem that has no hard links (or not here, or no more for this file). */
const NO_LINKS = new Set(["EPERM", "ENOTSUP", "EOPNOTSUPP", "EXDEV", "EMLINK"]);

function isAbsent(err: unknown): boolean {
  return ABSENT.has((err as NodeJS.ErrnoException).code ?? "");
}

/** Thrown for a key whose path leads through a symbolic link: the store never leaves its root. */
function throughLink(key: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`blob key "${key}" leads through a symbolic link; the store does not follow links out of its folder`), {
    code: "ELOOP",
  });
}

/**
 * A blob store over a plain directory: key "a/b/c" is the file `<dir>/a/b/c`, so the
 * files stay readable by other tools (flytekit reads file:// URIs directly).
 *
 * Content-MD5 is not stored: `head` computes it from the file (streamed). A sidecar file
 * would have to be kept consistent with the data file across crashes (two renames are not
 * atomic together), while hashing the file is always right. Only a fixed upload location's
 * existence check needs the digest; sizes come from `stat`, which reads nothing.
 *
 * Paths never leave the root: folders on the way to a key are checked not to be symbolic
 * links (someone with access to the folder could plant one pointing elsewhere), and the
 * key's own file is opened without following one.
 */
export function createLocalBlobStore(dir: string, options: LocalBlobStoreOptions = {}): LocalBlobStore {
  const fileMode = options.fileMode ?? 0o600;
  const dirMode = options.dirMode ?? 0o700;
  const now = options.now ?? Date.now;
  const tmpMaxAgeMs = options.tmpMaxAgeMs ?? 3600_000;
  const root = resolve(dir);
  // Created up front so a bad location fails at startup rather than on the first write.
  mkdirSync(root, { recursive: true, mode: dirMode });
  // Paths are built on the resolved root, so checking them needs no knowledge of links above it.
  const realRoot = realpathSync(root);
  const tmpDir = join(realRoot, LOCAL_TMP_DIR);
  const base = `file://${root.split(sep).join("/").replace(/^(?!\/)/, "/")}`;

  const localKey = (key: string): string => {
    checkKey(key);
    if (key.split("/")[0] === LOCAL_TMP_DIR) throw new Error(`invalid blob key "${key}": "${LOCAL_TMP_DIR}" is reserved`);
    return key;
  };
  const pathOf = (key: string): string => join(realRoot, ...localKey(key).split("/"));

  /**
   * The folder a key's file is in: undefined when it does not exist. A link on the way
   * (the resolved path differs from the lexical one) reads as absent, or is refused.
   */
  async function existingFolder(key: string, onLink: "absent" | "refuse"): Promise<string | undefined> {
    const segments = localKey(key).split("/");
    const folder = join(realRoot, ...segments.slice(0, -1));
    let real: string;
    try {
      real = await realpath(folder);
    } catch (err) {
      if (isAbsent(err)) return undefined;
      throw err;
    }
    if (real === folder) return folder;
    if (onLink === "absent") return undefined;
    throw throughLink(key);
  }

  /** The key's file path; undefined when its folder is absent (or, for reads, reached through a link). */
  async function existingPath(key: string, onLink: "absent" | "refuse" = "absent"): Promise<string | undefined> {
    const folder = await existingFolder(key, onLink);
    return folder === undefined ? undefined : join(folder, key.slice(key.lastIndexOf("/") + 1));
  }

  /**
   * Creates the folders below the root one by one (with dirMode), refusing any that is a link.
   * Each folder it makes is added to `made`, whose parents the caller syncs.
   */
  async function writableFolder(key: string, segments: string[], made: string[]): Promise<string> {
    let path = realRoot;
    for (const segment of segments) {
      path = join(path, segment);
      for (let attempt = 0; ; attempt++) {
        const st = await lstat(path).catch((err: NodeJS.ErrnoException) => {
          if (err.code === "ENOENT") return undefined;
          throw err;
        });
        if (st?.isSymbolicLink()) throw throughLink(key);
        if (st?.isDirectory()) break;
        if (st) throw Object.assign(new Error(`cannot store ${key}: ${path} is a file, not a folder`), { code: "ENOTDIR" });
        try {
          await mkdir(path, { mode: dirMode });
          made.push(path);
          break;
        } catch (err) {
          // Made by a concurrent writer meanwhile: look again (once).
          if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw err;
        }
      }
    }
    return path;
  }

  /**
   * The folder a key's file goes in, made if missing: what `writableFolder` gives, in fewer
   * calls. A folder whose resolved path equals its lexical one has no link on the way (a link
   * resolves elsewhere), so one realpath checks every level that exists; the levels below
   * it were missing a moment ago and are made. Anything unexpected (a link, a file on the
   * way, a name the filesystem spells differently, a folder made meanwhile) is left to the
   * walk, which decides as before.
   */
  async function verifiedFolder(key: string, segments: string[], made: string[]): Promise<string> {
    for (let depth = segments.length; depth >= 0; depth--) {
      const path = join(realRoot, ...segments.slice(0, depth));
      const real = await realpath(path).catch((err: NodeJS.ErrnoException) => (err.code === "ENOENT" ? null : undefined));
      if (real === null) continue; // missing: look one level up
      if (real !== path) break;
      const folder = await makeFolders(path, segments.slice(depth), made);
      if (folder !== undefined) return folder;
      break;
    }
    return writableFolder(key, segments, made);
  }

  /** Makes `rest` below `path`, each with dirMode, adding each to `made`; undefined when one cannot be made as new. */
  async function makeFolders(path: string, rest: string[], made: string[]): Promise<string | undefined> {
    for (const segment of rest) {
      path = join(path, segment);
      try {
        await mkdir(path, { mode: dirMode });
        made.push(path);
      } catch {
        return undefined;
      }
    }
    return path;
  }

  /**
   * Writes each blob to a temp file with its `write`, then moves them onto their keys' paths:
   * readers see old or new, never a mix. Every temp file is written and flushed before the
   * first move, so a failure while writing changes no key. Blobs in one folder share its
   * check and its sync. With `createOnly` the move is a hard link, which fails if the key exists.
   * A blob with the same bytes as an earlier one of the write (an execution's inputs and
   * user inputs, mostly) is not written and flushed again: its temp file is a hard link to
   * the earlier one's, flushed already, moved onto its key like any other.
   */
  async function writeAtomically(writes: readonly PendingWrite[]): Promise<void> {
    const planned = writes.map((w) => {
      const segments = localKey(w.key).split("/");
      return { ...w, name: segments[segments.length - 1]!, folderSegments: segments.slice(0, -1), folder: "", tmp: join(tmpDir, randomUUID()) };
    });
    const sameAs = equalEarlier(writes);
    const byFolder = new Map<string, (typeof planned)[number]>();
    for (const p of planned) if (!byFolder.has(p.folderSegments.join("/"))) byFolder.set(p.folderSegments.join("/"), p);
    const firsts = [...byFolder.values()];
    // The folders are checked at once; a key's folder's fault is reported before the temp folder's, as when checked in turn.
    const made: string[] = [];
    const checks = await Promise.allSettled([...firsts.map((p) => verifiedFolder(p.key, p.folderSegments, made)), verifiedFolder(planned[0]!.key, [LOCAL_TMP_DIR], made)]);
    for (const check of checks) if (check.status === "rejected") throw check.reason;
    const folderOf = new Map(firsts.map((p, i) => [p.folderSegments.join("/"), (checks[i] as PromiseFulfilledResult<string>).value]));
    for (const p of planned) p.folder = folderOf.get(p.folderSegments.join("/"))!;
    const consumed = new Set<string>();
    try {
      // Settled, not raced: no write may still be running once this has failed.
      const written = await Promise.allSettled(planned.map((p, i) => (sameAs[i] === undefined ? writeTemp(p.tmp, p.write) : undefined)));
      for (const w of written) if (w.status === "rejected") throw w.reason;
      const linked = await Promise.allSettled(planned.map((p, i) => (sameAs[i] === undefined ? undefined : linkTemp(planned[sameAs[i]!]!.tmp, p.tmp, p.write))));
      for (const w of linked) if (w.status === "rejected") throw w.reason;
      for (const p of planned) {
        const move = (into: string) => (p.createOnly ? linkNew(p.key, p.tmp, join(into, p.name)) : rename(p.tmp, join(into, p.name)));
        try {
          await move(p.folder);
        } catch (err) {
          // The folder went away (or became a file) since it was checked: check it the long way, then move once more.
          const code = (err as NodeJS.ErrnoException).code;
          if (code !== "ENOENT" && code !== "ENOTDIR") throw err;
          p.folder = await writableFolder(p.key, p.folderSegments, made);
          await move(p.folder);
        }
        // A rename consumed the temp file; a link left it behind.
        if (!p.createOnly) consumed.add(p.tmp);
      }
    } finally {
      await Promise.all(planned.filter((p) => !consumed.has(p.tmp)).map((p) => rm(p.tmp, { force: true })));
    }
    // The folders holding the new names, and the parent of every folder made on the way: a
    // new folder's own entry must be durable too, or a power loss could drop it with its files.
    await Promise.all([...new Set([...planned.map((p) => p.folder), ...made.map((f) => dirname(f))])].map(syncFolder));
  }

  /** A new temp file holding what `write` writes, flushed. */
  async function writeTemp(tmp: string, write: (fd: number) => Promise<void>): Promise<void> {
    const fd = await openDescriptor(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NO_FOLLOW, fileMode);
    try {
      await write(fd);
      // Flush data before the rename makes it visible, or a power loss could expose a
      // renamed-but-empty file.
      await syncDescriptor(fd);
    } finally {
      await closeDescriptor(fd);
    }
  }

  /** A second name for a flushed temp file; written out again where the filesystem cannot link it. */
  async function linkTemp(flushed: string, tmp: string, write: (fd: number) => Promise<void>): Promise<void> {
    try {
      await link(flushed, tmp);
    } catch (err) {
      if (!NO_LINKS.has((err as NodeJS.ErrnoException).code ?? "")) throw err;
      await writeTemp(tmp, write);
    }
  }

  async function linkNew(key: string, tmp: string, target: string): Promise<void> {
    try {
      await link(tmp, target);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EEXIST") throw new BlobExistsError(key);
      // Filesystems without hard links: check, then rename (a narrow race, but never silently).
      if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP") throw err;
      if (await lstat(target).then(() => true, () => false)) throw new BlobExistsError(key);
      await rename(tmp, target);
    }
  }

  async function put(key: string, bytes: Uint8Array, options?: PutOptions): Promise<void> {
    pathOf(key);
    verifyMd5(key, bytes, options?.contentMd5);
    await writeAtomically([{ key, write: (fd) => writeAll(fd, bytes) }]);
  }

  async function putMany(entries: readonly BlobWrite[]): Promise<void> {
    if (entries.length === 0) return;
    for (const e of entries) pathOf(e.key);
    await writeAtomically(entries.map((e) => ({ key: e.key, bytes: e.bytes, write: (fd: number) => writeAll(fd, e.bytes) })));
  }

  async function putStream(
    key: string,
    source: AsyncIterable<Uint8Array>,
    accept: (info: Required<BlobInfo>) => void,
    streamOptions?: PutStreamOptions,
  ): Promise<void> {
    pathOf(key);
    await writeAtomically([
      {
        key,
        write: async (fd) => {
          const hash = createHash("md5");
          let size = 0;
          for await (const chunk of source) {
            hash.update(chunk);
            size += chunk.length;
            for (let at = 0; at < chunk.length; ) at += await writeDescriptor(fd, chunk, at);
          }
          accept({ size, contentMd5: new Uint8Array(hash.digest()) });
        },
        createOnly: streamOptions?.createOnly === true,
      },
    ]);
  }

  /** The key's regular file, opened without following a link; undefined when absent. */
  async function openFile(key: string): Promise<{ fh: FileHandle; size: number } | undefined> {
    const path = await existingPath(key);
    if (path === undefined) return undefined;
    let fh: FileHandle;
    try {
      fh = await open(path, constants.O_RDONLY | NO_FOLLOW);
    } catch (err) {
      // ELOOP: the key's file is a link, which is no blob of this store.
      if (isAbsent(err) || (err as NodeJS.ErrnoException).code === "ELOOP") return undefined;
      throw err;
    }
    try {
      const st = await fh.stat();
      if (st.isFile()) return { fh, size: st.size };
    } catch (err) {
      await fh.close();
      throw err;
    }
    await fh.close();
    return undefined;
  }

  async function openRead(key: string): Promise<{ size: number; stream: Readable } | undefined> {
    const found = await openFile(key);
    // The stream closes the file when it ends or is destroyed.
    return found && { size: found.size, stream: found.fh.createReadStream() };
  }

  async function get(key: string): Promise<Uint8Array | undefined> {
    const found = await openFile(key);
    if (!found) return undefined;
    try {
      return await readWhole(found.fh, found.size);
    } finally {
      await found.fh.close();
    }
  }

  async function stat(key: string): Promise<{ size: number } | undefined> {
    const path = await existingPath(key);
    if (path === undefined) return undefined;
    try {
      const st = await lstat(path);
      return st.isFile() ? { size: st.size } : undefined;
    } catch (err) {
      if (isAbsent(err)) return undefined;
      throw err;
    }
  }

  async function head(key: string): Promise<BlobInfo | undefined> {
    const found = await openFile(key);
    if (!found) return undefined;
    const hash = createHash("md5");
    // Streamed: a large blob costs a read, never its size in memory.
    for await (const chunk of found.fh.createReadStream()) hash.update(chunk as Buffer);
    return { size: found.size, contentMd5: new Uint8Array(hash.digest()) };
  }

  async function del(key: string): Promise<void> {
    const path = await existingPath(key, "refuse");
    if (path === undefined) return;
    try {
      await unlink(path);
    } catch (err) {
      if (!isAbsent(err)) throw err;
    }
  }

  async function list(prefix: string): Promise<string[]> {
    checkPrefix(prefix);
    // Walk only the deepest directory the prefix names, then filter by the string prefix,
    // so "a/b" matches "a/b/c" and "a/bc" just as S3's Prefix does.
    const cut = prefix.lastIndexOf("/");
    const start = cut < 0 ? "" : prefix.slice(0, cut);
    const keys: string[] = [];
    await walk(start, keys);
    return keys.filter((k) => k.startsWith(prefix)).sort();
  }

  /** The entries of a folder (none when absent), never reached through a link. */
  async function entriesOf(rel: string): Promise<Dirent[]> {
    try {
      const path = rel === "" ? realRoot : join(realRoot, ...rel.split("/"));
      // The start folder must not be reached through a link either (entries below are
      // typed without following links, so a walk never descends into one).
      if (rel !== "" && (await realpath(path)) !== path) return [];
      return await readdir(path, { withFileTypes: true });
    } catch (err) {
      if (isAbsent(err)) return [];
      throw err;
    }
  }

  async function walk(rel: string, out: string[]): Promise<void> {
    for (const e of await entriesOf(rel)) {
      const key = rel === "" ? e.name : `${rel}/${e.name}`;
      if (key === LOCAL_TMP_DIR) continue;
      if (e.isDirectory()) await walk(key, out);
      else if (e.isFile()) out.push(key);
    }
  }

  async function listPage(prefix: string, after: string, limit: number): Promise<BlobEntry[]> {
    checkPrefix(prefix);
    const cut = prefix.lastIndexOf("/");
    const out: BlobEntry[] = [];
    await walkPage(cut < 0 ? "" : prefix.slice(0, cut), prefix, after, limit, out);
    return out;
  }

  /**
   * Walks in key order: a folder's keys all start with `<folder>/`, so its entries are
   * visited sorted as they appear in keys (a folder by its name and "/"), which puts
   * "a-b" before "a/c" as S3 does.
   */
  async function walkPage(rel: string, prefix: string, after: string, limit: number, out: BlobEntry[]): Promise<void> {
    const entries = (await entriesOf(rel))
      .map((e) => ({ e, key: rel === "" ? e.name : `${rel}/${e.name}` }))
      .filter((x) => x.key !== LOCAL_TMP_DIR && (x.e.isDirectory() || x.e.isFile()))
      .map((x) => ({ ...x, order: x.e.isDirectory() ? `${x.key}/` : x.key }))
      .sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
    for (const { e, key, order } of entries) {
      if (out.length >= limit) return;
      if (e.isDirectory()) {
        // Skipped when none of its keys can start with the prefix, or all of them sort before `after`.
        if (!order.startsWith(prefix) && !prefix.startsWith(order)) continue;
        if (order < after && !after.startsWith(order)) continue;
        await walkPage(key, prefix, after, limit, out);
      } else if (key.startsWith(prefix) && key > after) {
        const st = await lstat(join(realRoot, ...key.split("/"))).catch(() => undefined);
        if (st?.isFile()) out.push({ key, size: st.size, modifiedAt: st.mtime });
      }
    }
  }

  async function sweepTemp(): Promise<number> {
    let names: string[];
    try {
      const st = await lstat(tmpDir);
      if (!st.isDirectory()) return 0;
      names = await readdir(tmpDir);
    } catch (err) {
      if (isAbsent(err)) return 0;
      throw err;
    }
    let swept = 0;
    const cutoff = now() - tmpMaxAgeMs;
    for (const name of names) {
      const path = join(tmpDir, name);
      // By mtime: an upload still streaming keeps touching its file, so it is never taken.
      const st = await lstat(path).catch(() => undefined);
      if (!st || st.isDirectory() || st.mtimeMs > cutoff) continue;
      await rm(path, { force: true });
      swept++;
    }
    return swept;
  }

  const reportSweepError = options.onSweepError ?? (() => {});
  const sweep = () => void sweepTemp().catch(reportSweepError);
  sweep();
  const interval = options.sweepIntervalMs ?? 600_000;
  const timer = interval > 0 ? setInterval(sweep, interval) : undefined;
  // The timer alone must not keep a process alive.
  timer?.unref();

  // A plain absolute path names the same file as its file:// URI: flytekit writes
  // such paths for files it produced when running against a local folder.
  const keyOf = (uri: string): string | undefined => {
    const key = keyUnder(base, uri.startsWith("/") ? `file://${uri}` : uri);
    return key === undefined || key.split("/")[0] === LOCAL_TMP_DIR ? undefined : key;
  };

  return Object.assign(
    withMessages({
      base,
      uri: (key) => `${base}/${localKey(key)}`,
      keyOf,
      localPath: (uri) => {
        const key = keyOf(uri);
        return key === undefined ? undefined : `${base.slice("file://".length)}/${key}`;
      },
      put,
      putMany,
      putStream,
      openRead,
      get,
      head,
      stat,
      delete: del,
      list,
      listPage,
      close: () => clearInterval(timer),
    }),
    { sweepTemp },
  );
}

/**
 * For each write, the index of an earlier one with the same bytes (undefined for none, or
 * when its bytes are not known up front). Only blobs of the same size are compared.
 */
function equalEarlier(writes: readonly PendingWrite[]): (number | undefined)[] {
  const firstsBySize = new Map<number, number[]>();
  return writes.map((w, i) => {
    const bytes = w.bytes;
    if (!bytes) return undefined;
    const firsts = firstsBySize.get(bytes.length) ?? [];
    const same = firsts.find((j) => Buffer.compare(writes[j]!.bytes!, bytes) === 0);
    if (same === undefined) firstsBySize.set(bytes.length, [...firsts, i]);
    return same;
  });
}

/** Past this Node's readFile refuses a file (ERR_FS_FILE_TOO_LARGE); it is left to say so. */
const MAX_READ_BYTES = 2 ** 31 - 1;

/**
 * The file's bytes, given the size its fstat reported: what readFile reads (up to that
 * size or an earlier end), without the second fstat readFile makes and the copy it needs.
 */
async function readWhole(fh: FileHandle, size: number): Promise<Uint8Array> {
  if (size === 0 || size > MAX_READ_BYTES) return new Uint8Array(await fh.readFile());
  const bytes = new Uint8Array(size);
  let at = 0;
  while (at < size) {
    const { bytesRead } = await fh.read(bytes, at, size - at, at);
    if (bytesRead === 0) break;
    at += bytesRead;
  }
  return at === size ? bytes : bytes.subarray(0, at);
}
