// Equal blobs of a batch share one written file through a hard link: where the
// filesystem refuses the link, or the link fails, the batch still behaves.
import { mkdtemp, readFile, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LOCAL_TMP_DIR, createLocalBlobStore } from "../../src/blob/local-blob-store.js";

const linkError = vi.hoisted(() => ({ code: undefined as string | undefined }));
vi.mock("node:fs/promises", async (original) => {
  const fs = await original<typeof import("node:fs/promises")>();
  return {
    ...fs,
    link: async (from: string, to: string) => {
      if (linkError.code) throw Object.assign(new Error(`${linkError.code}: link`), { code: linkError.code });
      return fs.link(from, to);
    },
  };
});

const bytes = (s: string) => new TextEncoder().encode(s);

describe("local blob store: equal blobs of a batch", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "blob-links-"));
    linkError.code = undefined;
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("are written out one by one where the filesystem has no hard links", async () => {
    const store = createLocalBlobStore(dir);
    linkError.code = "EPERM";
    await store.putMany!([{ key: "e/inputs", bytes: bytes("same") }, { key: "e/user_inputs", bytes: bytes("same") }]);
    expect([await readFile(join(dir, "e/inputs"), "utf8"), await readFile(join(dir, "e/user_inputs"), "utf8")]).toEqual(["same", "same"]);
    expect((await stat(join(dir, "e/inputs"))).nlink).toBe(1);
    expect(await readdir(join(dir, LOCAL_TMP_DIR))).toEqual([]);
  });

  it("change no key and leave no temp file when the link fails", async () => {
    const store = createLocalBlobStore(dir);
    await store.put("e/inputs", bytes("old"));
    linkError.code = "EIO";
    await expect(store.putMany!([{ key: "e/inputs", bytes: bytes("same") }, { key: "e/user_inputs", bytes: bytes("same") }])).rejects.toThrow(/EIO/);
    expect(await readFile(join(dir, "e/inputs"), "utf8")).toBe("old");
    expect(await readdir(join(dir, "e"))).toEqual(["inputs"]);
    expect(await readdir(join(dir, LOCAL_TMP_DIR))).toEqual([]);
  });
});
