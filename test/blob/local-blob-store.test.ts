import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LOCAL_TMP_DIR, createLocalBlobStore } from "../../src/blob/local-blob-store.js";

const bytes = (s: string) => new TextEncoder().encode(s);

describe("local blob store specifics", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "blob-local-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("keeps each key as a plain file at its path, named by a file:// URI", async () => {
    const store = createLocalBlobStore(dir);
    await store.put("metadata/p/d/n/inputs", bytes("payload"));
    expect(await readFile(join(dir, "metadata/p/d/n/inputs"), "utf8")).toBe("payload");
    expect(store.uri("metadata/p/d/n/inputs")).toBe(`file://${dir}/metadata/p/d/n/inputs`);
    // Nothing but the blob is left beside it (the temp file was renamed away).
    expect(await readdir(join(dir, "metadata/p/d/n"))).toEqual(["inputs"]);
  });

  it("streams a blob in, and leaves the old one untouched when the stream is refused or fails", async () => {
    const store = createLocalBlobStore(dir);
    async function* chunks(...parts: string[]) {
      for (const p of parts) yield bytes(p);
    }
    let seen: unknown;
    await store.putStream!("up/f", chunks("ab", "cd"), (info) => (seen = info));
    expect(seen).toEqual({ size: 4, contentMd5: new Uint8Array(createHash("md5").update("abcd").digest()) });
    expect(await readFile(join(dir, "up/f"), "utf8")).toBe("abcd");
    await expect(store.putStream!("up/f", chunks("other"), () => { throw new Error("refused"); })).rejects.toThrow("refused");
    async function* failing() {
      yield bytes("partial");
      throw new Error("connection reset");
    }
    await expect(store.putStream!("up/f", failing(), () => {})).rejects.toThrow("connection reset");
    expect(await readFile(join(dir, "up/f"), "utf8")).toBe("abcd");
    expect(await readdir(join(dir, LOCAL_TMP_DIR))).toEqual([]);
  });

  it("writes a batch only once every blob of it is written: a failure changes no key and leaves no temp file", async () => {
    const store = createLocalBlobStore(dir);
    await store.put("metadata/p/d/n/inputs", bytes("old"));
    await expect(store.putMany!([{ key: "metadata/p/d/n/inputs", bytes: bytes("new") }, { key: "../out", bytes: bytes("x") }])).rejects.toThrow(/".." segments/);
    // The second blob's bytes cannot be written (not bytes at all): the first is not moved either.
    const unwritable = undefined as unknown as Uint8Array;
    await expect(store.putMany!([{ key: "metadata/p/d/n/inputs", bytes: bytes("new") }, { key: "metadata/p/d/n/user_inputs", bytes: unwritable }])).rejects.toThrow();
    expect(await readFile(join(dir, "metadata/p/d/n/inputs"), "utf8")).toBe("old");
    expect(await readdir(join(dir, "metadata/p/d/n"))).toEqual(["inputs"]);
    expect(await readdir(join(dir, LOCAL_TMP_DIR))).toEqual([]);
    await store.putMany!([{ key: "metadata/p/d/n/inputs", bytes: bytes("new") }, { key: "metadata/p/d/n/user_inputs", bytes: bytes("user") }]);
    expect(await readFile(join(dir, "metadata/p/d/n/inputs"), "utf8")).toBe("new");
    expect(await readFile(join(dir, "metadata/p/d/n/user_inputs"), "utf8")).toBe("user");
    expect(await readdir(join(dir, LOCAL_TMP_DIR))).toEqual([]);
  });

  it("writes the equal blobs of a batch once, as one file under each key, which later change on their own", async () => {
    const store = createLocalBlobStore(dir);
    const folder = join(dir, "metadata/p/d/n");
    await store.putMany!([
      { key: "metadata/p/d/n/inputs", bytes: bytes("same") },
      { key: "metadata/p/d/n/user_inputs", bytes: bytes("same") },
      { key: "metadata/p/d/n/other", bytes: bytes("diff") },
      { key: "elsewhere/copy", bytes: bytes("same") },
    ]);
    for (const [key, text] of [["metadata/p/d/n/inputs", "same"], ["metadata/p/d/n/user_inputs", "same"], ["metadata/p/d/n/other", "diff"], ["elsewhere/copy", "same"]]) {
      expect(await readFile(join(dir, key!), "utf8")).toBe(text);
    }
    const [inputs, user, other] = await Promise.all(["inputs", "user_inputs", "other"].map((f) => stat(join(folder, f))));
    expect([inputs!.ino === user!.ino, inputs!.nlink, other!.ino === inputs!.ino, other!.nlink]).toEqual([true, 3, false, 1]);
    expect(await readdir(join(dir, LOCAL_TMP_DIR))).toEqual([]);
    // A put replaces the key's file; the other keys keep theirs.
    await store.put("metadata/p/d/n/inputs", bytes("changed"));
    expect(await readFile(join(folder, "user_inputs"), "utf8")).toBe("same");
    await store.delete("metadata/p/d/n/user_inputs");
    expect([await readFile(join(folder, "inputs"), "utf8"), await readFile(join(dir, "elsewhere/copy"), "utf8")]).toEqual(["changed", "same"]);
  });

  it("computes the md5 on head even when none was given", async () => {
    const store = createLocalBlobStore(dir);
    await store.put("k", bytes("abc"));
    const expected = new Uint8Array(createHash("md5").update("abc").digest());
    expect(await store.head("k")).toEqual({ size: 3, contentMd5: expected });
  });

  it("reserves its temp dir: not a key, not listed, not a URI", async () => {
    const store = createLocalBlobStore(dir);
    await mkdir(join(dir, LOCAL_TMP_DIR), { recursive: true });
    await writeFile(join(dir, LOCAL_TMP_DIR, "orphan"), "half a write");
    await store.put("visible", bytes("x"));
    expect(await store.list("")).toEqual(["visible"]);
    expect(await store.list(".blob")).toEqual([]);
    await expect(store.get(`${LOCAL_TMP_DIR}/orphan`)).rejects.toThrow(/reserved/);
    await expect(store.put(`${LOCAL_TMP_DIR}/x`, bytes("x"))).rejects.toThrow(/reserved/);
    expect(store.keyOf(`${store.base}/${LOCAL_TMP_DIR}/orphan`)).toBeUndefined();
    // A key that merely starts with the same characters is an ordinary key.
    await store.put(`${LOCAL_TMP_DIR}x/y`, bytes("y"));
    expect(await store.list("")).toEqual([`${LOCAL_TMP_DIR}x/y`, "visible"]);
  });

  it("creates its directory, and treats a directory at a key as absent", async () => {
    const store = createLocalBlobStore(join(dir, "not/yet/there"));
    expect(await readdir(join(dir, "not/yet/there"))).toEqual([]);
    await store.put("a/b", bytes("x"));
    expect(await store.get("a")).toBeUndefined();
    await expect(store.delete("a")).resolves.toBeUndefined();
    expect(await store.get("a/b")).toEqual(bytes("x"));
  });

  it("leaves no temp file behind when a put fails", async () => {
    const store = createLocalBlobStore(dir);
    await store.put("file", bytes("x"));
    // "file" is a file, so "file/child" cannot be created beneath it.
    await expect(store.put("file/child", bytes("y"))).rejects.toThrow();
    await mkdir(join(dir, "dirkey"));
    // Renaming a file over a directory fails after the temp file was written.
    await expect(store.put("dirkey", bytes("y"))).rejects.toThrow();
    expect(await readdir(join(dir, LOCAL_TMP_DIR))).toEqual([]);
  });
});
