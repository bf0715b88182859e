import { clone, create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { NamedEntityMetadataSchema, NamedEntityState } from "../../gen/flyteidl/admin/common_pb.js";
import { MatchableResource } from "../../gen/flyteidl/admin/matchable_resource_pb.js";
import { WorkflowCreateRequestSchema } from "../../gen/flyteidl/admin/workflow_pb.js";
import {
  ExecutionClosureSchema,
  ExecutionMetadata_ExecutionMode as Mode,
  ExecutionMetadataSchema,
  ExecutionSchema,
  type ExecutionSpec,
  ExecutionSpecSchema,
  ExecutionState,
  SystemMetadataSchema,
} from "../../gen/flyteidl/admin/execution_pb.js";
import { ConcurrencyLimitBehavior, type LaunchPlan, LaunchPlanCreateRequestSchema, LaunchPlanSpecSchema } from "../../gen/flyteidl/admin/launch_plan_pb.js";
import { ExecutionError_ErrorKind as ErrorKind, ExecutionErrorSchema, WorkflowExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import { type SecurityContext, SecurityContextSchema } from "../../gen/flyteidl/core/security_pb.js";
import { type CompiledWorkflowClosure, CompiledWorkflowClosureSchema } from "../../gen/flyteidl/core/compiler_pb.js";
import { type Identifier, IdentifierSchema, ResourceType, type WorkflowExecutionIdentifier } from "../../gen/flyteidl/core/identifier_pb.js";
import { type LiteralMap, LiteralMapSchema } from "../../gen/flyteidl/core/literals_pb.js";
import { executionInputsKey } from "../core/blob-keys.js";
import { AdminError, alreadyExists, invalidArgument, notFound } from "../core/errors.js";
import { mergeExecutionInputs } from "../core/execution-inputs.js";
import { missingEntityMessage } from "../core/identifier.js";
import { BINARY_READ_OPTIONS } from "../core/proto-limits.js";
import { singleTaskLaunchPlanId, singleTaskWorkflow, singleTaskWorkflowId } from "../core/single-task-workflow.js";
import type { ApiDeps } from "./deps.js";
import { createLaunchPlanVersion } from "./launch-plans.js";
import { createWorkflowVersion } from "./workflows.js";

/** One CreateExecution (or relaunch / recovery) after its request checks. */
export interface LaunchRequest {
  id: WorkflowExecutionIdentifier;
  spec: ExecutionSpec;
  /** The user's inputs as sent (kept as `user_inputs`). */
  inputs: LiteralMap | undefined;
  requestedAt: Date;
  /** Who asked (the authenticated subject), "" without authentication. */
  principal: string;
}

/** Where FlyteAdmin keeps an execution's inputs: `metadata/<project>/<domain>/<name>/{inputs,user_inputs}`. */
export const inputsKey = (id: WorkflowExecutionIdentifier, which: "inputs" | "user_inputs") => executionInputsKey(id, which);

const tolerateExisting = async (register: Promise<void>) => {
  try {
    await register;
  } catch (e) {
    if (!(e instanceof AdminError && e.kind === "AlreadyExists")) throw e;
  }
};

/**
 * FlyteAdmin's launch pipeline for both paths: resolve the launch plan (or the
 * generated `.flytegen.<task>` one), merge inputs, resolve the execution
 * config, store the inputs, hand off to the executor, and persist the
 * execution. The name is checked before anything is written, so a duplicate
 * changes nothing.
 */
export async function launchExecution(deps: ApiDeps, req: LaunchRequest): Promise<WorkflowExecutionIdentifier> {
  const { store, blobs, executor, attributes } = deps;
  const { id } = req;
  const duplicate = () => alreadyExists(`value with matching already exists (duplicate key value violates unique constraint "executions_pkey")`);
  const inherited = await inheritFromParent(deps, req.spec);
  const ref = req.spec.launchPlan!;
  const isTask = ref.resourceType === ResourceType.TASK;
  const launchPlan = isTask ? await singleTaskLaunchPlan(deps, ref, req.spec) : await store.launchPlans.get(ref);
  if (!launchPlan) throw notFound(missingEntityMessage(ref, ResourceType.LAUNCH_PLAN));
  const lpSpec = launchPlan.spec!;
  const inputs = mergeExecutionInputs(req.inputs, launchPlan.closure?.expectedInputs, lpSpec.fixedInputs);
  const workflowId = lpSpec.workflowId!;
  const wanted = isTask ? singleTaskWorkflowId(ref) : workflowId;
  // The compiled closure stays in binary: only an engine that runs it decodes it.
  const compiled = await store.workflows.getCompiled(wanted);
  if (!compiled) throw notFound(missingEntityMessage(workflowId, ResourceType.WORKFLOW));
  const workflow = create(IdentifierSchema, { resourceType: ResourceType.WORKFLOW, project: wanted.project, domain: wanted.domain, name: wanted.name, version: wanted.version });
  // A task launch has no workflow of its own to look attributes up for (FlyteAdmin passes none).
  const scope = { project: id.project, domain: id.domain, workflow: isTask ? "" : workflow.name, launchPlan: launchPlan.id!.name };
  const config = await attributes.workflowExecutionConfig(scope, isTask ? [req.spec] : [req.spec, lpSpec], {
    securityContext: legacySecurityContext(req.spec, isTask ? undefined : lpSpec),
  });
  const clusterAssignment = await attributes.clusterAssignment(scope, req.spec.clusterAssignment);
  // FlyteAdmin looks plugin overrides up under the execution's name as the workflow for a task launch.
  const [taskResources, pluginOverrides] = executor.wantsTaskAttributes
    ? await Promise.all([
        attributes.taskResources(scope),
        attributes.resolve(isTask ? { project: id.project, domain: id.domain, workflow: id.name } : scope, MatchableResource.PLUGIN_OVERRIDE),
      ])
    : [undefined, undefined];
  if (!isTask) await checkConcurrency(deps, launchPlan);
  // Checked only now, so a bad request is reported as such even under a taken name.
  if (await store.executions.exists(id)) throw duplicate();

  const inputsUri = blobs.uri(inputsKey(id, "inputs"));
  const userInputsUri = blobs.uri(inputsKey(id, "user_inputs"));
  const namespace = deps.namespaceOf ? deps.namespaceOf(id.project, id.domain) : `${id.project}-${id.domain}`;

  const spec = clone(ExecutionSpecSchema, req.spec);
  spec.metadata ??= create(ExecutionMetadataSchema);
  // The caller (FlyteAdmin's getUser: "" without authentication), or the parent run's for a child execution.
  spec.metadata.principal = inherited?.principal ?? req.principal;
  spec.metadata.artifactIds = [];
  if (inherited) {
    spec.metadata.nesting = inherited.nesting;
    if (inherited.clusterLabel && !spec.executionClusterLabel) spec.executionClusterLabel = inherited.clusterLabel;
  }
  spec.metadata.systemMetadata = create(SystemMetadataSchema, { executionCluster: "", namespace });
  spec.securityContext = config.securityContext ?? create(SecurityContextSchema, { runAs: {} });
  if (!isTask) spec.maxParallelism = config.maxParallelism;

  const createdAt = new Date();
  const closure = create(ExecutionClosureSchema, {
    phase: Phase.UNDEFINED,
    createdAt: timestampFromDate(createdAt),
    updatedAt: timestampFromDate(createdAt),
    workflowId: workflow,
    notifications:
      spec.notificationOverrides.case === "disableAll" && spec.notificationOverrides.value
        ? []
        : spec.notificationOverrides.case === "notifications" && spec.notificationOverrides.value.notifications.length > 0
          ? spec.notificationOverrides.value.notifications
          : (lpSpec.entityMetadata?.notifications ?? []),
    stateChangeDetails: { state: ExecutionState.EXECUTION_ACTIVE, principal: spec.metadata.principal, occurredAt: timestampFromDate(createdAt) },
  });
  const tags = isTask ? [] : [...Object.entries(spec.labels?.values ?? {}), ...spec.tags.map((t) => [t, ""] as [string, string])];
  // The row and the input blobs are written together: a duplicate name (even
  // one racing this call) writes no blob, and a failed blob write leaves no row.
  const created = await store.executions.create(
    {
      execution: create(ExecutionSchema, { id, spec, closure }),
      launchPlan: isTask ? undefined : launchPlan.id,
      workflow,
      task: isTask ? ref : undefined,
      launchEntity: isTask ? "task" : "launch_plan",
      inputsUri,
      userInputsUri,
      user: spec.metadata.principal,
      cluster: "",
    },
    tags,
    // One write for both: in the local store their folder is checked and synced once.
    () =>
      blobs.putAll([
        { key: inputsKey(id, "inputs"), bytes: toBinary(LiteralMapSchema, inputs) },
        { key: inputsKey(id, "user_inputs"), bytes: toBinary(LiteralMapSchema, req.inputs ?? create(LiteralMapSchema)) },
      ]),
  );
  if (!created) throw duplicate();

  const key = { project: id.project, domain: id.domain, name: id.name };
  let cluster: string;
  let decoded: CompiledWorkflowClosure | undefined;
  try {
    ({ cluster } = await executor.execute({
      id,
      namespace,
      workflow,
      launchPlan: launchPlan.id!,
      closureBytes: compiled,
      get closure() {
        return (decoded ??= fromBinary(CompiledWorkflowClosureSchema, compiled, BINARY_READ_OPTIONS));
      },
      inputs,
      inputsUri,
      acceptedAt: req.requestedAt,
      config,
      clusterAssignment,
      recoveryExecution: spec.metadata.mode === Mode.RECOVERED ? spec.metadata.referenceExecution : undefined,
      parentExecution: inherited ? spec.metadata.parentNodeExecution?.executionId : undefined,
      nesting: inherited?.nesting ?? 0,
      taskResources,
      taskPluginOverrides: pluginOverrides?.target.case === "pluginOverrides" ? pluginOverrides.target.value.overrides : undefined,
    }));
  } catch (e) {
    if (isTask) {
      // A single-task launch reports the failure and leaves nothing behind.
      await store.executions.delete(key);
      await Promise.all([blobs.delete(inputsKey(id, "inputs")), blobs.delete(inputsKey(id, "user_inputs"))]);
      throw e;
    }
    // A launch-plan launch is recorded as FAILED with the executor's error, as FlyteAdmin does.
    const code = e instanceof AdminError ? e.kind : "Unknown";
    const failed = clone(ExecutionClosureSchema, closure);
    failed.phase = Phase.FAILED;
    failed.outputResult = {
      case: "error",
      value: create(ExecutionErrorSchema, {
        code,
        message: String((e as Error).message ?? e),
        kind: code === "InvalidArgument" ? ErrorKind.USER : ErrorKind.SYSTEM,
      }),
    };
    await store.executions.updateClosure(key, Phase.UNDEFINED, failed);
    return id;
  }
  if (cluster !== "") {
    spec.metadata.systemMetadata.executionCluster = cluster;
    await store.executions.updateClosure(key, Phase.UNDEFINED, closure, { spec, cluster });
  }
  executor.launched?.(id);
  return id;
}

const markSystemGenerated = (deps: ApiDeps, type: ResourceType.WORKFLOW | ResourceType.LAUNCH_PLAN, id: Identifier) =>
  deps.store.namedEntities.updateMetadata(type, { project: id.project, domain: id.domain, name: id.name }, create(NamedEntityMetadataSchema, { state: NamedEntityState.SYSTEM_GENERATED }));

/** Gets or creates the `.flytegen.<task>` workflow and INACTIVE launch plan, marked SYSTEM_GENERATED. */
async function singleTaskLaunchPlan(deps: ApiDeps, taskId: Identifier, spec: ExecutionSpec): Promise<LaunchPlan | undefined> {
  const { store } = deps;
  const task = await store.tasks.get(taskId);
  const template = task?.closure?.compiledTask?.template;
  if (!template) throw notFound(missingEntityMessage(taskId, ResourceType.TASK));
  const workflowId = singleTaskWorkflowId(taskId);
  const lpId = singleTaskLaunchPlanId(taskId);
  // Reused when they exist, whatever identity later runs ask for; created (and marked) once.
  if (!(await store.workflows.getInterface(workflowId))) {
    await tolerateExisting(
      createWorkflowVersion(deps, create(WorkflowCreateRequestSchema, { id: workflowId, spec: { template: singleTaskWorkflow(template) } })),
    );
    await markSystemGenerated(deps, ResourceType.WORKFLOW, workflowId);
  }
  const existing = await store.launchPlans.get(lpId);
  if (existing) return existing;
  await tolerateExisting(
    createLaunchPlanVersion(
      deps,
      create(LaunchPlanCreateRequestSchema, {
        id: lpId,
        spec: create(LaunchPlanSpecSchema, { workflowId, authRole: spec.authRole, securityContext: spec.securityContext }),
      }),
    ),
  );
  await markSystemGenerated(deps, ResourceType.LAUNCH_PLAN, lpId);
  return store.launchPlans.get(lpId);
}

/**
 * A launch plan's concurrency policy: with `max` executions of its name
 * QUEUED or RUNNING, SKIP refuses the new one (ALREADY_EXISTS, so schedulers
 * take it as done); an unspecified behaviour lets it run.
 */
async function checkConcurrency(deps: ApiDeps, launchPlan: LaunchPlan): Promise<void> {
  const policy = launchPlan.spec?.concurrencyPolicy;
  if (!policy) return;
  // Counted where the launch plan lives, whichever project and domain the executions run in.
  const { project, domain, name } = launchPlan.id!;
  const running = await deps.store.executions.countByLaunchPlan({ project, domain, name }, ["QUEUED", "RUNNING"]);
  if (running < policy.max) return;
  if (policy.behavior === ConcurrencyLimitBehavior.SKIP) {
    throw alreadyExists(`concurrency limit (${policy.max}) reached for launch plan ${name}; skipping execution`);
  }
  if (policy.behavior !== ConcurrencyLimitBehavior.UNSPECIFIED) {
    throw invalidArgument(`unsupported concurrency limit behavior ${policy.behavior} for launch plan ${name}`);
  }
}

/**
 * The deprecated ways to name a run's identity, used when no security context
 * names one: the request's auth role, then the launch plan's auth role, auth
 * and role fields.
 */
function legacySecurityContext(spec: ExecutionSpec, lpSpec: LaunchPlan["spec"]): SecurityContext | undefined {
  const roles = [
    { iamRole: spec.authRole?.assumableIamRole, k8sServiceAccount: spec.authRole?.kubernetesServiceAccount },
    { iamRole: lpSpec?.authRole?.assumableIamRole, k8sServiceAccount: lpSpec?.authRole?.kubernetesServiceAccount },
    { iamRole: lpSpec?.auth?.assumableIamRole, k8sServiceAccount: lpSpec?.auth?.kubernetesServiceAccount },
    { iamRole: lpSpec?.role, k8sServiceAccount: "" },
  ];
  const found = roles.find((r) => r.iamRole || r.k8sServiceAccount);
  return found ? create(SecurityContextSchema, { runAs: { iamRole: found.iamRole ?? "", k8sServiceAccount: found.k8sServiceAccount ?? "" } }) : undefined;
}

/**
 * A child execution (launched by a launch-plan node) takes its principal,
 * nesting depth and cluster label from the run of its parent node, which must
 * exist (FlyteAdmin's getInheritedExecMetadata).
 */
async function inheritFromParent(deps: ApiDeps, spec: ExecutionSpec) {
  const parent = spec.metadata?.parentNodeExecution;
  if (!parent) return undefined;
  const exec = parent.executionId;
  const key = { project: exec?.project ?? "", domain: exec?.domain ?? "", name: exec?.name ?? "", nodeId: parent.nodeId };
  const node = await deps.store.nodeExecutions.get(key);
  const source = node ? await deps.store.executions.get(key) : undefined;
  if (!source) {
    throw notFound(`Failed to get existing node execution id: [node_id:"${key.nodeId}" execution_id:{project:"${key.project}" domain:"${key.domain}" name:"${key.name}"}]`);
  }
  const sourceSpec = source.execution.spec;
  return {
    principal: source.user,
    nesting: (sourceSpec?.metadata?.nesting ?? 0) + 1,
    clusterLabel: sourceSpec?.executionClusterLabel,
  };
}
