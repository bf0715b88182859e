import { spawnSync } from "node:child_process";
import { mkdir, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ContainerError_Kind } from "../../../gen/flyteidl/core/errors_pb.js";
import { ExecutionError_ErrorKind } from "../../../gen/flyteidl/core/execution_pb.js";
import type { LiteralType } from "../../../gen/flyteidl/core/types_pb.js";
import { COPILOT_UPLOAD_ERROR_CODE, COPILOT_USER_ERROR_CODE, uploadCopilotOutputs } from "../../../src/engine/local/process/copilot.js";
import { T } from "../../fixtures/flyte-builders.js";
import { type Sandbox, blobOf, primitiveOf, rawTemplate, sandbox } from "./helpers.js";

describe("copilot outputs", () => {
  let sb: Sandbox;
  beforeEach(async () => {
    sb = await sandbox();
    await mkdir(sb.outDir, { recursive: true });
  });
  afterEach(() => sb.close());

  const files = async (f: Record<string, string | Uint8Array>) => {
    for (const [name, content] of Object.entries(f)) {
      await mkdir(join(sb.outDir, name, ".."), { recursive: true });
      await writeFile(join(sb.outDir, name), content);
    }
  };
  const upload = (outputs: Record<string, LiteralType>) =>
    uploadCopilotOutputs({ template: rawTemplate({ outputs }), outDir: sb.outDir, outputPrefix: sb.outputPrefix, rawOutputPrefix: sb.rawOutputPrefix, blobs: sb.blobs });
  const expectUploadFailure = async (message: string) => {
    expect(await sb.outputs()).toBeUndefined();
    const doc = await sb.error();
    expect(doc?.error).toMatchObject({ code: COPILOT_UPLOAD_ERROR_CODE, kind: ContainerError_Kind.RECOVERABLE, origin: ExecutionError_ErrorKind.SYSTEM });
    expect(doc?.error?.message).toContain(message);
    expect(doc?.error?.timestamp).toBeDefined();
  };

  it("parses every bool spelling Go accepts", async () => {
    const spellings = ["1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"];
    await files(Object.fromEntries(spellings.map((s, i) => [`b${i}`, `${s}\n`])));
    await upload(Object.fromEntries(spellings.map((_, i) => [`b${i}`, T.bool()])));
    const out = (await sb.outputs())?.literals ?? {};
    expect(spellings.map((_, i) => primitiveOf(out[`b${i}`]))).toEqual([true, true, true, true, true, true, false, false, false, false, false, false]);
  });

  it("finds an output by its name with any one extension", async () => {
    await files({ "out.txt": "42" });
    await upload({ out: T.int() });
    expect(primitiveOf((await sb.outputs())?.literals.out)).toBe(42n);
  });

  it("_ERROR wins over outputs; its size is bounded", async () => {
    await files({ out: "1", _ERROR: "bad input: x < 0" });
    await upload({ out: T.int() });
    expect((await sb.error())?.error).toMatchObject({
      code: COPILOT_USER_ERROR_CODE,
      message: "User Error: bad input: x < 0",
      kind: ContainerError_Kind.NON_RECOVERABLE,
      origin: ExecutionError_ErrorKind.USER,
    });
    expect(await sb.outputs()).toBeUndefined();
    await files({ _ERROR: "x".repeat(1024 * 1024 + 1) });
    await upload({ out: T.int() });
    await expectUploadFailure("error file too large 1048577");
  });

  it("does nothing for a task without outputs, even with _ERROR", async () => {
    await files({ _ERROR: "ignored, as copilot adds no uploader" });
    await upload({});
    expect(await sb.outputs()).toBeUndefined();
    expect(await sb.error()).toBeUndefined();
  });

  const bad: Array<[string, Record<string, string | Uint8Array>, Record<string, LiteralType>, string]> = [
    ["an unparsable integer", { n: "4.5\n" }, { n: T.int() }, 'failed to parse integer value: strconv.ParseInt: parsing "4.5": invalid syntax'],
    ["an unparsable float", { x: "one" }, { x: T.float() }, "failed to parse Float value"],
    ["a bool Go does not know", { b: "yes" }, { b: T.bool() }, "failed to parse Bool value"],
    ["a datetime without a zone", { t: "2024-01-02T03:04:05" }, { t: T.datetime() }, "failed to parse Datetime in RFC3339 format"],
    ["a missing file", {}, { out: T.str() }, `file not found at path [`],
    ["a file over 1024 bytes", { s: "x".repeat(1025) }, { s: T.str() }, "maximum allowed filesize is [1024], but found [1025]"],
    ["a folder where a value is expected", { "s/inner": "x" }, { s: T.str() }, "expected file for type [STRING], found dir at path"],
    ["a collection output", { l: "[1]" }, { l: T.list(T.int()) }, "currently CoPilot uploader does not support [collectionType], system error"],
    ["a missing blob", {}, { f: T.blob() }, "file not found at path ["],
    ["invalid UTF-8 in a string", { s: new Uint8Array([0xc3, 0x28]) }, { s: T.str() }, "invalid UTF-8"],
  ];
  it.each(bad)("%s → OutputUploadFailed", async (_what, written, outputs, message) => {
    await files(written);
    await upload(outputs);
    await expectUploadFailure(message);
  });

  it("refuses files that link outside the output folder", async () => {
    await files({ [join("..", "secret")]: "host data" });
    await symlink(join(sb.outDir, "..", "secret"), join(sb.outDir, "s"));
    await upload({ s: T.str() });
    await expectUploadFailure("points outside the output directory");
    await symlink(join(sb.outDir, "..", "secret"), join(sb.outDir, "f"));
    await upload({ f: T.blob() });
    await expectUploadFailure("points outside the output directory");
  });

  it("refuses a FIFO instead of blocking on it", async () => {
    const r = spawnSync("mkfifo", [join(sb.outDir, "n")]);
    if (r.status !== 0) return; // no mkfifo on this system
    await upload({ n: T.int() });
    await expectUploadFailure("is not a regular file");
  });

  it("follows links that stay inside the output folder", async () => {
    await files({ "real/value": "7" });
    await symlink(join(sb.outDir, "real", "value"), join(sb.outDir, "n"));
    await upload({ n: T.int() });
    expect(primitiveOf((await sb.outputs())?.literals.n)).toBe(7n);
  });

  it("uploads a single file and a folder under <raw>/<var>", async () => {
    await files({ model: "weights", "report/index.html": "<html/>", "report/assets/app.js": "js" });
    await upload({ model: T.blob(), report: T.blob() });
    const out = (await sb.outputs())?.literals ?? {};
    expect(blobOf(out.model)).toMatchObject({ uri: `${sb.rawOutputPrefix}/model`, metadata: { type: { dimensionality: 0, format: "" } } });
    expect(blobOf(out.report)).toMatchObject({ uri: `${sb.rawOutputPrefix}/report`, metadata: { type: { dimensionality: 1 } } });
    expect(new TextDecoder().decode(await sb.blobs.get("data/0l/abc123-n0-0/model"))).toBe("weights");
    expect(await sb.blobs.list("data/0l/abc123-n0-0/report/")).toEqual(["data/0l/abc123-n0-0/report/app.js", "data/0l/abc123-n0-0/report/index.html"]);
  });

  it("an output folder that is missing is a failure, not an empty output", async () => {
    await rm(sb.outDir, { recursive: true });
    await upload({ n: T.int() });
    await expectUploadFailure("no such file or directory");
  });
});
