import { create } from "@bufbuild/protobuf";
import {
  MatchableResource,
  type MatchingAttributes,
  MatchingAttributesSchema,
  type PluginOverride,
} from "../../gen/flyteidl/admin/matchable_resource_pb.js";
import { invalidArgument, missingField } from "./errors.js";

/**
 * Where a matchable attribute applies. Empty strings mean "any"; which fields
 * are set decides the level, and the level its priority.
 */
export interface AttributeScope {
  readonly project: string;
  readonly domain: string;
  readonly workflow: string;
  readonly launchPlan: string;
}

export interface AttributeKey extends AttributeScope {
  readonly resourceType: MatchableResource;
}

/** A stored attribute with the scope it was stored at (which may be less specific than asked). */
export interface ScopedAttributes extends AttributeScope {
  readonly attributes: MatchingAttributes;
}

/** FlyteAdmin's priorities: the most specific level wins. */
export function priorityOf(scope: AttributeScope): number {
  if (scope.launchPlan !== "") return 1000;
  if (scope.workflow !== "") return 100;
  if (scope.domain !== "") return 10;
  return 5;
}

export const scope = (project: string, domain = "", workflow = "", launchPlan = ""): AttributeScope => ({
  project,
  domain,
  workflow,
  launchPlan,
});

const TARGETS: Record<NonNullable<MatchingAttributes["target"]["case"]>, MatchableResource> = {
  taskResourceAttributes: MatchableResource.TASK_RESOURCE,
  clusterResourceAttributes: MatchableResource.CLUSTER_RESOURCE,
  executionQueueAttributes: MatchableResource.EXECUTION_QUEUE,
  executionClusterLabel: MatchableResource.EXECUTION_CLUSTER_LABEL,
  qualityOfService: MatchableResource.QUALITY_OF_SERVICE_SPECIFICATION,
  pluginOverrides: MatchableResource.PLUGIN_OVERRIDE,
  workflowExecutionConfig: MatchableResource.WORKFLOW_EXECUTION_CONFIG,
  clusterAssignment: MatchableResource.CLUSTER_ASSIGNMENT,
};

/**
 * On updates the resource type is the attribute that is set. `requestKey`
 * names the scope in the error (`p`, `p-d`, `p-d-w`). Quality of service is
 * accepted here, which FlyteAdmin's validator forgets to do.
 */
export function resourceTypeOf(attributes: MatchingAttributes | undefined, requestKey: string): MatchableResource {
  if (!attributes) throw missingField("matching_attributes");
  const target = attributes.target.case;
  if (target === undefined) throw invalidArgument(`Unrecognized matching attributes type for request ${requestKey}`);
  return TARGETS[target];
}

/** `resource_type` in get/delete/list requests must be a defined enum value. */
export function requireResourceType(value: number): MatchableResource {
  if (MatchableResource[value] === undefined) throw invalidArgument("invalid value for resource_type");
  return value as MatchableResource;
}

/** FlyteAdmin's NOT_FOUND text, a Go `%+v` of its lookup struct. */
export function attributesNotFound(key: AttributeKey): string {
  return `Resource [{Project:${key.project} Domain:${key.domain} Workflow:${key.workflow} LaunchPlan:${key.launchPlan} ResourceType:${MatchableResource[key.resourceType]}}] not found`;
}

/**
 * Plugin overrides are merged rather than replaced: one override per task
 * type, the new one winning. Kept in first-seen order (FlyteAdmin's order is
 * random), so repeated reads agree.
 */
export function mergePluginOverrides(existing: MatchingAttributes | undefined, next: MatchingAttributes): MatchingAttributes {
  if (existing?.target.case !== "pluginOverrides" || next.target.case !== "pluginOverrides") return next;
  const byType = new Map<string, PluginOverride>();
  for (const o of existing.target.value.overrides) byType.set(o.taskType, o);
  for (const o of next.target.value.overrides) byType.set(o.taskType, o);
  return create(MatchingAttributesSchema, {
    target: { case: "pluginOverrides", value: { overrides: [...byType.values()] } },
  });
}
