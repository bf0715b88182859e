import type { ExecutionError } from "../../../gen/flyteidl/core/execution_pb.js";
import type { TaskLog } from "../../../gen/flyteidl/core/execution_pb.js";
import type { Identifier, WorkflowExecutionIdentifier } from "../../../gen/flyteidl/core/identifier_pb.js";
import type { TaskTemplate } from "../../../gen/flyteidl/core/tasks_pb.js";
import type { BlobStore } from "../../blob/blob-store.js";

/**
 * The phases a task plugin reports (flyteplugins' pluginmachinery core phases,
 * the subset the local engine uses). Task event phases follow from them:
 * Queued→QUEUED, Initializing→INITIALIZING, Running→RUNNING, Success→SUCCEEDED,
 * RetryableFailure and PermanentFailure→FAILED, Aborted→ABORTED.
 */
export type PluginPhase = "Queued" | "Initializing" | "Running" | "Success" | "RetryableFailure" | "PermanentFailure" | "Aborted";

export interface PhaseInfo {
  phase: PluginPhase;
  /** Bumped for a same-phase update worth an event (e.g. new logs); (phase, version) unchanged = no event. */
  version: number;
  /** Task event reason, e.g. "task submitted to local runner". */
  reason?: string;
  /** Set for RetryableFailure and PermanentFailure; kind USER, SYSTEM or UNKNOWN. */
  error?: ExecutionError;
  /** When the transition happened (defaults to now). */
  occurredAt?: Date;
  logs?: TaskLog[];
}

/** Where an attempt reads and writes, all as URIs of the blob store (file:// locally), per engine-spec §3.1 and §1.2. */
export interface AttemptPaths {
  /** `D/inputs.pb` */
  inputPath: string;
  /** `D` */
  inputPrefix: string;
  /** `O(a)`: outputs.pb, error.pb, futures.pb, deck.html go here. Never pre-created. */
  outputPrefix: string;
  /** `<raw base>/<shard>/<generated name>` */
  rawOutputPrefix: string;
  /** `<raw output prefix>/_flytecheckpoints` */
  checkpointPrefix: string;
  /** The previous attempt's checkpoint prefix, or "" when there is none (rendered as the two characters `""`). */
  prevCheckpointPrefix: string;
}

/** One attempt of one task node, as the engine hands it to a plugin. Everything here is deterministic from the ids. */
export interface TaskAttempt {
  executionId: WorkflowExecutionIdentifier;
  /** `<project>-<domain>` */
  namespace: string;
  /** The workflow's name (FLYTE_INTERNAL_EXECUTION_WORKFLOW is `<project>:<domain>:<name>`). */
  workflowName: string;
  /** Node unique id (engine-spec §1.2), e.g. "n0" or "n1-0-n0". */
  nodeUniqueId: string;
  /** Retry attempt, from 0. */
  attempt: number;
  /** `fixedLength(joinParts([execName, nodeUniqueId, attempt]), 50)` */
  generatedName: string;
  taskId: Identifier;
  template: TaskTemplate;
  paths: AttemptPaths;
  /** The execution's environment variables (ExecutionSpec.envs), applied after the platform's. */
  envs: Record<string, string>;
  /**
   * Set when the attempt is an element of an array node (a map task, engine-spec §5.3): `paths`
   * hold the element's own inputs, while its process reads the array node's whole inputs
   * (`{{.input}}`, `{{.inputPrefix}}`) and picks its element by the index in its environment.
   */
  array?: { index: number; inputPath: string; inputPrefix: string };
  /** CPU cores this attempt counts against the engine's slots (its request, at least 1 when unknown). */
  cpus: number;
  /** Plugin state persisted with the node status across rounds and restarts (JSON-serialisable). */
  state: unknown;
  setState(state: unknown): void;
  /** Ask for another round of this execution (e.g. when a process exits). */
  wake(): void;
  /**
   * The blob store every path above lives in (`blobs.keyOf(uri)` gives the key).
   * Always set by the engine; optional so attempts built by hand in tests need not carry one.
   */
  blobs?: BlobStore;
}

/**
 * A task plugin (engine-spec §8.2). `handle` is called once per round while the
 * attempt is not terminal: it starts the work on the first call and reports
 * progress on later ones, never waiting for the task to finish. It must be
 * idempotent: after a restart the engine calls it again with the persisted state.
 */
export interface TaskPlugin {
  id: string;
  taskTypes: readonly string[];
  handle(attempt: TaskAttempt): Promise<PhaseInfo>;
  /** Stops the attempt's work (terminate, timeout, failing workflow). Resolves once the kill is under way. */
  abort(attempt: TaskAttempt): Promise<void>;
  /** Releases what the attempt holds once it is terminal (called once, after success, failure or abort). */
  finalize(attempt: TaskAttempt): Promise<void>;
  /** Clears the plugin's timers when the engine stops; running work is left alone (it survives a restart). */
  close?(): void;
}
