import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { CatalogCacheStatus } from "../../../gen/flyteidl/core/catalog_pb.js";
import { type ExecutionError, TaskExecution_Phase } from "../../../gen/flyteidl/core/execution_pb.js";
import type { Identifier, WorkflowExecutionIdentifier } from "../../../gen/flyteidl/core/identifier_pb.js";
import {
  type ExternalResourceInfo,
  ExternalResourceInfoSchema,
  type NodeExecutionEvent,
  type TaskExecutionEvent,
  TaskExecutionEventSchema,
} from "../../../gen/flyteidl/event/event_pb.js";
import type { ElementPhase } from "./array-progress.js";
import type { EventRecorder } from "./event-recorder.js";
import { truncateError } from "./execution-error.js";

/** What an element's node and task reported in one step, kept instead of sent (arrayNode.eventVersion 0). */
export interface CapturingRecorder extends EventRecorder {
  readonly nodeEvents: NodeExecutionEvent[];
  readonly taskEvents: TaskExecutionEvent[];
}

export function capturingRecorder(): CapturingRecorder {
  const nodeEvents: NodeExecutionEvent[] = [];
  const taskEvents: TaskExecutionEvent[] = [];
  const node = async (e: NodeExecutionEvent) => void nodeEvents.push(e);
  const task = async (e: TaskExecutionEvent) => void taskEvents.push(e);
  return {
    nodeEvents,
    taskEvents,
    node,
    nodeAborted: node,
    task,
    taskAborted: task,
    workflow: async () => {
      throw new Error("an array node's element cannot report workflow events");
    },
  };
}

/**
 * The external resources an element's events of one step stand for
 * (propeller's externalResourcesEventRecorder.process): one per task event,
 * its logs renamed `<name>-<index>`; a cache hit without a task event is a
 * SUCCEEDED resource of its own.
 */
export function externalResourcesOf(captured: Pick<CapturingRecorder, "nodeEvents" | "taskEvents">, element: { index: number; retryAttempt: number; externalId: string }): ExternalResourceInfo[] {
  let cacheStatus = CatalogCacheStatus.CACHE_DISABLED;
  for (const e of captured.nodeEvents) {
    if (e.targetMetadata.case === "taskNodeMetadata") cacheStatus = e.targetMetadata.value.cacheStatus;
  }
  const base = { externalId: element.externalId, index: element.index, retryAttempt: element.retryAttempt, cacheStatus };
  const out: ExternalResourceInfo[] = [];
  if (cacheStatus === CatalogCacheStatus.CACHE_HIT && captured.taskEvents.length === 0) {
    out.push(create(ExternalResourceInfoSchema, { ...base, phase: TaskExecution_Phase.SUCCEEDED }));
  }
  for (const t of captured.taskEvents) {
    const inner = t.metadata?.externalResources;
    const customInfo = inner?.length === 1 ? inner[0]!.customInfo : t.customInfo;
    out.push(
      create(ExternalResourceInfoSchema, {
        ...base,
        phase: t.phase,
        logs: t.logs.map((l) => ({ ...l, name: `${l.name}-${element.index}` })),
        ...(customInfo ? { customInfo } : {}),
      }),
    );
  }
  return out;
}

/** The task phase an element's node phase stands for in a terminal event (propeller's two phase mappings chained). */
const TASK_PHASE_OF: Record<ElementPhase, TaskExecution_Phase> = {
  NotYetStarted: TaskExecution_Phase.UNDEFINED,
  Queued: TaskExecution_Phase.QUEUED,
  Running: TaskExecution_Phase.RUNNING,
  DynamicRunning: TaskExecution_Phase.RUNNING,
  Succeeding: TaskExecution_Phase.SUCCEEDED,
  Succeeded: TaskExecution_Phase.SUCCEEDED,
  Failing: TaskExecution_Phase.FAILED,
  Failed: TaskExecution_Phase.FAILED,
  RetryableFailure: TaskExecution_Phase.FAILED,
  TimingOut: TaskExecution_Phase.FAILED,
  TimedOut: TaskExecution_Phase.FAILED,
  Skipped: TaskExecution_Phase.UNDEFINED,
  Recovered: TaskExecution_Phase.SUCCEEDED,
  Aborted: TaskExecution_Phase.ABORTED,
};

/**
 * A terminal event names every element (propeller's
 * updateExternalResourceSubnodePhases): those without a resource from this
 * step get one from their recorded phase and attempt.
 */
export function withEveryElement(
  resources: readonly ExternalResourceInfo[],
  phases: readonly ElementPhase[],
  element: (index: number) => { retryAttempt: number; externalId: string },
): ExternalResourceInfo[] {
  const byIndex = new Map<number, ExternalResourceInfo>();
  for (const r of resources) if (!byIndex.has(r.index)) byIndex.set(r.index, r);
  return phases.map(
    (p, index) => byIndex.get(index) ?? create(ExternalResourceInfoSchema, { ...element(index), index, phase: TASK_PHASE_OF[p] }),
  );
}

export interface ArrayTaskEventInput {
  executionId: WorkflowExecutionIdentifier;
  /** The array node's unique id. */
  nodeId: string;
  /** The sub-task's id (unset when the sub-node runs no task). */
  taskId: Identifier | undefined;
  phase: TaskExecution_Phase;
  version: number;
  producerId: string;
  occurredAt: Date;
  externalResources: ExternalResourceInfo[];
  /** QUEUED only: the array node's inputs. */
  inputUri?: string;
  /** SUCCEEDED only: the gathered outputs. */
  outputUri?: string;
  /** FAILED only: the elements' failure summary. */
  error?: ExecutionError;
}

/**
 * The array node's one task execution (propeller's array event recorder
 * finalize, engine-spec §2.4.8): attempt 0 whatever the node's attempt (an
 * array node never retries), type "container_array", plugin "k8s-array".
 */
export function arrayTaskEvent(i: ArrayTaskEventInput): TaskExecutionEvent {
  const at = timestampFromDate(i.occurredAt);
  const event = create(TaskExecutionEventSchema, {
    taskId: i.taskId,
    parentNodeExecutionId: { executionId: i.executionId, nodeId: i.nodeId },
    retryAttempt: 0,
    phase: i.phase,
    phaseVersion: i.version,
    producerId: i.producerId,
    occurredAt: at,
    reportedAt: at,
    taskType: "container_array",
    metadata: { externalResources: i.externalResources, pluginIdentifier: "k8s-array" },
    eventVersion: 1,
  });
  if (i.inputUri !== undefined) event.inputValue = { case: "inputUri", value: i.inputUri };
  if (i.outputUri !== undefined) event.outputResult = { case: "outputUri", value: i.outputUri };
  else if (i.error) event.outputResult = { case: "error", value: truncateError(i.error) };
  return event;
}
