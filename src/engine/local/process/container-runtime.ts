/**
 * The docker/podman runner's argv (engine-spec §4.8): the task runs in its image with the
 * blob store root and the attempt directory bind-mounted at their own paths, so every
 * `file://` URI and path the engine hands it means the same inside; copilot tasks also get
 * their input/output directories mounted at the declared paths.
 */
import { spawnSync } from "node:child_process";
import { isAbsolute } from "node:path";
import { onPath } from "./find-flytekit.js";

export type ContainerRuntimeKind = "docker" | "podman";

/** How long `<runtime> version` may take to answer (it asks the daemon) before the runtime counts as absent. */
const VERSION_TIMEOUT_MS = 15_000;

/**
 * The absolute path of a container runtime that is on PATH and answers `<rt> version` (which
 * needs its daemon or service): the preferred one, else the other. Undefined when neither
 * does. Blocks for up to 15 s per runtime: call it once at start-up. `env` is for tests.
 */
export function findContainerRuntime(preferred: ContainerRuntimeKind, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const order: ContainerRuntimeKind[] = preferred === "docker" ? ["docker", "podman"] : ["podman", "docker"];
  for (const name of order) {
    const path = onPath(name, env.PATH ?? "");
    if (path === undefined) continue;
    const r = spawnSync(path, ["version"], { env, stdio: "ignore", timeout: VERSION_TIMEOUT_MS });
    if (r.status === 0) return path;
  }
  return undefined;
}

/** Which runtime an executable found by findContainerRuntime is, by its name. */
export function containerRuntimeKind(path: string): ContainerRuntimeKind {
  return /podman[^/]*$/.test(path) ? "podman" : "docker";
}

/**
 * Variables that describe the host, not the task: the container keeps its image's PATH and
 * HOME (the host's would point at directories that do not exist inside).
 */
const HOST_ONLY_ENV = new Set(["PATH", "HOME"]);

function checkHostPath(what: string, p: string): void {
  if (!isAbsolute(p)) throw new Error(`${what} must be an absolute path: ${JSON.stringify(p)}`);
  // ':' separates the parts of a --volume spec; control characters have no place in a mount.
  if (/[:\u0000-\u001f\u007f]/.test(p)) throw new Error(`${what} cannot be bind-mounted (contains ':' or a control character): ${JSON.stringify(p)}`);
}

/**
 * `<runtime> run` arguments (without the runtime executable itself) for one attempt:
 * `run --rm --name=<name> --security-opt=label=disable --volume=<blobRoot>:<blobRoot>
 * --volume=<attempt>:<attempt> [--volume=<inDir>:<inputPath> --volume=<outDir>:<outputPath>]
 * --workdir=<attempt> --env=<NAME>… [--entrypoint=<argv[0]>] <image> <argv[1…]>`.
 *
 * - Environment variables are passed by name only (`--env=NAME`): the runtime client copies
 *   the values from its own environment, so the caller spawns it with `env` in its
 *   environment, and secrets never show in the process list. PATH and HOME are not passed.
 * - `argv[0]` becomes the entrypoint, as Kubernetes replaces an image's ENTRYPOINT with the
 *   container's command; an empty argv runs the image's own entrypoint and command.
 * - `label=disable` lets SELinux hosts (podman's usual home) read the bind mounts without
 *   relabelling the blob store.
 * - `blobRoot` "" (an S3 store) mounts nothing for it.
 * Throws on a name, image, path or variable name that cannot be expressed safely.
 */
export function dockerRunArgs(o: {
  runtime: ContainerRuntimeKind;
  name: string;
  image: string;
  blobRoot: string;
  attemptDir: string;
  env: Record<string, string>;
  argv: string[];
  copilot?: { inDir: string; outDir: string; inputPath: string; outputPath: string };
}): string[] {
  if (o.runtime !== "docker" && o.runtime !== "podman") throw new Error(`unknown container runtime ${JSON.stringify(o.runtime)}`);
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,252}$/.test(o.name)) throw new Error(`invalid container name ${JSON.stringify(o.name)}`);
  if (o.image === "" || o.image.startsWith("-") || /[\s\u0000-\u001f\u007f]/.test(o.image)) {
    throw new Error(`invalid container image ${JSON.stringify(o.image)}`);
  }
  const args = ["run", "--rm", `--name=${o.name}`, "--security-opt=label=disable"];
  const mounts: Array<[string, string, string]> = [];
  if (o.blobRoot !== "") mounts.push(["blob store root", o.blobRoot, o.blobRoot]);
  mounts.push(["attempt directory", o.attemptDir, o.attemptDir]);
  if (o.copilot) {
    mounts.push(["copilot input directory", o.copilot.inDir, o.copilot.inputPath]);
    mounts.push(["copilot output directory", o.copilot.outDir, o.copilot.outputPath]);
  }
  for (const [what, host, target] of mounts) {
    checkHostPath(what, host);
    checkHostPath(`${what} (inside the container)`, target);
    args.push(`--volume=${host}:${target}`);
  }
  args.push(`--workdir=${o.attemptDir}`);
  for (const name of Object.keys(o.env).sort()) {
    if (HOST_ONLY_ENV.has(name)) continue;
    if (!/^[^=\u0000]+$/.test(name)) throw new Error(`invalid environment variable name ${JSON.stringify(name)}`);
    args.push(`--env=${name}`);
  }
  const [entrypoint, ...rest] = o.argv;
  if (entrypoint !== undefined) args.push(`--entrypoint=${entrypoint}`);
  args.push(o.image, ...rest);
  return args;
}

/** `<runtime> stop` arguments: SIGTERM to the container, SIGKILL after `graceSeconds` (abort). */
export function containerStopArgs(name: string, graceSeconds: number): string[] {
  return ["stop", "-t", String(Math.max(0, Math.floor(graceSeconds))), name];
}
