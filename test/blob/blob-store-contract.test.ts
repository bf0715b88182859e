import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, equals } from "@bufbuild/protobuf";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { LiteralMapSchema } from "../../gen/flyteidl/core/literals_pb.js";
import type { BlobStore } from "../../src/blob/blob-store.js";
import { createLocalBlobStore } from "../../src/blob/local-blob-store.js";
import { createS3BlobStore } from "../../src/blob/s3-blob-store.js";
import { TEST_BUCKET, TEST_CREDENTIALS, startS3Server } from "./s3-server.js";

interface Opened {
  store: BlobStore;
  dispose(): Promise<void>;
}

interface Backend {
  name: string;
  /** Starts what the backend needs once; `open` then gives each test a store on an empty location. */
  start(): Promise<{ open(): Promise<Opened>; stop(): Promise<void> }>;
  /** What `store.base` must look like. */
  basePattern: RegExp;
}

const local: Backend = {
  name: "local",
  async start() {
    return {
      async open() {
        const dir = await mkdtemp(join(tmpdir(), "blob-local-"));
        return { store: createLocalBlobStore(dir), dispose: () => rm(dir, { recursive: true, force: true }) };
      },
      stop: async () => {},
    };
  },
  basePattern: /^file:\/\/\/.*blob-local-[^/]+$/,
};

const s3: Backend = {
  name: "s3",
  async start() {
    const server = await startS3Server();
    let run = 0;
    return {
      async open() {
        // A fresh prefix per test keeps tests independent; a page size of 2 makes list paginate.
        const store = createS3BlobStore({
          bucket: TEST_BUCKET,
          prefix: `/base/run${++run}/`,
          endpoint: server.endpoint,
          region: "us-east-1",
          forcePathStyle: true,
          credentials: TEST_CREDENTIALS,
          listPageSize: 2,
        });
        return { store, dispose: async () => store.close() };
      },
      stop: () => server.stop(),
    };
  },
  basePattern: new RegExp(`^s3://${TEST_BUCKET}/base/run\\d+$`),
};

const bytes = (s: string) => new TextEncoder().encode(s);
const md5 = (b: Uint8Array) => new Uint8Array(createHash("md5").update(b).digest());

describe.each([local, s3])("BlobStore contract: $name", (backend) => {
  let started: Awaited<ReturnType<Backend["start"]>>;
  let store: BlobStore;
  beforeAll(async () => {
    started = await backend.start();
    return () => started.stop();
  });
  beforeEach(async () => {
    const opened = await started.open();
    store = opened.store;
    return () => opened.dispose();
  });

  it("round-trips bytes, including empty and binary ones", async () => {
    const binary = new Uint8Array(256).map((_, i) => i);
    await store.put("metadata/p/d/n/inputs", binary);
    await store.put("empty", new Uint8Array());
    expect(await store.get("metadata/p/d/n/inputs")).toEqual(binary);
    expect(await store.get("empty")).toEqual(new Uint8Array());
  });

  it("writes several blobs at once, in one folder or several", async () => {
    await store.putAll([
      { key: "metadata/p/d/n/inputs", bytes: bytes("in") },
      { key: "metadata/p/d/n/user_inputs", bytes: bytes("user") },
      { key: "elsewhere/x", bytes: new Uint8Array() },
    ]);
    expect(await store.get("metadata/p/d/n/inputs")).toEqual(bytes("in"));
    expect(await store.get("metadata/p/d/n/user_inputs")).toEqual(bytes("user"));
    expect(await store.get("elsewhere/x")).toEqual(new Uint8Array());
    await store.putAll([]);
  });

  it("round-trips a protobuf message", async () => {
    const inputs = create(LiteralMapSchema, {
      literals: {
        x: { value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "integer", value: 42n } } } } } },
        s: { value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "stringValue", value: "hi" } } } } } },
      },
    });
    await store.putMessage("metadata/p/d/exec/inputs.pb", LiteralMapSchema, inputs);
    const back = await store.getMessage("metadata/p/d/exec/inputs.pb", LiteralMapSchema);
    expect(back).toBeDefined();
    expect(equals(LiteralMapSchema, back!, inputs)).toBe(true);
    expect(await store.getMessage("metadata/p/d/other/inputs.pb", LiteralMapSchema)).toBeUndefined();
  });

  it("reports absent keys as undefined", async () => {
    await store.put("a/b", bytes("x"));
    expect(await store.get("nope")).toBeUndefined();
    expect(await store.head("nope")).toBeUndefined();
    // "a" is only a prefix of a key; it is not a blob itself.
    expect(await store.get("a")).toBeUndefined();
    expect(await store.head("a")).toBeUndefined();
  });

  it("heads size, and the md5 given at put", async () => {
    const data = bytes("hello world");
    await store.put("with-md5", data, { contentMd5: md5(data) });
    expect(await store.head("with-md5")).toEqual({ size: 11, contentMd5: md5(data) });
    await store.put("without-md5", bytes("abc"));
    expect((await store.head("without-md5"))?.size).toBe(3);
  });

  it("stats the size alone, and absent keys as undefined", async () => {
    await store.put("a/sized", bytes("hello world"));
    expect(await store.stat("a/sized")).toEqual({ size: 11 });
    expect(await store.stat("a")).toBeUndefined();
    expect(await store.stat("nope")).toBeUndefined();
  });

  it("rejects a put whose md5 does not match and keeps the old blob", async () => {
    await store.put("k", bytes("old"));
    await expect(store.put("k", bytes("new"), { contentMd5: md5(bytes("other")) })).rejects.toThrow(/contentMd5 does not match/);
    await expect(store.put("k", bytes("new"), { contentMd5: new Uint8Array(3) })).rejects.toThrow(/16 bytes/);
    expect(await store.get("k")).toEqual(bytes("old"));
  });

  it("overwrites", async () => {
    await store.put("k", bytes("a much longer first version"));
    await store.put("k", bytes("v2"));
    expect(await store.get("k")).toEqual(bytes("v2"));
    expect((await store.head("k"))?.size).toBe(2);
    expect(await store.list("")).toEqual(["k"]);
  });

  it("deletes, and deleting an absent key is fine", async () => {
    await store.put("d/k", bytes("x"));
    await store.delete("d/k");
    expect(await store.get("d/k")).toBeUndefined();
    expect(await store.list("")).toEqual([]);
    await expect(store.delete("d/k")).resolves.toBeUndefined();
    await expect(store.delete("never/was")).resolves.toBeUndefined();
  });

  it("lists nested keys by string prefix, sorted, across pages", async () => {
    const keys = ["m/p/d/b/inputs", "m/p/d/a/inputs", "m/p/d/a/sub/outputs", "m/p/dd/x", "m/q/y", "top"];
    for (const k of keys) await store.put(k, bytes(k));
    expect(await store.list("")).toEqual([...keys].sort());
    expect(await store.list("m/p/d/")).toEqual(["m/p/d/a/inputs", "m/p/d/a/sub/outputs", "m/p/d/b/inputs"]);
    expect(await store.list("m/p/d")).toEqual(["m/p/d/a/inputs", "m/p/d/a/sub/outputs", "m/p/d/b/inputs", "m/p/dd/x"]);
    expect(await store.list("m/p/d/a/in")).toEqual(["m/p/d/a/inputs"]);
    expect(await store.list("zzz/")).toEqual([]);
  });

  it("lists a page at a time in key order, after a key, with sizes and write times", async () => {
    // On the local store "a.b" sorts before "a/c" in key order, as on S3, although the folder "a"
    // comes first by name (s3rver loses such a key beside a folder; real S3 keeps both).
    const edge = backend.name === "local" ? ["m/a.b"] : [];
    const keys = ["m/a/c", ...edge, "m/a/b/x", "m/b", "m/ab", "n/z", "m0"];
    const before = Date.now() - 60_000;
    for (const k of keys) await store.put(k, bytes(k));
    const sorted = keys.filter((k) => k.startsWith("m/")).sort();
    expect(sorted).toEqual([...edge, "m/a/b/x", "m/a/c", "m/ab", "m/b"]);
    const seen: string[] = [];
    let after = "";
    for (;;) {
      const page = await store.listPage("m/", after, 2);
      for (const e of page) {
        expect(e.size).toBe(e.key.length);
        expect(e.modifiedAt.getTime()).toBeGreaterThan(before);
      }
      seen.push(...page.map((e) => e.key));
      if (page.length < 2) break;
      after = page[page.length - 1]!.key;
    }
    expect(seen).toEqual(sorted);
    expect((await store.listPage("m/a", "m/a.c", 10)).map((e) => e.key)).toEqual(["m/a/b/x", "m/a/c", "m/ab"]);
    expect((await store.listPage("m/a/c", "", 1)).map((e) => e.key)).toEqual(["m/a/c"]);
    expect(await store.listPage("zzz/", "", 10)).toEqual([]);
  });

  it("rejects unsafe keys with a clear error", async () => {
    const bad: [string, RegExp][] = [
      ["", /must not be empty/],
      ["/etc/passwd", /must be relative/],
      ["../escape", /"\.\." segments/],
      ["a/../../b", /"\.\." segments/],
      ["a\\b", /backslashes/],
      ["a//b", /empty or "\." segments/],
      ["a/./b", /empty or "\." segments/],
      ["dir/", /empty or "\." segments/],
    ];
    for (const [key, message] of bad) {
      await expect(store.put(key, bytes("x")), key).rejects.toThrow(message);
      await expect(store.get(key), key).rejects.toThrow(message);
      await expect(store.head(key), key).rejects.toThrow(message);
      await expect(store.delete(key), key).rejects.toThrow(message);
      expect(() => store.uri(key), key).toThrow(message);
    }
    await expect(store.list("../x")).rejects.toThrow(/"\.\." segments/);
    await expect(store.list("/abs")).rejects.toThrow(/must be relative/);
    expect(await store.list("")).toEqual([]);
  });

  it("maps keys to URIs and back", async () => {
    expect(store.base).toMatch(backend.basePattern);
    const key = "metadata/p/d/n/inputs";
    const uri = store.uri(key);
    expect(uri).toBe(`${store.base}/${key}`);
    expect(store.keyOf(uri)).toBe(key);
    expect(store.keyOf(store.base)).toBeUndefined();
    expect(store.keyOf(`${store.base}/`)).toBeUndefined();
    expect(store.keyOf(`${store.base}x/${key}`)).toBeUndefined();
    expect(store.keyOf(`${store.base}/../${key}`)).toBeUndefined();
    expect(store.keyOf("s3://elsewhere/metadata/x")).toBeUndefined();
    // A URI from uri() names the blob that put() wrote.
    await store.put(key, bytes("x"));
    expect(await store.get(store.keyOf(uri)!)).toEqual(bytes("x"));
  });
});

// One server for a sanity check that the S3 store really wrote into the bucket under its prefix,
// so the contract above is not passing against something other than S3 semantics.
describe("S3 store layout", () => {
  let server: Awaited<ReturnType<typeof startS3Server>>;
  beforeAll(async () => {
    server = await startS3Server();
  });
  afterAll(() => server.stop());

  it("stores keys under the prefix, visible to a store without a prefix", async () => {
    const opts = { bucket: TEST_BUCKET, endpoint: server.endpoint, forcePathStyle: true, credentials: TEST_CREDENTIALS };
    const inner = createS3BlobStore({ ...opts, prefix: "pre/fix" });
    const outer = createS3BlobStore(opts);
    try {
      await inner.put("a/b", bytes("x"));
      expect(await outer.list("")).toEqual(["pre/fix/a/b"]);
      expect(outer.uri("pre/fix/a/b")).toBe(inner.uri("a/b"));
      expect(await outer.get("pre/fix/a/b")).toEqual(bytes("x"));
    } finally {
      inner.close();
      outer.close();
    }
  });

  it("surfaces a missing bucket instead of reporting the key absent", async () => {
    const store = createS3BlobStore({ bucket: "no-such-bucket", endpoint: server.endpoint, forcePathStyle: true, credentials: TEST_CREDENTIALS });
    try {
      await expect(store.get("k")).rejects.toThrow();
      await expect(store.list("")).rejects.toThrow();
    } finally {
      store.close();
    }
  });
});
