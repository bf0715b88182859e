// Raw-container tasks with --engine-container-runtime, through the local-process plugin and a
// fake docker client (docker-fake.ts): the argv and environment the client receives, outputs
// through the copilot mounts, abort stopping the container, re-attach after a restart, and a
// configured runtime that is missing failing the attempt instead of falling back to the host.
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ExecutionError_ErrorKind } from "../../../gen/flyteidl/core/execution_pb.js";
import { LiteralMapSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import { DataLoadingConfig_LiteralMapFormat, type TaskTemplate, TaskTemplateSchema } from "../../../gen/flyteidl/core/tasks_pb.js";
import { outputsPath } from "../../../src/engine/local/paths.js";
import { RUNTIME_NOT_FOUND, containerName } from "../../../src/engine/local/process/container-runner.js";
import { readProcRecord } from "../../../src/engine/local/process/proc-record.js";
import type { LocalProcessOptions } from "../../../src/engine/local/process/local-process-plugin.js";
import type { Logger } from "../../../src/logger.js";
import { T, iface, taskId } from "../../fixtures/flyte-builders.js";
import { type FakeRuntime, fakeRuntime } from "./docker-fake.js";
import { type Sandbox, type TestAttempt, attemptDir, attemptOf, controlFile, handleUntil, sandbox, shellTask, waitFor } from "./harness.js";

let s: Sandbox;
let fake: FakeRuntime;
beforeEach(async () => {
  s = await sandbox();
  fake = await fakeRuntime(join(s.root, "fake"));
});
afterEach(async () => {
  await s.dispose();
});

const TERMINAL = ["Success", "RetryableFailure", "PermanentFailure"] as const;

const nameOf = (a: TestAttempt) => containerName(a.generatedName, a.executionId.project, a.executionId.domain);

/** What flytekit's ContainerTask registers (inputs at /var/inputs, outputs at /var/outputs). */
function containerTask(script: string, env: Record<string, string> = {}, command = ["/bin/sh", "-c"]): TaskTemplate {
  return create(TaskTemplateSchema, {
    id: taskId("echo_container"),
    type: "raw-container",
    interface: iface({ msg: T.str() }, { out: T.str() }),
    target: {
      case: "container",
      value: {
        image: "alpine:3.19",
        command,
        args: [script],
        env: Object.entries(env).map(([key, value]) => ({ key, value })),
        dataConfig: { enabled: true, inputPath: "/var/inputs", outputPath: "/var/outputs", format: DataLoadingConfig_LiteralMapFormat.JSON },
      },
    },
  });
}

const msg = (v: string) =>
  create(LiteralMapSchema, {
    literals: { msg: { value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "stringValue", value: v } } } } } } },
  });

/** The runtime client's environment: the fake first on PATH, and a daemon address of the server's own. */
function runtimeEnv(binDir = fake.binDir): NodeJS.ProcessEnv {
  return { PATH: `${binDir}:${process.env.PATH ?? "/usr/bin:/bin"}`, HOME: process.env.HOME ?? "/root", DOCKER_HOST: "unix:///run/fake-docker.sock" };
}

function dockerPlugin(over: Partial<LocalProcessOptions> = {}) {
  return s.plugin({ containerRuntime: "docker", containerRuntimeEnv: runtimeEnv(), gracePeriodMs: 1500, ...over });
}

async function withInputs(a: TestAttempt, value = "hi"): Promise<TestAttempt> {
  await s.blobs.putMessage(s.blobs.keyOf(a.paths.inputPath)!, LiteralMapSchema, msg(value));
  return a;
}

async function outputString(a: TestAttempt, name: string): Promise<string | undefined> {
  const out = await s.blobs.getMessage(s.blobs.keyOf(outputsPath(a.paths.outputPrefix))!, LiteralMapSchema);
  const lit = out?.literals[name]?.value;
  return lit?.case === "scalar" && lit.value.value.case === "primitive" && lit.value.value.value.value.case === "stringValue"
    ? lit.value.value.value.value.value
    : undefined;
}

describe("raw containers with a container runtime", () => {
  it("run as `docker run` with same-path mounts, the copilot mounts, env by name and the generated name", async () => {
    const plugin = dockerPlugin();
    expect(plugin.containerRuntime).toEqual({ configured: "docker", executable: fake.executable });
    const script = 'echo {{.inputs.msg}} > /var/outputs/out && cat /var/inputs/inputs.json > "$FLYTE_OUTPUT_DIR/seen.json"';
    const template = containerTask(script, { GREETING: "hello", DOCKER_HOST: "tcp://elsewhere:2375", PATH: "/opt/image/bin" }, ["sh", "-c"]);
    const a = await withInputs(attemptOf(s, template));
    const p = await handleUntil(plugin, a, [...TERMINAL]);
    expect(p.phase, p.error?.message).toBe("Success");
    expect(await outputString(a, "out")).toBe("hi");

    const runs = await fake.runs();
    expect(runs).toHaveLength(1);
    const run = runs[0]!;
    const dir = attemptDir(s, a);
    const blobRoot = join(s.root, "blobs");
    const envNames = run.args.filter((x) => x.startsWith("--env=")).map((x) => x.slice("--env=".length));
    expect(run.args).toEqual([
      "--rm",
      `--name=${nameOf(a)}`,
      "--security-opt=label=disable",
      `--volume=${blobRoot}:${blobRoot}`,
      `--volume=${dir}:${dir}`,
      `--volume=${dir}/in:/var/inputs`,
      `--volume=${dir}/out:/var/outputs`,
      `--workdir=${dir}`,
      ...envNames.map((n) => `--env=${n}`),
      // Not resolved on the host: the image's own `sh`.
      "--entrypoint=sh",
      "alpine:3.19",
      "-c",
      "echo hi > /var/outputs/out && cat /var/inputs/inputs.json > \"$FLYTE_OUTPUT_DIR/seen.json\"",
    ]);
    expect(envNames).toEqual([...envNames].sort());
    // The task's variables reach the container by name, with their values.
    expect(run.env).toMatchObject({
      GREETING: "hello",
      FLYTE_INTERNAL_EXECUTION_ID: a.executionId.name,
      FLYTE_INTERNAL_TASK_NAME: "echo_container",
      FLYTE_ATTEMPT_NUMBER: "0",
      FLYTE_INPUT_DIR: "/var/inputs",
      FLYTE_OUTPUT_DIR: "/var/outputs",
      TMPDIR: `${dir}/tmp`,
    });
    // The host's PATH and HOME and the client's own settings stay out of the container; the
    // client runs with the server's daemon address, not the task's.
    for (const n of ["PATH", "HOME", "DOCKER_HOST", "PYTHONPATH"]) expect(envNames).not.toContain(n);
    expect(run.clientDockerHost).toBe("unix:///run/fake-docker.sock");
    // inputs.json as the container sees it, and the task's log is the container's output.
    expect(existsSync(join(dir, "out", "seen.json"))).toBe(true);
    expect(existsSync(controlFile(s, a, "task.log"))).toBe(true);
  });

  it("a container that exits non-zero is classified as a task process would be", async () => {
    const plugin = dockerPlugin();
    const a = await withInputs(attemptOf(s, containerTask("echo broken >&2; exit 3")));
    const p = await handleUntil(plugin, a, [...TERMINAL]);
    expect(p.phase).toBe("RetryableFailure");
    expect(p.error?.kind).toBe(ExecutionError_ErrorKind.USER);
    expect(p.error?.message).toContain("terminated with exit code (3)");
    expect(p.error?.message).toContain("broken");
  });

  it("abort stops the container by name with the grace period, and the attempt reads Aborted", async () => {
    const plugin = dockerPlugin();
    const a = await withInputs(attemptOf(s, containerTask("sleep 60")));
    await handleUntil(plugin, a, ["Running"]);
    await waitFor("the container to start", async () => (await fake.runs()).length === 1);
    await plugin.abort(a);
    await waitFor("docker stop", async () => (await fake.stops()).length >= 1);
    expect((await fake.stops())[0]).toEqual(["-t", "2", nameOf(a)]);
    const p = await handleUntil(plugin, a, ["Aborted", ...TERMINAL]);
    expect(p.phase).toBe("Aborted");
  });

  it("after the grace period the shim kills the client and stops the container again, even with the server gone", async () => {
    const plugin = dockerPlugin({ gracePeriodMs: 300 });
    const a = await withInputs(attemptOf(s, containerTask("trap '' TERM; touch started; while true; do sleep 0.1; done")));
    await handleUntil(plugin, a, ["Running"]);
    // Once the command runs, the fake client has its handlers: it passes SIGTERM on to the command, which ignores it.
    await waitFor("the container's command to start", () => existsSync(join(attemptDir(s, a), "started")));
    await plugin.abort(a);
    plugin.close();
    await waitFor("the second docker stop", async () => (await fake.stops()).some((x) => x.join(" ") === `-t 0 ${nameOf(a)}`));
    await waitFor("the client to be killed", async () => (await readProcRecord(attemptDir(s, a)))?.signal === "SIGKILL");
  });

  it("a container whose client and shim were killed from outside is stopped when the attempt is found lost", async () => {
    const plugin = dockerPlugin();
    const a = await withInputs(attemptOf(s, containerTask("sleep 60")));
    await handleUntil(plugin, a, ["Running"]);
    await waitFor("the container to start", async () => (await fake.runs()).length === 1);
    const rec = (await readProcRecord(attemptDir(s, a)))!;
    process.kill(rec.shimPid, "SIGKILL");
    process.kill(-rec.pgid!, "SIGKILL");
    const p = await handleUntil(plugin, a, [...TERMINAL]);
    expect(p.error?.code).toBe("LocalProcessLost");
    await waitFor("docker stop", async () => (await fake.stops()).some((x) => x.join(" ") === `-t 0 ${nameOf(a)}`));
  });

  it("a replayed round without state after a restart adopts the container; abort without state stops it", async () => {
    const first = dockerPlugin();
    const a = await withInputs(attemptOf(s, containerTask("sleep 60")));
    await handleUntil(first, a, ["Running"]);
    await waitFor("the container to start", async () => (await fake.runs()).length === 1);
    first.close();
    const second = dockerPlugin();
    const b = attemptOf(s, a.template, { exec: a.executionId.name, nodeId: a.nodeUniqueId });
    expect((await second.handle(b)).phase).toBe("Running");
    expect(b.state).toMatchObject({ container: { name: nameOf(a) } });
    await second.abort(attemptOf(s, a.template, { exec: a.executionId.name, nodeId: a.nodeUniqueId }));
    await waitFor("docker stop", async () => (await fake.stops()).some((x) => x.at(-1) === nameOf(a)));
    expect((await handleUntil(second, b, ["Aborted", ...TERMINAL])).phase).toBe("Aborted");
  });

  it("is re-attached after a restart, and an abort then still stops its container", async () => {
    const gate = join(s.root, "gate");
    const first = dockerPlugin();
    const a = await withInputs(attemptOf(s, containerTask(`while [ ! -e ${gate} ]; do sleep 0.05; done; echo {{.inputs.msg}} > /var/outputs/out`)));
    await handleUntil(first, a, ["Running"]);
    first.close();

    const second = dockerPlugin();
    const b = attemptOf(s, a.template, { like: a });
    expect((await second.handle(b)).phase).toBe("Running");
    await writeFile(gate, "");
    const p = await handleUntil(second, b, [...TERMINAL]);
    expect(p.phase, p.error?.message).toBe("Success");
    expect(await outputString(b, "out")).toBe("hi");
    expect(await fake.runs()).toHaveLength(1);

    const c = await withInputs(attemptOf(s, containerTask("sleep 60")));
    const third = dockerPlugin();
    await handleUntil(third, c, ["Running"]);
    await waitFor("the container to start", async () => (await fake.runs()).length === 2);
    third.close();
    const fourth = dockerPlugin();
    const d = attemptOf(s, c.template, { like: c });
    await fourth.abort(d);
    await waitFor("docker stop", async () => (await fake.stops()).some((x) => x.at(-1) === nameOf(c)));
    expect((await handleUntil(fourth, d, ["Aborted", ...TERMINAL])).phase).toBe("Aborted");
  });

  it("python tasks and plain container tasks still run on the host", async () => {
    const plugin = dockerPlugin();
    const python = create(TaskTemplateSchema, { ...shellTask("echo host > marker"), type: "python-task" });
    const container = shellTask("echo host > marker");
    for (const t of [python, container]) {
      const a = attemptOf(s, t);
      const p = await handleUntil(plugin, a, [...TERMINAL]);
      expect(p.phase, p.error?.message).toBe("Success");
      expect(existsSync(join(attemptDir(s, a), "marker"))).toBe(true);
    }
    expect(await fake.runs()).toEqual([]);
  });

  it("podman is used the same way when it is the one configured", async () => {
    const podman = await fakeRuntime(join(s.root, "fake-podman"), "podman");
    const plugin = s.plugin({ containerRuntime: "podman", containerRuntimeEnv: runtimeEnv(podman.binDir) });
    expect(plugin.containerRuntime?.executable).toBe(podman.executable);
    const a = await withInputs(attemptOf(s, containerTask("echo {{.inputs.msg}} > /var/outputs/out")));
    expect((await handleUntil(plugin, a, [...TERMINAL])).phase).toBe("Success");
    expect((await podman.runs())[0]?.name).toBe(nameOf(a));
  });
});

describe("a configured container runtime that is missing", () => {
  it("is a warning when the plugin is made and a clear SYSTEM failure of each raw container, never a run on the host", async () => {
    const warnings: string[] = [];
    const logger: Logger = { debug() {}, info() {}, error() {}, warn: (m) => warnings.push(m) };
    const empty = join(s.root, "empty-bin");
    await mkdir(empty);
    const plugin = s.plugin({ containerRuntime: "docker", containerRuntimeEnv: { PATH: empty }, logger });
    expect(plugin.containerRuntime).toEqual({ configured: "docker", executable: undefined });
    expect(warnings.some((w) => w.includes("docker not found"))).toBe(true);

    const a = await withInputs(attemptOf(s, containerTask("echo {{.inputs.msg}} > /var/outputs/out")));
    const p = await handleUntil(plugin, a, [...TERMINAL]);
    expect(p.phase).toBe("PermanentFailure");
    expect(p.error?.kind).toBe(ExecutionError_ErrorKind.SYSTEM);
    expect(p.error?.code).toBe(RUNTIME_NOT_FOUND);
    expect(p.error?.message).toContain("--engine-container-runtime docker");
    expect(p.error?.message).toContain("docker was not found");
    // Nothing ran, and a later round (or a restart) repeats the verdict.
    expect(existsSync(controlFile(s, a, "proc.json"))).toBe(false);
    expect(existsSync(join(attemptDir(s, a), "out", "out"))).toBe(false);
    const again = await s.plugin().handle(attemptOf(s, a.template, { like: a }));
    expect(again.error?.code).toBe(RUNTIME_NOT_FOUND);

    // Python tasks are not affected.
    const py = attemptOf(s, create(TaskTemplateSchema, { ...shellTask("true"), type: "python-task" }));
    expect((await handleUntil(plugin, py, [...TERMINAL])).phase).toBe("Success");
  });

  it("without a runtime configured raw containers run on the host, as before", async () => {
    const plugin = s.plugin();
    expect(plugin.containerRuntime).toBeUndefined();
    const a = await withInputs(attemptOf(s, containerTask("echo {{.inputs.msg}} > /var/outputs/out")));
    expect((await handleUntil(plugin, a, [...TERMINAL])).phase).toBe("Success");
    expect(await outputString(a, "out")).toBe("hi");
    expect(await fake.runs()).toEqual([]);
  });
});
