/**
 * Resolution and rendering against the real flytekit: a task returning a
 * dataclass runs, its output is bound to a second task through the attribute
 * paths flytekit compiled (`conf.a`, `conf.inner.tags[1]`, …), and that task
 * runs on the resolved inputs. Skips where flytekit is not installed.
 */
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { spawn } from "node:child_process";
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { TaskSpecSchema } from "../../../gen/flyteidl/admin/task_pb.js";
import { WorkflowSpecSchema } from "../../../gen/flyteidl/admin/workflow_pb.js";
import { LiteralMapSchema, type LiteralMap } from "../../../gen/flyteidl/core/literals_pb.js";
import { generatedName, retryUniqueKey } from "../../../src/engine/local/ids.js";
import { decodeMsgpack } from "../../../src/engine/local/msgpack-value.js";
import { checkpointPrefix, inputsPath, outputDir, outputsPath, rawOutputPrefix, topNodeDataDir, workflowDir } from "../../../src/engine/local/paths.js";
import { renderArgs } from "../../../src/engine/local/render.js";
import { resolveBindings } from "../../../src/engine/local/resolve.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const FIXTURES = join(HERE, "fixtures", "resolve_units");
const PY = join(HERE, "py");
const SHARED_KIT_BIN = "/work/shared/flytekit/bin";

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The folder holding pyflyte-execute: on PATH first (a virtualenv, CI), else the shared kit. */
function flytekitBin(): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) if (dir && executable(join(dir, "pyflyte-execute"))) return dir;
  return executable(join(SHARED_KIT_BIN, "pyflyte-execute")) ? SHARED_KIT_BIN : undefined;
}

const BIN = flytekitBin();
const suite = BIN ? describe : describe.skip;
const title = BIN ? "with the real flytekit" : `with the real flytekit (skipped: pyflyte-execute not found on PATH nor in ${SHARED_KIT_BIN})`;

const root = mkdtempSync(join(tmpdir(), "engine-resolve-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const fileUri = (path: string) => pathToFileURL(path).href;
const pathOf = (uri: string) => fileURLToPath(uri);

function writeLiteralMap(uri: string, map: LiteralMap): void {
  mkdirSync(dirname(pathOf(uri)), { recursive: true });
  writeFileSync(pathOf(uri), toBinary(LiteralMapSchema, map));
}

function readLiteralMap(uri: string): LiteralMap | undefined {
  try {
    return fromBinary(LiteralMapSchema, readFileSync(pathOf(uri)));
  } catch {
    return undefined;
  }
}

/** Runs one rendered argv (argv[0] from flytekit's bin folder) and resolves with its exit code and stderr; killed at the deadline. */
function run(argv: string[], cwd: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    mkdirSync(cwd, { recursive: true });
    const child = spawn(join(BIN!, argv[0]!), argv.slice(1), {
      cwd,
      env: {
        PATH: `${BIN}${delimiter}/usr/bin${delimiter}/bin`,
        HOME: cwd,
        LANG: "C.UTF-8",
        PYTHONPATH: [PY, process.env.PYTHONPATH].filter(Boolean).join(delimiter),
        PYTHONDONTWRITEBYTECODE: "1",
        PYTHONUNBUFFERED: "1",
        FLYTECTL_CONFIG: "",
        PYTHON_KEYRING_BACKEND: "keyring.backends.null.Keyring",
        FLYTE_INTERNAL_EXECUTION_ID: "abc123",
        FLYTE_INTERNAL_EXECUTION_PROJECT: "flytesnacks",
        FLYTE_INTERNAL_EXECUTION_DOMAIN: "development",
        FLYTE_ATTEMPT_NUMBER: "0",
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (b: Buffer) => {
      if (stderr.length < 20_000) stderr += b.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

function taskArgs(file: string): string[] {
  const target = fromBinary(TaskSpecSchema, readFileSync(join(FIXTURES, file))).template!.target;
  if (target.case !== "container") throw new Error(`${file} is not a container task`);
  return target.value.args;
}

suite(`binding resolution ${title}`, () => {
  const meta = fileUri(join(root, "metadata", "propeller"));
  const rawBase = fileUri(join(root, "data"));
  const w = workflowDir(meta, { project: "flytesnacks", domain: "development", name: "abc123" });

  async function runTask(nodeId: string, file: string, inputs: LiteralMap): Promise<LiteralMap> {
    const d = topNodeDataDir(w, nodeId);
    writeLiteralMap(inputsPath(d), inputs);
    const name = generatedName("abc123", nodeId, 0);
    const raw = rawOutputPrefix(rawBase, name);
    const argv = renderArgs(taskArgs(file), {
      input: inputsPath(d),
      inputPrefix: d,
      outputPrefix: outputDir(d, 0),
      rawOutputDataPrefix: raw,
      checkpointOutputPrefix: checkpointPrefix(raw),
      prevCheckpointPrefix: "",
      perRetryUniqueKey: retryUniqueKey(name),
      namespace: "flytesnacks-development",
      inputs,
    });
    const { code, stderr } = await run(argv, join(root, "run", nodeId, "0"));
    expect(code, stderr).toBe(0);
    expect(readLiteralMap(join(outputDir(d, 0), "error.pb")), stderr).toBeUndefined();
    const out = readLiteralMap(outputsPath(outputDir(d, 0)));
    expect(out, stderr).toBeDefined();
    return out!;
  }

  it("feeds a dataclass's fields through attribute paths to the next task", { timeout: 180_000 }, async () => {
    const wf = fromBinary(WorkflowSpecSchema, readFileSync(join(FIXTURES, "wf_2.pb"))).template!;
    const n1 = wf.nodes.find((n) => n.id === "n1")!;
    const n2 = wf.nodes.find((n) => n.id === "n2")!;
    const read = async (id: string) => readLiteralMap(outputsPath(outputDir(topNodeDataDir(w, id), 0)));

    const n1Inputs = await resolveBindings(n1.inputs, read, { nodeId: "n1" });
    const confOut = await runTask("n1", "make_conf_1.pb", n1Inputs);
    const conf = confOut.literals.o0!;
    expect(conf.value.case === "scalar" && conf.value.value.value.case).toBe("binary");

    const n2Inputs = await resolveBindings(n2.inputs, read, { nodeId: "n2" });
    const prim = (k: string) => {
      const l = n2Inputs.literals[k]!;
      return l.value.case === "scalar" && l.value.value.value.case === "primitive" ? l.value.value.value.value.value : undefined;
    };
    expect(prim("a")).toEqual({ case: "integer", value: 5n });
    expect(prim("c")).toEqual({ case: "floatValue", value: 3 });
    expect(prim("tag")).toEqual({ case: "stringValue", value: "b" });
    const d = n2Inputs.literals.d!;
    expect(d.value.case).toBe("collection");
    if (d.value.case === "collection") {
      expect(d.value.value.literals.map((l) => (l.value.case === "scalar" && l.value.value.value.case === "binary" ? decodeMsgpack(l.value.value.value.value.value) : undefined)?.kind)).toEqual([
        "int", "int", "int",
      ]);
    }

    const useOut = await runTask("n2", "use_1.pb", n2Inputs);
    const text = useOut.literals.o0!;
    expect(text.value.case === "scalar" && text.value.value.value.case === "primitive" && text.value.value.value.value.value).toEqual({
      case: "stringValue",
      value: "5 3.0 [1, 2, 3] b",
    });
  });
});
