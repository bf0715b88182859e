import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { create } from "@bufbuild/protobuf";
import { ExecutionError_ErrorKind, TaskLog_MessageFormat, TaskLogSchema } from "../../../../gen/flyteidl/core/execution_pb.js";
import type { TaskTemplate } from "../../../../gen/flyteidl/core/tasks_pb.js";
import type { BlobStore } from "../../../blob/blob-store.js";
import type { Logger } from "../../../logger.js";
import type { PhaseInfo, TaskAttempt, TaskPlugin } from "../task-plugin.js";
import { type LaunchContext, prepareLaunch } from "./attempt-launch.js";
import { abortAttempt } from "./attempt-abort.js";
import { attemptFolder } from "./attempt-files.js";
import { resumeAttempt } from "./attempt-resume.js";
import { LOST, failure, lost } from "./classify.js";
import { type ContainerRef, type ContainerRunner, createContainerRunner, openForContainer, runsInContainer, runtimeClientEnv, stopContainer } from "./container-runner.js";
import { type ContainerRuntimeKind, containerStopArgs } from "./container-runtime.js";
import { CopilotDownloadError, declaredPaths, isCopilotTask, prepareCopilotInputs, rewriteCopilotPaths } from "./copilot.js";
import { createExitWatcher } from "./exit-watcher.js";
import { type Flytekit, findFlytekit } from "./find-flytekit.js";
import { createAttemptDir, findShim, spawnShim } from "./launch.js";
import { type AttemptJob, type ProcState, createMonitor } from "./monitor.js";

export { findFlytekit } from "./find-flytekit.js";
export type { ProcState } from "./monitor.js";

export interface LocalProcessOptions {
  /** An attempt runs in `<runRoot>/<project>/<domain>/<exec>/<nodeUniqueId>/<attempt>/` (relative: to the server's cwd). */
  runRoot: string;
  /** "" → pyflyte-execute from the server's PATH; else a virtualenv or a bin folder holding it. */
  python: string;
  /** Prepended to PYTHONPATH (code that was not fast-registered). */
  codePaths: readonly string[];
  /** SIGTERM → SIGKILL on abort. */
  gracePeriodMs: number;
  /** The platform's env vars (engine-spec §4.3 step 6). */
  defaultEnv: Readonly<Record<string, string>>;
  /** `<group>/<key>` files → `_FSEC_<GROUP>_<KEY>` for the secrets a template requests. */
  secretsDir: string;
  blobs: BlobStore;
  /** FLYTE_AWS_* when the store is S3 (else {}). */
  blobEnv: Readonly<Record<string, string>>;
  logUrl(a: { project: string; domain: string; name: string; nodeUniqueId: string; attempt: number }): string;
  logger: Logger;
  /**
   * docker or podman: raw-container tasks run in their image (engine-spec §4.8), looked up
   * once when the plugin is made; "" or absent: every task runs on this host.
   */
  containerRuntime?: ContainerRuntimeKind | "";
  /** Where to look for the runtime, and its client's settings (default: the server's environment). */
  containerRuntimeEnv?: NodeJS.ProcessEnv;
}

export interface LocalProcessPlugin extends TaskPlugin {
  /** The configured container runtime and the executable found for it (undefined: not found); undefined in host mode. */
  readonly containerRuntime: { configured: ContainerRuntimeKind; executable: string | undefined } | undefined;
  /** Stops this plugin's timers without touching the tasks: they run on and are re-attached after a restart. */
  close(): void;
}

const QUEUED: PhaseInfo = { phase: "Queued", version: 0, reason: "task submitted to local runner" };

/**
 * The `local-process` task plugin (engine-spec §4, §8.5): runs python-task, container,
 * sidecar and raw-container tasks as processes on this host, each attempt in a fresh
 * folder, through a detached shim that records the process and its exit, so tasks
 * survive a server restart and are re-attached from their records.
 */
export function createLocalProcessPlugin(options: LocalProcessOptions): LocalProcessPlugin {
  // Absolute from here on: the shim runs in the attempt folder and gets its path as an argument.
  const o = { ...options, runRoot: resolve(options.runRoot) };
  const jobs = new Map<string, AttemptJob>();
  const warnedImages = new Set<string>();
  const watcher = createExitWatcher(500);
  let closed = false;
  /** Rounds asked for later (an attempt whose shim is about to start), cancelled by close(). */
  const later = new Set<NodeJS.Timeout>();
  let kit: Flytekit | undefined;
  let shim: string | undefined;
  const runner: ContainerRunner | undefined = o.containerRuntime
    ? createContainerRunner({ runtime: o.containerRuntime, logger: o.logger, ...(o.containerRuntimeEnv ? { env: o.containerRuntimeEnv } : {}) })
    : undefined;
  const clientEnv = runner?.clientEnv ?? runtimeClientEnv(o.containerRuntimeEnv ?? process.env);

  const jobOf = (dir: string, a: TaskAttempt): AttemptJob => {
    let job = jobs.get(dir);
    if (!job) jobs.set(dir, (job = { wake: () => {} }));
    job.wake = () => {
      if (!closed) a.wake();
    };
    return job;
  };
  const monitor = createMonitor({ blobs: o.blobs, watcher, taskLog: (a) => taskLog(a) });

  function taskLog(a: TaskAttempt) {
    const uri = o.logUrl({ project: a.executionId.project, domain: a.executionId.domain, name: a.executionId.name, nodeUniqueId: a.nodeUniqueId, attempt: a.attempt });
    // flyteidl has no TEXT format (UNKNOWN, CSV, JSON): UNKNOWN is what plain-text logs carry.
    return create(TaskLogSchema, { name: "Local logs (User)", uri, messageFormat: TaskLog_MessageFormat.UNKNOWN });
  }

  const attemptDir = (a: TaskAttempt) => attemptFolder(o.runRoot, [a.executionId.project, a.executionId.domain, a.executionId.name, a.nodeUniqueId, String(a.attempt)]);

  function context(): LaunchContext {
    // Looked up until found, so installing flytekit needs no restart; kept once found.
    kit ??= findFlytekit(o.python);
    return { python: o.python, kit, codePaths: o.codePaths, defaultEnv: o.defaultEnv, secretsDir: o.secretsDir, blobs: o.blobs, blobEnv: o.blobEnv, logger: o.logger };
  }

  function remember(a: TaskAttempt, state: ProcState, verdict: PhaseInfo): PhaseInfo {
    const e = verdict.error;
    if (e && (verdict.phase === "PermanentFailure" || verdict.phase === "RetryableFailure")) {
      const kind = e.kind === ExecutionError_ErrorKind.USER ? "USER" : "SYSTEM";
      a.setState({ ...state, verdict: { phase: verdict.phase, kind, code: e.code, message: e.message } } satisfies ProcState);
    }
    return verdict;
  }

  async function launch(a: TaskAttempt, dir: string): Promise<PhaseInfo> {
    const state: ProcState = { v: 1, dir };
    a.setState(state);
    const job = jobOf(dir, a);
    const template = a.template;
    const copilot = isCopilotTask(template);
    const inDir = join(dir, "in");
    const outDir = join(dir, "out");
    const inContainer = runner !== undefined && runsInContainer(template);
    if (!inContainer) warnImage(template);
    const prepared = inContainer
      ? await runner.prepare(a, dir, context(), o.blobs.base, copilot ? { inDir, outDir } : undefined)
      : await prepareLaunch(a, dir, context(), {
          ...(copilot ? { rewrite: (argv: string[]) => rewriteCopilotPaths(argv, template, inDir, outDir) } : {}),
          extraEnv: copilot ? { FLYTE_INPUT_DIR: inDir, FLYTE_OUTPUT_DIR: outDir } : {},
        });
    if ("phase" in prepared) {
      job.failure = prepared;
      return remember(a, state, prepared);
    }
    if ("container" in prepared) {
      // Recorded before anything starts, so an abort (even after a restart) knows what to stop.
      state.container = prepared.container as ContainerRef;
      a.setState(state);
    }
    shim ??= findShim();
    const run = async () => {
      const container = state.container;
      const stopArgv = container ? [container.runtime, ...containerStopArgs(container.name, 0)] : undefined;
      const s = await spawnShim(shim!, dir, { argv: prepared.argv, env: prepared.env, graceMs: o.gracePeriodMs, ...(stopArgv ? { stopArgv } : {}) });
      job.spawned = { shimPid: s.shimPid, shimStart: s.shimStart };
      listen(dir, s.child);
    };
    if (inContainer) await openForContainer(dir);
    if (!copilot) {
      await run();
      a.setState({ ...state, ...job.spawned } satisfies ProcState);
      a.wake();
      return QUEUED;
    }
    // Downloads can be large: done in the background while the attempt reports QUEUED.
    await mkdir(inDir, { mode: 0o700 });
    await mkdir(outDir, { mode: 0o700 });
    if (inContainer) await openForContainer(dir, { inDir, outDir });
    job.launching = true;
    // In a container the task sees its inputs where the template declares them: inputs.pb says so.
    const visibleInDir = inContainer ? declaredPaths(template).inputPath : inDir;
    void prepareCopilotInputs({ template, inputPath: a.paths.inputPath, blobs: o.blobs, inDir, visibleInDir })
      .then(
        async () => {
          if (job.cancelled) return;
          await run().catch((e: unknown) => {
            job.failure = launchFailure(e, dir, "LocalLaunchFailed", "failed to start the task");
          });
        },
        (e: unknown) => {
          job.failure = launchFailure(e, dir, e instanceof CopilotDownloadError ? e.code : "InputDownloadFailed", "failed to download the task's inputs");
        },
      )
      .finally(() => {
        job.launching = false;
        job.wake();
      });
    return QUEUED;
  }

  function warnImage(template: TaskTemplate) {
    const image = template.target.case === "container" ? template.target.value.image : "";
    if (image && !warnedImages.has(image) && warnedImages.size < 1000) {
      warnedImages.add(image);
      o.logger.warn("host mode runs tasks without their image", { image });
    }
  }

  function listen(dir: string, child: ChildProcess) {
    const job = jobs.get(dir);
    if (job) job.child = child;
    child.once("exit", () => {
      const j = jobs.get(dir);
      if (j) j.childDone = true;
      j?.wake();
    });
  }

  function launchFailure(e: unknown, dir: string, code: string, what: string): PhaseInfo {
    const err = e as NodeJS.ErrnoException;
    if (err?.code === "ENOSPC") return failure("RetryableFailure", "SYSTEM", "LocalDiskFull", `no space left on device while preparing the attempt in ${dir}: ${err.message}`);
    o.logger.error("local task launch failed", { dir, error: String(err?.stack ?? e) });
    return failure("RetryableFailure", "SYSTEM", code, `${what} in ${dir}: ${err?.message ?? String(e)}`);
  }

  async function handle(a: TaskAttempt): Promise<PhaseInfo> {
    const state = a.state as ProcState | undefined;
    if (!state || typeof state.dir !== "string") return start(a);
    if (state.verdict) return failure(state.verdict.phase, state.verdict.kind, state.verdict.code, state.verdict.message);
    const job = jobOf(state.dir, a);
    if (job.failure) return remember(a, state, job.failure);
    if (job.spawned && state.shimPid !== job.spawned.shimPid) a.setState({ ...state, ...job.spawned } satisfies ProcState);
    if (job.launching) return QUEUED;
    const verdict = await monitor.check(a, { ...state, ...job.spawned }, job);
    // The runtime's client is gone without an exit of its own: its container may still run.
    if (verdict.error?.code === LOST && state.container) stopContainer(state.container, 0, clientEnv, o.logger);
    return verdict;
  }

  /** A round without state: the attempt's first, or the replay of one whose result was lost. */
  async function start(a: TaskAttempt): Promise<PhaseInfo> {
    const dir = attemptDir(a);
    if (dir === undefined) return failure("PermanentFailure", "SYSTEM", "BadTaskSpecification", "the execution, node or attempt id cannot name a folder");
    try {
      if (await createAttemptDir(dir)) return await launch(a, dir);
    } catch (e) {
      const verdict = launchFailure(e, dir, "LocalLaunchFailed", "failed to start the task");
      const job = jobs.get(dir);
      if (job) job.failure = verdict;
      const st = a.state as ProcState | undefined;
      return st ? remember(a, st, verdict) : verdict;
    }
    const container = runner?.ref(a);
    const resumed = await resumeAttempt(dir, jobs.get(dir), container);
    if ("state" in resumed) {
      a.setState(resumed.state);
      return handle(a);
    }
    if ("pending" in resumed) {
      const t = setTimeout(() => {
        later.delete(t);
        if (!closed) a.wake();
      }, 1000);
      t.unref();
      later.add(t);
      return QUEUED;
    }
    if (container) stopContainer(container, 0, clientEnv, o.logger);
    return lost(resumed.lost);
  }

  async function abort(a: TaskAttempt): Promise<void> {
    const state = a.state as ProcState | undefined;
    // Without state (the round that launched it lost its result) the attempt's folder is found from its ids.
    const dir = typeof state?.dir === "string" ? state.dir : attemptDir(a);
    if (dir === undefined) return;
    const job = jobs.get(dir);
    if (job) job.cancelled = true;
    if (!existsSync(dir)) return;
    const spawned = job?.spawned ?? (state?.shimPid !== undefined ? { shimPid: state.shimPid, shimStart: state.shimStart } : undefined);
    await abortAttempt({ dir, shim: spawned, container: state?.container ?? runner?.ref(a) }, { gracePeriodMs: o.gracePeriodMs, clientEnv, logger: o.logger });
  }

  async function finalize(a: TaskAttempt): Promise<void> {
    const state = a.state as ProcState | undefined;
    const dir = typeof state?.dir === "string" ? state.dir : attemptDir(a);
    if (dir === undefined) return;
    watcher.unwatch(dir);
    jobs.delete(dir);
    // The SIGKILL of an abort's grace period stays armed in the shim: a task that ignores SIGTERM still ends.
  }

  return {
    id: "local-process",
    // Propeller's pod plugin is the default for types no plugin claims; of those, flytekit
    // serialises the failure node of an @eager workflow (which terminates its sub-executions).
    taskTypes: ["python-task", "container", "sidecar", "raw-container", "eager_failure_handler_task"],
    containerRuntime: runner ? { configured: runner.configured, executable: runner.executable } : undefined,
    handle,
    abort,
    finalize,
    close() {
      closed = true;
      watcher.close();
      for (const t of later) clearTimeout(t);
      later.clear();
    },
  };
}
