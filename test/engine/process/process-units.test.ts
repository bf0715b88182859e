// The pure parts of the local-process plugin: argv, environment, verdicts, log tails,
// finding flytekit, the exit watcher.
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExecutionError_ErrorKind } from "../../../gen/flyteidl/core/execution_pb.js";
import { TaskTemplateSchema } from "../../../gen/flyteidl/core/tasks_pb.js";
import { classifyFailedExit } from "../../../src/engine/local/process/classify.js";
import { createExitWatcher } from "../../../src/engine/local/process/exit-watcher.js";
import { findFlytekit, resolveExecutable } from "../../../src/engine/local/process/find-flytekit.js";
import { logTail } from "../../../src/engine/local/process/log-tail.js";
import { buildProcessEnv, secretEnvName } from "../../../src/engine/local/process/process-env.js";
import { rewriteDestDir, taskCommand } from "../../../src/engine/local/process/task-command.js";
import { taskId } from "../../fixtures/flyte-builders.js";

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "process-units-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("rewriteDestDir", () => {
  it("points every pyflyte-fast-execute --dest-dir at the attempt folder, and nothing else", () => {
    const argv = [
      "pyflyte-fast-execute", "--additional-distribution", "file:///b/fast.tar.gz", "--dest-dir", "/root", "--",
      "pyflyte-execute", "--inputs", "x", "--dest-dir", "keep", "--", "task-module", "m",
    ];
    expect(rewriteDestDir(argv, "/runs/a/0")).toEqual([
      "pyflyte-fast-execute", "--additional-distribution", "file:///b/fast.tar.gz", "--dest-dir", "/runs/a/0", "--",
      "pyflyte-execute", "--inputs", "x", "--dest-dir", "keep", "--", "task-module", "m",
    ]);
    expect(rewriteDestDir(["/venv/bin/pyflyte-fast-execute", "--dest-dir=.", "--", "x"], "/d")).toEqual(["/venv/bin/pyflyte-fast-execute", "--dest-dir=/d", "--", "x"]);
    expect(rewriteDestDir(["pyflyte-execute", "--dest-dir", "/root"], "/d")).toEqual(["pyflyte-execute", "--dest-dir", "/root"]);
    // Empty entries are kept (map tasks' `vars ""`).
    expect(rewriteDestDir(["a", "", "b"], "/d")).toEqual(["a", "", "b"]);
  });
});

describe("taskCommand", () => {
  it("takes command + args of a container, with its env", () => {
    const t = create(TaskTemplateSchema, { type: "container", target: { case: "container", value: { command: ["sh", "-c"], args: ["echo", ""], env: [{ key: "A", value: "1" }] } } });
    expect(taskCommand(t)).toEqual({ argv: ["sh", "-c", "echo", ""], env: [{ key: "A", value: "1" }] });
  });
  it("takes the primary container of a pod template", () => {
    const t = create(TaskTemplateSchema, {
      type: "sidecar",
      target: {
        case: "k8sPod",
        value: {
          primaryContainerName: "main",
          podSpec: { containers: [{ name: "side", args: ["x"] }, { name: "main", command: ["pyflyte-execute"], args: ["--inputs", "{{.input}}"], env: [{ name: "E", value: "v" }, { name: "S", valueFrom: {} }] }] },
        },
      },
    });
    expect(taskCommand(t)).toEqual({ argv: ["pyflyte-execute", "--inputs", "{{.input}}"], env: [{ key: "E", value: "v" }] });
  });
  it("refuses templates without a runnable container", () => {
    expect(() => taskCommand(create(TaskTemplateSchema, { type: "sql" }))).toThrow(/no container/);
    expect(() => taskCommand(create(TaskTemplateSchema, { type: "container", target: { case: "container", value: {} } }))).toThrow(/neither command nor args/);
    const pod = create(TaskTemplateSchema, { type: "sidecar", target: { case: "k8sPod", value: { primaryContainerName: "main", podSpec: { containers: [{ name: "other" }] } } } });
    expect(() => taskCommand(pod)).toThrow(/no primary container \[main\]/);
  });
});

describe("buildProcessEnv", () => {
  const base = {
    templateEnv: [{ key: "_F_SS_C", value: "abc" }, { key: "FLYTE_ATTEMPT_NUMBER", value: "99" }, { key: "X", value: "template" }],
    executionId: { project: "p", domain: "d", name: "e1" } as never,
    workflowName: "wf.w",
    taskId: taskId("t.x"),
    attempt: 1,
    executionEnvs: { X: "execution" },
    defaultEnv: {},
    blobEnv: { FLYTE_AWS_ENDPOINT: "http://s3" },
    secrets: { _FSEC_G_K: "v" },
    binDir: "/kit/bin",
    hostPath: "/usr/bin:/bin",
    home: "/home/u",
    lang: "en_US.UTF-8",
    tmpDir: "/runs/x/tmp",
    pythonPath: ["/code", "/kit/site"],
  };
  it("follows propeller's order and adds the local runner's variables", () => {
    const env = buildProcessEnv(base);
    expect(env).toEqual({
      HOME: "/home/u",
      LANG: "en_US.UTF-8",
      _F_SS_C: "abc",
      FLYTE_ATTEMPT_NUMBER: "1",
      X: "execution",
      FLYTE_INTERNAL_EXECUTION_WORKFLOW: "p:d:wf.w",
      FLYTE_INTERNAL_EXECUTION_ID: "e1",
      FLYTE_INTERNAL_EXECUTION_PROJECT: "p",
      FLYTE_INTERNAL_EXECUTION_DOMAIN: "d",
      FLYTE_INTERNAL_TASK_PROJECT: "flytesnacks",
      FLYTE_INTERNAL_TASK_DOMAIN: "development",
      FLYTE_INTERNAL_TASK_NAME: "t.x",
      FLYTE_INTERNAL_TASK_VERSION: "v1",
      PATH: "/kit/bin:/usr/bin:/bin",
      PYTHONPATH: "/code:/kit/site",
      TMPDIR: "/runs/x/tmp",
      PYTHONUNBUFFERED: "1",
      FLYTECTL_CONFIG: "",
      FLYTE_AWS_ENDPOINT: "http://s3",
      _FSEC_G_K: "v",
    });
  });
  it("platform defaults win over the execution's envs; a PATH or PYTHONPATH of the envs keeps the kit in front", () => {
    const env = buildProcessEnv({ ...base, defaultEnv: { X: "platform" }, executionEnvs: { PATH: "/mine", PYTHONPATH: "/extra", "BAD=NAME": "x", "": "y" } });
    expect(env.X).toBe("platform");
    expect(env.PATH).toBe("/kit/bin:/mine");
    expect(env.PYTHONPATH).toBe("/code:/kit/site:/extra");
    expect(Object.keys(env)).not.toContain("BAD=NAME");
  });
  it("names secrets as flytekit looks them up", () => {
    expect(secretEnvName({ group: "db", groupVersion: "", key: "pass" })).toBe("_FSEC_DB_PASS");
    expect(secretEnvName({ group: "db", groupVersion: "v1", key: "pass" })).toBe("_FSEC_DB_V1_PASS");
  });
});

describe("classifyFailedExit", () => {
  const rec = { shimPid: 1, pid: 2, endedAt: "now" };
  it("exit codes are USER errors", () => {
    const p = classifyFailedExit({ ...rec, exitCode: 3, signal: null }, "gen-n0-0", "boom");
    expect(p.phase).toBe("RetryableFailure");
    expect(p.error).toMatchObject({ code: "Error", kind: ExecutionError_ErrorKind.USER, message: "\r\n[gen-n0-0] terminated with exit code (3). Reason [Error]. Message: \nboom." });
  });
  it("a start the shim itself could not make (unusable launch description, failed spawn) is a SYSTEM LocalLaunchFailed", () => {
    const p = classifyFailedExit({ shimPid: 1, endedAt: "now", exitCode: 127, signal: null, error: "launch description unreadable", launchFault: true }, "g", "shim: cannot read");
    expect(p.phase).toBe("RetryableFailure");
    expect(p.error).toMatchObject({ code: "LocalLaunchFailed", kind: ExecutionError_ErrorKind.SYSTEM });
    expect(p.error?.message).toContain("launch description unreadable");
    expect(classifyFailedExit({ shimPid: 1, endedAt: "now", exitCode: 127, signal: null, error: "spawn ENOENT" }, "g", "").error?.kind).toBe(ExecutionError_ErrorKind.USER);
  });
  it("a crash signal is a USER error with 128 + the signal number; an outside kill is a lost process; an OOM kill is OOMKilled", () => {
    expect(classifyFailedExit({ ...rec, exitCode: null, signal: "SIGSEGV" }, "g", "").error?.message).toContain("exit code (139)");
    const killed = classifyFailedExit({ ...rec, exitCode: null, signal: "SIGKILL" }, "g", "last");
    expect(killed.error).toMatchObject({ code: "LocalProcessLost", kind: ExecutionError_ErrorKind.SYSTEM });
    const oom = classifyFailedExit({ ...rec, exitCode: null, signal: "SIGKILL", oomKilled: true }, "g", "");
    expect(oom.error).toMatchObject({ code: "OOMKilled", kind: ExecutionError_ErrorKind.USER });
    expect(oom.error?.message).toContain("exit code (137). Reason [OOMKilled]");
  });
});

describe("logTail", () => {
  it("gives the last lines of the end of a file", async () => {
    const p = join(tmp, "a.log");
    await writeFile(p, `${"x".repeat(20_000)}\n${Array.from({ length: 15 }, (_, i) => `l${i}`).join("\n")}\nprogress 10%\rprogress 100%\r\n\n`);
    expect(await logTail(p)).toBe(["l6", "l7", "l8", "l9", "l10", "l11", "l12", "l13", "l14", "progress 100%"].join("\n"));
    expect(await logTail(join(tmp, "missing.log"))).toBe("");
  });
});

describe("findFlytekit", () => {
  it("finds pyflyte-execute in a venv, a bin folder, a kit, or on PATH", async () => {
    const venv = join(tmp, "venv");
    await mkdir(join(venv, "bin"), { recursive: true });
    await writeFile(join(venv, "pyvenv.cfg"), "");
    await writeFile(join(venv, "bin", "pyflyte-execute"), "#!/bin/sh\n");
    await chmod(join(venv, "bin", "pyflyte-execute"), 0o755);
    await writeFile(join(venv, "bin", "python3"), "");
    expect(findFlytekit(venv)).toEqual({ binDir: join(venv, "bin"), pythonPath: [] });
    expect(findFlytekit(join(venv, "bin"))).toEqual({ binDir: join(venv, "bin"), pythonPath: [] });
    expect(findFlytekit(join(venv, "bin", "python3"))).toEqual({ binDir: join(venv, "bin"), pythonPath: [] });
    expect(findFlytekit("", `/nonexistent:${join(venv, "bin")}`)).toEqual({ binDir: join(venv, "bin"), pythonPath: [] });
    expect(findFlytekit(join(tmp, "nothing"))).toBeUndefined();
    expect(findFlytekit("", "/nonexistent")).toBeUndefined();

    const kit = join(tmp, "kit");
    await mkdir(join(kit, "bin"), { recursive: true });
    await mkdir(join(kit, "site", "flytekit"), { recursive: true });
    await writeFile(join(kit, "bin", "pyflyte-execute"), "#!/bin/sh\n");
    await chmod(join(kit, "bin", "pyflyte-execute"), 0o755);
    expect(findFlytekit(kit)).toEqual({ binDir: join(kit, "bin"), pythonPath: [join(kit, "site")] });
  });
  it("resolves commands from the kit first, then PATH", () => {
    expect(resolveExecutable("sh", undefined, "/usr/bin:/bin")).toMatch(/\/sh$/);
    expect(resolveExecutable("pyflyte-execute", join(tmp, "venv", "bin"), "/usr/bin:/bin")).toBe(join(tmp, "venv", "bin", "pyflyte-execute"));
    expect(resolveExecutable("./run.sh", undefined, "")).toBe("./run.sh");
    expect(resolveExecutable("/no/such/file", undefined, "")).toBeUndefined();
    expect(resolveExecutable("no-such-cmd-xyz", undefined, "/usr/bin")).toBeUndefined();
  });
});

describe("createExitWatcher", () => {
  it("wakes once when neither the shim nor the task runs, and stops its timer when nothing is watched", async () => {
    const alive = new Set([10, 11]);
    const w = createExitWatcher(10, (pid) => pid !== undefined && alive.has(pid));
    let wakes = 0;
    w.watch("a", { shimPid: 10, pid: 11, wake: () => wakes++ });
    await new Promise((r) => setTimeout(r, 50));
    expect(wakes).toBe(0);
    alive.delete(10);
    await new Promise((r) => setTimeout(r, 50));
    expect(wakes).toBe(0);
    alive.delete(11);
    const until = Date.now() + 5000;
    while (wakes === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(wakes).toBe(1);
    expect(w.has("a")).toBe(false);
    w.close();
  });
});
