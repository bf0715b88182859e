import { readFile, readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { fromBinary } from "@bufbuild/protobuf";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LiteralMapSchema, LiteralSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import { DataLoadingConfig_LiteralMapFormat } from "../../../gen/flyteidl/core/tasks_pb.js";
import { CopilotDownloadError, prepareCopilotInputs } from "../../../src/engine/local/process/copilot.js";
import { T } from "../../fixtures/flyte-builders.js";
import { L, type Sandbox, blobOf, literalMap, rawTemplate, sandbox } from "./helpers.js";

const enc = (s: string) => new TextEncoder().encode(s);

describe("copilot inputs", () => {
  let sb: Sandbox;
  beforeEach(async () => {
    sb = await sandbox();
  });
  afterEach(() => sb.close());

  const prepare = (inputs: Record<string, ReturnType<typeof T.int>>, format = DataLoadingConfig_LiteralMapFormat.JSON, visibleInDir?: string) =>
    prepareCopilotInputs({ template: rawTemplate({ inputs, format }), inputPath: sb.inputPath, blobs: sb.blobs, inDir: sb.inDir, visibleInDir });
  const text = (p: string) => readFile(join(sb.inDir, p), "utf8");

  it("writes collections and maps as folders, and every scalar kind as a file", async () => {
    await sb.putInputs(
      literalMap({
        nums: L.list(L.int(1n), L.int(2n)),
        nested: L.list(L.list(L.str("a")), L.list()),
        cfg: L.map({ alpha: L.float(0.5), beta: L.bool(false) }),
        bin: L.binary(new Uint8Array([0x81, 0xa1, 0x61, 0x01])),
        err: L.error("upstream failed"),
        gen: L.generic({ b: [1, "two"], a: { c: null } }),
        nothing: L.none(),
        maybe: L.union(L.int(7n)),
      }),
    );
    await prepare({ nums: T.list(T.int()), nested: T.list(T.list(T.str())), cfg: T.map(T.float()), bin: T.int(), err: T.int(), gen: T.struct(), nothing: T.none(), maybe: T.optional(T.int()) });
    expect(await readdir(join(sb.inDir, "nums"))).toEqual(["0", "1"]);
    expect([await text("nums/0"), await text("nums/1")]).toEqual(["1", "2"]);
    expect(await text("nested/0/0")).toBe("a");
    expect((await stat(join(sb.inDir, "nested/1"))).isDirectory()).toBe(true);
    expect([await text("cfg/alpha"), await text("cfg/beta")]).toEqual(["0.5", "false"]);
    expect(new Uint8Array(await readFile(join(sb.inDir, "bin")))).toEqual(new Uint8Array([0x81, 0xa1, 0x61, 0x01]));
    expect(await text("err")).toBe("upstream failed");
    expect(JSON.parse(await text("gen"))).toEqual({ a: { c: null }, b: [1, "two"] });
    expect(await text("gen")).toBe('{"a":{"c":null},"b":[1,"two"]}');
    expect(await text("nothing")).toBe("null");
    expect(await text("maybe")).toBe("7");
    expect(await text("inputs.json")).toBe(
      '{"bin":"gaFhAQ==","cfg":{"alpha":0.5,"beta":false},"err":"upstream failed","gen":{"a":{"c":null},"b":[1,"two"]},' +
        '"maybe":7,"nested":[["a"],[]],"nothing":null,"nums":[1,2]}',
    );
    const local = fromBinary(LiteralMapSchema, await readFile(join(sb.inDir, "inputs.pb")));
    expect(Object.keys(local.literals).sort()).toEqual(["bin", "cfg", "err", "gen", "maybe", "nested", "nothing", "nums"]);
  });

  it("PROTO format writes inputs.pb and no JSON or YAML", async () => {
    await sb.putInputs(literalMap({ x: L.int(1n) }));
    await prepare({ x: T.int() }, DataLoadingConfig_LiteralMapFormat.PROTO);
    expect((await readdir(sb.inDir)).sort()).toEqual(["inputs.pb", "x"]);
  });

  it("reads offloaded inputs first", async () => {
    await sb.blobs.putMessage("metadata/off/x.pb", LiteralSchema, L.list(L.str("big"), L.str("list")));
    await sb.putInputs(literalMap({ x: L.offloaded(sb.blobs.uri("metadata/off/x.pb")) }));
    await prepare({ x: T.list(T.str()) });
    expect([await text("x/0"), await text("x/1")]).toEqual(["big", "list"]);
  });

  it("names local paths as the task sees them (docker mode mounts inDir at the declared path)", async () => {
    await sb.blobs.put("data/f", enc("content"));
    await sb.putInputs(literalMap({ f: L.blob(sb.blobs.uri("data/f")) }));
    await prepare({ f: T.blob() }, DataLoadingConfig_LiteralMapFormat.JSON, "/var/inputs");
    expect(await text("f")).toBe("content");
    expect(await text("inputs.json")).toBe('{"f":"/var/inputs/f"}');
    const local = fromBinary(LiteralMapSchema, await readFile(join(sb.inDir, "inputs.pb")));
    expect(blobOf(local.literals.f)?.uri).toBe("/var/inputs/f");
  });

  it("does nothing but create the folder when the interface has no inputs", async () => {
    await prepare({});
    expect(await readdir(sb.inDir)).toEqual([]);
  });

  it("an empty folder input is an empty directory", async () => {
    await sb.putInputs(literalMap({ d: L.blob(sb.blobs.uri("data/empty"), true) }));
    await prepare({ d: T.blob() });
    expect(await readdir(join(sb.inDir, "d"))).toEqual([]);
  });

  it("fails with InputDownloadFailed for what cannot be downloaded", async () => {
    const fails = async (inputs: Parameters<typeof literalMap>[0], match: string) => {
      await rm(sb.inDir, { recursive: true, force: true }); // each attempt has a fresh folder
      await sb.putInputs(literalMap(inputs));
      const err = await prepare({ x: T.int() }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CopilotDownloadError);
      expect((err as CopilotDownloadError).code).toBe("InputDownloadFailed");
      expect((err as Error).message).toContain(match);
    };
    await fails({ x: L.blob("s3://elsewhere/key") }, "variable [x] download/store failed: [s3://elsewhere/key] is not in this engine's blob store");
    await fails({ x: L.blob(sb.blobs.uri("data/missing")) }, "incorrect blob reference, does not exist");
    await fails({ "../escape": L.int(1n) }, 'name "../escape" cannot be used as a file name');
    await fails({ x: L.map({ "a/b": L.int(1n) }) }, 'name "a/b" cannot be used as a file name');
    await fails({ x: L.offloaded(sb.blobs.uri("metadata/none.pb")) }, "Failed to  read the object");
    await fails({ x: L.float(NaN) }, "failed to marshal out inputs: json: unsupported value: NaN");
  });

  it("fails when inputs.pb is missing or outside the store", async () => {
    await expect(prepare({ x: T.int() })).rejects.toThrow(/inputs.pb\] not found/);
    await expect(
      prepareCopilotInputs({ template: rawTemplate({ inputs: { x: T.int() } }), inputPath: "file:///etc/passwd", blobs: sb.blobs, inDir: sb.inDir }),
    ).rejects.toThrow(CopilotDownloadError);
  });
});
