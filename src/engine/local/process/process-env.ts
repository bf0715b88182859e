import { delimiter } from "node:path";
import type { Identifier, WorkflowExecutionIdentifier } from "../../../../gen/flyteidl/core/identifier_pb.js";
import type { Secret } from "../../../../gen/flyteidl/core/security_pb.js";

export interface ProcessEnvInput {
  /** `container.env` of the template, in order. */
  templateEnv: readonly { key: string; value: string }[];
  executionId: WorkflowExecutionIdentifier;
  workflowName: string;
  taskId: Identifier;
  attempt: number;
  /** The execution's envs (ExecutionSpec.envs). */
  executionEnvs: Readonly<Record<string, string>>;
  /** The platform's default env vars (engine config). */
  defaultEnv: Readonly<Record<string, string>>;
  /** FLYTE_AWS_* for an S3 blob store, else {}. */
  blobEnv: Readonly<Record<string, string>>;
  /** `_FSEC_…` name → value, for the secrets the template asks for. */
  secrets: Readonly<Record<string, string>>;
  /** The flytekit bin folder, first on PATH. */
  binDir?: string;
  /** The PATH to search after binDir (the server's). */
  hostPath: string;
  home?: string;
  lang?: string;
  /** `<attempt dir>/tmp` */
  tmpDir: string;
  /** PYTHONPATH entries, in order: code paths, then the kit's own. */
  pythonPath: readonly string[];
  /** Set last (FLYTE_INPUT_DIR / FLYTE_OUTPUT_DIR of raw containers). */
  extra?: Readonly<Record<string, string>>;
}

/**
 * The task process's environment (engine-spec §4.3): propeller's order, where a later
 * entry of the same name wins — template env (kept whole: `_F_SS_C` carries the
 * serialization settings dynamic tasks need), FLYTE_INTERNAL_*, the execution's envs,
 * the platform defaults — on top of a small host base (PATH, HOME, LANG) instead of the
 * server's whole environment, and under what the local runner must control (TMPDIR,
 * PYTHONUNBUFFERED, FLYTECTL_CONFIG, blob credentials, secrets, PYTHONPATH).
 */
export function buildProcessEnv(i: ProcessEnvInput): Record<string, string> {
  const env: Record<string, string> = Object.create(null) as Record<string, string>;
  const set = (k: string, v: string) => {
    // A name with "=" or NUL cannot be passed to a process (and "" is no name).
    if (k === "" || k.includes("=") || k.includes("\0") || v.includes("\0")) return;
    env[k] = v;
  };
  if (i.home) set("HOME", i.home);
  set("LANG", i.lang || "C.UTF-8");
  for (const { key, value } of i.templateEnv) set(key, value);
  const ex = i.executionId;
  set("FLYTE_INTERNAL_EXECUTION_WORKFLOW", `${ex.project}:${ex.domain}:${i.workflowName}`);
  set("FLYTE_INTERNAL_EXECUTION_ID", ex.name);
  set("FLYTE_INTERNAL_EXECUTION_PROJECT", ex.project);
  set("FLYTE_INTERNAL_EXECUTION_DOMAIN", ex.domain);
  set("FLYTE_ATTEMPT_NUMBER", String(i.attempt));
  set("FLYTE_INTERNAL_TASK_PROJECT", i.taskId.project);
  set("FLYTE_INTERNAL_TASK_DOMAIN", i.taskId.domain);
  set("FLYTE_INTERNAL_TASK_NAME", i.taskId.name);
  set("FLYTE_INTERNAL_TASK_VERSION", i.taskId.version);
  for (const [k, v] of Object.entries(i.executionEnvs)) set(k, v);
  for (const [k, v] of Object.entries(i.defaultEnv)) set(k, v);

  // PATH: whatever the envs chose (else the server's), with the flytekit bin folder in
  // front, because pyflyte-fast-execute starts pyflyte-execute by name.
  const basePath = env.PATH ?? i.hostPath;
  set("PATH", [i.binDir, basePath].filter((p): p is string => !!p).join(delimiter));
  const pythonPath = [...i.pythonPath, ...(env.PYTHONPATH ? [env.PYTHONPATH] : [])];
  if (pythonPath.length > 0) set("PYTHONPATH", pythonPath.join(delimiter));
  set("TMPDIR", i.tmpDir);
  set("PYTHONUNBUFFERED", "1");
  // Empty: a task must not pick up the server user's flytectl/flytekit client config.
  set("FLYTECTL_CONFIG", "");
  for (const [k, v] of Object.entries(i.blobEnv)) set(k, v);
  for (const [k, v] of Object.entries(i.secrets)) set(k, v);
  for (const [k, v] of Object.entries(i.extra ?? {})) set(k, v);
  return { ...env };
}

/** flytekit's name for a secret's env var: `_FSEC_` + the non-empty of group, group version, key, upper-cased, joined by `_`. */
export function secretEnvName(s: Pick<Secret, "group" | "groupVersion" | "key">): string {
  return `_FSEC_${[s.group, s.groupVersion, s.key].filter((p) => p !== "").map((p) => p.toUpperCase()).join("_")}`;
}
