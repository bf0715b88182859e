import { fromJson, type JsonValue, toJson } from "@bufbuild/protobuf";
import { MatchableResource, type MatchingAttributes, MatchingAttributesSchema } from "../../../gen/flyteidl/admin/matchable_resource_pb.js";

/**
 * The project and domain settings (matchable attributes), one per resource
 * kind, edited as the protobuf JSON of the kind's message: every field of
 * every kind is editable, and the schema itself checks what is typed.
 */
export interface AttributeKind {
  resource: MatchableResource;
  title: string;
  /** The MatchingAttributes JSON field that holds this kind. */
  field: string;
  /** A starting point for a new value. */
  example: JsonValue;
}

export const ATTRIBUTE_KINDS: AttributeKind[] = [
  { resource: MatchableResource.TASK_RESOURCE, title: "Task resources", field: "taskResourceAttributes", example: { defaults: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "2", memory: "4Gi" } } },
  { resource: MatchableResource.CLUSTER_RESOURCE, title: "Cluster resources", field: "clusterResourceAttributes", example: { attributes: { projectQuotaCpu: "16" } } },
  { resource: MatchableResource.EXECUTION_QUEUE, title: "Execution queues", field: "executionQueueAttributes", example: { tags: ["gpu"] } },
  { resource: MatchableResource.EXECUTION_CLUSTER_LABEL, title: "Execution cluster label", field: "executionClusterLabel", example: { value: "cluster-a" } },
  { resource: MatchableResource.QUALITY_OF_SERVICE_SPECIFICATION, title: "Quality of service", field: "qualityOfService", example: { tier: "HIGH" } },
  { resource: MatchableResource.PLUGIN_OVERRIDE, title: "Plugin overrides", field: "pluginOverrides", example: { overrides: [{ taskType: "python-task", pluginId: ["container"] }] } },
  {
    resource: MatchableResource.WORKFLOW_EXECUTION_CONFIG,
    title: "Workflow execution config",
    field: "workflowExecutionConfig",
    example: { maxParallelism: 10, securityContext: { runAs: { k8sServiceAccount: "default" } }, rawOutputDataConfig: { outputLocationPrefix: "s3://bucket/raw" } },
  },
  { resource: MatchableResource.CLUSTER_ASSIGNMENT, title: "Cluster assignment", field: "clusterAssignment", example: { clusterPoolName: "pool-a" } },
];

/** The kind's value as indented JSON text, or "" when the attributes hold another kind or none. */
export function attributesText(kind: AttributeKind, attributes: MatchingAttributes | undefined): string {
  if (!attributes) return "";
  const json = toJson(MatchingAttributesSchema, attributes) as Record<string, JsonValue> | null;
  const value = json?.[kind.field];
  return value === undefined ? "" : JSON.stringify(value, null, 2);
}

/** MatchingAttributes from the kind's JSON text, or a message saying what is wrong. */
export function parseAttributes(kind: AttributeKind, text: string): MatchingAttributes | string {
  let json: JsonValue;
  try {
    json = JSON.parse(text) as JsonValue;
  } catch (e) {
    return `Not valid JSON: ${(e as Error).message}`;
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) return "Enter a JSON object";
  try {
    return fromJson(MatchingAttributesSchema, { [kind.field]: json });
  } catch (e) {
    // protobuf-es names the field and the problem, e.g. `cannot decode field ... from JSON: "x"`.
    return (e as Error).message;
  }
}
