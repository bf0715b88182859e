import { createHash, randomUUID } from "node:crypto";
import { createReadStream, mkdirSync } from "node:fs";
import { type FileHandle, mkdir, open, readFile, readdir, rename, rm, stat, unlink } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import type { Readable } from "node:stream";
import {
  type BlobInfo,
  type BlobStore,
  type PutOptions,
  checkKey,
  checkPrefix,
  keyUnder,
  verifyMd5,
  withMessages,
} from "./blob-store.js";

/**
 * Where in-flight writes live. It sits inside the store's directory so `rename` never
 * crosses a filesystem; `list` skips it and keys may not start with it. A writer killed
 * mid-write leaves an orphan here, never a torn file at a key's path.
 */
export const LOCAL_TMP_DIR = ".blob-tmp";

/** Errors that mean "there is no blob at this path" rather than a real failure. */
const ABSENT = new Set(["ENOENT", "ENOTDIR", "EISDIR"]);

function isAbsent(err: unknown): boolean {
  return ABSENT.has((err as NodeJS.ErrnoException).code ?? "");
}

/**
 * A blob store over a plain directory: key "a/b/c" is the file `<dir>/a/b/c`, so the
 * files stay readable by other tools (flytekit reads file:// URIs directly).
 *
 * Content-MD5 is not stored: `head` computes it from the file. A sidecar file would have
 * to be kept consistent with the data file across crashes (two renames are not atomic
 * together), while hashing the file is always right; its cost is a read of the blob,
 * acceptable for the single-node deployments this store is for.
 */
export function createLocalBlobStore(dir: string): BlobStore {
  const root = resolve(dir);
  // Created up front so a bad location fails at startup rather than on the first write.
  mkdirSync(root, { recursive: true });
  const tmpDir = join(root, LOCAL_TMP_DIR);
  const base = `file://${root.split(sep).join("/").replace(/^(?!\/)/, "/")}`;

  const localKey = (key: string): string => {
    checkKey(key);
    if (key.split("/")[0] === LOCAL_TMP_DIR) throw new Error(`invalid blob key "${key}": "${LOCAL_TMP_DIR}" is reserved`);
    return key;
  };
  const pathOf = (key: string): string => join(root, ...localKey(key).split("/"));

  /** Writes a temp file with `write`, then renames it onto the key's path: readers see old or new, never a mix. */
  async function writeAtomically(key: string, write: (fh: FileHandle) => Promise<void>): Promise<void> {
    const target = pathOf(key);
    await mkdir(dirname(target), { recursive: true });
    await mkdir(tmpDir, { recursive: true });
    const tmp = join(tmpDir, randomUUID());
    try {
      const fh = await open(tmp, "wx");
      try {
        await write(fh);
        // Flush data before the rename makes it visible, or a power loss could expose a
        // renamed-but-empty file.
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    await syncDir(dirname(target));
  }

  async function put(key: string, bytes: Uint8Array, options?: PutOptions): Promise<void> {
    pathOf(key);
    verifyMd5(key, bytes, options?.contentMd5);
    await writeAtomically(key, (fh) => fh.writeFile(bytes));
  }

  async function putStream(key: string, source: AsyncIterable<Uint8Array>, accept: (info: Required<BlobInfo>) => void): Promise<void> {
    pathOf(key);
    await writeAtomically(key, async (fh) => {
      const hash = createHash("md5");
      let size = 0;
      for await (const chunk of source) {
        hash.update(chunk);
        size += chunk.length;
        for (let at = 0; at < chunk.length; ) at += (await fh.write(chunk, at)).bytesWritten;
      }
      accept({ size, contentMd5: new Uint8Array(hash.digest()) });
    });
  }

  async function openRead(key: string): Promise<{ size: number; stream: Readable } | undefined> {
    let fh: FileHandle;
    try {
      fh = await open(pathOf(key), "r");
    } catch (err) {
      if (isAbsent(err)) return undefined;
      throw err;
    }
    try {
      const st = await fh.stat();
      if (!st.isFile()) {
        await fh.close();
        return undefined;
      }
      // The stream closes the file when it ends or is destroyed.
      return { size: st.size, stream: fh.createReadStream() };
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  async function get(key: string): Promise<Uint8Array | undefined> {
    const path = pathOf(key);
    try {
      return new Uint8Array(await readFile(path));
    } catch (err) {
      if (isAbsent(err)) return undefined;
      throw err;
    }
  }

  async function head(key: string): Promise<BlobInfo | undefined> {
    const path = pathOf(key);
    try {
      const st = await stat(path);
      if (!st.isFile()) return undefined;
      return { size: st.size, contentMd5: await hashFile(path) };
    } catch (err) {
      if (isAbsent(err)) return undefined;
      throw err;
    }
  }

  async function del(key: string): Promise<void> {
    try {
      await unlink(pathOf(key));
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

  async function walk(rel: string, out: string[]): Promise<void> {
    let entries;
    try {
      entries = await readdir(rel === "" ? root : join(root, ...rel.split("/")), { withFileTypes: true });
    } catch (err) {
      if (isAbsent(err)) return;
      throw err;
    }
    for (const e of entries) {
      const key = rel === "" ? e.name : `${rel}/${e.name}`;
      if (key === LOCAL_TMP_DIR) continue;
      if (e.isDirectory()) await walk(key, out);
      else if (e.isFile()) out.push(key);
    }
  }

  return withMessages({
    base,
    uri: (key) => `${base}/${localKey(key)}`,
    keyOf: (uri) => {
      const key = keyUnder(base, uri);
      return key === undefined || key.split("/")[0] === LOCAL_TMP_DIR ? undefined : key;
    },
    put,
    putStream,
    openRead,
    get,
    head,
    delete: del,
    list,
    close: () => {},
  });
}

async function hashFile(path: string): Promise<Uint8Array> {
  const hash = createHash("md5");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return new Uint8Array(hash.digest());
}

/** Makes the rename itself durable. Not every platform can fsync a directory; that is not fatal. */
async function syncDir(path: string): Promise<void> {
  let fh;
  try {
    fh = await open(path, "r");
    await fh.sync();
  } catch {
    // e.g. Windows (EPERM/EISDIR): the data is already fsynced, only the rename's durability is weaker.
  } finally {
    await fh?.close();
  }
}
