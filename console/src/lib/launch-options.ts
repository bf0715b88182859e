import type { MessageInitShape } from "@bufbuild/protobuf";
import { type ExecutionSpec, type ExecutionSpecSchema } from "../../../gen/flyteidl/admin/execution_pb.js";

/**
 * The launch form's advanced options as the user types them, and the
 * ExecutionSpec fields they become. What is left empty is left out, so the
 * launch plan's and the project's settings apply (the server merges them).
 */
export interface LaunchOptions {
  /** `key=value` per line. */
  labels: string;
  annotations: string;
  serviceAccount: string;
  rawOutputPrefix: string;
  /** Text, empty for the default. */
  maxParallelism: string;
  overwriteCache: boolean;
  /** "" keeps the task's own setting. */
  interruptible: "" | "true" | "false";
}

export const NO_OPTIONS: LaunchOptions = {
  labels: "",
  annotations: "",
  serviceAccount: "",
  rawOutputPrefix: "",
  maxParallelism: "",
  overwriteCache: false,
  interruptible: "",
};

const MAX_ENTRIES = 64;

/** `key=value` lines (blank lines skipped) to a map, or a message naming the first bad line. */
export function parseKeyValues(text: string): Record<string, string> | string {
  const out: Record<string, string> = {};
  const lines = text.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  if (lines.length > MAX_ENTRIES) return `At most ${MAX_ENTRIES} entries`;
  for (const line of lines) {
    const eq = line.indexOf("=");
    if (eq <= 0) return `Write each entry as key=value: "${line}"`;
    const key = line.slice(0, eq).trim();
    if (key in out) return `"${key}" is given twice`;
    out[key] = line.slice(eq + 1).trim();
  }
  return out;
}

export const formatKeyValues = (values: Record<string, string> | undefined) =>
  Object.entries(values ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join("\n");

export type OptionErrors = Partial<Record<keyof LaunchOptions, string>>;

/** The ExecutionSpec fields the options set, or the messages per option. */
export function optionsToSpec(o: LaunchOptions): { spec: MessageInitShape<typeof ExecutionSpecSchema>; errors: OptionErrors } {
  const errors: OptionErrors = {};
  const spec: MessageInitShape<typeof ExecutionSpecSchema> = {};
  const labels = parseKeyValues(o.labels);
  if (typeof labels === "string") errors.labels = labels;
  else if (Object.keys(labels).length) spec.labels = { values: labels };
  const annotations = parseKeyValues(o.annotations);
  if (typeof annotations === "string") errors.annotations = annotations;
  else if (Object.keys(annotations).length) spec.annotations = { values: annotations };
  if (o.serviceAccount.trim()) spec.securityContext = { runAs: { k8sServiceAccount: o.serviceAccount.trim() } };
  if (o.rawOutputPrefix.trim()) spec.rawOutputDataConfig = { outputLocationPrefix: o.rawOutputPrefix.trim() };
  if (o.maxParallelism.trim()) {
    const n = Number(o.maxParallelism.trim());
    if (!/^\d+$/.test(o.maxParallelism.trim()) || n < 1 || n > 2 ** 31 - 1) errors.maxParallelism = "Enter a whole number of 1 or more";
    else spec.maxParallelism = n;
  }
  if (o.overwriteCache) spec.overwriteCache = true;
  if (o.interruptible) spec.interruptible = o.interruptible === "true";
  return { spec, errors };
}

/** The options an earlier execution ran with (relaunch). */
export function optionsFromSpec(spec: ExecutionSpec | undefined): LaunchOptions {
  if (!spec) return NO_OPTIONS;
  return {
    labels: formatKeyValues(spec.labels?.values),
    annotations: formatKeyValues(spec.annotations?.values),
    serviceAccount: spec.securityContext?.runAs?.k8sServiceAccount ?? "",
    rawOutputPrefix: spec.rawOutputDataConfig?.outputLocationPrefix ?? "",
    maxParallelism: spec.maxParallelism > 0 ? String(spec.maxParallelism) : "",
    overwriteCache: spec.overwriteCache,
    interruptible: spec.interruptible === undefined ? "" : spec.interruptible ? "true" : "false",
  };
}
