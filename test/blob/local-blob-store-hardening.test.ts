import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, truncate, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BlobExistsError } from "../../src/blob/blob-store.js";
import { LOCAL_TMP_DIR, createLocalBlobStore } from "../../src/blob/local-blob-store.js";

const bytes = (s: string) => new TextEncoder().encode(s);
const md5 = (b: Uint8Array) => new Uint8Array(createHash("md5").update(b).digest());
const mode = async (path: string) => (await stat(path)).mode & 0o777;
async function* chunks(...parts: string[]) {
  for (const p of parts) yield bytes(p);
}

describe("local blob store hardening", () => {
  let dir: string;
  let outside: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "blob-hard-"));
    outside = await mkdtemp(join(tmpdir(), "blob-outside-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  it("creates its folders and files with the configured modes, temp files included", async () => {
    const root = join(dir, "new/blobs");
    const store = createLocalBlobStore(root, { fileMode: 0o600, dirMode: 0o700 });
    await store.put("metadata/p/d/n/inputs", bytes("x"));
    await store.putStream!("up/a/b", chunks("y"), () => {});
    expect(await mode(join(dir, "new"))).toBe(0o700);
    expect(await mode(root)).toBe(0o700);
    for (const d of ["metadata", "metadata/p/d/n", "up/a", LOCAL_TMP_DIR]) expect([d, await mode(join(root, d))]).toEqual([d, 0o700]);
    for (const f of ["metadata/p/d/n/inputs", "up/a/b"]) expect([f, await mode(join(root, f))]).toEqual([f, 0o600]);
    // A temp file seen mid-write has the file mode too.
    let seen = -1;
    await store.putStream!("up/c", chunks("z"), () => {});
    const wide = createLocalBlobStore(join(dir, "wide"), { fileMode: 0o640, dirMode: 0o750 });
    await wide.putStream!("k", chunks("w"), () => {
      seen = 0;
    });
    expect(seen).toBe(0);
    expect(await mode(join(dir, "wide/k"))).toBe(0o640);
    expect(await mode(join(dir, "wide"))).toBe(0o750);
    store.close();
    wide.close();
  });

  it("neither reads nor writes through a symlinked folder inside the root", async () => {
    const store = createLocalBlobStore(dir);
    await writeFile(join(outside, "secret"), "outside data");
    await symlink(outside, join(dir, "link"));
    // Reads: the file beyond the link is not this store's blob.
    expect(await store.get("link/secret")).toBeUndefined();
    expect(await store.head("link/secret")).toBeUndefined();
    expect(await store.stat("link/secret")).toBeUndefined();
    expect(await store.openRead!("link/secret")).toBeUndefined();
    // Writes and deletes are refused, and nothing outside changes.
    await expect(store.put("link/secret", bytes("overwritten"))).rejects.toThrow(/symbolic link/);
    await expect(store.put("link/new/deeper", bytes("planted"))).rejects.toThrow(/symbolic link/);
    await expect(store.putStream!("link/secret", chunks("overwritten"), () => {})).rejects.toThrow(/symbolic link/);
    await expect(store.delete("link/secret")).rejects.toThrow(/symbolic link/);
    expect(await readFile(join(outside, "secret"), "utf8")).toBe("outside data");
    expect(await readdir(outside)).toEqual(["secret"]);
    store.close();
  });

  it("checks the folders of every access: one written before and replaced by a link since is refused", async () => {
    const store = createLocalBlobStore(dir);
    await store.put("a/b/first", bytes("inside"));
    expect(await store.get("a/b/first")).toEqual(bytes("inside"));
    await writeFile(join(outside, "first"), "outside data");
    await rm(join(dir, "a/b"), { recursive: true });
    await symlink(outside, join(dir, "a/b"));
    expect(await store.get("a/b/first")).toBeUndefined();
    expect(await store.stat("a/b/first")).toBeUndefined();
    await expect(store.put("a/b/first", bytes("overwritten"))).rejects.toThrow(/symbolic link/);
    await expect(store.put("a/b/second", bytes("planted"))).rejects.toThrow(/symbolic link/);
    await expect(store.putStream!("a/b/third", chunks("planted"), () => {}, { createOnly: true })).rejects.toThrow(/symbolic link/);
    expect(await readFile(join(outside, "first"), "utf8")).toBe("outside data");
    expect(await readdir(outside)).toEqual(["first"]);
    expect(await readdir(join(dir, LOCAL_TMP_DIR))).toEqual([]);
    store.close();
  });

  it("makes a folder again when it went away after a write, and names a file standing where a folder goes", async () => {
    const store = createLocalBlobStore(dir, { dirMode: 0o700 });
    await store.put("x/y/one", bytes("1"));
    await rm(join(dir, "x"), { recursive: true });
    await store.put("x/y/two", bytes("2"));
    expect(await store.get("x/y/two")).toEqual(bytes("2"));
    expect(await mode(join(dir, "x/y"))).toBe(0o700);
    await store.put("f", bytes("file"));
    await expect(store.put("f/g", bytes("under a file"))).rejects.toMatchObject({ code: "ENOTDIR", message: expect.stringMatching(/is a file, not a folder/) });
    await expect(store.put("f/g/h", bytes("under a file"))).rejects.toMatchObject({ code: "ENOTDIR" });
    expect(await readdir(join(dir, LOCAL_TMP_DIR))).toEqual([]);
    store.close();
  });

  it("reads back blobs of any size whole", async () => {
    const store = createLocalBlobStore(dir);
    for (const size of [0, 1, 1000, 3 * 1024 * 1024 + 7]) {
      const data = new Uint8Array(size).map((_, i) => i % 251);
      await store.put(`sizes/${size}`, data);
      const back = await store.get(`sizes/${size}`);
      expect(back).toBeInstanceOf(Uint8Array);
      expect(back?.length).toBe(size);
      expect(Buffer.from(back!).equals(Buffer.from(data))).toBe(true);
    }
    store.close();
  });

  it("neither reads nor writes through a symlinked file, nor a symlinked temp folder", async () => {
    await writeFile(join(outside, "secret"), "outside data");
    await symlink(join(outside, "secret"), join(dir, "file-link"));
    await symlink(outside, join(dir, LOCAL_TMP_DIR));
    const store = createLocalBlobStore(dir);
    expect(await store.get("file-link")).toBeUndefined();
    expect(await store.stat("file-link")).toBeUndefined();
    expect(await store.openRead!("file-link")).toBeUndefined();
    await expect(store.put("k", bytes("x"))).rejects.toThrow(/symbolic link/);
    expect(await readdir(outside)).toEqual(["secret"]);
    await rm(join(dir, LOCAL_TMP_DIR));
    // Writing the key replaces the link itself, never the file it points at.
    await store.put("file-link", bytes("replaced"));
    expect(await readFile(join(outside, "secret"), "utf8")).toBe("outside data");
    expect(await store.get("file-link")).toEqual(bytes("replaced"));
    store.close();
  });

  it("reports a large blob's size from stat, without reading it", async () => {
    const store = createLocalBlobStore(dir);
    await store.put("big", bytes(""));
    // A sparse 3 GiB file: hashing it would read 3 GiB, stat does not.
    await truncate(join(dir, "big"), 3 * 1024 ** 3);
    expect(await store.stat("big")).toEqual({ size: 3 * 1024 ** 3 });
    expect(await store.stat("absent")).toBeUndefined();
    store.close();
  });

  it("stores create-only: an existing blob is left alone and reported", async () => {
    const store = createLocalBlobStore(dir);
    await store.putStream!("once", chunks("first"), () => {}, { createOnly: true });
    const err = await store.putStream!("once", chunks("second"), () => {}, { createOnly: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BlobExistsError);
    expect(await store.get("once")).toEqual(bytes("first"));
    expect(await store.head("once")).toEqual({ size: 5, contentMd5: md5(bytes("first")) });
    expect(await readdir(join(dir, LOCAL_TMP_DIR))).toEqual([]);
    store.close();
  });

  it("sweeps temp files older than an hour, at start-up and then periodically, and never a live one", async () => {
    const tmp = join(dir, LOCAL_TMP_DIR);
    await mkdir(tmp);
    const old = new Date(Date.now() - 2 * 3600_000);
    for (const name of ["killed-upload", "cut-upload"]) {
      await writeFile(join(tmp, name), "partial");
      await utimes(join(tmp, name), old, old);
    }
    await writeFile(join(tmp, "live-upload"), "still writing");
    let now = Date.now();
    const store = createLocalBlobStore(dir, { now: () => now, sweepIntervalMs: 50 });
    await store.sweepTemp();
    expect(await readdir(tmp)).toEqual(["live-upload"]);
    // An hour and more later (by the injected clock) the periodic sweep takes the file that stopped changing.
    now += 2 * 3600_000;
    for (let i = 0; i < 100 && (await readdir(tmp)).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await readdir(tmp)).toEqual([]);
    store.close();
  });

  it("stops sweeping when closed", async () => {
    const store = createLocalBlobStore(dir, { now: () => Date.now() + 10 * 3600_000, sweepIntervalMs: 20 });
    await store.sweepTemp();
    store.close();
    await mkdir(join(dir, LOCAL_TMP_DIR), { recursive: true });
    await writeFile(join(dir, LOCAL_TMP_DIR, "after-close"), "x");
    await new Promise((r) => setTimeout(r, 100));
    expect(await readdir(join(dir, LOCAL_TMP_DIR))).toEqual(["after-close"]);
  });
});
