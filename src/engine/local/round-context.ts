import type { ExecutionError } from "../../../gen/flyteidl/core/execution_pb.js";
import type { Node } from "../../../gen/flyteidl/core/workflow_pb.js";
import type { TaskNodeMetadata, WorkflowNodeMetadata } from "../../../gen/flyteidl/event/event_pb.js";
import type { BlobStore } from "../../blob/blob-store.js";
import type { ChildExecutions } from "./child-executions.js";
import type { Logger } from "../../logger.js";
import type { EngineKey } from "../../storage/engine-store.js";
import type { Catalog } from "./catalog.js";
import type { DagScope } from "./dag-scope.js";
import type { ExecutionDefinition } from "./definition.js";
import type { GateSignals } from "./gate-handler.js";
import type { EventRecorder } from "./event-recorder.js";
import type { Slots } from "./slots.js";
import type { NodeOutcome } from "./node-executor.js";
import type { RecoverySource } from "./recovery-source.js";
import type { NodeStatus, WorkflowStatus } from "./status.js";
import type { TaskPlugin } from "./task-plugin.js";

/** What every round of every execution shares. */
export interface EngineServices {
  clusterId: string;
  blobs: BlobStore;
  plugins: readonly TaskPlugin[];
  slots: Slots;
  /** URI of the metadata base (`<blob root>/metadata/propeller`). */
  metadataBase: string;
  /** URI raw outputs go under unless the execution names its own. */
  rawOutputBase: string;
  defaultTaskCpus: number;
  logger: Logger;
  clock: () => Date;
  /** The control plane's gate signals (FlyteAdmin's GetOrCreateSignal, called in process). */
  signals: GateSignals;
  /** How often a gate waiting for a signal looks again when SetSignal did not wake it. */
  signalPollMs: number;
  /** Asks for a round of an execution (now, or at `at`). */
  wake(key: EngineKey, at?: Date): void;
  /** The control plane's executions, for launch-plan nodes' children; absent: such nodes fail. */
  children?: ChildExecutions | undefined;
  /** The task cache (engine-spec §6.1). */
  catalog: Catalog;
  /** Where a recovery execution reads its reference execution; absent: nodes are never recovered. */
  recovery?: RecoverySource | undefined;
}

/** One round of one execution: its definition, the status it mutates, and what it found out. */
export interface RoundContext {
  services: EngineServices;
  key: EngineKey;
  def: ExecutionDefinition;
  status: WorkflowStatus;
  /** The top-level workflow's graph, its statuses in `status.nodes`. */
  top: DagScope;
  recorder: EventRecorder;
  /** Unique ids of nodes already moved this round (propeller's dirty bit): neither handled again nor a ready upstream. */
  dirty: Set<string>;
  /** What walking each terminal node's subgraph came to this round, by unique id (each is walked once per round). */
  visited: Map<string, NodeOutcome>;
  /** Task nodes counted against max_parallelism so far this round. */
  parallelism: number;
  /** producer_id of this execution's events: the cluster id, or "" for a launch whose cluster was never recorded. */
  producerId: string;
  /**
   * Writes the status as it is now, mid-round (compare-and-set like the round's own write):
   * what a plugin records when it launches work must survive a round that fails later.
   */
  persist(): Promise<void>;
  /** The earliest time (ms) something wants a round (deadlines, poll fallback). */
  wakeAt: number | undefined;
  now(): Date;
}

export const requestWake = (ctx: RoundContext, at: number) => {
  if (ctx.wakeAt === undefined || at < ctx.wakeAt) ctx.wakeAt = at;
};

/** The node being handled, with its status and locations (engine-spec §3.1). */
export interface NodeContext {
  round: RoundContext;
  /** The graph the node is in. */
  scope: DagScope;
  node: Node;
  /** The node's id in the workflow spec. */
  specId: string;
  /** The node's unique id (engine-spec §1.2); events and task executions use it. */
  uniqueId: string;
  status: NodeStatus;
  /** `D` */
  dataDir: string;
  /** `D/inputs.pb` */
  inputsUri: string;
  /** `O(a)` of the current attempt. */
  outputDir: string;
}

/** A handler's answer (propeller's handler.PhaseInfo). */
export type HandlerPhase = "NotReady" | "Queued" | "Running" | "DynamicRunning" | "Success" | "Failure" | "RetryableFailure" | "Timedout" | "Skip";

export interface HandlerResult {
  phase: HandlerPhase;
  occurredAt: Date;
  reason: string;
  error?: ExecutionError | undefined;
  info?: { outputUri?: string; deckUri?: string; taskNodeMetadata?: TaskNodeMetadata; workflowNodeMetadata?: WorkflowNodeMetadata } | undefined;
}

/** Flags of a node's events that follow from its kind and state (propeller's ToNodeExecutionEvent). */
export interface NodeEventFlags {
  isParent?: boolean;
  isDynamic?: boolean;
  isArray?: boolean;
}

export interface NodeHandler {
  /** Task-like handlers keep a Succeeding/Failing/TimingOut step to finalize; the others move straight on. */
  readonly finalizeRequired: boolean;
  handle(n: NodeContext): Promise<HandlerResult>;
  /** Stops the node's work; `final` when the node ends ABORTED (terminate, failing workflow). */
  abort(n: NodeContext, reason: string, final: boolean): Promise<void>;
  finalize(n: NodeContext): Promise<void>;
  /** is_parent / is_dynamic / is_array of the node's events; none by default. */
  eventFlags?(n: NodeContext): NodeEventFlags;
}

export const result = (
  phase: HandlerPhase,
  occurredAt: Date,
  reason = "",
  error?: ExecutionError,
  info?: HandlerResult["info"],
): HandlerResult => ({ phase, occurredAt, reason, error, info });
