/**
 * Raw-container tasks serialised by flytekit, run in host mode the way the local-process
 * plugin runs them: download inputs, render and rewrite the argv, run it, upload outputs.
 */
import { spawnSync } from "node:child_process";
import { mkdir, readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { fromBinary } from "@bufbuild/protobuf";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ContainerError_Kind } from "../../../gen/flyteidl/core/errors_pb.js";
import { ExecutionError_ErrorKind } from "../../../gen/flyteidl/core/execution_pb.js";
import { LiteralMapSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import type { TaskTemplate } from "../../../gen/flyteidl/core/tasks_pb.js";
import { BlobType_BlobDimensionality } from "../../../gen/flyteidl/core/types_pb.js";
import { renderArgs } from "../../../src/engine/local/render.js";
import {
  COPILOT_USER_ERROR_CODE,
  isCopilotTask,
  prepareCopilotInputs,
  rewriteCopilotPaths,
  uploadCopilotOutputs,
} from "../../../src/engine/local/process/copilot.js";
import { L, type Sandbox, blobOf, fixtureTemplate, literalMap, primitiveOf, sandbox, withCommand } from "./helpers.js";

/** What the plugin does for one attempt, in host mode. */
async function runHostMode(sb: Sandbox, template: TaskTemplate): Promise<{ argv: string[]; status: number | null }> {
  await prepareCopilotInputs({ template, inputPath: sb.inputPath, blobs: sb.blobs, inDir: sb.inDir });
  await mkdir(sb.outDir, { recursive: true });
  const c = template.target.case === "container" ? template.target.value : undefined;
  const inputs = fromBinary(LiteralMapSchema, await readFile(join(sb.inDir, "inputs.pb")));
  const rendered = renderArgs([...(c?.command ?? []), ...(c?.args ?? [])], {
    input: sb.inputPath,
    inputPrefix: sb.inputPath.replace(/\/inputs\.pb$/, ""),
    outputPrefix: sb.outputPrefix,
    rawOutputDataPrefix: sb.rawOutputPrefix,
    checkpointOutputPrefix: `${sb.rawOutputPrefix}/_flytecheckpoints`,
    prevCheckpointPrefix: "",
    perRetryUniqueKey: "abc123_n0_0",
    namespace: "flytesnacks-development",
    inputs,
  });
  const argv = rewriteCopilotPaths(rendered, template, sb.inDir, sb.outDir);
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd: sb.root, stdio: "ignore" });
  if (r.status === 0) {
    await uploadCopilotOutputs({ template, outDir: sb.outDir, outputPrefix: sb.outputPrefix, rawOutputPrefix: sb.rawOutputPrefix, blobs: sb.blobs });
  }
  return { argv, status: r.status };
}

describe("raw-container tasks from flytekit in host mode", () => {
  let sb: Sandbox;
  beforeEach(async () => {
    sb = await sandbox();
  });
  afterEach(() => sb.close());

  it("echo {{.inputs.msg}} > /var/outputs/out gives out = the message", async () => {
    const template = fixtureTemplate("0_echo_msg_1.pb");
    expect(isCopilotTask(template)).toBe(true);
    await sb.putInputs(literalMap({ msg: L.str("hi") }));
    const { argv, status } = await runHostMode(sb, template);
    expect(argv).toEqual(["sh", "-c", `echo hi > ${sb.outDir}/out`]);
    expect(status).toBe(0);
    expect(await readFile(join(sb.inDir, "msg"), "utf8")).toBe("hi");
    expect(await readFile(join(sb.inDir, "inputs.json"), "utf8")).toBe('{"msg":"hi"}');
    const outputs = await sb.outputs();
    expect(Object.keys(outputs?.literals ?? {})).toEqual(["out"]);
    expect(primitiveOf(outputs?.literals.out)).toBe("hi");
    expect(await sb.error()).toBeUndefined();
  });

  it("a task writing _ERROR fails with the user's message, not retried", async () => {
    const template = withCommand(fixtureTemplate("0_echo_msg_1.pb"), ["sh", "-c", "echo 'no {{.inputs.msg}} today' > /var/outputs/_ERROR"]);
    await sb.putInputs(literalMap({ msg: L.str("luck") }));
    const { status } = await runHostMode(sb, template);
    expect(status).toBe(0);
    expect(await sb.outputs()).toBeUndefined();
    const doc = await sb.error();
    expect(doc?.error).toMatchObject({
      code: COPILOT_USER_ERROR_CODE,
      message: "User Error: no luck today\n",
      kind: ContainerError_Kind.NON_RECOVERABLE,
      origin: ExecutionError_ErrorKind.USER,
    });
  });

  it("every simple type, a file and a folder go in and come back out (YAML inputs)", async () => {
    const template = fixtureTemplate("1_typed_io_1.pb");
    await sb.blobs.put("data/xy/prev/f1/data.csv", new TextEncoder().encode("a,b\n1,2\n"));
    await sb.blobs.put("data/xy/prev/d1/a.txt", new TextEncoder().encode("A"));
    await sb.blobs.put("data/xy/prev/d1/sub/b.txt", new TextEncoder().encode("B"));
    await sb.putInputs(
      literalMap({
        i: L.int(42n),
        f: L.float(1.5),
        b: L.bool(true),
        s: L.str("hello world"),
        dt: L.datetime(1704164645n, 500_000_000),
        d: L.duration(90n),
        infile: L.blob(sb.blobs.uri("data/xy/prev/f1/data.csv")),
        indir: L.blob(sb.blobs.uri("data/xy/prev/d1"), true),
      }),
    );
    const { argv, status } = await runHostMode(sb, template);
    expect(argv[2]).toContain(`cp ${sb.inDir}/i ${sb.inDir}/f`);
    expect(argv[2]).toContain(`${sb.outDir}/ && cp ${sb.inDir}/infile ${sb.outDir}/outfile`);
    expect(status).toBe(0);

    // What the container saw.
    const text = (p: string) => readFile(join(sb.inDir, p), "utf8");
    expect(await Promise.all(["i", "f", "b", "s", "dt", "d"].map(text))).toEqual(["42", "1.5", "true", "hello world", "2024-01-02T03:04:05.5Z", "1m30s"]);
    expect(await text("infile")).toBe("a,b\n1,2\n");
    expect(await text("indir/a.txt")).toBe("A");
    expect(await text("indir/sub/b.txt")).toBe("B");
    expect(await text("inputs.yaml")).toBe(
      [
        "b: true",
        "d: null",
        'dt: "2024-01-02T03:04:05.5Z"',
        "f: 1.5",
        "i: 42",
        `indir: ${sb.inDir}/indir`,
        `infile: ${sb.inDir}/infile`,
        "s: hello world",
        "",
      ].join("\n"),
    );
    const local = fromBinary(LiteralMapSchema, await readFile(join(sb.inDir, "inputs.pb")));
    expect(blobOf(local.literals.infile)?.uri).toBe(`${sb.inDir}/infile`);
    expect(blobOf(local.literals.indir)?.uri).toBe(`${sb.inDir}/indir`);
    expect(primitiveOf(local.literals.i)).toBe(42n);

    // What came back.
    const out = (await sb.outputs())?.literals ?? {};
    expect(primitiveOf(out.i)).toBe(42n);
    expect(primitiveOf(out.f)).toBe(1.5);
    expect(primitiveOf(out.b)).toBe(true);
    expect(primitiveOf(out.s)).toBe("hello world");
    expect(primitiveOf(out.dt)).toMatchObject({ seconds: 1704164645n, nanos: 500_000_000 });
    expect(primitiveOf(out.d)).toMatchObject({ seconds: 90n, nanos: 0 });
    const outfile = blobOf(out.outfile);
    expect(outfile?.uri).toBe(`${sb.rawOutputPrefix}/outfile`);
    expect(outfile?.metadata?.type).toMatchObject({ dimensionality: BlobType_BlobDimensionality.SINGLE, format: "" });
    expect(new TextDecoder().decode(await sb.blobs.get("data/0l/abc123-n0-0/outfile"))).toBe("a,b\n1,2\n");
    const outdir = blobOf(out.outdir);
    expect(outdir?.uri).toBe(`${sb.rawOutputPrefix}/outdir`);
    expect(outdir?.metadata?.type?.dimensionality).toBe(BlobType_BlobDimensionality.MULTIPART);
    // Copilot flattens nested folders: sub/b.txt is stored as b.txt.
    expect(await sb.blobs.list("data/0l/abc123-n0-0/outdir/")).toEqual(["data/0l/abc123-n0-0/outdir/a.txt", "data/0l/abc123-n0-0/outdir/b.txt"]);
    expect(await readdir(sb.outDir)).toContain("outdir");
  });
});
