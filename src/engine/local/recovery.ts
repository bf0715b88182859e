import { create } from "@bufbuild/protobuf";
import type { NodeExecution, NodeExecutionClosure } from "../../../gen/flyteidl/admin/node_execution_pb.js";
import { NodeExecution_Phase as Phase } from "../../../gen/flyteidl/core/execution_pb.js";
import type { WorkflowExecutionIdentifier } from "../../../gen/flyteidl/core/identifier_pb.js";
import { type LiteralMap, LiteralMapSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import { TaskNodeMetadataSchema, WorkflowNodeMetadataSchema } from "../../../gen/flyteidl/event/event_pb.js";
import type { BlobStore } from "../../blob/blob-store.js";
import type { ExecutionKey } from "../../storage/store.js";
import { keyOfUri, writeMessage } from "./blob-uris.js";
import { errorText } from "./execution-error.js";
import { isEventError } from "./event-sink.js";
import { END_NODE, nodeEvent, START_NODE } from "./node-events.js";
import type { NodeOutcome } from "./node-executor.js";
import { MAX_OUTPUTS_BYTES } from "./output-check.js";
import { futuresPath, outputsPath } from "./paths.js";
import { canExecute } from "./pre-execute.js";
import { type HandlerResult, type NodeContext, type NodeHandler, result } from "./round-context.js";
import { updateNodePhase } from "./status.js";

/**
 * Recovery mode (engine-spec §6.7, propeller's attemptRecovery): a node of an
 * execution created by RecoverExecution that is about to leave NotYetStarted
 * looks for the node with the same unique id in the reference execution. One
 * that succeeded there (or was recovered there) is not run again: its inputs
 * and outputs are copied and the node ends Recovered with a single RECOVERED
 * event; a subworkflow, branch or dynamic node is recovered whole, its
 * children never visited. Otherwise the node runs, a task node resuming from
 * the reference attempt's checkpoint.
 *
 * Returns the node's outcome when recovery decided this step, undefined when
 * the node is to start as usual. Like propeller, a reference that cannot be
 * read (no such node, a failed lookup, data gone) means running the node.
 */
export async function attemptRecovery(n: NodeContext, h: NodeHandler, occurredAt: Date): Promise<NodeOutcome | undefined> {
  const ctx = n.round;
  const reference = ctx.def.json.recovery;
  const source = ctx.services.recovery;
  // Array elements report no node executions of their own: the reference has none to recover.
  if (!reference || !source || n.specId === START_NODE || n.scope.element) return undefined;
  // Not ready (or skipped): preExecute says so; recovery happens only once the node may start.
  if (canExecute(ctx, n.scope, n.specId) !== "ready") return undefined;
  let prior: NodeExecution | undefined;
  try {
    prior = await source.nodeExecution(reference, n.uniqueId);
  } catch (e) {
    warn(n, "could not look the node up in the reference execution", e);
    return undefined;
  }
  const closure = prior?.closure;
  if (!prior || !closure) return undefined;
  switch (closure.phase) {
    case Phase.SUCCEEDED:
    case Phase.RECOVERED:
      return recover(n, h, reference, prior, closure, occurredAt);
    case Phase.SKIPPED:
      return undefined;
    default:
      // Intra-task checkpointing: the first attempt starts from where the reference attempt got.
      if (closure.targetMetadata.case === "taskNodeMetadata" && closure.targetMetadata.value.checkpointUri !== "") {
        n.status.recovery = { checkpointUri: closure.targetMetadata.value.checkpointUri };
      }
      if (prior.metadata?.isDynamic && closure.dynamicJobSpecUri !== "") return resumeDynamic(n, h, prior, closure, occurredAt);
      return undefined;
  }
}

/**
 * A dynamic node whose parent task finished in the reference execution but
 * whose children did not all succeed: its inputs and futures file are copied
 * and it goes straight to building its workflow (ParentFinalized), so its
 * children get the same ids as there and are recovered one by one. The task
 * itself does not run again.
 */
async function resumeDynamic(n: NodeContext, h: NodeHandler, prior: NodeExecution, closure: NodeExecutionClosure, occurredAt: Date): Promise<NodeOutcome | undefined> {
  const ctx = n.round;
  const blobs = ctx.services.blobs;
  let inputs: LiteralMap = create(LiteralMapSchema);
  if (prior.inputUri !== "") {
    const read = await referenceMap(blobs, prior.inputUri);
    if (typeof read === "string") return unusable(n, read);
    inputs = read;
  }
  const futures = await referenceFile(blobs, closure.dynamicJobSpecUri);
  if (typeof futures === "string") return unusable(n, futures);
  await writeMessage(blobs, n.inputsUri, LiteralMapSchema, inputs);
  await blobs.put(keyOfUri(blobs, futuresPath(n.outputDir)), futures);
  // The parent task's attempt ended in the reference execution: there is nothing of it to stop or report here.
  n.status.task = { phase: "Success", version: 0 };
  n.status.dynamic = { phase: "ParentFinalized" };
  const running = result("Running", occurredAt);
  await ctx.recorder.node(nodeEvent(n, running, h.eventFlags?.(n)));
  ctx.dirty.add(n.uniqueId);
  updateNodePhase(n.status, "Running", occurredAt, "");
  return { kind: "pending" };
}

/**
 * The child execution a launch-plan node launched in the reference execution,
 * when the node succeeded there (engine-spec §5.5): the node then recovers
 * that child (RecoverExecution) instead of launching a new one. Reached only
 * when the node itself could not be recovered from its data.
 */
export async function referenceChildOf(n: NodeContext): Promise<WorkflowExecutionIdentifier | undefined> {
  const reference = n.round.def.json.recovery;
  const source = n.round.services.recovery;
  if (!reference || !source) return undefined;
  let prior: NodeExecution | undefined;
  try {
    prior = await source.nodeExecution(reference, n.uniqueId);
  } catch (e) {
    warn(n, "could not look the launch-plan node up in the reference execution", e);
    return undefined;
  }
  const closure = prior?.closure;
  if (closure?.phase !== Phase.SUCCEEDED || closure.targetMetadata.case !== "workflowNodeMetadata") return undefined;
  return closure.targetMetadata.value.executionId;
}

/** The node succeeded in the reference execution: its data is copied and it ends RECOVERED. */
async function recover(n: NodeContext, h: NodeHandler, reference: ExecutionKey, prior: NodeExecution, closure: NodeExecutionClosure, occurredAt: Date): Promise<NodeOutcome | undefined> {
  const ctx = n.round;
  const blobs = ctx.services.blobs;
  let inputs: LiteralMap = create(LiteralMapSchema);
  if (prior.inputUri !== "") {
    const read = await referenceMap(blobs, prior.inputUri);
    if (typeof read === "string") return unusable(n, read);
    inputs = read;
  }
  let outputs: LiteralMap;
  const out = closure.outputResult;
  if (out.case === "outputData") {
    outputs = out.value;
  } else if (out.case === "outputUri" && out.value !== "") {
    const read = await referenceMap(blobs, out.value);
    if (typeof read === "string") return unusable(n, read);
    outputs = read;
  } else if (n.specId === END_NODE) {
    // [LOCAL] An end node reports no outputs (engine-spec §2.4.2) but its outputs are its inputs;
    // propeller writes an empty map here, losing the workflow's outputs.
    outputs = inputs;
  } else {
    outputs = create(LiteralMapSchema);
  }
  const info: NonNullable<HandlerResult["info"]> = { outputUri: outputsPath(n.outputDir) };
  if (closure.deckUri !== "" && (await exists(blobs, closure.deckUri))) info.deckUri = closure.deckUri;
  const target = closure.targetMetadata;
  if (target.case === "taskNodeMetadata") {
    const dynamic = await ctx.services.recovery!.dynamicWorkflow(reference, n.uniqueId).catch((e: unknown) => {
      warn(n, "could not read the dynamic workflow of the reference node", e);
      return undefined;
    });
    info.taskNodeMetadata = create(TaskNodeMetadataSchema, {
      catalogKey: target.value.catalogKey,
      cacheStatus: target.value.cacheStatus,
      ...(dynamic ? { dynamicWorkflow: { id: dynamic.primary?.template?.id, compiledWorkflow: dynamic } } : {}),
    });
  } else if (target.case === "workflowNodeMetadata") {
    info.workflowNodeMetadata = create(WorkflowNodeMetadataSchema, { executionId: target.value.executionId });
  }

  // The files first: a round replayed after a crash writes them again and re-sends the event.
  await writeMessage(blobs, n.inputsUri, LiteralMapSchema, inputs);
  await writeMessage(blobs, info.outputUri!, LiteralMapSchema, outputs);
  const event = nodeEvent(n, result("Success", occurredAt, "", undefined, info), h.eventFlags?.(n));
  event.phase = Phase.RECOVERED;
  try {
    await ctx.recorder.node(event);
  } catch (e) {
    if (!isEventError(e, "TooLarge", "InvalidArgument")) throw e;
    // The control plane cannot take it: the node runs instead (it writes its own inputs and outputs).
    return unusable(n, `the RECOVERED event was refused: ${errorText(e)}`);
  }
  ctx.dirty.add(n.uniqueId);
  updateNodePhase(n.status, "Recovered", occurredAt, "");
  return { kind: "pending" };
}

/** A literal map of the reference execution, or why it cannot be used. */
async function referenceMap(blobs: BlobStore, uri: string): Promise<LiteralMap | string> {
  const key = blobs.keyOf(uri);
  if (key === undefined) return `${uri} is not a location of the engine's blob store`;
  try {
    const info = await blobs.stat(key);
    if (!info) return `${uri} does not exist`;
    if (info.size > MAX_OUTPUTS_BYTES) return `${uri} is ${info.size} bytes, more than the ${MAX_OUTPUTS_BYTES} bytes allowed`;
    return (await blobs.getMessage(key, LiteralMapSchema)) ?? `${uri} does not exist`;
  } catch (e) {
    return `${uri} could not be read: ${errorText(e)}`;
  }
}

/** The bytes of a file of the reference execution (a futures file), or why it cannot be used. */
async function referenceFile(blobs: BlobStore, uri: string): Promise<Uint8Array | string> {
  const key = blobs.keyOf(uri);
  if (key === undefined) return `${uri} is not a location of the engine's blob store`;
  try {
    const info = await blobs.stat(key);
    if (!info) return `${uri} does not exist`;
    if (info.size > MAX_OUTPUTS_BYTES) return `${uri} is ${info.size} bytes, more than the ${MAX_OUTPUTS_BYTES} bytes allowed`;
    return (await blobs.get(key)) ?? `${uri} does not exist`;
  } catch (e) {
    return `${uri} could not be read: ${errorText(e)}`;
  }
}

/** Whether a file of the reference execution is still there (a deck that cannot be checked is left out). */
async function exists(blobs: BlobStore, uri: string): Promise<boolean> {
  const key = blobs.keyOf(uri);
  return key !== undefined && (await blobs.stat(key).catch(() => undefined)) !== undefined;
}

function unusable(n: NodeContext, why: string): undefined {
  warn(n, "the node is run instead of recovered", why);
  return undefined;
}

function warn(n: NodeContext, message: string, e: unknown): void {
  n.round.services.logger.warn(`engine: recovery: ${message}`, { execution: n.round.key.name, node: n.uniqueId, error: errorText(e) });
}
