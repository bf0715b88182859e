import { toJson } from "@bufbuild/protobuf";
import type { CompiledWorkflow } from "../../../gen/flyteidl/core/compiler_pb.js";
import { VariableMapSchema } from "../../../gen/flyteidl/core/interface_pb.js";
import { BindingSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import { WorkflowMetadata_OnFailurePolicy } from "../../../gen/flyteidl/core/workflow_pb.js";
import { buildInvalid } from "./flyte-workflow-error.js";
import { buildNodeSpecs, type TaskIndex } from "./flyte-workflow-nodes.js";
import type { NodeSpecJson, WorkflowSpecJson } from "./flyte-workflow-types.js";
import { workflowIdText } from "./workflow-labels.js";
import { stripInterfaceTypeMetadata } from "./strip-interface.js";

function edgeMap(lists: { [key: string]: { ids: string[] } } | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(lists ?? {})) out[k] = [...v.ids];
  return out;
}

/**
 * One workflow of the closure (primary or sub-workflow) as propeller's
 * WorkflowSpec. Every node, and every node a branch holds, goes into `nodes`
 * once; an id seen twice must describe the same node (propeller's rule).
 */
export function buildWorkflowSpec(wf: CompiledWorkflow, tasks: TaskIndex, offloaded: boolean): WorkflowSpecJson {
  const template = wf.template;
  if (template === undefined) throw buildInvalid("value required: CompiledWorkflow.Template");
  const id = workflowIdText(template.id);
  const nodes: Record<string, NodeSpecJson> = {};
  const seen = new Map<string, string>();
  for (const node of template.nodes) {
    for (const spec of buildNodeSpecs(node, tasks, offloaded)) {
      const text = JSON.stringify(spec);
      const before = seen.get(spec.id);
      if (before !== undefined && before !== text) {
        throw buildInvalid(`workflow [${id}]: node id [${spec.id}] is used by two different nodes`);
      }
      seen.set(spec.id, text);
      nodes[spec.id] = spec;
    }
  }
  const downstream = edgeMap(wf.connections?.downstream);
  const spec: WorkflowSpecJson = {
    id,
    nodes,
    connections: downstream,
    edges: { downstream: edgeMap(wf.connections?.downstream), upstream: edgeMap(wf.connections?.upstream) },
  };
  if (template.failureNode) spec.onFailure = buildNodeSpecs(template.failureNode, tasks, offloaded)[0]!;
  const iface = stripInterfaceTypeMetadata(template.interface);
  spec.outputs = iface?.outputs ? toJson(VariableMapSchema, iface.outputs) : {};
  if (template.outputs.length > 0) spec.outputBindings = template.outputs.map((b) => toJson(BindingSchema, b));
  const policy = template.metadata?.onFailure ?? WorkflowMetadata_OnFailurePolicy.FAIL_IMMEDIATELY;
  // Go leaves the zero value (FAIL_IMMEDIATELY) out.
  if (policy === WorkflowMetadata_OnFailurePolicy.FAIL_AFTER_EXECUTABLE_NODES_COMPLETE) {
    spec.onFailurePolicy = "FAIL_AFTER_EXECUTABLE_NODES_COMPLETE";
  } else if (policy !== WorkflowMetadata_OnFailurePolicy.FAIL_IMMEDIATELY) {
    throw buildInvalid(`workflow [${id}]: unknown on-failure policy ${policy}`);
  }
  return spec;
}
