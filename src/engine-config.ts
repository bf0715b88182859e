import { availableParallelism, totalmem } from "node:os";
import { resolve } from "node:path";
import { create } from "@bufbuild/protobuf";
import { type TaskResourceAttributes, TaskResourceAttributesSchema } from "../gen/flyteidl/admin/matchable_resource_pb.js";
import type { Config } from "./config.js";

/**
 * The pure parts of the engine options: what the host offers tasks, and the
 * platform environment given to every task.
 */

/** What a machine offers tasks: logical CPUs and memory in bytes. */
export interface HostResources {
  cpus: number;
  memoryBytes: number;
}

export const thisHost = (): HostResources => ({ cpus: availableParallelism(), memoryBytes: totalmem() });

/** The task slots the local engine runs with: the configured number, or the host's CPU count for 0. */
export const engineTaskSlots = (config: Config, host: HostResources = thisHost()): number =>
  config.engineTaskSlots > 0 ? config.engineTaskSlots : Math.max(1, host.cpus);

/**
 * Task resource limits of a machine: its CPU count and memory (whole MiB), with
 * the usual defaults (2 CPUs, 200Mi) capped by them, so a task may ask for
 * anything the machine has and never more. GPUs keep the server's usual limit.
 */
export function hostTaskResources(host: HostResources): TaskResourceAttributes {
  const cpus = Math.max(1, Math.floor(host.cpus));
  const mebibytes = Math.max(1, Math.floor(host.memoryBytes / 2 ** 20));
  return create(TaskResourceAttributesSchema, {
    defaults: { cpu: String(Math.min(2, cpus)), memory: mebiText(Math.min(200, mebibytes)) },
    limits: { cpu: String(cpus), memory: mebiText(mebibytes), gpu: "1" },
  });
}

/** Whole MiB as Kubernetes writes them canonically: the largest binary suffix that keeps the number whole. */
function mebiText(mebibytes: number): string {
  let n = mebibytes;
  for (const suffix of ["Mi", "Gi", "Ti", "Pi"]) {
    if (n % 1024 !== 0 || suffix === "Pi") return `${n}${suffix}`;
    n /= 1024;
  }
  return `${n}Pi`;
}

/**
 * The engine's folders as absolute paths, resolved against the server's working folder once,
 * when the configuration is read: tasks run in their attempt folders, where a relative path
 * (the default data dir is ./data) would name something else.
 */
export function absoluteEnginePaths(c: Pick<Config, "engineRunRoot" | "engineSecretsDir" | "engineCodePaths">) {
  return { engineRunRoot: resolve(c.engineRunRoot), engineSecretsDir: resolve(c.engineSecretsDir), engineCodePaths: c.engineCodePaths.map((p) => resolve(p)) };
}

/** Environment variable names as a shell takes them. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Bounds an option that every task process inherits. */
const MAX_ENV_ENTRIES = 1000;

/** KEY=VALUE pairs (comma-separated text, so values cannot hold commas, or a list) or a mapping of strings (config file). */
export function envMap(raw: unknown, fail: (what: string) => Error): Record<string, string> {
  // A Map, so a variable named __proto__ is a variable like any other.
  const out = new Map<string, string>();
  const add = (key: string, value: unknown) => {
    if (!ENV_NAME.test(key)) throw fail(`${JSON.stringify(key)} is not an environment variable name`);
    if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") throw fail(`expected a text value for ${key}`);
    if (String(value).includes("\0")) throw fail(`the value of ${key} holds a NUL character`);
    out.set(key, String(value));
  };
  if (raw !== null && typeof raw === "object" && !Array.isArray(raw)) {
    for (const [k, v] of Object.entries(raw)) add(k, v);
  } else {
    const items = Array.isArray(raw) ? raw.map(String) : String(raw).split(",").map((x) => x.trim()).filter((x) => x !== "");
    for (const item of items) {
      const eq = item.indexOf("=");
      if (eq <= 0) throw fail("expected KEY=VALUE pairs");
      add(item.slice(0, eq), item.slice(eq + 1));
    }
  }
  if (out.size > MAX_ENV_ENTRIES) throw fail(`expected at most ${MAX_ENV_ENTRIES} variables`);
  return Object.fromEntries(out);
}

