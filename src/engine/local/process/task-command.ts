import type { JsonValue } from "@bufbuild/protobuf";
import type { TaskTemplate } from "../../../../gen/flyteidl/core/tasks_pb.js";

/** The unrendered argv and env of the container a task runs. */
export interface TaskCommand {
  argv: string[];
  env: { key: string; value: string }[];
}

/** Bounds on what a template may ask for, so a hostile template cannot make the launch huge. */
const MAX_ARGS = 10_000;
const MAX_ARG_BYTES = 1 << 20;

/**
 * `command` + `args` of the template's container; for a pod template (`k8s_pod`, e.g. sidecar
 * tasks), of the primary container named by the template, with its env. Throws with a message
 * for the user when there is no such container or it is malformed.
 */
export function taskCommand(template: TaskTemplate): TaskCommand {
  const t = template.target;
  let out: TaskCommand;
  if (t.case === "container") {
    out = { argv: [...t.value.command, ...t.value.args], env: t.value.env.map((e) => ({ key: e.key, value: e.value })) };
  } else if (t.case === "k8sPod") {
    const name = t.value.primaryContainerName || template.config["primary_container_name"] || "";
    out = podContainer(t.value.podSpec, name);
  } else {
    throw new Error(`task type [${template.type}] has no container to run (target ${t.case ?? "unset"})`);
  }
  if (out.argv.length === 0) throw new Error("the task's container has neither command nor args");
  if (out.argv.length > MAX_ARGS) throw new Error(`the task's command has ${out.argv.length} arguments, more than ${MAX_ARGS}`);
  const bytes = out.argv.reduce((n, a) => n + Buffer.byteLength(a), 0);
  if (bytes > MAX_ARG_BYTES) throw new Error(`the task's command is ${bytes} bytes long, more than ${MAX_ARG_BYTES}`);
  return out;
}

/**
 * The image of the container a task runs (the primary container's, for a pod template), ""
 * when the template names none. Only the container runtime uses it: host mode ignores images.
 */
export function taskImage(template: TaskTemplate): string {
  const t = template.target;
  if (t.case === "container") return t.value.image;
  if (t.case === "k8sPod") {
    const name = t.value.primaryContainerName || template.config["primary_container_name"] || "";
    const containers = t.value.podSpec?.["containers"];
    const c = Array.isArray(containers) ? containers.find((x) => isObject(x) && x["name"] === name) : undefined;
    const image = isObject(c) ? c["image"] : undefined;
    return typeof image === "string" ? image : "";
  }
  return "";
}

function podContainer(spec: { [k: string]: JsonValue } | undefined, name: string): TaskCommand {
  const containers = spec?.["containers"];
  if (!Array.isArray(containers)) throw new Error("the task's pod spec has no containers");
  const c = containers.find((x) => isObject(x) && x["name"] === name);
  if (!isObject(c)) throw new Error(`the task's pod spec has no primary container [${name}]`);
  const strings = (v: JsonValue | undefined, what: string): string[] => {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || !v.every((s) => typeof s === "string")) throw new Error(`container [${name}] ${what} must be a list of strings`);
    return v as string[];
  };
  const env: TaskCommand["env"] = [];
  const rawEnv = c["env"];
  if (Array.isArray(rawEnv)) {
    for (const e of rawEnv) {
      // Only literal values: valueFrom (secrets, field refs) needs Kubernetes.
      if (isObject(e) && typeof e["name"] === "string" && typeof e["value"] === "string") env.push({ key: e["name"], value: e["value"] });
    }
  }
  return { argv: [...strings(c["command"], "command"), ...strings(c["args"], "args")], env };
}

function isObject(v: JsonValue | undefined): v is { [k: string]: JsonValue } {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Points every `pyflyte-fast-execute … --dest-dir <dir>` at `dir` (engine-spec §4.6): the
 * registered value (`/root` from `pyflyte register`, `.` from `pyflyte run`) is a path in
 * the image, not on this host. Only the options before the `--` that ends fast-execute's own
 * options are looked at; both `--dest-dir X` and `--dest-dir=X` forms are handled.
 */
export function rewriteDestDir(argv: readonly string[], dir: string): string[] {
  const out = [...argv];
  let inFast = false;
  for (let i = 0; i < out.length; i++) {
    const a = out[i]!;
    if (!inFast) {
      if (baseName(a) === "pyflyte-fast-execute") inFast = true;
      continue;
    }
    if (a === "--") {
      inFast = false;
    } else if (a === "--dest-dir" && i + 1 < out.length) {
      out[i + 1] = dir;
      i++;
    } else if (a.startsWith("--dest-dir=")) {
      out[i] = `--dest-dir=${dir}`;
    }
  }
  return out;
}

export function baseName(p: string): string {
  return p.slice(p.lastIndexOf("/") + 1);
}
