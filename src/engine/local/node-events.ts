import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { ExecutionErrorSchema, NodeExecution_Phase as Phase } from "../../../gen/flyteidl/core/execution_pb.js";
import type { Identifier } from "../../../gen/flyteidl/core/identifier_pb.js";
import type { Node } from "../../../gen/flyteidl/core/workflow_pb.js";
import { type NodeExecutionEvent, NodeExecutionEventSchema, ParentNodeExecutionMetadataSchema } from "../../../gen/flyteidl/event/event_pb.js";
import { taskKey } from "./definition.js";
import { truncateError } from "./execution-error.js";
import { outputsPath } from "./paths.js";
import type { HandlerPhase, HandlerResult, NodeContext, NodeEventFlags } from "./round-context.js";

export const START_NODE = "start-node";
export const END_NODE = "end-node";

const EVENT_PHASE: Record<HandlerPhase, Phase> = {
  NotReady: Phase.UNDEFINED,
  Queued: Phase.QUEUED,
  Running: Phase.RUNNING,
  DynamicRunning: Phase.DYNAMIC_RUNNING,
  RetryableFailure: Phase.RUNNING,
  Success: Phase.SUCCEEDED,
  Failure: Phase.FAILED,
  Timedout: Phase.TIMED_OUT,
  Skip: Phase.SKIPPED,
};

/** The entity a node event names (propeller's GetTargetEntity): the task of a task node, the launch plan of a launch-plan node. */
export function targetEntity(n: NodeContext): Identifier | undefined {
  const target = n.node.target;
  if (target.case === "taskNode" && target.value.reference.case === "referenceId") {
    return n.scope.tasks.get(taskKey(target.value.reference.value))?.id ?? target.value.reference.value;
  }
  if (target.case === "workflowNode" && target.value.reference.case === "launchplanRef") return target.value.reference.value;
  return undefined;
}

const executionId = (n: NodeContext) => n.round.def.executionId;

/** propeller's ToNodeExecutionEvent (engine-spec §2.3 field matrix); `flags` come from the node's handler. */
export function nodeEvent(n: NodeContext, p: HandlerResult, flags: NodeEventFlags = {}): NodeExecutionEvent {
  const now = n.round.now();
  const event = create(NodeExecutionEventSchema, {
    id: { executionId: executionId(n), nodeId: n.uniqueId },
    phase: EVENT_PHASE[p.phase],
    occurredAt: timestampFromDate(p.occurredAt),
    producerId: n.round.producerId,
    eventVersion: 1,
    reportedAt: timestampFromDate(now),
    targetEntity: targetEntity(n),
    specNodeId: n.specId,
    nodeName: nodeName(n.node),
    isParent: flags.isParent ?? false,
    isDynamic: flags.isDynamic ?? false,
    isArray: flags.isArray ?? false,
  });
  nest(n, event);
  if (n.specId === START_NODE) {
    event.outputResult = { case: "outputUri", value: outputsPath(n.outputDir) };
  } else {
    event.inputValue = { case: "inputUri", value: n.inputsUri };
  }
  const info = p.info;
  if (info?.taskNodeMetadata) event.targetMetadata = { case: "taskNodeMetadata", value: info.taskNodeMetadata };
  if (info?.workflowNodeMetadata) event.targetMetadata = { case: "workflowNodeMetadata", value: info.workflowNodeMetadata };
  if (info && (info.outputUri !== undefined || info.deckUri !== undefined)) {
    if (info.deckUri) event.deckUri = info.deckUri;
    if (info.outputUri) event.outputResult = { case: "outputUri", value: info.outputUri };
  } else if (p.error) {
    event.outputResult = { case: "error", value: truncateError(p.error) };
  }
  return event;
}

/** The node ABORTED event: only id, phase, times, producer, target entity and the NodeAborted error (engine-spec §2.6). */
export function nodeAbortedEvent(n: NodeContext, reason: string): NodeExecutionEvent {
  const now = timestampFromDate(n.round.now());
  return create(NodeExecutionEventSchema, {
    id: { executionId: executionId(n), nodeId: n.uniqueId },
    phase: Phase.ABORTED,
    occurredAt: now,
    reportedAt: now,
    producerId: n.round.producerId,
    targetEntity: targetEntity(n),
    outputResult: { case: "error", value: truncateError(create(ExecutionErrorSchema, { code: "NodeAborted", message: reason })) },
    isInDynamicChain: n.scope.parent?.inDynamicChain ?? false,
  });
}

/** A nested node's events name their parent node and its attempt (propeller's ToNodeExecutionEvent with parent info). */
function nest(n: NodeContext, event: NodeExecutionEvent): void {
  const parent = n.scope.parent;
  if (!parent) return;
  event.parentNodeMetadata = create(ParentNodeExecutionMetadataSchema, { nodeId: parent.uniqueId });
  event.retryGroup = String(parent.attempt);
  event.isInDynamicChain = parent.inDynamicChain;
}

const nodeName = (node: Node) => node.metadata?.name ?? "";
