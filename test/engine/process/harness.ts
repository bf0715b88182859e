// Hand-built task attempts and a temporary run root / blob store for driving the
// local-process plugin directly, without the engine around it.
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { WorkflowExecutionIdentifierSchema } from "../../../gen/flyteidl/core/identifier_pb.js";
import { type TaskTemplate, TaskTemplateSchema } from "../../../gen/flyteidl/core/tasks_pb.js";
import type { BlobStore } from "../../../src/blob/blob-store.js";
import { createLocalBlobStore } from "../../../src/blob/local-blob-store.js";
import { checkpointPrefix, errorPath, inputsPath, outputDir, rawOutputPrefix } from "../../../src/engine/local/paths.js";
import { generatedName } from "../../../src/engine/local/ids.js";
import { type LocalProcessOptions, type LocalProcessPlugin, createLocalProcessPlugin } from "../../../src/engine/local/process/local-process-plugin.js";
import { isAlive } from "../../../src/engine/local/process/proc-record.js";
import type { PhaseInfo, TaskAttempt } from "../../../src/engine/local/task-plugin.js";
import type { Logger } from "../../../src/logger.js";
import { DOMAIN, PROJECT, taskId } from "../../fixtures/flyte-builders.js";

export const KIT_BIN = "/work/shared/flytekit/bin";

/** The flytekit bin folder to use, or undefined (tests that need it skip). */
export function flytekitBin(): string | undefined {
  for (const d of [...(process.env.PATH ?? "").split(":"), KIT_BIN]) {
    if (d && existsSync(join(d, "pyflyte-execute"))) return d;
  }
  return undefined;
}

export const quietLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export interface Sandbox {
  root: string;
  runRoot: string;
  blobs: BlobStore;
  secretsDir: string;
  plugins: LocalProcessPlugin[];
  plugin(over?: Partial<LocalProcessOptions>): LocalProcessPlugin;
  dispose(): Promise<void>;
}

export async function sandbox(): Promise<Sandbox> {
  const root = await mkdtemp(join(tmpdir(), "local-process-"));
  const blobs = createLocalBlobStore(join(root, "blobs"), { sweepIntervalMs: 0 });
  const s: Sandbox = {
    root,
    runRoot: join(root, "runs"),
    blobs,
    secretsDir: join(root, "secrets"),
    plugins: [],
    plugin(over = {}) {
      const p = createLocalProcessPlugin({
        runRoot: s.runRoot,
        python: "/nonexistent-python",
        codePaths: [],
        gracePeriodMs: 30_000,
        defaultEnv: {},
        secretsDir: s.secretsDir,
        blobs,
        blobEnv: {},
        logUrl: (a) => `http://127.0.0.1:1/engine/logs/${a.project}/${a.domain}/${a.name}/${a.nodeUniqueId}/${a.attempt}`,
        logger: quietLogger,
        ...over,
      });
      s.plugins.push(p);
      return p;
    },
    async dispose() {
      for (const p of s.plugins) p.close();
      blobs.close();
      await rm(root, { recursive: true, force: true });
    },
  };
  return s;
}

/** A container task running `sh -c <script>` (args rendered like any template). */
export function shellTask(script: string, env: Record<string, string> = {}, extraArgs: string[] = []): TaskTemplate {
  return create(TaskTemplateSchema, {
    id: taskId("shell"),
    type: "container",
    target: {
      case: "container",
      value: { image: "alpine:3", command: ["/bin/sh", "-c"], args: [script, "sh", ...extraArgs], env: Object.entries(env).map(([key, value]) => ({ key, value })) },
    },
  });
}

export interface TestAttempt extends TaskAttempt {
  wakes: number;
}

let executions = 0;

/** A fresh execution's attempt `attempt` of node `nodeId`; pass `like` to make another attempt object for the same one (a later round, a restart). */
export function attemptOf(s: Sandbox, template: TaskTemplate, o: { attempt?: number; nodeId?: string; exec?: string; envs?: Record<string, string>; like?: TestAttempt } = {}): TestAttempt {
  const exec = o.like?.executionId.name ?? o.exec ?? `e${process.pid}x${++executions}`;
  const nodeId = o.like?.nodeUniqueId ?? o.nodeId ?? "n0";
  const attempt = o.like?.attempt ?? o.attempt ?? 0;
  const dataDir = s.blobs.uri(`metadata/propeller/${PROJECT}-${DOMAIN}-${exec}/${nodeId}/data`);
  const gen = generatedName(exec, nodeId, attempt);
  const raw = rawOutputPrefix(s.blobs.uri("data"), gen);
  let state: unknown = o.like ? o.like.state : undefined;
  const a: TestAttempt = {
    executionId: create(WorkflowExecutionIdentifierSchema, { project: PROJECT, domain: DOMAIN, name: exec }),
    namespace: `${PROJECT}-${DOMAIN}`,
    workflowName: "wf.my_wf",
    nodeUniqueId: nodeId,
    attempt,
    generatedName: gen,
    taskId: template.id ?? taskId("t"),
    template,
    paths: {
      inputPath: inputsPath(dataDir),
      inputPrefix: dataDir,
      outputPrefix: outputDir(dataDir, attempt),
      rawOutputPrefix: raw,
      checkpointPrefix: checkpointPrefix(raw),
      prevCheckpointPrefix: "",
    },
    envs: o.envs ?? {},
    cpus: 1,
    get state() {
      return state;
    },
    setState(v: unknown) {
      // As the engine persists it: JSON.
      state = JSON.parse(JSON.stringify(v));
    },
    wakes: 0,
    wake() {
      a.wakes++;
    },
  };
  return a;
}

/** The attempt's folder under the run root. */
export function attemptDir(s: Sandbox, a: TaskAttempt): string {
  return join(s.runRoot, a.executionId.project, a.executionId.domain, a.executionId.name, a.nodeUniqueId, String(a.attempt));
}

/** One of the engine's files of the attempt (`.engine/<name>`: proc.json, task.log, …). */
export function controlFile(s: Sandbox, a: TaskAttempt, name: string): string {
  return join(attemptDir(s, a), ".engine", name);
}

/** Where the attempt's error.pb goes, as a file path (the local store's file:// URIs). */
export function errorFile(a: TaskAttempt): string {
  return new URL(errorPath(a.paths.outputPrefix)).pathname;
}

/** Calls handle until the phase is one of `phases` (polling with a deadline; never a timing assertion). */
export async function handleUntil(plugin: LocalProcessPlugin, a: TaskAttempt, phases: PhaseInfo["phase"][], deadlineMs = 20_000): Promise<PhaseInfo> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const p = await plugin.handle(a);
    if (phases.includes(p.phase)) return p;
    if (Date.now() > until) throw new Error(`still ${p.phase} (${p.error?.code ?? ""} ${p.error?.message ?? ""}) after ${deadlineMs} ms; wanted ${phases.join("|")}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function waitFor(what: string, check: () => boolean | Promise<boolean>, deadlineMs = 20_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Whether the process runs (a zombie has ended). */
export function pidAlive(pid: number): boolean {
  return isAlive(pid, undefined);
}
