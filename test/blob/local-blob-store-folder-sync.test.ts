import { mkdtemp, realpath, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

// The real folder sync, watched: which folders a write makes durable is the behaviour under test.
const synced = vi.hoisted(() => [] as string[]);
vi.mock("../../src/blob/descriptor-io.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../src/blob/descriptor-io.js")>();
  return {
    ...real,
    syncFolder: async (path: string) => {
      synced.push(path);
      return real.syncFolder(path);
    },
  };
});

const { createLocalBlobStore } = await import("../../src/blob/local-blob-store.js");

describe("local blob store folder durability", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await realpath(await mkdtemp(join(tmpdir(), "blob-sync-")));
    synced.length = 0;
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("syncs the parent of every folder a write makes, not only the folder holding the file", async () => {
    const store = createLocalBlobStore(dir);
    await store.put("first", new Uint8Array([1]));
    synced.length = 0;
    await store.put("metadata/p/d/n/inputs", new Uint8Array([2]));
    const seen = new Set(synced);
    // The file's folder holds its new name; each made folder's entry lives in its parent.
    for (const f of ["metadata/p/d/n", "metadata/p/d", "metadata/p", "metadata", ""]) expect(seen, f || "root").toContain(join(dir, f));
    synced.length = 0;
    // A second write into folders that exist makes none: only the file's folder is synced.
    await store.put("metadata/p/d/n/outputs", new Uint8Array([3]));
    expect(synced).toEqual([join(dir, "metadata/p/d/n")]);
  });
});
