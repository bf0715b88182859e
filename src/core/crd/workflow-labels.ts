import { fnv32a as fnv32aBytes } from "../fnv.js";
import type { Identifier } from "../../../gen/flyteidl/core/identifier_pb.js";

/** How many shards propeller's label-based sharding divides executions into (v1alpha1.ShardKeyspaceSize). */
export const SHARD_KEYSPACE_SIZE = 32;

const utf8 = new TextEncoder();

/** FNV-1a (32-bit) of the UTF-8 bytes of `text`. */
export const fnv32a = (text: string): number => fnv32aBytes(utf8.encode(text));

/**
 * The `shard-key` label: fnv32a of the execution name modulo 32, in decimal.
 * Propeller instances configured for label sharding pick executions by it, so
 * it must be the same number FlyteAdmin would write.
 */
export function shardKey(executionName: string): string {
  return String(fnv32a(executionName) % SHARD_KEYSPACE_SIZE);
}

/** The workflow id as propeller writes it in `spec.id`: `<project>:<domain>:<name>`. */
export function workflowIdText(id: Pick<Identifier, "project" | "domain" | "name"> | undefined): string {
  return `${id?.project ?? ""}:${id?.domain ?? ""}:${id?.name ?? ""}`;
}

const MAX_LABEL_LENGTH = 63;

/**
 * A label value as propeller's SanitizeLabelValue makes it: lower-cased, every
 * run of characters outside `[-a-z0-9]` replaced by one `-`, cut to 63
 * characters, then trimmed of `-` at both ends (so the result may be shorter
 * than 63, or empty).
 */
export function sanitizeLabelValue(value: string): string {
  let out = value.toLowerCase().replace(/[^-a-z0-9]+/g, "-");
  if (out.length > MAX_LABEL_LENGTH) out = out.slice(0, MAX_LABEL_LENGTH);
  return out.replace(/^-+|-+$/g, "");
}

/**
 * The `workflow-name` label: the name part of `<project>:<domain>:<name>`,
 * sanitised. Like propeller, an id that does not split into exactly three
 * parts on `:` (a name containing `:`) gives an empty name.
 */
export function sanitizedWorkflowName(id: string | Pick<Identifier, "project" | "domain" | "name">): string {
  const text = typeof id === "string" ? id : workflowIdText(id);
  const parts = text.split(":");
  return sanitizeLabelValue(parts.length === 3 ? parts[2]! : "");
}

/**
 * metadata.labels: the ones propeller's builder sets, then the execution's
 * resolved labels, which override them (FlyteAdmin's PrepareFlyteWorkflow).
 */
export function workflowLabels(
  execution: { project: string; domain: string; name: string },
  workflowId: string,
  overrides: Readonly<Record<string, string>> | undefined,
): Record<string, string> {
  return {
    "execution-id": execution.name,
    project: execution.project,
    domain: execution.domain,
    "workflow-name": sanitizedWorkflowName(workflowId),
    "shard-key": shardKey(execution.name),
    ...overrides,
  };
}
