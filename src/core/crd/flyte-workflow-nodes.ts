import { type JsonValue, toJson } from "@bufbuild/protobuf";
import { IdentifierSchema } from "../../../gen/flyteidl/core/identifier_pb.js";
import { BindingSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import { BooleanExpressionSchema } from "../../../gen/flyteidl/core/condition_pb.js";
import { type Resources_ResourceEntry, Resources_ResourceName, ExtendedResourcesSchema, type TaskTemplate } from "../../../gen/flyteidl/core/tasks_pb.js";
import {
  ApproveConditionSchema,
  type BranchNode,
  type IfBlock,
  type Node,
  SignalConditionSchema,
  SleepConditionSchema,
} from "../../../gen/flyteidl/core/workflow_pb.js";
import { identifierText } from "../compiler/proto-text.js";
import { canonicalQuantity, parseQuantity } from "../quantity.js";
import { buildInvalid } from "./flyte-workflow-error.js";
import type { BranchNodeJson, IfBlockJson, NodeSpecJson, ResourceRequirementsJson } from "./flyte-workflow-types.js";
import { goDurationJson, goFloat32 } from "./go-json.js";

export const START_NODE_ID = "start-node";
export const END_NODE_ID = "end-node";

/** Task templates by the key both `tasks` and the nodes' `task` use. */
export type TaskIndex = ReadonlyMap<string, TaskTemplate>;

/** Kubernetes' names for the resources a task node may override (flytek8s ToK8sResourceList). */
const K8S_RESOURCE_NAMES: ReadonlyMap<Resources_ResourceName, string> = new Map([
  [Resources_ResourceName.CPU, "cpu"],
  [Resources_ResourceName.MEMORY, "memory"],
  [Resources_ResourceName.GPU, "nvidia.com/gpu"],
  [Resources_ResourceName.EPHEMERAL_STORAGE, "ephemeral-storage"],
]);

function resourceList(nodeId: string, entries: readonly Resources_ResourceEntry[]): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const { name, value } of entries) {
    const parsed = parseQuantity(value);
    if ("error" in parsed) throw buildInvalid(`node [${nodeId}]: invalid resource quantity ${JSON.stringify(value)}: ${parsed.error}`);
    const k8sName = K8S_RESOURCE_NAMES.get(name);
    // Zero quantities and resources Kubernetes has no name for are left out, as propeller does.
    if (k8sName === undefined || parsed.value === 0) continue;
    out[k8sName] = canonicalQuantity(value);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * Builds one node's spec, then the nodes a branch holds (then/else nodes,
 * recursively), which propeller keeps in the same `nodes` map. The node
 * itself is always first.
 */
export function buildNodeSpecs(node: Node, tasks: TaskIndex, offloaded: boolean): NodeSpecJson[] {
  const out: NodeSpecJson[] = [];
  buildInto(node, tasks, offloaded, out);
  return out;
}

function buildInto(node: Node, tasks: TaskIndex, offloaded: boolean, out: NodeSpecJson[]): void {
  const id = node.id;
  const target = node.target;
  if (id !== START_NODE_ID && id !== END_NODE_ID && target.case === undefined) {
    throw buildInvalid(`node [${id}]: value required: target`);
  }
  const spec: NodeSpecJson = { id, resources: {}, kind: "start" };
  const meta = node.metadata;
  if (meta?.name) spec.name = meta.name;

  let task: TaskTemplate | undefined;
  if (target.case === "taskNode") {
    const ref = target.value.reference.case === "referenceId" ? target.value.reference.value : undefined;
    const key = identifierText(ref);
    task = tasks.get(key);
    if (task === undefined) throw buildInvalid(`node [${id}]: referenced task [${key}] not found`);
    spec.kind = "task";
    spec.task = key;
    const overrides = target.value.overrides;
    if (overrides?.resources) {
      const resources: ResourceRequirementsJson = {};
      const limits = resourceList(id, overrides.resources.limits);
      const requests = resourceList(id, overrides.resources.requests);
      if (limits) resources.limits = limits;
      if (requests) resources.requests = requests;
      spec.resources = resources;
    }
    if (overrides?.extendedResources) spec.extendedResources = toJson(ExtendedResourcesSchema, overrides.extendedResources);
    if (overrides?.containerImage) spec.containerImage = overrides.containerImage;
    if (overrides?.podTemplate && !offloaded) {
      // propeller's Go type embeds the K8sPod proto without a JSON marshaller, so
      // its pod spec (a google.protobuf.Struct) cannot be read back from the
      // object; only an offloaded closure (read as protobuf) carries it intact.
      throw buildInvalid(`node [${id}]: a pod template override needs the workflow closure offloaded`);
    }
  }

  const retries = meta?.retries?.retries || task?.metadata?.retries?.retries || 0;
  if (retries !== 0) spec.retry = { minAttempts: retries + 1 };

  if (meta?.timeout) {
    const deadline = goDurationJson(meta.timeout);
    const active = goDurationJson(meta.timeout, 2n);
    if (deadline === undefined || active === undefined) throw buildInvalid(`node [${id}]: invalid node:metadata:timeout`);
    spec.executionDeadline = deadline;
    spec.activeDeadline = active;
  }
  if (meta?.interruptibleValue.case === "interruptible") spec.interruptible = meta.interruptibleValue.value;
  if (node.outputAliases.length > 0) {
    spec.outputAlias = node.outputAliases.map((a) => ({ ...(a.var ? { var: a.var } : {}), ...(a.alias ? { alias: a.alias } : {}) }));
  }
  if (node.inputs.length > 0) spec.inputBindings = node.inputs.map((b) => toJson(BindingSchema, b));
  out.push(spec);

  switch (target.case) {
    case "taskNode":
      break;
    case "workflowNode": {
      const ref = target.value.reference;
      spec.kind = "workflow";
      if (ref.case === "launchplanRef") spec.workflow = { launchPlanRefId: toJson(IdentifierSchema, ref.value) };
      else if (ref.case === "subWorkflowRef") spec.workflow = { subWorkflowRef: identifierText(ref.value) };
      else throw buildInvalid(`node [${id}]: value required: WorkflowNode.Reference`);
      break;
    }
    case "branchNode":
      spec.kind = "branch";
      spec.branch = buildBranch(id, target.value, tasks, offloaded, out);
      break;
    case "gateNode": {
      spec.kind = "gate";
      const c = target.value.condition;
      if (c.case === "approve") spec.gate = { kind: "approve", approve: toJson(ApproveConditionSchema, c.value) };
      else if (c.case === "signal") spec.gate = { kind: "signal", signal: toJson(SignalConditionSchema, c.value) };
      else if (c.case === "sleep") spec.gate = { kind: "sleep", sleep: toJson(SleepConditionSchema, c.value) };
      break;
    }
    case "arrayNode": {
      const array = target.value;
      if (array.node === undefined) throw buildInvalid(`node [${id}]: value required: ArrayNode.Node`);
      // Only the sub-node itself: a branch inside an array node keeps no children, as in propeller.
      const [sub] = buildNodeSpecs(array.node, tasks, offloaded);
      spec.kind = "array";
      spec.array = {
        SubNodeSpec: sub!,
        Parallelism: array.parallelismOption.case === "parallelism" ? array.parallelismOption.value : null,
        MinSuccesses: array.successCriteria.case === "minSuccesses" ? array.successCriteria.value : null,
        MinSuccessRatio: array.successCriteria.case === "minSuccessRatio" ? goFloat32(array.successCriteria.value) : null,
        BoundInputs: array.boundInputs.length > 0 ? [...array.boundInputs] : null,
      };
      break;
    }
    default:
      if (id === START_NODE_ID) spec.kind = "start";
      else if (id === END_NODE_ID) spec.kind = "end";
      else throw buildInvalid(`node [${id}]: unknown node target`);
  }
}

function ifBlock(nodeId: string, block: IfBlock, tasks: TaskIndex, offloaded: boolean, out: NodeSpecJson[]): IfBlockJson {
  if (block.thenNode === undefined) throw buildInvalid(`node [${nodeId}]: value required: IfBlock.ThenNode`);
  if (block.condition === undefined) throw buildInvalid(`node [${nodeId}]: value required: IfBlock.Condition`);
  buildInto(block.thenNode, tasks, offloaded, out);
  return { condition: toJson(BooleanExpressionSchema, block.condition) as JsonValue, then: block.thenNode.id };
}

function buildBranch(nodeId: string, branch: BranchNode, tasks: TaskIndex, offloaded: boolean, out: NodeSpecJson[]): BranchNodeJson {
  const ifElse = branch.ifElse;
  if (ifElse?.case === undefined) throw buildInvalid(`node [${nodeId}]: value required: BranchNode.IfElse.Case`);
  // Same order as propeller: the first case, the default, then the other cases.
  const spec: BranchNodeJson = { if: ifBlock(nodeId, ifElse.case, tasks, offloaded, out) };
  const dflt = ifElse.default;
  if (dflt.case === "elseNode") {
    buildInto(dflt.value, tasks, offloaded, out);
    spec.else = dflt.value.id;
  } else if (dflt.case === "error") {
    // core.Error is embedded without a JSON marshaller: Go's proto field names, empty fields left out.
    spec.elseFail = {
      ...(dflt.value.failedNodeId ? { failed_node_id: dflt.value.failedNodeId } : {}),
      ...(dflt.value.message ? { message: dflt.value.message } : {}),
    };
  }
  if (ifElse.other.length > 0) spec.elseIf = ifElse.other.map((b) => ifBlock(nodeId, b, tasks, offloaded, out));
  return spec;
}
