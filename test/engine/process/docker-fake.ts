// A stand-in for the docker/podman client (no daemon and no images on test machines): an
// executable named `docker` (or `podman`) that answers `version`, records every `run` and
// `stop` it gets, and runs a container's command as a local process with the mounted paths
// mapped back to their host folders, so a raw container's `/var/outputs/out` lands in the
// attempt's `out` folder.
import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** What the fake recorded for one `run`. */
export interface FakeRun {
  args: string[];
  /** The values of the variables passed with --env=NAME, as the client's environment held them. */
  env: Record<string, string>;
  /** The client's own DOCKER_HOST, to see which environment the client itself ran with. */
  clientDockerHost: string | null;
  volumes: Array<[string, string]>;
  name: string;
  workdir: string;
  entrypoint: string | null;
  image: string;
  command: string[];
}

const SCRIPT = String.raw`"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { spawn } = require("node:child_process");
const [recordDir, verb, ...args] = process.argv.slice(2);
if (verb === "version") process.exit(0);
if (verb === "stop") {
  fs.appendFileSync(path.join(recordDir, "stop.log"), JSON.stringify(args) + "\n");
  process.exit(0);
}
if (verb !== "run") {
  process.stderr.write("fake runtime: unknown command " + verb + "\n");
  process.exit(125);
}
const volumes = [];
const env = {};
let name = "", workdir = "/", entrypoint = null, i = 0;
for (; i < args.length && args[i].startsWith("--"); i++) {
  const a = args[i];
  const value = a.slice(a.indexOf("=") + 1);
  if (a.startsWith("--volume=")) volumes.push(value.split(":"));
  else if (a.startsWith("--env=")) { if (process.env[value] !== undefined) env[value] = process.env[value]; }
  else if (a.startsWith("--name=")) name = value;
  else if (a.startsWith("--workdir=")) workdir = value;
  else if (a.startsWith("--entrypoint=")) entrypoint = value;
  else if (a !== "--rm" && !a.startsWith("--security-opt=")) { process.stderr.write("fake runtime: unexpected option " + a + "\n"); process.exit(125); }
}
const image = args[i];
const command = args.slice(i + 1);
const record = { args, env, clientDockerHost: process.env.DOCKER_HOST ?? null, volumes, name, workdir, entrypoint, image, command };
fs.writeFileSync(path.join(recordDir, "run-" + name + ".json"), JSON.stringify(record));
for (const [host] of volumes) {
  if (!fs.existsSync(host)) { process.stderr.write("fake runtime: bind source path does not exist: " + host + "\n"); process.exit(125); }
}
// Paths inside the "container" that are mounted elsewhere on the host, longest first.
const mapped = volumes.filter(([h, t]) => h !== t).sort((a, b) => b[1].length - a[1].length);
const map = (s) => mapped.reduce((acc, [h, t]) => acc.split(t).join(h), s);
const childEnv = { PATH: "/usr/local/bin:/usr/bin:/bin", HOME: "/root" };
for (const [k, v] of Object.entries(env)) childEnv[k] = map(v);
const argv = [entrypoint, ...command].filter((x) => x !== null).map(map);
const child = spawn(argv[0], argv.slice(1), { cwd: workdir, env: childEnv, stdio: "inherit" });
child.on("error", (e) => { process.stderr.write("fake runtime: " + e.message + "\n"); process.exit(127); });
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code, signal) => process.exit(code ?? 128 + (signal === "SIGKILL" ? 9 : 15)));
`;

export interface FakeRuntime {
  /** The folder holding the executable: put it first on the runtime's PATH. */
  binDir: string;
  executable: string;
  runs(): Promise<FakeRun[]>;
  stops(): Promise<string[][]>;
}

/** Installs the fake client as `<dir>/bin/<name>`, recording into `<dir>/records`. */
export async function fakeRuntime(dir: string, name: "docker" | "podman" = "docker"): Promise<FakeRuntime> {
  const binDir = join(dir, "bin");
  const records = join(dir, "records");
  await mkdir(binDir, { recursive: true });
  await mkdir(records, { recursive: true });
  const script = join(dir, "fake-runtime.cjs");
  await writeFile(script, SCRIPT);
  const executable = join(binDir, name);
  await writeFile(executable, `#!/bin/sh\nexec '${process.execPath}' '${script}' '${records}' "$@"\n`);
  await chmod(executable, 0o755);
  return {
    binDir,
    executable,
    async runs() {
      const files = (await readdir(records)).filter((f) => f.startsWith("run-")).sort();
      return Promise.all(files.map(async (f) => JSON.parse(await readFile(join(records, f), "utf8")) as FakeRun));
    },
    async stops() {
      const log = join(records, "stop.log");
      if (!existsSync(log)) return [];
      return (await readFile(log, "utf8"))
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as string[]);
    },
  };
}
