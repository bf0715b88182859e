import { fromJson, type JsonValue, toJson } from "@bufbuild/protobuf";
import { type ExecutionError, ExecutionErrorSchema } from "../../../gen/flyteidl/core/execution_pb.js";
import { truncateError } from "./execution-error.js";
import type { PluginPhase } from "./task-plugin.js";

/** flytepropeller's workflow phases (engine-spec §2.2). */
export type WorkflowPhase = "Ready" | "Running" | "Succeeding" | "Success" | "Failing" | "HandlingFailureNode" | "Failed" | "Aborted";

/** flytepropeller's node phases (engine-spec §2.3). */
export type NodePhase =
  | "NotYetStarted"
  | "Queued"
  | "Running"
  | "DynamicRunning"
  | "Succeeding"
  | "Succeeded"
  | "Failing"
  | "Failed"
  | "TimingOut"
  | "TimedOut"
  | "RetryableFailure"
  | "Skipped"
  | "Recovered";

/** The task attempt a task node is on, as its plugin last reported it. */
export interface TaskStatus {
  phase: PluginPhase | "Undefined";
  version: number;
  /** The plugin's own state (JSON). */
  state?: unknown;
  lastPhaseUpdatedAt?: string;
  /** CPUs this attempt holds in the engine's slots; absent when it holds none. */
  slot?: number;
}

export interface NodeStatus {
  phase: NodePhase;
  message?: string;
  queuedAt?: string;
  startedAt?: string;
  stoppedAt?: string;
  lastAttemptStartedAt?: string;
  lastUpdatedAt?: string;
  attempts: number;
  systemFailures: number;
  /** flyteidl.core.ExecutionError as proto JSON. */
  error?: JsonValue;
  dataDir?: string;
  outputDir?: string;
  task?: TaskStatus;
  /** Statuses of the nodes of the graph this node runs (subworkflow, branch, dynamic workflow), by spec id. */
  nodes?: Record<string, NodeStatus>;
  /** A branch node's choice. */
  branch?: BranchState;
  /** A gate node's wait. */
  gate?: GateState;
  /** A subworkflow node's own progress. */
  subworkflow?: SubworkflowState;
  /** A launch-plan node's child execution. */
  launchPlan?: LaunchPlanState;
  /** A task node that turned out dynamic. */
  dynamic?: DynamicState;
  /** An array node's elements. */
  array?: ArrayState;
  /** What a recovery execution took over for this node from its reference execution. */
  recovery?: RecoveryState;
}

// ---- per-kind handler state (each kept by its handler, dropped when the node retries or ends) --------

export interface BranchState {
  /** Spec id of the node the branch took; unset until it decided. */
  taken?: string;
}

export interface GateState {
  /** When the gate started waiting (ISO). */
  since?: string;
}

export interface SubworkflowState {
  /** "failing": a child failed; the next step aborts the rest and runs the subworkflow's failure node. */
  phase?: "running" | "failing" | "handlingFailureNode";
  /** flyteidl.core.ExecutionError as proto JSON. */
  error?: JsonValue;
}

export interface LaunchPlanState {
  /** Name of the child execution once it was created (project and domain are the parent's). */
  child?: string;
}

export interface DynamicState {
  /**
   * Once the task succeeded with a futures file: ParentFinalizing (release the task) → ParentFinalized (build,
   * compile and report the workflow) → Executing (its children run) → Failing (children stopped, the node fails).
   */
  phase: "ParentFinalizing" | "ParentFinalized" | "Executing" | "Failing";
  /** flyteidl.core.ExecutionError as proto JSON (Failing). */
  error?: JsonValue;
  /** Failing: a child failed (the node fails) rather than timed out (the node may retry). */
  permanent?: boolean;
  /** Failing: why, for the children's ABORTED events. */
  reason?: string;
  /** Failing: the children were stopped already (aborting the node does not stop them again). */
  childrenAborted?: boolean;
}

export interface ArrayState {
  phase: "Executing" | "Succeeding" | "Failing";
  size: number;
  /**
   * One character per element: its node phase (codes in array-state.ts). Only
   * elements in flight have a full status in the node's `nodes` (as `n<i>`);
   * a finished element is this character and its attempt count.
   */
  phases: string;
  /** One character per element: the phase of its task attempt. */
  taskPhases: string;
  /** Attempts of the elements beyond their first, by index (absent = 0). */
  attempts?: Record<string, number>;
  /** phase_version of the array's task execution in its current phase. */
  version: number;
  /** The elements' failure summary, flyteidl.core.ExecutionError as proto JSON. */
  error?: JsonValue;
  /** The array's task execution has had its terminal event. */
  reported?: boolean;
}

export interface RecoveryState {
  /** The reference attempt's checkpoint: the previous checkpoint of attempt 0 (engine-spec §1.2, §6.7). */
  checkpointUri?: string;
}

/** What an engine row's `status` holds: propeller's status shape, in JSON. */
export interface WorkflowStatus {
  v: 1;
  phase: WorkflowPhase;
  message?: string;
  startedAt?: string;
  stoppedAt?: string;
  dataDir?: string;
  outputRef?: string;
  error?: JsonValue;
  /**
   * Set to "" when the control plane recorded no cluster for the execution (the
   * server stopped between accepting the launch and recording its cluster):
   * its events then name no producer, which the control plane does not check.
   */
  producer?: string;
  nodes: Record<string, NodeStatus>;
}

export const initialStatus = (): WorkflowStatus => ({ v: 1, phase: "Ready", nodes: {} });

export function parseStatus(text: string): WorkflowStatus {
  const s = JSON.parse(text) as WorkflowStatus;
  if (s?.v !== 1 || typeof s.phase !== "string" || typeof s.nodes !== "object" || s.nodes === null) {
    throw new Error("engine status has an unknown format");
  }
  return s;
}

export const TERMINAL_WORKFLOW: ReadonlySet<WorkflowPhase> = new Set(["Success", "Failed", "Aborted"]);
export const TERMINAL_NODE: ReadonlySet<NodePhase> = new Set(["Succeeded", "Failed", "Skipped", "TimedOut", "Recovered"]);
/** Phases in which a round handles the node itself (the others only lead on downstream). */
export const HANDLEABLE: ReadonlySet<NodePhase> = new Set(["NotYetStarted", "Queued", "Running", "Failing", "TimingOut", "RetryableFailure", "Succeeding", "DynamicRunning"]);

/**
 * The node's current attempt has started: it holds a CPU slot or its plugin moved past queued; a
 * launch-plan node once it launched its child; an array node once it has elements (they may hold
 * slots that only its next step gives back).
 */
export const attemptStarted = (ns: NodeStatus | undefined): boolean => {
  if (ns?.launchPlan?.child !== undefined || ns?.array !== undefined) return true;
  const ts = ns?.task;
  return ts !== undefined && (ts.slot !== undefined || (ts.phase !== "Undefined" && ts.phase !== "Queued"));
};

export const errorToJson = (e: ExecutionError): JsonValue => toJson(ExecutionErrorSchema, e);
export const errorFromJson = (j: JsonValue | undefined): ExecutionError | undefined =>
  j === undefined ? undefined : fromJson(ExecutionErrorSchema, j, { ignoreUnknownFields: true });

/** The status of a node in `statuses`, created NotYetStarted on first use. */
export function nodeStatusOf(statuses: Record<string, NodeStatus>, nodeId: string): NodeStatus {
  let ns = statuses[nodeId];
  if (!ns) {
    ns = { phase: "NotYetStarted", attempts: 0, systemFailures: 0 };
    statuses[nodeId] = ns;
  }
  return ns;
}

export const ms = (iso: string | undefined): number | undefined => (iso === undefined ? undefined : Date.parse(iso));

/**
 * propeller's NodeStatus.UpdatePhase: records the phase and its times; a
 * terminal phase drops what only a running node needs (its task state, start
 * times), keeping phase, stop time, error and the data directories.
 */
export function updateNodePhase(ns: NodeStatus, phase: NodePhase, occurredAt: Date, reason: string, error?: ExecutionError): void {
  if (ns.phase === phase && (ns.message ?? "") === reason) return;
  ns.phase = phase;
  ns.message = reason.slice(0, 1024);
  const at = occurredAt.toISOString();
  ns.lastUpdatedAt = at;
  // The durable status keeps what an event may carry at most (a message can be any size).
  if (error) ns.error = errorToJson(truncateError(error));
  if (phase === "Queued") {
    ns.queuedAt ??= at;
  } else if (phase === "Running") {
    ns.startedAt ??= at;
    ns.lastAttemptStartedAt ??= at;
  } else if (TERMINAL_NODE.has(phase)) {
    ns.stoppedAt ??= at;
    delete ns.message;
    delete ns.queuedAt;
    delete ns.startedAt;
    delete ns.lastUpdatedAt;
    delete ns.lastAttemptStartedAt;
    clearAttemptState(ns);
  }
}

/** Drops what only the current attempt needs: task and handler state and the nested graph's statuses (propeller's ClearNodeStatus). */
export function clearAttemptState(ns: NodeStatus): void {
  delete ns.task;
  delete ns.nodes;
  delete ns.branch;
  delete ns.gate;
  delete ns.subworkflow;
  delete ns.launchPlan;
  delete ns.dynamic;
  delete ns.array;
  delete ns.recovery;
}
