import { mkdtempSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { type Literal, LiteralMapSchema, LiteralSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import { openBlobStore } from "../../../src/blob/open-blob-store.js";
import { withLocalBlobPaths } from "../../../src/engine/local/local-blob-paths.js";

const blob = (uri: string): Literal => create(LiteralSchema, { value: { case: "scalar", value: { value: { case: "blob", value: { uri, metadata: {} } } } } });
const uriOf = (l: Literal | undefined): string | undefined =>
  l?.value.case === "scalar" && l.value.value.value.case === "blob" ? l.value.value.value.value.uri : undefined;

describe("local blob paths for task inputs", () => {
  const root = realpathSync(mkdtempSync(join(tmpdir(), "engine-paths-")));
  const blobs = openBlobStore(join(root, "blobs"), {}, { sweepIntervalMs: 0 });

  it("the local store maps its file:// URIs to paths, and takes the paths back as keys", () => {
    const uri = blobs.uri("uploads/ab/file.txt");
    expect(blobs.localPath?.(uri)).toBe(`${root}/blobs/uploads/ab/file.txt`);
    expect(blobs.keyOf(`${root}/blobs/uploads/ab/file.txt`)).toBe("uploads/ab/file.txt");
    expect(blobs.localPath?.("s3://bucket/x")).toBeUndefined();
    expect(blobs.keyOf(`${root}/blobs/../escape`)).toBeUndefined();
    expect(blobs.keyOf("/elsewhere/file")).toBeUndefined();
  });

  it("rewrites blob URIs of the store at any depth and leaves everything else", () => {
    const mine = blobs.uri("data/aa/x/out.txt");
    const inputs = create(LiteralMapSchema, {
      literals: {
        f: blob(mine),
        other: blob("s3://bucket/key"),
        list: create(LiteralSchema, { value: { case: "collection", value: { literals: [blob(mine)] } } }),
        map: create(LiteralSchema, { value: { case: "map", value: { literals: { k: blob(mine) } } } }),
        opt: create(LiteralSchema, { value: { case: "scalar", value: { value: { case: "union", value: { value: blob(mine) } } } } }),
      },
    });
    const out = withLocalBlobPaths(inputs, (u) => blobs.localPath?.(u));
    const path = `${root}/blobs/data/aa/x/out.txt`;
    expect(uriOf(out.literals["f"])).toBe(path);
    expect(uriOf(out.literals["other"])).toBe("s3://bucket/key");
    const list = out.literals["list"]!.value;
    expect(list.case === "collection" && uriOf(list.value.literals[0])).toBe(path);
    const map = out.literals["map"]!.value;
    expect(map.case === "map" && uriOf(map.value.literals["k"])).toBe(path);
    const opt = out.literals["opt"]!.value;
    expect(opt.case === "scalar" && opt.value.value.case === "union" && uriOf(opt.value.value.value.value)).toBe(path);
    // The bound map itself is untouched.
    expect(uriOf(inputs.literals["f"])).toBe(mine);
  });

  it("returns the same map when nothing is local, and without a local store", () => {
    const inputs = create(LiteralMapSchema, { literals: { other: blob("s3://bucket/key") } });
    expect(withLocalBlobPaths(inputs, (u) => blobs.localPath?.(u))).toBe(inputs);
    expect(withLocalBlobPaths(inputs, undefined)).toBe(inputs);
  });
});
