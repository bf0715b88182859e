import { create } from "@bufbuild/protobuf";
import { type Identifier, IdentifierSchema, ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import { type Binding, BindingSchema } from "../../gen/flyteidl/core/literals_pb.js";
import type { TaskTemplate } from "../../gen/flyteidl/core/tasks_pb.js";
import { type WorkflowTemplate, WorkflowTemplateSchema } from "../../gen/flyteidl/core/workflow_pb.js";

/** The prefix of the workflow and launch plan FlyteAdmin generates to run a task alone. */
export const SINGLE_TASK_PREFIX = ".flytegen.";

const DEFAULT_RETRIES = 3;

/** FlyteAdmin's node id for the task: letters, digits and '-' only, the last 63 of them. */
export function singleTaskNodeId(taskName: string): string {
  return taskName.replace(/[^A-Za-z0-9-]/g, "").slice(-63);
}

/**
 * The one-node workflow `.flytegen.<task>` (same project, domain and version
 * as the task): every task input is a workflow input bound to the node, every
 * task output a workflow output; retries come from the task, else 3.
 */
export function singleTaskWorkflow(task: TaskTemplate): WorkflowTemplate {
  const taskId = task.id!;
  const nodeId = singleTaskNodeId(taskId.name);
  const inputs = Object.keys(task.interface?.inputs?.variables ?? {});
  const outputs = Object.keys(task.interface?.outputs?.variables ?? {});
  const retries = task.metadata?.retries?.retries || DEFAULT_RETRIES;
  return create(WorkflowTemplateSchema, {
    id: singleTaskWorkflowId(taskId),
    interface: task.interface,
    metadata: {},
    metadataDefaults: {},
    nodes: [
      {
        id: nodeId,
        metadata: { name: nodeId, retries: { retries } },
        inputs: inputs.map((v) => promiseBinding(v, "start-node")),
        target: { case: "taskNode", value: { reference: { case: "referenceId", value: taskId } } },
      },
    ],
    outputs: outputs.map((v) => promiseBinding(v, nodeId)),
  });
}

const promiseBinding = (v: string, nodeId: string): Binding =>
  create(BindingSchema, { var: v, binding: { value: { case: "promise", value: { nodeId, var: v } } } });

export const singleTaskWorkflowId = (taskId: Identifier): Identifier =>
  create(IdentifierSchema, { ...taskId, resourceType: ResourceType.WORKFLOW, name: SINGLE_TASK_PREFIX + taskId.name });

export const singleTaskLaunchPlanId = (taskId: Identifier): Identifier =>
  create(IdentifierSchema, { ...taskId, resourceType: ResourceType.LAUNCH_PLAN, name: SINGLE_TASK_PREFIX + taskId.name });
