// The local-process plugin driven directly with shell-script tasks (no Python needed):
// launch, phases, environment, exit classification, error documents, abort, re-attach
// after a restart, processes killed from outside.
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ContainerError_Kind, ErrorDocumentSchema } from "../../../gen/flyteidl/core/errors_pb.js";
import { ExecutionError_ErrorKind } from "../../../gen/flyteidl/core/execution_pb.js";
import { LiteralMapSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import { SecurityContextSchema } from "../../../gen/flyteidl/core/security_pb.js";
import { TaskTemplateSchema } from "../../../gen/flyteidl/core/tasks_pb.js";
import { taskTemplatePath } from "../../../src/engine/local/paths.js";
import { readProcRecord } from "../../../src/engine/local/process/proc-record.js";
import { pythonTask } from "../../fixtures/flyte-builders.js";
import { type Sandbox, attemptDir, attemptOf, controlFile, handleUntil, pidAlive, sandbox, shellTask, waitFor } from "./harness.js";

let s: Sandbox;
beforeEach(async () => {
  s = await sandbox();
});
afterEach(async () => {
  await s.dispose();
});

/** Writes the error document a task "writes" (the script copies it to its output prefix). */
async function errorDoc(code: string, kind: ContainerError_Kind, origin: ExecutionError_ErrorKind): Promise<string> {
  const p = join(s.root, `${code.replace(/\W/g, "_")}.pb`);
  const doc = create(ErrorDocumentSchema, { error: { code, message: `${code} happened`, kind, origin, timestamp: timestampFromDate(new Date()), worker: "w1" } });
  await writeFile(p, toBinary(ErrorDocumentSchema, doc));
  return p;
}

/** `sh -c` copying `file` to `<output prefix>/error.pb` and exiting 0, as flytekit does on a task error. */
const writesError = (file: string) => shellTask(`d="\${1#file://}"; mkdir -p "$d" && cp '${file}' "$d/error.pb"`, {}, ["{{.outputPrefix}}"]);

describe("local-process plugin: shell tasks", () => {
  it("launches an attempt: QUEUED, then RUNNING with the log link, then Success; output in task.log", async () => {
    const plugin = s.plugin();
    const a = attemptOf(s, shellTask("echo hello from $FLYTE_INTERNAL_EXECUTION_ID; echo to stderr >&2; sleep 0.3"));
    const first = await plugin.handle(a);
    expect(first).toMatchObject({ phase: "Queued", version: 0, reason: "task submitted to local runner" });
    const dir = attemptDir(s, a);
    expect((a.state as { dir: string }).dir).toBe(dir);
    expect(existsSync(join(dir, "tmp"))).toBe(true);
    const running = await handleUntil(plugin, a, ["Running", "Success"]);
    if (running.phase === "Running") {
      expect(running.version).toBe(0);
      expect(running.logs).toHaveLength(1);
      expect(running.logs![0]!.name).toBe("Local logs (User)");
      expect(running.logs![0]!.uri).toBe(`http://127.0.0.1:1/engine/logs/${a.executionId.project}/${a.executionId.domain}/${a.executionId.name}/n0/0`);
    }
    const done = await handleUntil(plugin, a, ["Success", "RetryableFailure", "PermanentFailure"]);
    expect(done.phase).toBe("Success");
    expect(a.wakes).toBeGreaterThan(0);
    const log = await readFile(controlFile(s, a, "task.log"), "utf8");
    expect(log).toContain(`hello from ${a.executionId.name}`);
    expect(log).toContain("to stderr");
    // Never pre-created: flytekit (fsspec) creates the output prefix itself.
    expect(existsSync(new URL(a.paths.outputPrefix).pathname)).toBe(false);
    const rec = await readProcRecord(dir);
    expect(rec).toMatchObject({ exitCode: 0, signal: null });
    expect(existsSync(controlFile(s, a, "launch.json"))).toBe(false);
  });

  it("gives the task propeller's environment, not the server's", async () => {
    process.env.SERVER_ONLY_SETTING = "leak";
    await mkdir(join(s.secretsDir, "db"), { recursive: true });
    await writeFile(join(s.secretsDir, "db", "password"), "s3cret");
    try {
      const plugin = s.plugin({ defaultEnv: { PLATFORM_VAR: "p", SHARED: "from-platform" }, codePaths: ["/opt/code"] });
      const t = shellTask("env > env.out", { _F_SS_C: "H4sIAAAA", SHARED: "from-template", TEMPLATE_ONLY: "t" });
      t.securityContext = create(SecurityContextSchema, { secrets: [{ group: "db", key: "password" }, { group: "db", key: "absent" }] });
      const a = attemptOf(s, t, { attempt: 2, envs: { EXEC_VAR: "x", SHARED: "from-execution" } });
      await handleUntil(plugin, a, ["Success", "RetryableFailure", "PermanentFailure"]);
      const text = await readFile(join(attemptDir(s, a), "env.out"), "utf8");
      const env = Object.fromEntries(text.split("\n").filter((l) => l.includes("=")).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
      expect(env).toMatchObject({
        _F_SS_C: "H4sIAAAA",
        TEMPLATE_ONLY: "t",
        EXEC_VAR: "x",
        PLATFORM_VAR: "p",
        SHARED: "from-platform",
        FLYTE_INTERNAL_EXECUTION_WORKFLOW: `${a.executionId.project}:${a.executionId.domain}:wf.my_wf`,
        FLYTE_INTERNAL_EXECUTION_ID: a.executionId.name,
        FLYTE_INTERNAL_EXECUTION_PROJECT: a.executionId.project,
        FLYTE_INTERNAL_EXECUTION_DOMAIN: a.executionId.domain,
        FLYTE_ATTEMPT_NUMBER: "2",
        FLYTE_INTERNAL_TASK_NAME: "shell",
        FLYTE_INTERNAL_TASK_VERSION: "v1",
        TMPDIR: join(attemptDir(s, a), "tmp"),
        PYTHONUNBUFFERED: "1",
        FLYTECTL_CONFIG: "",
        PYTHONPATH: "/opt/code",
        _FSEC_DB_PASSWORD: "s3cret",
      });
      expect(env.SERVER_ONLY_SETTING).toBeUndefined();
      expect(env.PATH).toBeTruthy();
    } finally {
      delete process.env.SERVER_ONLY_SETTING;
    }
  });

  it("a non-zero exit is a USER RetryableFailure naming the exit code, with the end of the log", async () => {
    const plugin = s.plugin();
    const a = attemptOf(s, shellTask("for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo line$i; done; exit 3"));
    const p = await handleUntil(plugin, a, ["Success", "RetryableFailure", "PermanentFailure"]);
    expect(p.phase).toBe("RetryableFailure");
    expect(p.error?.kind).toBe(ExecutionError_ErrorKind.USER);
    expect(p.error?.code).toBe("Error");
    expect(p.error?.message).toBe(`\r\n[${a.generatedName}] terminated with exit code (3). Reason [Error]. Message: \n${[3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((i) => `line${i}`).join("\n")}.`);
    expect(p.logs).toHaveLength(1);
  });

  it("exit 0 with error.pb: RECOVERABLE → RetryableFailure, NON_RECOVERABLE → PermanentFailure, kind = origin", async () => {
    const plugin = s.plugin();
    const rec = attemptOf(s, writesError(await errorDoc("USER:Recoverable", ContainerError_Kind.RECOVERABLE, ExecutionError_ErrorKind.USER)));
    const perm = attemptOf(s, writesError(await errorDoc("USER:RuntimeError", ContainerError_Kind.NON_RECOVERABLE, ExecutionError_ErrorKind.USER)));
    const sys = attemptOf(s, writesError(await errorDoc("SYSTEM", ContainerError_Kind.NON_RECOVERABLE, ExecutionError_ErrorKind.SYSTEM)));
    const r1 = await handleUntil(plugin, rec, ["Success", "RetryableFailure", "PermanentFailure"]);
    expect(r1.phase).toBe("RetryableFailure");
    expect(r1.error).toMatchObject({ code: "USER:Recoverable", message: "USER:Recoverable happened", kind: ExecutionError_ErrorKind.USER, worker: "w1" });
    expect(r1.error?.timestamp).toBeDefined();
    const r2 = await handleUntil(plugin, perm, ["Success", "RetryableFailure", "PermanentFailure"]);
    expect(r2.phase).toBe("PermanentFailure");
    expect(r2.error).toMatchObject({ code: "USER:RuntimeError", kind: ExecutionError_ErrorKind.USER });
    const r3 = await handleUntil(plugin, sys, ["Success", "RetryableFailure", "PermanentFailure"]);
    expect(r3.phase).toBe("PermanentFailure");
    expect(r3.error).toMatchObject({ code: "SYSTEM", kind: ExecutionError_ErrorKind.SYSTEM });
  });

  it("a malformed or empty error document is a SYSTEM RetryableFailure ErrorFileBadFormat", async () => {
    const plugin = s.plugin();
    const bad = join(s.root, "bad.pb");
    await writeFile(bad, Buffer.from([0xff, 0xff, 0xff]));
    const empty = join(s.root, "empty.pb");
    await writeFile(empty, Buffer.alloc(0));
    for (const file of [bad, empty]) {
      const a = attemptOf(s, writesError(file));
      const p = await handleUntil(plugin, a, ["Success", "RetryableFailure", "PermanentFailure"]);
      expect(p.phase).toBe("RetryableFailure");
      expect(p.error).toMatchObject({ code: "ErrorFileBadFormat", kind: ExecutionError_ErrorKind.SYSTEM });
    }
  });

  it("{{.taskTemplatePath}} names D/task.pb, which holds the task's template before the task starts", async () => {
    const plugin = s.plugin();
    const a = attemptOf(s, shellTask('cp "${1#file://}" template.pb', {}, ["{{ .taskTemplatePath }}"]));
    const p = await handleUntil(plugin, a, ["Success", "RetryableFailure", "PermanentFailure"]);
    expect(p.phase, p.error?.message).toBe("Success");
    expect(existsSync(new URL(taskTemplatePath(a.paths.inputPrefix)).pathname)).toBe(true);
    const copied = fromBinary(TaskTemplateSchema, await readFile(join(attemptDir(s, a), "template.pb")));
    expect(copied.id?.name).toBe("shell");
    expect(copied.target.case === "container" && copied.target.value.args[2]).toBe("{{ .taskTemplatePath }}");
  });

  it("a template that cannot be rendered fails permanently (USER FailedToBuildResource) without starting anything", async () => {
    const plugin = s.plugin();
    const a = attemptOf(s, shellTask("echo {{.inputs.missing}}"));
    await s.blobs.putMessage(s.blobs.keyOf(a.paths.inputPath)!, LiteralMapSchema, create(LiteralMapSchema, { literals: { x: { value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "integer", value: 1n } } } } } } } }));
    const p = await plugin.handle(a);
    expect(p.phase).toBe("PermanentFailure");
    expect(p.error).toMatchObject({ code: "FailedToBuildResource", kind: ExecutionError_ErrorKind.USER });
    expect(existsSync(controlFile(s, a, "proc.json"))).toBe(false);
    // A replayed round (the engine stopped before recording the verdict) gives the same verdict.
    const again = await plugin.handle(attemptOf(s, a.template, { like: a }));
    expect(again.error?.code).toBe("FailedToBuildResource");
  });

  it("without flytekit a python task fails LocalPythonNotConfigured", async () => {
    const plugin = s.plugin({ python: join(s.root, "no-such-venv") });
    const a = attemptOf(s, pythonTask("hello.wf.say_hello", {}, {}));
    const p = await plugin.handle(a);
    expect(p.phase).toBe("PermanentFailure");
    expect(p.error).toMatchObject({ code: "LocalPythonNotConfigured", kind: ExecutionError_ErrorKind.SYSTEM });
    expect(p.error?.message).toContain("no pyflyte-execute found");
    expect(p.error?.message).toContain("--engine-python");
  });

  it("an attempt folder that already exists (restart during a launch) is LocalProcessLost", async () => {
    const plugin = s.plugin();
    const a = attemptOf(s, shellTask("true"));
    await mkdir(attemptDir(s, a), { recursive: true });
    const p = await plugin.handle(a);
    expect(p.phase).toBe("RetryableFailure");
    expect(p.error).toMatchObject({ code: "LocalProcessLost", kind: ExecutionError_ErrorKind.SYSTEM });
  });

  it("a task killed from outside (SIGKILL) is a SYSTEM RetryableFailure LocalProcessLost", async () => {
    const plugin = s.plugin();
    const a = attemptOf(s, shellTask("sleep 60"));
    await plugin.handle(a);
    const dir = attemptDir(s, a);
    await waitFor("the task to start", async () => (await readProcRecord(dir))?.pid !== undefined);
    process.kill((await readProcRecord(dir))!.pid!, "SIGKILL");
    const p = await handleUntil(plugin, a, ["Success", "RetryableFailure", "PermanentFailure"]);
    expect(p.phase).toBe("RetryableFailure");
    expect(p.error).toMatchObject({ code: "LocalProcessLost", kind: ExecutionError_ErrorKind.SYSTEM });
  });

  it("a task whose shim and process vanished without an exit record is LocalProcessLost", async () => {
    const plugin = s.plugin();
    const a = attemptOf(s, shellTask("sleep 60"));
    await plugin.handle(a);
    const dir = attemptDir(s, a);
    await waitFor("the task to start", async () => (await readProcRecord(dir))?.pid !== undefined);
    const rec = (await readProcRecord(dir))!;
    process.kill(rec.shimPid, "SIGKILL");
    process.kill(-rec.pgid!, "SIGKILL");
    await waitFor("the processes to end", () => !pidAlive(rec.pid!) && !pidAlive(rec.shimPid));
    const p = await plugin.handle(a);
    expect(p.phase).toBe("RetryableFailure");
    expect(p.error).toMatchObject({ code: "LocalProcessLost", kind: ExecutionError_ErrorKind.SYSTEM });
  });

  it("re-attaches after a restart: a new plugin instance sees the running task, is woken at its end, and reports its result", async () => {
    const first = s.plugin();
    const a = attemptOf(s, shellTask("while [ ! -f go ]; do sleep 0.1; done; echo finished"));
    expect((await first.handle(a)).phase).toBe("Queued");
    const dir = attemptDir(s, a);
    await waitFor("the task to start", async () => (await readProcRecord(dir))?.pid !== undefined);
    first.close(); // the server stops; the task runs on

    const second = s.plugin();
    const b = attemptOf(s, a.template, { like: a });
    const p = await second.handle(b);
    expect(p.phase).toBe("Running");
    expect(p.logs).toHaveLength(1);
    await writeFile(join(dir, "go"), "");
    await waitFor("a wake-up from the exit watcher", () => b.wakes > 0);
    expect((await second.handle(b)).phase).toBe("Success");
    expect(await readFile(controlFile(s, a, "task.log"), "utf8")).toContain("finished");
  });

  it("runs tasks under a run root given as a relative path (the default data dir is ./data)", async () => {
    const plugin = s.plugin({ runRoot: relative(process.cwd(), s.runRoot) });
    const a = attemptOf(s, shellTask("echo relative-ok"));
    const p = await handleUntil(plugin, a, ["Success", "RetryableFailure", "PermanentFailure"]);
    expect(p.phase, p.error?.message).toBe("Success");
    expect((a.state as { dir: string }).dir).toBe(attemptDir(s, a));
  });

  it("files named like the engine's that a task writes in its folder change nothing the engine reads", async () => {
    const plugin = s.plugin();
    const fakeExit = JSON.stringify({ v: 1, shimPid: 1, pid: 1, pgid: 1, startTime: "1", exitCode: 0, signal: null, endedAt: "2020-01-01T00:00:00Z" });
    const script = [
      `echo '{"requestedAt":"2020-01-01T00:00:00Z"}' > abort.json`,
      `echo '${fakeExit}' > proc.json`,
      `echo '{"argv":["true"],"env":{}}' > launch.json`,
      ": > outputs-uploaded",
      "echo not-the-log > task.log",
      "while [ ! -f go ]; do sleep 0.05; done",
      "echo the-real-log; exit 3",
    ].join("; ");
    const a = attemptOf(s, shellTask(script));
    await plugin.handle(a);
    const dir = attemptDir(s, a);
    await waitFor("the task to write its files", () => existsSync(join(dir, "task.log")));
    expect((await plugin.handle(a)).phase).toBe("Running");
    await writeFile(join(dir, "go"), "");
    const p = await handleUntil(plugin, a, ["Success", "RetryableFailure", "PermanentFailure", "Aborted"]);
    expect(p.phase).toBe("RetryableFailure");
    expect(p.error?.message).toContain("terminated with exit code (3)");
    expect(p.error?.message).toContain("the-real-log");
    expect(await readFile(controlFile(s, a, "task.log"), "utf8")).not.toContain("not-the-log");
  });

  it("a command that is not found fails permanently without a process", async () => {
    const plugin = s.plugin();
    const t = shellTask("true");
    if (t.target.case === "container") t.target.value.command = ["no-such-command-xyz"];
    const p = await plugin.handle(attemptOf(s, t));
    expect(p.phase).toBe("PermanentFailure");
    expect(p.error?.code).toBe("ExecutableNotFound");
  });
});
