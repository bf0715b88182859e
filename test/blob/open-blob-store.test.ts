import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openBlobStore } from "../../src/blob/open-blob-store.js";

describe("openBlobStore", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "blob-open-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("opens s3://bucket/prefix as an S3 store", () => {
    const store = openBlobStore("s3://my-bucket/flyte/metadata/", { region: "us-east-1", endpoint: "http://127.0.0.1:1" });
    try {
      expect(store.base).toBe("s3://my-bucket/flyte/metadata");
      expect(store.uri("p/d/n/inputs")).toBe("s3://my-bucket/flyte/metadata/p/d/n/inputs");
    } finally {
      store.close();
    }
    const bare = openBlobStore("s3://my-bucket");
    try {
      expect(bare.base).toBe("s3://my-bucket");
      expect(bare.keyOf("s3://my-bucket/a/b")).toBe("a/b");
    } finally {
      bare.close();
    }
  });

  it("opens a relative path, an absolute path and a file:// URL as the same local directory", async () => {
    const target = join(dir, "blobs");
    const byUrl = openBlobStore(pathToFileURL(target).href);
    expect((await stat(target)).isDirectory()).toBe(true);
    await byUrl.put("k", new Uint8Array([7]));
    const byRelative = openBlobStore(relative(process.cwd(), target));
    const byAbsolute = openBlobStore(target);
    expect(await byRelative.get("k")).toEqual(new Uint8Array([7]));
    expect(await byAbsolute.get("k")).toEqual(new Uint8Array([7]));
    expect(byRelative.base).toBe(`file://${target}`);
    expect(byUrl.base).toBe(byAbsolute.base);
  });

  it("rejects locations it cannot serve", () => {
    expect(() => openBlobStore("s3://")).toThrow(/no bucket/);
    expect(() => openBlobStore("s3:///prefix")).toThrow(/no bucket/);
    expect(() => openBlobStore("gs://bucket/x")).toThrow(/unsupported blob location/);
    expect(() => openBlobStore("")).toThrow(/must not be empty/);
  });
});
