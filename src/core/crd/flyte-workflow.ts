/**
 * The FlyteWorkflow custom object FlyteAdmin hands to flytepropeller for an
 * execution, in the shape of Flyte v1.16.8: propeller's builder
 * (compiler/transformers/k8s) followed by FlyteAdmin's PrepareFlyteWorkflow and
 * K8sWorkflowExecutor.Execute (offloading, console URL). Pure: the result is a
 * plain JSON-able object the Kubernetes client can POST as it is.
 *
 * Deliberate differences from Go, none of which propeller reads differently:
 * `kind` is `FlyteWorkflow` (the typed Go client re-stamps it), `status` and
 * `metadata.creationTimestamp` are not sent, task and sub-workflow keys are the
 * identifiers' text without Go's occasional doubled spaces, and the role
 * annotation is only written when a role key is configured (an empty key
 * would make Kubernetes refuse the object).
 */
import { type JsonObject, toJson } from "@bufbuild/protobuf";
import type { PluginOverride } from "../../../gen/flyteidl/admin/matchable_resource_pb.js";
import { LiteralMapSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import { SecurityContextSchema } from "../../../gen/flyteidl/core/security_pb.js";
import { TaskTemplateSchema, type TaskTemplate } from "../../../gen/flyteidl/core/tasks_pb.js";
import type { ExecutionLaunch } from "../../engine/workflow-executor.js";
import { identifierText } from "../compiler/proto-text.js";
import { buildExecutionConfig, type PlatformTaskResources } from "./execution-config.js";
import { buildInvalid, FlyteWorkflowBuildError } from "./flyte-workflow-error.js";
import { START_NODE_ID } from "./flyte-workflow-nodes.js";
import type { FlyteWorkflowObject, WorkflowSpecJson } from "./flyte-workflow-types.js";
import { goTimeJson } from "./go-json.js";
import { stripInterfaceTypeMetadata } from "./strip-interface.js";
import { withTaskResourceDefaults } from "./task-resource-defaults.js";
import { workflowLabels, workflowIdText } from "./workflow-labels.js";
import { buildWorkflowSpec } from "./workflow-spec.js";

export type { FlyteWorkflowObject } from "./flyte-workflow-types.js";
export type { PlatformTaskResources } from "./execution-config.js";
export { FlyteWorkflowBuildError } from "./flyte-workflow-error.js";
export { offloadedWorkflowClosure } from "./offloaded-closure.js";
export { sanitizedWorkflowName, sanitizeLabelValue, shardKey } from "./workflow-labels.js";

export const FLYTE_WORKFLOW_API_VERSION = "flyte.lyft.com/v1alpha1";
export const FLYTE_WORKFLOW_KIND = "FlyteWorkflow";
/** Propeller's finalizer: it keeps a deleted object until propeller has aborted its nodes. */
export const FLYTE_FINALIZER = "flyte.org/finalizer";
/** FlyteAdmin's default `eventVersion`: propeller then reports node events the v2 way (parent node ids, dynamic children). */
export const DEFAULT_EVENT_VERSION = 2;

export interface FlyteWorkflowOptions {
  /** metadata.namespace (FlyteAdmin's namespace_mapping result, usually `<project>-<domain>`). */
  namespace: string;
  /** The cluster the object goes to; not written into the object, carried for the executor's answer. */
  clusterId?: string;
  /** FlyteAdmin's `consoleUrl`: propeller links task logs and events to it. */
  consoleUrl?: string;
  /** Annotation key under which the security context's IAM role is written (FlyteAdmin's `roleNameKey`). */
  roleNameKey?: string;
  /**
   * When set, the closure is stored there: `spec`, `subWorkflows` and `tasks`
   * are left out and propeller reads them from that blob, an
   * admin.WorkflowClosure (see offloadedWorkflowClosure).
   */
  offloadedClosureUri?: string;
  /** When set, the inputs are stored there and `inputs` is left out. */
  offloadedInputsUri?: string;
  /** `workflowMeta.eventVersion`; FlyteAdmin's default is 2. */
  eventVersion?: number;
  /** Resolved PLUGIN_OVERRIDE attributes of the execution; `launch.taskPluginOverrides` when not given. */
  taskPluginOverrides?: readonly PluginOverride[];
  /**
   * Platform task resource defaults and limits resolved for the workflow;
   * `launch.taskResources` when not given. When known, container tasks get
   * their unset requests and limits filled from them, as FlyteAdmin does; with
   * neither, tasks are written as compiled (what propeller's own builder does).
   */
  taskResources?: PlatformTaskResources;
}

/**
 * Checks the inputs against the workflow interface as propeller's builder does:
 * every input named in the interface, and every interface input given (the
 * inputs reaching here are already merged with defaults and type-checked).
 */
function checkInputs(launch: ExecutionLaunch): void {
  const variables = launch.closure.primary?.template?.interface?.inputs?.variables ?? {};
  const literals = launch.inputs.literals;
  for (const name of Object.keys(literals)) {
    if (!(name in variables)) throw buildInvalid(`input [${name}] is not an input of the workflow`);
  }
  for (const name of Object.keys(variables)) {
    if (!(name in literals)) throw buildInvalid(`workflow input [${name}] is not bound`);
  }
}

function buildTasks(tasks: readonly TaskTemplate[], platform: PlatformTaskResources | undefined): Record<string, JsonObject> {
  const out: Record<string, JsonObject> = {};
  for (const t of tasks) {
    const key = identifierText(t.id);
    if (key in out) throw buildInvalid(`task [${key}] appears twice in the closure`);
    const withDefaults = platform ? withTaskResourceDefaults(t, platform) : t;
    out[key] = toJson(TaskTemplateSchema, { ...withDefaults, interface: stripInterfaceTypeMetadata(t.interface) }) as JsonObject;
  }
  return out;
}

/** Builds the FlyteWorkflow object for `launch`. Linear in the size of the closure. */
export function buildFlyteWorkflow(launch: ExecutionLaunch, options: FlyteWorkflowOptions): FlyteWorkflowObject {
  try {
    return build(launch, options);
  } catch (err) {
    if (err instanceof FlyteWorkflowBuildError) throw err;
    // toJson refusing a message (e.g. an Any of an unknown type) is a fault of the stored closure, not of the caller.
    throw new FlyteWorkflowBuildError("Internal", `failed to build the FlyteWorkflow object: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function build(launch: ExecutionLaunch, options: FlyteWorkflowOptions): FlyteWorkflowObject {
  const { closure, id, config } = launch;
  const primary = closure.primary;
  if (primary?.template === undefined) throw buildInvalid("value required: closure.primary.template");
  const workflowId = workflowIdText(primary.template.id);
  checkInputs(launch);

  const offloaded = options.offloadedClosureUri !== undefined && options.offloadedClosureUri !== "";
  const taskIndex = new Map<string, TaskTemplate>();
  for (const t of closure.tasks) if (t.template) taskIndex.set(identifierText(t.template.id), t.template);
  // Built even when offloaded: the checks (task references, timeouts, quantities) still apply.
  const spec = buildWorkflowSpec(primary, taskIndex, offloaded);
  if ((spec.connections[START_NODE_ID] ?? []).length === 0) {
    throw buildInvalid(`workflow [${identifierText(primary.template.id)}] has no entry node`);
  }
  const subWorkflows: Record<string, WorkflowSpecJson> = {};
  for (const sub of closure.subWorkflows) {
    subWorkflows[identifierText(sub.template?.id)] = buildWorkflowSpec(sub, taskIndex, offloaded);
  }
  const platform = options.taskResources ?? launch.taskResources;
  const tasks = buildTasks(
    closure.tasks.map((t) => t.template).filter((t): t is TaskTemplate => t !== undefined),
    platform,
  );

  const annotations: Record<string, string> = {};
  const securityContext = config.securityContext;
  const runAs = securityContext?.runAs;
  if (runAs?.iamRole && options.roleNameKey) annotations[options.roleNameKey] = runAs.iamRole;
  Object.assign(annotations, config.annotations?.values);

  const obj: FlyteWorkflowObject = {
    apiVersion: FLYTE_WORKFLOW_API_VERSION,
    kind: FLYTE_WORKFLOW_KIND,
    metadata: {
      name: id.name,
      namespace: options.namespace,
      labels: workflowLabels(id, workflowId, config.labels?.values),
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      finalizers: [FLYTE_FINALIZER],
    },
    workflowMeta: {},
    executionId: { project: id.project, domain: id.domain, name: id.name, ...(id.org ? { org: id.org } : {}) },
    "node-defaults": {},
    acceptedAt: goTimeJson(launch.acceptedAt),
    // Go embeds core.SecurityContext without a JSON marshaller: proto field names, enums as numbers.
    securityContext: runAs && securityContext ? (toJson(SecurityContextSchema, securityContext, { useProtoFieldName: true, enumAsInteger: true }) as JsonObject) : {},
    rawOutputDataConfig: {},
    executionConfig: buildExecutionConfig(config, launch.recoveryExecution, options.taskPluginOverrides ?? launch.taskPluginOverrides, platform),
  };
  const eventVersion = options.eventVersion ?? DEFAULT_EVENT_VERSION;
  if (eventVersion !== 0) obj.workflowMeta.eventVersion = eventVersion;
  if (primary.template.metadataDefaults?.interruptible) obj["node-defaults"].interruptible = true;
  if (runAs?.k8sServiceAccount) obj.serviceAccountName = runAs.k8sServiceAccount;
  if (config.rawOutputDataConfig?.outputLocationPrefix) {
    obj.rawOutputDataConfig = { output_location_prefix: config.rawOutputDataConfig.outputLocationPrefix };
  }
  if (offloaded) {
    obj.workflowClosureReference = options.offloadedClosureUri;
  } else {
    obj.spec = spec;
    if (Object.keys(subWorkflows).length > 0) obj.subWorkflows = subWorkflows;
    obj.tasks = tasks;
  }
  if (options.offloadedInputsUri) obj.offloadedInputs = options.offloadedInputsUri;
  else obj.inputs = toJson(LiteralMapSchema, launch.inputs);
  if (options.consoleUrl) obj.consoleUrl = options.consoleUrl;
  return obj;
}
