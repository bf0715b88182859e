import type { WorkflowExecutionIdentifier } from "../../gen/flyteidl/core/identifier_pb.js";
import { ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import type { NodeExecutionEvent, TaskExecutionEvent, WorkflowExecutionEvent } from "../../gen/flyteidl/event/event_pb.js";
import { missingField } from "./errors.js";
import { validateIdentifier } from "./identifier.js";
import { checkIdentifierText, checkNodeId, checkNoNul } from "./text-limits.js";

/**
 * The text of engine events, checked before the event is applied: every key
 * part that is looked up, stored or used in a blob key, and the free text
 * that lands in a text column (input URIs, error codes, producer ids).
 */

export interface NodeEventKey {
  project: string;
  domain: string;
  name: string;
  nodeId: string;
}

/** A full execution id (`missing <field>` for an empty part) with text that can be stored. */
export function checkExecutionId(id: WorkflowExecutionIdentifier | undefined, field = "execution_id"): { project: string; domain: string; name: string } {
  if (!id || id.project === "" || id.domain === "" || id.name === "") throw missingField(field);
  checkIdentifierText(id);
  return { project: id.project, domain: id.domain, name: id.name };
}

/** Error codes and output URIs of an event's result land in text columns. */
function checkResultText(result: NodeExecutionEvent["outputResult"] | TaskExecutionEvent["outputResult"] | WorkflowExecutionEvent["outputResult"]): void {
  if (result.case === "error") checkNoNul(result.value.code, "error.code");
  if (result.case === "outputUri") checkNoNul(result.value, "output_uri");
}

/**
 * A node event whose id and execution id are present: its key, after
 * FlyteAdmin's ValidateNodeExecutionEventRequest checks of a dynamic
 * workflow (the closure is stored and later served, so it must have a
 * primary workflow template) and the text checks.
 */
export function validateNodeEvent(event: NodeExecutionEvent): NodeEventKey {
  const exec = checkExecutionId(event.id?.executionId);
  const nodeId = event.id?.nodeId ?? "";
  checkNodeId(nodeId);
  if (event.targetMetadata.case === "taskNodeMetadata" && event.targetMetadata.value.dynamicWorkflow) {
    const dynamic = event.targetMetadata.value.dynamicWorkflow;
    validateIdentifier(dynamic.id, ResourceType.WORKFLOW);
    if (!dynamic.compiledWorkflow) throw missingField("compiled dynamic workflow");
    if (!dynamic.compiledWorkflow.primary) throw missingField("primary dynamic workflow");
    if (!dynamic.compiledWorkflow.primary.template) throw missingField("primary dynamic workflow template");
    validateIdentifier(dynamic.compiledWorkflow.primary.template.id, ResourceType.WORKFLOW);
  }
  if (event.targetMetadata.case === "workflowNodeMetadata" && event.targetMetadata.value.executionId) {
    checkIdentifierText(event.targetMetadata.value.executionId);
  }
  const parentNodeId = event.parentNodeMetadata?.nodeId;
  if (parentNodeId) checkNodeId(parentNodeId, "parent_node_metadata.node_id");
  const parentTask = event.parentTaskMetadata?.id;
  if (parentTask) {
    if (parentTask.taskId) checkIdentifierText(parentTask.taskId);
    if (parentTask.nodeExecutionId?.executionId) checkIdentifierText(parentTask.nodeExecutionId.executionId);
    if (parentTask.nodeExecutionId?.nodeId) checkNodeId(parentTask.nodeExecutionId.nodeId, "parent_task_metadata.node_id");
  }
  if (event.inputValue.case === "inputUri") checkNoNul(event.inputValue.value, "input_uri");
  checkResultText(event.outputResult);
  return { ...exec, nodeId };
}

/**
 * A task event's parent node execution id (FlyteAdmin checks it before the
 * task id, which validateIdentifier covers) and the text it stores.
 */
export function checkTaskEventText(event: TaskExecutionEvent): void {
  checkExecutionId(event.parentNodeExecutionId?.executionId);
  checkNodeId(event.parentNodeExecutionId?.nodeId ?? "");
  if (event.inputValue.case === "inputUri") checkNoNul(event.inputValue.value, "input_uri");
  checkResultText(event.outputResult);
}

/** The text of a workflow event: its execution id, the producer (it may become the execution's cluster), the result. */
export function checkWorkflowEventText(event: WorkflowExecutionEvent): void {
  if (event.executionId) checkIdentifierText(event.executionId);
  checkNoNul(event.producerId, "producer_id");
  checkResultText(event.outputResult);
}
