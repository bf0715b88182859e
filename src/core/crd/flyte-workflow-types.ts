import type { JsonObject, JsonValue } from "@bufbuild/protobuf";

/**
 * The JSON shapes of flytepropeller's `flyte.lyft.com/v1alpha1` FlyteWorkflow
 * object (flytepropeller/pkg/apis/flyteworkflow/v1alpha1 at Flyte v1.16.8), as
 * Go's encoding/json writes them. Proto-valued fields hold proto3 JSON
 * (camelCase, as golang jsonpb writes them); a few fields embed Go proto
 * structs without a JSON marshaller and so use the proto field names
 * (`elseFail`, `securityContext`, `rawOutputDataConfig`); `executionConfig` and
 * `array` use Go's exported field names because their Go types have no JSON tags.
 */

export type NodeKind = "task" | "branch" | "workflow" | "gate" | "array" | "start" | "end";

export interface IfBlockJson {
  condition: JsonValue;
  then: string;
}

export interface BranchNodeJson {
  if: IfBlockJson;
  elseIf?: IfBlockJson[];
  else?: string;
  elseFail?: { failed_node_id?: string; message?: string };
}

export interface WorkflowNodeJson {
  launchPlanRefId?: JsonValue;
  subWorkflowRef?: string;
}

export interface GateNodeJson {
  kind: "approve" | "signal" | "sleep";
  approve?: JsonValue;
  signal?: JsonValue;
  sleep?: JsonValue;
}

export interface ArrayNodeJson {
  SubNodeSpec: NodeSpecJson;
  Parallelism: number | null;
  MinSuccesses: number | null;
  MinSuccessRatio: number | null;
  BoundInputs: string[] | null;
}

/** Kubernetes ResourceRequirements: resource name (`cpu`, `memory`, `ephemeral-storage`, `nvidia.com/gpu`) → quantity. */
export interface ResourceRequirementsJson {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}

export interface NodeSpecJson {
  id: string;
  name?: string;
  resources: ResourceRequirementsJson;
  kind: NodeKind;
  branch?: BranchNodeJson;
  task?: string;
  workflow?: WorkflowNodeJson;
  gate?: GateNodeJson;
  array?: ArrayNodeJson;
  inputBindings?: JsonValue[];
  retry?: { minAttempts: number };
  outputAlias?: { var?: string; alias?: string }[];
  extendedResources?: JsonValue;
  /** Go duration text (`1h0m0s`). */
  executionDeadline?: string;
  activeDeadline?: string;
  interruptible?: boolean;
  containerImage?: string;
}

export interface WorkflowSpecJson {
  id: string;
  nodes: Record<string, NodeSpecJson>;
  /** The downstream edges again, under the older name propeller still reads. */
  connections: Record<string, string[]>;
  edges: { downstream: Record<string, string[]>; upstream: Record<string, string[]> };
  onFailure?: NodeSpecJson;
  outputs?: JsonValue;
  outputBindings?: JsonValue[];
  onFailurePolicy?: "FAIL_IMMEDIATELY" | "FAIL_AFTER_EXECUTABLE_NODES_COMPLETE";
}

/** resource.Quantity texts, "0" when unset. */
export interface TaskResourceSpecJson {
  CPU: string;
  Memory: string;
  EphemeralStorage: string;
  Storage: string;
  GPU: string;
}

export interface ExecutionConfigJson {
  TaskPluginImpls: Record<string, { PluginIDs: string[] | null; MissingPluginBehavior: number }>;
  MaxParallelism: number;
  RecoveryExecution: { project?: string; domain?: string; name?: string; org?: string };
  TaskResources: { Requests: TaskResourceSpecJson; Limits: TaskResourceSpecJson };
  Interruptible: boolean | null;
  OverwriteCache: boolean;
  EnvironmentVariables: Record<string, string> | null;
}

export interface FlyteWorkflowObject {
  apiVersion: "flyte.lyft.com/v1alpha1";
  kind: "FlyteWorkflow";
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers: string[];
  };
  spec?: WorkflowSpecJson;
  workflowMeta: { eventVersion?: number };
  inputs?: JsonValue;
  executionId: { project: string; domain: string; name: string; org?: string };
  tasks?: Record<string, JsonValue>;
  subWorkflows?: Record<string, WorkflowSpecJson>;
  "node-defaults": { interruptible?: boolean };
  /** RFC 3339, whole seconds, UTC. */
  acceptedAt: string;
  serviceAccountName?: string;
  securityContext: JsonObject;
  rawOutputDataConfig: { output_location_prefix?: string };
  executionConfig: ExecutionConfigJson;
  consoleUrl?: string;
  workflowClosureReference?: string;
  offloadedInputs?: string;
}
