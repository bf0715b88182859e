import { clone, create } from "@bufbuild/protobuf";
import {
  type WorkflowExecutionConfig,
  WorkflowExecutionConfigSchema,
} from "../../gen/flyteidl/admin/matchable_resource_pb.js";
import type { SecurityContext } from "../../gen/flyteidl/core/security_pb.js";

/**
 * The fields of a workflow execution config, wherever they come from (an
 * execution request, a launch plan spec, a matchable attribute, the server
 * defaults): the parts that layer on top of each other.
 */
export type ExecutionConfigLayer = Partial<
  Pick<
    WorkflowExecutionConfig,
    "maxParallelism" | "securityContext" | "rawOutputDataConfig" | "labels" | "annotations" | "interruptible" | "overwriteCache" | "envs"
  >
>;

const hasIdentity = (sc: SecurityContext | undefined) =>
  Boolean(sc?.runAs && (sc.runAs.k8sServiceAccount || sc.runAs.iamRole || sc.runAs.executionIdentity));

/**
 * Fills what is still unset in `target` from `source` (FlyteAdmin's
 * MergeIntoExecConfig). "Unset" differs per field:
 * - max_parallelism: 0;
 * - security_context: absent; taken only when the source names a service
 *   account, IAM role or execution identity;
 * - raw_output_data_config: no output_location_prefix;
 * - labels / annotations / envs: empty;
 * - interruptible: no BoolValue;
 * - overwrite_cache: a logical OR, so false never overrides a lower true.
 */
export function mergeIntoExecConfig(target: WorkflowExecutionConfig, source: ExecutionConfigLayer | undefined): WorkflowExecutionConfig {
  if (!source) return target;
  const out = clone(WorkflowExecutionConfigSchema, target);
  if (out.maxParallelism === 0 && (source.maxParallelism ?? 0) > 0) out.maxParallelism = source.maxParallelism!;
  if (!out.securityContext && hasIdentity(source.securityContext)) out.securityContext = source.securityContext;
  if (!out.rawOutputDataConfig?.outputLocationPrefix && source.rawOutputDataConfig?.outputLocationPrefix) {
    out.rawOutputDataConfig = source.rawOutputDataConfig;
  }
  if (isEmptyMap(out.labels?.values) && !isEmptyMap(source.labels?.values)) out.labels = source.labels;
  if (isEmptyMap(out.annotations?.values) && !isEmptyMap(source.annotations?.values)) out.annotations = source.annotations;
  if (out.interruptible === undefined && source.interruptible !== undefined) out.interruptible = source.interruptible;
  if (!out.overwriteCache && source.overwriteCache) out.overwriteCache = true;
  if ((out.envs?.values.length ?? 0) === 0 && (source.envs?.values.length ?? 0) > 0) out.envs = source.envs;
  return out;
}

/** Merges layers given highest priority first. */
export function mergeExecutionConfig(layers: readonly (ExecutionConfigLayer | undefined)[]): WorkflowExecutionConfig {
  return layers.reduce<WorkflowExecutionConfig>((acc, layer) => mergeIntoExecConfig(acc, layer), create(WorkflowExecutionConfigSchema));
}

/**
 * The server's defaults as FlyteAdmin offers them (GetAsWorkflowExecutionConfig):
 * max_parallelism, overwrite_cache and interruptible always; the security
 * context only with a service account or IAM role; the rest only when set.
 */
export function serverExecutionDefaults(config: WorkflowExecutionConfig): WorkflowExecutionConfig {
  const out = create(WorkflowExecutionConfigSchema, {
    maxParallelism: config.maxParallelism,
    overwriteCache: config.overwriteCache,
  });
  if (config.interruptible === true) out.interruptible = true;
  if (config.securityContext?.runAs?.k8sServiceAccount || config.securityContext?.runAs?.iamRole) {
    out.securityContext = config.securityContext;
  }
  if (config.rawOutputDataConfig?.outputLocationPrefix) out.rawOutputDataConfig = config.rawOutputDataConfig;
  if (!isEmptyMap(config.labels?.values)) out.labels = config.labels;
  if (!isEmptyMap(config.annotations?.values)) out.annotations = config.annotations;
  if ((config.envs?.values.length ?? 0) > 0) out.envs = config.envs;
  return out;
}

function isEmptyMap(m: Record<string, string> | undefined): boolean {
  return !m || Object.keys(m).length === 0;
}
