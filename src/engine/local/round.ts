import type { EngineKey, EngineStore, EngineWorkflowRow } from "../../storage/engine-store.js";
import { type ExecutionDefinition, loadDefinition } from "./definition.js";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { WorkflowExecution_Phase } from "../../../gen/flyteidl/core/execution_pb.js";
import { WorkflowExecutionEventSchema } from "../../../gen/flyteidl/event/event_pb.js";
import { ErrorKind, executionError, truncateError } from "./execution-error.js";
import { isEventError } from "./event-sink.js";
import { type EventRecorder, StopExecution } from "./event-recorder.js";
import type { NodeExecutor } from "./node-executor.js";
import type { EngineServices, RoundContext } from "./round-context.js";
import { errorFromJson, initialStatus, parseStatus, TERMINAL_NODE, TERMINAL_WORKFLOW, type WorkflowStatus } from "./status.js";
import type { RunOutcome } from "./work-queue.js";
import { forEachNodeStatus, topScope } from "./dag-scope.js";
import { workflowDir } from "./paths.js";
import { ABORT_FAILED_CODE, abortWorkflow, cleanUp, giveUp, stepWorkflow, TERMINATE_REASON } from "./workflow-step.js";

/** How often an execution with task attempts in flight is looked at even when no plugin asked (missed wake-ups, restarts). */
export const TASK_POLL_MS = 2_000;
/** Steps a round takes in memory at most before it writes the status and lets other executions go. */
export const MAX_STEPS_PER_ROUND = 8;
/** Consecutive failed rounds after which the execution is reported FAILED (propeller's max-workflow-retries). */
export const MAX_SYSTEM_RETRIES = 10;

/** Consecutive failed rounds of one execution; `aborting` once a round saw its abort cause (the count restarts then). */
export interface RoundFailures {
  count: number;
  last?: string | undefined;
  aborting?: boolean;
}

export interface RoundDeps {
  services: EngineServices;
  engineStore: EngineStore;
  recorder: EventRecorder;
  /** A recorder that drops everything: used when the engine stops an execution without reporting. */
  silentRecorder: EventRecorder;
  nodes: NodeExecutor;
  definitions: Map<string, ExecutionDefinition>;
  /** The cluster the control plane recorded for an execution ("" none, undefined no such execution). */
  clusterOf(key: EngineKey): Promise<string | undefined>;
}

/**
 * One round of one execution (engine-spec §8.3, §8.4): load its row, abort it
 * or move it one step, then persist the status with compare-and-set. Blobs
 * and events happen during the step; a round whose write loses the race is
 * dropped and run again (events are idempotent at the control plane).
 * Errors propagate to the caller, which retries the round later; after
 * MAX_SYSTEM_RETRIES failed rounds in a row the execution is failed instead.
 */
export async function runRound(deps: RoundDeps, key: EngineKey, cacheKey: string, prior: RoundFailures): Promise<RunOutcome> {
  // The definition never changes: once it is cached, only the state is read.
  const cached = deps.definitions.get(cacheKey);
  const row: (Omit<EngineWorkflowRow, "definition"> & { definition?: string }) | undefined = cached
    ? await deps.engineStore.getState(key)
    : await deps.engineStore.get(key);
  if (!row || !row.active) {
    deps.definitions.delete(cacheKey);
    return { again: false };
  }
  if (row.abortCause !== undefined && !prior.aborting) {
    // Failures before the terminate do not count against the abort's budget.
    prior.aborting = true;
    prior.count = 0;
  }
  const exhausted = prior.count > MAX_SYSTEM_RETRIES
    ? `max number of system retry attempts [${prior.count}/${MAX_SYSTEM_RETRIES}] exhausted. Last known status message: ${prior.last ?? ""}`
    : undefined;
  let def = cached;
  let status: WorkflowStatus;
  try {
    if (!def) {
      def = loadDefinition(key, row.definition ?? "");
      deps.definitions.set(cacheKey, def);
    }
    status = parseStatus(row.status);
  } catch (e) {
    if (exhausted === undefined) throw e;
    return failUnreadable(deps, key, cacheKey, row.version, exhausted);
  }
  const before = JSON.stringify(status);
  let version = row.version;
  let written = before;
  let persistedInStep = false;
  // Each execution, node and task sends at most one event between two writes of the status, so a
  // replay from the last write re-sends only events already taken (as with one step per round).
  const sentSinceWrite = new Set<string>();
  const once = (what: string) => async () => {
    if (sentSinceWrite.has(what)) await ctx.persist();
    sentSinceWrite.add(what);
  };
  const r = deps.recorder;
  const recorder: EventRecorder = {
    node: async (e) => (await once(`N ${e.id?.nodeId}`)(), r.node(e)),
    nodeAborted: async (e) => (await once(`N ${e.id?.nodeId}`)(), r.nodeAborted(e)),
    task: async (e) => (await once(`T ${e.parentNodeExecutionId?.nodeId}#${e.retryAttempt}`)(), r.task(e)),
    taskAborted: async (e) => (await once(`T ${e.parentNodeExecutionId?.nodeId}#${e.retryAttempt}`)(), r.taskAborted(e)),
    workflow: async (e) => (await once("WF")(), r.workflow(e)),
  };
  const wfDir = status.dataDir ?? workflowDir(deps.services.metadataBase, key);
  const ctx: RoundContext = {
    services: deps.services,
    key,
    def,
    status,
    top: topScope(def.graph, status.nodes, def.tasks, def.closure.subWorkflows, wfDir, () => errorFromJson(status.error)),
    recorder,
    dirty: new Set(),
    visited: new Map(),
    parallelism: 0,
    producerId: status.producer ?? deps.services.clusterId,
    wakeAt: undefined,
    now: deps.services.clock,
    async persist() {
      const text = JSON.stringify(status);
      if (text === written) return;
      const poll = new Date(deps.services.clock().getTime() + TASK_POLL_MS);
      if (!(await deps.engineStore.update(key, version, { status: text, active: true, nextWakeAt: poll }))) {
        throw new Error("the engine row changed during the round");
      }
      version++;
      written = text;
      persistedInStep = true;
      sentSinceWrite.clear();
    },
  };
  // Steps run one after another on the status in memory while they make progress (each one a
  // round of propeller's, with its own dirty set and walk); the row is written once at the end.
  // A step that throws leaves the row at what the steps before it produced.
  let stepped = before;
  let changed = false;
  let stepChanged = false;
  for (let step = 0; step < MAX_STEPS_PER_ROUND; step++) {
    ctx.dirty = new Set();
    ctx.visited = new Map();
    ctx.parallelism = 0;
    persistedInStep = false;
    let stopped = false;
    try {
      if (TERMINAL_WORKFLOW.has(status.phase)) {
        // Reported terminal but still active (the write that retired it was lost): just retire it.
      } else if (exhausted !== undefined) {
        const reason = row.abortCause !== undefined ? TERMINATE_REASON : `max number of system retry attempts [${prior.count}/${MAX_SYSTEM_RETRIES}] exhausted - system failure.`;
        await giveUp(ctx, deps.nodes, reason, exhausted);
      } else if (row.abortCause !== undefined) {
        await abortWorkflow(ctx, deps.nodes);
      } else {
        await stepWorkflow(ctx, deps.nodes);
      }
    } catch (e) {
      if (!(e instanceof StopExecution)) {
        // (A mid-step write already holds the earlier steps and the launch it recorded.)
        if (stepped !== written && !persistedInStep) await deps.engineStore.update(key, version, { status: stepped, active: true, nextWakeAt: undefined }).catch(() => false);
        throw e;
      }
      if (e.why === "IncompatibleCluster" && status.producer === undefined && (await deps.clusterOf(key)) === "") {
        // Accepted, but its cluster never recorded: report without a producer from now on.
        // From what the steps before produced: a plugin's record of launched work must not be lost.
        const retry = parseStatus(stepped);
        retry.producer = "";
        await deps.engineStore.update(key, version, { status: JSON.stringify(retry), active: true, nextWakeAt: undefined });
        return { again: true };
      }
      await stopLocally(deps, ctx, e);
      stopped = true;
    }
    const text = JSON.stringify(status);
    stepChanged = text !== stepped;
    stepped = text;
    changed ||= stepChanged;
    if (!stepChanged || stopped || exhausted !== undefined || row.abortCause !== undefined || TERMINAL_WORKFLOW.has(status.phase)) break;
  }
  const terminal = TERMINAL_WORKFLOW.has(status.phase);
  const wakeAt = terminal ? undefined : nextWake(ctx);
  if (stepped !== written || terminal) {
    const ok = await deps.engineStore.update(key, version, { status: stepped, active: !terminal, nextWakeAt: wakeAt });
    if (!ok) return { again: true };
  }
  if (terminal) {
    deps.definitions.delete(cacheKey);
    // A child execution's end is what its launch-plan node waits for.
    if (def.json.parent) deps.services.wake(def.json.parent);
  }
  // The last step still moved something: there may be more to do.
  return { again: changed && stepChanged && !terminal, wakeAt };
}

/**
 * An execution whose definition or status cannot be read kept failing: it is
 * reported FAILED with nothing else (there are no nodes to clean up that the
 * engine could name) and retired.
 */
async function failUnreadable(deps: RoundDeps, key: EngineKey, cacheKey: string, version: number, message: string): Promise<RunOutcome> {
  const now = deps.services.clock();
  const event = create(WorkflowExecutionEventSchema, {
    executionId: { project: key.project, domain: key.domain, name: key.name },
    producerId: deps.services.clusterId,
    phase: WorkflowExecution_Phase.FAILED,
    occurredAt: timestampFromDate(now),
    outputResult: { case: "error", value: executionError(ErrorKind.SYSTEM, ABORT_FAILED_CODE, message) },
  });
  await deps.recorder.workflow(event).catch((e) => {
    if (!(e instanceof StopExecution)) throw e;
  });
  const status: WorkflowStatus = { ...initialStatus(), phase: "Failed", message, stoppedAt: now.toISOString() };
  deps.definitions.delete(cacheKey);
  const written = await deps.engineStore.update(key, version, { status: JSON.stringify(status), active: false, nextWakeAt: undefined });
  return { again: !written };
}

/** The earliest deadline, or the poll fallback while task attempts are in flight. */
function nextWake(ctx: RoundContext): Date | undefined {
  let at = ctx.wakeAt;
  let busy = false;
  forEachNodeStatus(ctx.status.nodes, (_, n) => {
    busy ||= n.task !== undefined && !TERMINAL_NODE.has(n.phase);
  });
  if (busy) {
    const poll = ctx.now().getTime() + TASK_POLL_MS;
    if (at === undefined || poll < at) at = poll;
  }
  return at === undefined ? undefined : new Date(at);
}

/**
 * The control plane disowns the execution or has it (or one of its nodes)
 * terminal already: stop every started node without reporting anything and
 * retire the row. A node or task refused as terminal leaves the execution
 * itself running at the control plane, so it is reported FAILED there.
 */
async function stopLocally(deps: RoundDeps, ctx: RoundContext, why: StopExecution): Promise<void> {
  deps.services.logger.warn("engine: stopping an execution locally", { execution: ctx.key.name, reason: why.message });
  await cleanUp(ctx, deps.nodes, why.message, deps.silentRecorder);
  const status: WorkflowStatus = ctx.status;
  if (why.why === "StateMismatch") {
    const event = create(WorkflowExecutionEventSchema, {
      executionId: ctx.def.executionId,
      producerId: ctx.producerId,
      phase: WorkflowExecution_Phase.FAILED,
      occurredAt: timestampFromDate(ctx.now()),
      outputResult: { case: "error", value: truncateError(executionError(ErrorKind.SYSTEM, "StateMismatch", why.message)) },
    });
    // "mismatch" (terminal there already) and NOT_FOUND are fine: the execution is over either way.
    await deps.recorder.workflow(event).catch((e) => {
      if (!(e instanceof StopExecution) && !isEventError(e, "NotFound")) throw e;
    });
  }
  status.phase = why.why === "IncompatibleCluster" ? "Aborted" : "Failed";
  status.message = why.message.slice(0, 1024);
  status.stoppedAt ??= ctx.now().toISOString();
}
