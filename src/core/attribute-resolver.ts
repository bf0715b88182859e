import { create } from "@bufbuild/protobuf";
import {
  MatchableResource,
  type MatchingAttributes,
  type TaskResourceAttributes,
  type WorkflowExecutionConfig,
} from "../../gen/flyteidl/admin/matchable_resource_pb.js";
import { type ClusterAssignment, ClusterAssignmentSchema } from "../../gen/flyteidl/admin/cluster_assignment_pb.js";
import { invalidArgument } from "./errors.js";
import { type ExecutionConfigLayer, mergeExecutionConfig, serverExecutionDefaults } from "./execution-config.js";
import type { AttributeKey, ScopedAttributes } from "./matchable.js";

/** What the resolver needs from storage: the most specific stored row for a key, if any. */
export interface AttributeSource {
  resolve(key: AttributeKey): Promise<ScopedAttributes | undefined>;
}

/** Server-level settings: the last fallback for every resolved value. */
export interface ServerAttributeDefaults {
  workflowExecutionConfig: WorkflowExecutionConfig;
  taskResources: TaskResourceAttributes;
  /** Cluster pool per domain id. */
  clusterPools: Readonly<Record<string, string>>;
}

/** Where an execution runs: project, domain, and (when known) workflow and launch plan names. */
export interface ExecutionScope {
  project: string;
  domain: string;
  workflow?: string;
  launchPlan?: string;
}

export interface AttributeResolver {
  /** The most specific stored attributes (launch plan > workflow > project-domain > project), or undefined. */
  resolve(scope: ExecutionScope, type: MatchableResource): Promise<MatchingAttributes | undefined>;
  /**
   * The execution config for a run: `higher` layers (request spec, then launch
   * plan spec) first, then the WORKFLOW_EXECUTION_CONFIG attribute for the
   * workflow, then the project-level one, then the server defaults.
   */
  workflowExecutionConfig(
    scope: ExecutionScope,
    higher?: readonly (ExecutionConfigLayer | undefined)[],
    /** A layer between the stored attributes and the server defaults (the deprecated auth roles). */
    beforeDefaults?: ExecutionConfigLayer,
  ): Promise<WorkflowExecutionConfig>;
  /** Task resource defaults and limits: a stored TASK_RESOURCE attribute wins as a whole, else the server's. */
  taskResources(scope: ExecutionScope): Promise<TaskResourceAttributes>;
  /**
   * The cluster pool: the stored CLUSTER_ASSIGNMENT attribute, else the
   * domain's configured pool; a request naming a different pool is refused.
   */
  clusterAssignment(scope: ExecutionScope, requested?: ClusterAssignment): Promise<ClusterAssignment | undefined>;
}

export function createAttributeResolver(source: AttributeSource, defaults: ServerAttributeDefaults): AttributeResolver {
  const resolve = async (scope: ExecutionScope, resourceType: MatchableResource) =>
    (
      await source.resolve({
        project: scope.project,
        domain: scope.domain,
        workflow: scope.workflow ?? "",
        launchPlan: scope.launchPlan ?? "",
        resourceType,
      })
    )?.attributes;
  const wecOf = (a: MatchingAttributes | undefined) => (a?.target.case === "workflowExecutionConfig" ? a.target.value : undefined);

  return {
    resolve,

    async workflowExecutionConfig(scope, higher = [], beforeDefaults) {
      const forWorkflow = wecOf(await resolve({ project: scope.project, domain: scope.domain, workflow: scope.workflow ?? "" }, MatchableResource.WORKFLOW_EXECUTION_CONFIG));
      const forProject = wecOf(await resolve({ project: scope.project, domain: "" }, MatchableResource.WORKFLOW_EXECUTION_CONFIG));
      return mergeExecutionConfig([...higher, forWorkflow, forProject, beforeDefaults, serverExecutionDefaults(defaults.workflowExecutionConfig)]);
    },

    async taskResources(scope) {
      const stored = await resolve({ project: scope.project, domain: scope.domain, workflow: scope.workflow ?? "" }, MatchableResource.TASK_RESOURCE);
      return stored?.target.case === "taskResourceAttributes" ? stored.target.value : defaults.taskResources;
    },

    async clusterAssignment(scope, requested) {
      const stored = await resolve(scope, MatchableResource.CLUSTER_ASSIGNMENT);
      const configuredPool = defaults.clusterPools[scope.domain];
      const assigned =
        stored?.target.case === "clusterAssignment"
          ? stored.target.value
          : configuredPool
            ? create(ClusterAssignmentSchema, { clusterPoolName: configuredPool })
            : undefined;
      const wanted = requested?.clusterPoolName ?? "";
      if (!assigned || assigned.clusterPoolName === "") return wanted ? requested : undefined;
      if (wanted !== "" && wanted !== assigned.clusterPoolName) {
        throw invalidArgument(
          `execution with project "${scope.project}" and domain "${scope.domain}" cannot run on cluster pool "${wanted}", because its configured to run on pool "${assigned.clusterPoolName}"`,
        );
      }
      return assigned;
    },
  };
}
