import { clone, create, type JsonObject } from "@bufbuild/protobuf";
import { CatalogCacheStatus } from "../../gen/flyteidl/core/catalog_pb.js";
import { TaskExecution_Phase as Phase, type TaskLog } from "../../gen/flyteidl/core/execution_pb.js";
import {
  type ExternalResourceInfo,
  type TaskExecutionMetadata,
  TaskExecutionMetadata_InstanceClass as InstanceClass,
  TaskExecutionMetadataSchema,
} from "../../gen/flyteidl/event/event_pb.js";

/** FlyteAdmin's mergeLogs: the latest logs, plus earlier ones whose name and URI both differ from all of them. */
export function mergeLogs(existing: readonly TaskLog[], latest: readonly TaskLog[]): TaskLog[] {
  return [...latest, ...existing.filter((e) => latest.every((l) => l.uri !== e.uri && l.name !== e.name))];
}

/** JSON merge patch (RFC 7386), as FlyteAdmin merges custom info: objects merge, everything else is replaced. */
export function mergePatch(target: JsonObject | undefined, patch: JsonObject | undefined): JsonObject | undefined {
  if (!patch) return target;
  const out: JsonObject = { ...(target ?? {}) };
  for (const [k, v] of Object.entries(patch)) {
    const current = out[k];
    const bothObjects = v && typeof v === "object" && !Array.isArray(v) && current && typeof current === "object" && !Array.isArray(current);
    out[k] = bothObjects ? (mergePatch(current as JsonObject, v as JsonObject) as JsonObject) : v;
  }
  return out;
}

const byPosition = (a: ExternalResourceInfo, b: ExternalResourceInfo) => a.index - b.index || a.retryAttempt - b.retryAttempt;

/** External resources in FlyteAdmin's order: by index, then retry attempt. */
export function sortedMetadata(metadata: TaskExecutionMetadata | undefined): TaskExecutionMetadata | undefined {
  if (!metadata) return undefined;
  const out = clone(TaskExecutionMetadataSchema, metadata);
  out.externalResources.sort(byPosition);
  return out;
}

/**
 * FlyteAdmin's metadata merge for a task event on an existing attempt: names
 * and plugin only when given, instance class only when not DEFAULT, resource
 * pools replaced, and external resources merged by (index, retry attempt) —
 * phase replaced, external id and cache status only when set, logs merged,
 * custom info replaced when present; new ones inserted in order.
 */
export function mergeTaskMetadata(existing: TaskExecutionMetadata | undefined, latest: TaskExecutionMetadata | undefined): TaskExecutionMetadata | undefined {
  if (!latest) return existing;
  const out = existing ? clone(TaskExecutionMetadataSchema, existing) : create(TaskExecutionMetadataSchema);
  if (latest.generatedName) out.generatedName = latest.generatedName;
  if (latest.pluginIdentifier) out.pluginIdentifier = latest.pluginIdentifier;
  if (latest.instanceClass !== InstanceClass.DEFAULT) out.instanceClass = latest.instanceClass;
  out.resourcePoolInfo = latest.resourcePoolInfo;
  for (const next of latest.externalResources) {
    const current = out.externalResources.find((r) => r.index === next.index && r.retryAttempt === next.retryAttempt);
    if (!current) {
      out.externalResources.push(next);
      continue;
    }
    current.phase = next.phase;
    if (next.externalId) current.externalId = next.externalId;
    if (next.cacheStatus !== CatalogCacheStatus.CACHE_DISABLED) current.cacheStatus = next.cacheStatus;
    current.logs = mergeLogs(current.logs, next.logs);
    if (next.customInfo) current.customInfo = next.customInfo;
  }
  out.externalResources.sort(byPosition);
  return out;
}

const PENDING = new Set([Phase.QUEUED, Phase.INITIALIZING]);
const FINISHED = new Set([Phase.SUCCEEDED, Phase.FAILED, Phase.ABORTED]);

/**
 * The logs a phase shows, as FlyteAdmin filters them on a phase change: while
 * queued or initialising only those marked to show while pending; once
 * finished, none of those marked to hide then.
 */
export function logsForPhase(logs: readonly TaskLog[], phase: Phase): TaskLog[] {
  if (PENDING.has(phase)) return logs.filter((l) => l.ShowWhilePending);
  if (FINISHED.has(phase)) return logs.filter((l) => !l.HideOnceFinished);
  return [...logs];
}
