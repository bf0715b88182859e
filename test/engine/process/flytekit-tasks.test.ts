// The local-process plugin running real flytekit tasks (skipped without flytekit): the
// hello fixture's say_hello task from registered code on PYTHONPATH and fast-registered
// from a tarball, and a task raising ValueError.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { type MessageInitShape, create } from "@bufbuild/protobuf";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ExecutionError_ErrorKind } from "../../../gen/flyteidl/core/execution_pb.js";
import { type LiteralMap, LiteralMapSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import { type TaskTemplate } from "../../../gen/flyteidl/core/tasks_pb.js";
import { outputsPath } from "../../../src/engine/local/paths.js";
import { T, pythonTask } from "../../fixtures/flyte-builders.js";
import { loadFlytekitPackage } from "../../fixtures/flytekit.js";
import { type Sandbox, attemptDir, attemptOf, controlFile, flytekitBin, handleUntil, sandbox } from "./harness.js";

const FIXTURE_SRC = "/work/shared/fixtures/flytekit/src";
const bin = flytekitBin();
const fixtures = existsSync(join(FIXTURE_SRC, "hello", "wf.py"));
const skip = !bin ? "pyflyte-execute not found on PATH nor in /work/shared/flytekit/bin" : !fixtures ? `${FIXTURE_SRC} not found` : "";
if (skip) console.warn(`skipping the flytekit task tests: ${skip}`);

const str = (s: string) => ({ value: { case: "scalar" as const, value: { value: { case: "primitive" as const, value: { value: { case: "stringValue" as const, value: s } } } } } });
const int = (n: bigint) => ({ value: { case: "scalar" as const, value: { value: { case: "primitive" as const, value: { value: { case: "integer" as const, value: n } } } } } });

let s: Sandbox;
let code: string;
beforeEach(async () => {
  s = await sandbox();
  // The fixture's templates name the module `cfx.hello.wf` (packaged from a folder `cfx`).
  code = join(s.root, "code");
  await mkdir(code, { recursive: true });
  await symlink(FIXTURE_SRC, join(code, "cfx"));
  await mkdir(join(code, "failing"));
  await writeFile(join(code, "failing", "__init__.py"), "");
  await writeFile(
    join(code, "failing", "wf.py"),
    "from flytekit import task\n\n\n@task\ndef boom(x: int) -> int:\n    raise ValueError(f'bad value {x}')\n",
  );
});
afterEach(async () => {
  await s.dispose();
});

function helloTemplate(): TaskTemplate {
  return loadFlytekitPackage("hello", "flytesnacks", "development", "v1").tasks[0]!.spec.template!;
}

async function putInputs(a: { paths: { inputPath: string } }, literals: MessageInitShape<typeof LiteralMapSchema>["literals"]) {
  await s.blobs.putMessage(s.blobs.keyOf(a.paths.inputPath)!, LiteralMapSchema, create(LiteralMapSchema, { literals }));
}

async function outputsOf(a: { paths: { outputPrefix: string } }) {
  return s.blobs.getMessage(s.blobs.keyOf(outputsPath(a.paths.outputPrefix))!, LiteralMapSchema);
}

const stringOf = (m: LiteralMap | undefined, name: string) => {
  const l = m?.literals[name]?.value;
  return l?.case === "scalar" && l.value.value.case === "primitive" && l.value.value.value.value.case === "stringValue" ? l.value.value.value.value.value : undefined;
};

describe.skipIf(skip !== "")("local-process plugin: real flytekit tasks", () => {
  it("runs say_hello from code on PYTHONPATH: outputs.pb {o0: 'hello world'}", async () => {
    const plugin = s.plugin({ python: dirname(bin!), codePaths: [code] });
    const a = attemptOf(s, helloTemplate());
    await putInputs(a, { name: str("world") });
    const p = await handleUntil(plugin, a, ["Success", "RetryableFailure", "PermanentFailure"], 120_000);
    const log = await readFile(controlFile(s, a, "task.log"), "utf8").catch(() => "");
    expect(p.phase, `${p.error?.message ?? ""}\n${log}`).toBe("Success");
    expect(stringOf(await outputsOf(a), "o0")).toBe("hello world");
  });

  it("runs say_hello fast-registered: the tarball is unpacked into the attempt folder, not the registered --dest-dir", async () => {
    const plugin = s.plugin({ python: dirname(bin!) });
    const tarball = join(s.root, "fast.tar.gz");
    execFileSync("tar", ["-czf", tarball, "-C", code, "-h", "cfx"]);
    const t = helloTemplate();
    if (t.target.case !== "container") throw new Error("expected a container task");
    t.target.value.args = [
      "pyflyte-fast-execute", "--additional-distribution", `file://${tarball}`, "--dest-dir", "/root", "--",
      ...t.target.value.args,
    ];
    const a = attemptOf(s, t);
    await putInputs(a, { name: str("fast") });
    const p = await handleUntil(plugin, a, ["Success", "RetryableFailure", "PermanentFailure"], 120_000);
    const log = await readFile(controlFile(s, a, "task.log"), "utf8").catch(() => "");
    expect(p.phase, `${p.error?.message ?? ""}\n${log}`).toBe("Success");
    expect(stringOf(await outputsOf(a), "o0")).toBe("hello fast");
    expect(existsSync(join(attemptDir(s, a), "cfx", "hello", "wf.py"))).toBe(true);
  });

  it("a task raising ValueError fails permanently with USER:RuntimeError (flytekit exits 0 and writes error.pb)", async () => {
    const plugin = s.plugin({ python: dirname(bin!), codePaths: [code] });
    const a = attemptOf(s, pythonTask("failing.wf.boom", { x: T.int() }, { o0: T.int() }));
    await putInputs(a, { x: int(7n) });
    const p = await handleUntil(plugin, a, ["Success", "RetryableFailure", "PermanentFailure"], 120_000);
    const log = await readFile(controlFile(s, a, "task.log"), "utf8").catch(() => "");
    expect(p.phase, log).toBe("PermanentFailure");
    expect(p.error?.code).toBe("USER:RuntimeError");
    expect(p.error?.kind).toBe(ExecutionError_ErrorKind.USER);
    expect(p.error?.message).toContain("bad value 7");
  });
});
