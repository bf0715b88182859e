import type { PluginOverride, TaskResourceSpec, WorkflowExecutionConfig } from "../../../gen/flyteidl/admin/matchable_resource_pb.js";
import type { WorkflowExecutionIdentifier } from "../../../gen/flyteidl/core/identifier_pb.js";
import { canonicalQuantity, parseQuantity } from "../quantity.js";
import { buildInvalid } from "./flyte-workflow-error.js";
import type { ExecutionConfigJson, TaskResourceSpecJson } from "./flyte-workflow-types.js";

/** The platform's task resource defaults and limits (FlyteAdmin's TaskResources: config, or the TASK_RESOURCE attribute). */
export interface PlatformTaskResources {
  defaults?: Partial<Pick<TaskResourceSpec, "cpu" | "memory" | "ephemeralStorage" | "gpu">> | undefined;
  limits?: Partial<Pick<TaskResourceSpec, "cpu" | "memory" | "ephemeralStorage" | "gpu">> | undefined;
}

/** A resource.Quantity as Go marshals it: canonical text, "0" for unset or zero. */
function quantity(field: string, text: string | undefined): string {
  if (!text) return "0";
  const parsed = parseQuantity(text);
  if ("error" in parsed) throw buildInvalid(`task resources ${field}: invalid quantity ${JSON.stringify(text)}: ${parsed.error}`);
  return parsed.value === 0 ? "0" : canonicalQuantity(text);
}

function resourceSpec(side: string, spec: PlatformTaskResources["defaults"]): TaskResourceSpecJson {
  // FlyteAdmin copies CPU, memory, ephemeral storage and GPU; Storage stays zero.
  return {
    CPU: quantity(`${side}.cpu`, spec?.cpu),
    Memory: quantity(`${side}.memory`, spec?.memory),
    EphemeralStorage: quantity(`${side}.ephemeralStorage`, spec?.ephemeralStorage),
    Storage: "0",
    GPU: quantity(`${side}.gpu`, spec?.gpu),
  };
}

/**
 * `executionConfig` (FlyteAdmin's addExecutionOverrides): Go's ExecutionConfig
 * has no JSON tags, so every field is written under its Go name and none is
 * left out; Interruptible is null unless the execution sets it.
 */
export function buildExecutionConfig(
  config: WorkflowExecutionConfig,
  recovery: WorkflowExecutionIdentifier | undefined,
  pluginOverrides: readonly PluginOverride[] | undefined,
  taskResources: PlatformTaskResources | undefined,
): ExecutionConfigJson {
  const TaskPluginImpls: ExecutionConfigJson["TaskPluginImpls"] = {};
  for (const o of pluginOverrides ?? []) {
    TaskPluginImpls[o.taskType] = { PluginIDs: o.pluginId.length > 0 ? [...o.pluginId] : null, MissingPluginBehavior: o.missingPluginBehavior };
  }
  let EnvironmentVariables: Record<string, string> | null = null;
  if (config.envs !== undefined) {
    EnvironmentVariables = {};
    for (const { key, value } of config.envs.values) EnvironmentVariables[key] = value;
  }
  const RecoveryExecution: ExecutionConfigJson["RecoveryExecution"] = {};
  if (recovery) {
    if (recovery.project) RecoveryExecution.project = recovery.project;
    if (recovery.domain) RecoveryExecution.domain = recovery.domain;
    if (recovery.name) RecoveryExecution.name = recovery.name;
    if (recovery.org) RecoveryExecution.org = recovery.org;
  }
  return {
    TaskPluginImpls,
    MaxParallelism: config.maxParallelism >>> 0,
    RecoveryExecution,
    TaskResources: { Requests: resourceSpec("defaults", taskResources?.defaults), Limits: resourceSpec("limits", taskResources?.limits) },
    Interruptible: config.interruptible ?? null,
    OverwriteCache: config.overwriteCache,
    EnvironmentVariables,
  };
}
