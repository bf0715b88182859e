/**
 * Raw-container tasks in their image, with docker or podman (engine-spec §4.8), when
 * `--engine-container-runtime` names one. The runtime's `run` command takes the place of the
 * task's own command under the same shim, so proc.json, task.log, classification, abort and
 * re-attach after a restart work as in host mode; the copilot still runs on the host, its
 * folders mounted at the paths the template declares.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { chmod } from "node:fs/promises";
import type { TaskTemplate } from "../../../../gen/flyteidl/core/tasks_pb.js";
import type { Logger } from "../../../logger.js";
import { retryUniqueKey } from "../ids.js";
import type { PhaseInfo, TaskAttempt } from "../task-plugin.js";
import { type LaunchContext, type Prepared, prepareLaunch } from "./attempt-launch.js";
import { failure } from "./classify.js";
import { declaredPaths, isCopilotTask } from "./copilot.js";
import { type ContainerRuntimeKind, containerRuntimeKind, containerStopArgs, dockerRunArgs, findContainerRuntime } from "./container-runtime.js";
import { taskImage } from "./task-command.js";

/** The container an attempt runs in, persisted with the attempt so an abort after a restart can stop it. */
export interface ContainerRef {
  /** The runtime executable that started it. */
  runtime: string;
  name: string;
}

export const RUNTIME_NOT_FOUND = "ContainerRuntimeNotFound";

/** Raw containers (flytekit's ContainerTask) run in their image; python tasks always run on the host. */
export function runsInContainer(template: TaskTemplate): boolean {
  if (template.type === "python-task") return false;
  return template.type === "raw-container" || isCopilotTask(template);
}

/**
 * The runtime client's own settings (where its daemon is, its config and credentials): taken
 * from the server's environment for the client process, and never passed into the container,
 * so a task's variables cannot point the client at another daemon.
 */
const CLIENT_PREFIX = /^(DOCKER_|CONTAINER_|CONTAINERS_|PODMAN_|BUILDAH_)/;
const CLIENT_NAMES = new Set(["PATH", "HOME", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "REGISTRY_AUTH_FILE", "DBUS_SESSION_BUS_ADDRESS"]);

export function isClientVariable(name: string): boolean {
  return CLIENT_NAMES.has(name) || CLIENT_PREFIX.test(name);
}

/** The client settings present in `env` (the server's environment). */
export function runtimeClientEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (typeof v === "string" && isClientVariable(k)) out[k] = v;
  return out;
}

/** The folder of a `file://` blob store, mounted at its own path; "" for any other store (nothing to mount). */
export function blobRootOf(base: string): string {
  // The local store builds its URIs by plain concatenation (no percent-encoding): strip, do not decode.
  return base.startsWith("file://") ? base.slice("file://".length) : "";
}

/** A container name's length here: room for the generated name (at most 50) and the scope, within a DNS label. */
const MAX_NAME = 63;

/**
 * The container's name: the generated name (sanitised only where docker would refuse it) and
 * a short hash of the project and domain. Container names are global to the runtime, and the
 * generated name comes from the execution name and node id alone, which two projects may share.
 */
export function containerName(generatedName: string, project: string, domain: string): string {
  const valid = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
  let base = generatedName;
  if (!valid.test(base)) {
    const key = retryUniqueKey(generatedName);
    base = /^[a-zA-Z0-9]/.test(key) ? key : `a${key}`;
  }
  // "/" is in neither a project nor a domain id, so no two pairs join to the same text.
  const scope = createHash("sha256").update(`${project}/${domain}`).digest("hex").slice(0, 8);
  return `${base.slice(0, MAX_NAME - scope.length - 1)}-${scope}`;
}

/**
 * The shim's argv and environment for one attempt in a container: `<runtime> run …` with the
 * task's variables passed by name (their values sit in the client's environment, out of the
 * process list), and the client's own settings on top. Pure; throws like dockerRunArgs.
 */
export function containerCommand(o: {
  runtime: string;
  name: string;
  image: string;
  blobRoot: string;
  attemptDir: string;
  taskEnv: Readonly<Record<string, string>>;
  argv: string[];
  copilot?: { inDir: string; outDir: string; inputPath: string; outputPath: string } | undefined;
  clientEnv: Readonly<Record<string, string>>;
}): Prepared {
  const inside: Record<string, string> = {};
  for (const [k, v] of Object.entries(o.taskEnv)) if (!isClientVariable(k)) inside[k] = v;
  const args = dockerRunArgs({
    runtime: containerRuntimeKind(o.runtime),
    name: o.name,
    image: o.image,
    blobRoot: o.blobRoot,
    attemptDir: o.attemptDir,
    env: inside,
    argv: o.argv,
    ...(o.copilot ? { copilot: o.copilot } : {}),
  });
  return { argv: [o.runtime, ...args], env: { ...inside, ...o.clientEnv } };
}

export interface ContainerRunner {
  configured: ContainerRuntimeKind;
  /** The runtime found at start-up; undefined when neither docker nor podman answered. */
  executable: string | undefined;
  clientEnv: Readonly<Record<string, string>>;
  /** The attempt's verdict when the runtime is missing: never a silent fall-back to host mode. */
  missing(template: TaskTemplate): PhaseInfo;
  /**
   * The container the attempt runs in, named from its ids alone, so a round that lost the
   * attempt's state (or a restarted server) finds it again; undefined when it runs on the host.
   */
  ref(a: TaskAttempt): ContainerRef | undefined;
  /** The shim's command for the attempt, or the failure that ends it before it starts. */

  prepare(a: TaskAttempt, dir: string, c: LaunchContext, blobBase: string, copilot?: { inDir: string; outDir: string }): Promise<(Prepared & { container: ContainerRef }) | PhaseInfo>;
}

/**
 * Looks for the configured runtime once (it may block for a while: `<runtime> version` asks the
 * daemon) and says at start-up whether raw containers will run. `env` is where to look and the
 * client's settings (the server's environment; tests give their own PATH).
 */
export function createContainerRunner(o: { runtime: ContainerRuntimeKind; env?: NodeJS.ProcessEnv; logger: Logger }): ContainerRunner {
  const env = o.env ?? process.env;
  const executable = findContainerRuntime(o.runtime, env);
  const clientEnv = runtimeClientEnv(env);
  if (executable === undefined) {
    o.logger.warn(`raw-container tasks will fail: ${o.runtime} not found`, {
      containerRuntime: o.runtime,
      fix: `install ${o.runtime} and start its daemon (it must answer "${o.runtime} version" on the server's PATH), then restart the server; or leave --engine-container-runtime empty to run them as processes on this host`,
    });
  } else {
    o.logger.info("raw-container tasks run in their image", { containerRuntime: executable, ...(containerRuntimeKind(executable) !== o.runtime ? { configured: o.runtime } : {}) });
  }

  function missing(template: TaskTemplate): PhaseInfo {
    const task = template.id?.name ? ` [${template.id.name}]` : "";
    return failure(
      "PermanentFailure",
      "SYSTEM",
      RUNTIME_NOT_FOUND,
      `the raw-container task${task} runs in its image with ${o.runtime} (--engine-container-runtime ${o.runtime}), but ${o.runtime} was not found: ` +
        `no ${o.runtime} (or ${o.runtime === "docker" ? "podman" : "docker"}) on the server's PATH answered "version" when the server started. ` +
        `Install ${o.runtime} and start its daemon, then restart the server; or leave --engine-container-runtime empty to run raw containers as processes on this host`,
    );
  }

  const ref = (a: TaskAttempt): ContainerRef | undefined =>
    executable !== undefined && runsInContainer(a.template) ? { runtime: executable, name: containerName(a.generatedName, a.executionId.project, a.executionId.domain) } : undefined;

  return {
    configured: o.runtime,
    executable,
    clientEnv,
    missing,
    ref,
    async prepare(a, dir, c, blobBase, copilot) {
      if (executable === undefined) return missing(a.template);
      const image = taskImage(a.template);
      if (image === "" || image.startsWith("-") || /[\s\u0000-\u001f\u007f]/.test(image)) {
        return failure("PermanentFailure", "USER", "BadTaskSpecification", `the task's container image ${JSON.stringify(image)} cannot be run with ${containerRuntimeKind(executable)}`);
      }
      const paths = declaredPaths(a.template);
      const prepared = await prepareLaunch(a, dir, c, {
        inContainer: true,
        extraEnv: copilot ? { FLYTE_INPUT_DIR: paths.inputPath, FLYTE_OUTPUT_DIR: paths.outputPath } : {},
      });
      if ("phase" in prepared) return prepared;
      const { name } = ref(a)!;
      try {
        const cmd = containerCommand({
          runtime: executable,
          name,
          image,
          blobRoot: blobRootOf(blobBase),
          attemptDir: dir,
          taskEnv: prepared.env,
          argv: prepared.argv,
          copilot: copilot ? { ...copilot, ...paths } : undefined,
          clientEnv,
        });
        return { ...cmd, container: { runtime: executable, name } };
      } catch (e) {
        return failure("PermanentFailure", "SYSTEM", "FailedToBuildResource", `cannot run the task with ${containerRuntimeKind(executable)}: ${(e as Error).message}`);
      }
    },
  };
}

/**
 * Lets the image's user, which may not be the server's, use the attempt's folders: the run
 * root above stays owner-only, so nobody else on the host reaches them.
 */
export async function openForContainer(dir: string, copilot?: { inDir: string; outDir: string }): Promise<void> {
  await chmod(dir, 0o711);
  await chmod(`${dir}/tmp`, 0o1777);
  if (copilot) {
    await chmod(copilot.inDir, 0o755);
    await chmod(copilot.outDir, 0o777);
  }
}

/**
 * `<runtime> stop -t <grace> <name>`, started and left to finish on its own (detached, so it
 * completes even if the server stops): killing the client does not stop its container.
 */
export function stopContainer(ref: ContainerRef, graceMs: number, clientEnv: Readonly<Record<string, string>>, logger: Logger): void {
  try {
    const child = spawn(ref.runtime, containerStopArgs(ref.name, Math.ceil(graceMs / 1000)), { env: { ...clientEnv }, stdio: "ignore", detached: true });
    child.on("error", (e) => logger.warn("could not stop a task's container", { container: ref.name, runtime: ref.runtime, error: e.message }));
    child.unref();
  } catch (e) {
    logger.warn("could not stop a task's container", { container: ref.name, runtime: ref.runtime, error: (e as Error).message });
  }
}
