import type { EngineKey, EngineStore } from "../../storage/engine-store.js";
import { type ExecutionDefinition, loadDefinition } from "./definition.js";
import { errorText } from "./execution-error.js";
import { type EventRecorder, StopExecution } from "./event-recorder.js";
import { START_NODE } from "./node-events.js";
import type { NodeExecutor } from "./node-executor.js";
import type { EngineServices, RoundContext } from "./round-context.js";
import { parseStatus, TERMINAL_NODE, TERMINAL_WORKFLOW, type WorkflowStatus } from "./status.js";
import type { RunOutcome } from "./work-queue.js";
import { abortWorkflow, stepWorkflow } from "./workflow-step.js";

/** How often an execution with task attempts in flight is looked at even when no plugin asked (missed wake-ups, restarts). */
export const TASK_POLL_MS = 2_000;
/** Failed abort rounds after which the execution is reported FAILED instead (propeller gives up too). */
export const MAX_ABORT_FAILURES = 10;

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
 * Errors propagate to the caller, which retries the round later.
 */
export async function runRound(deps: RoundDeps, key: EngineKey, cacheKey: string, priorFailures: { count: number; last?: string }): Promise<RunOutcome> {
  const row = await deps.engineStore.get(key);
  if (!row || !row.active) {
    deps.definitions.delete(cacheKey);
    return { again: false };
  }
  let def = deps.definitions.get(cacheKey);
  if (!def) {
    def = loadDefinition(key, row.definition);
    deps.definitions.set(cacheKey, def);
  }
  const status = parseStatus(row.status);
  const before = JSON.stringify(status);
  const ctx: RoundContext = {
    services: deps.services,
    key,
    def,
    status,
    recorder: deps.recorder,
    dirty: new Set(),
    parallelism: 0,
    producerId: status.producer ?? deps.services.clusterId,
    wakeAt: undefined,
    now: deps.services.clock,
  };
  try {
    if (TERMINAL_WORKFLOW.has(status.phase)) {
      // Reported terminal but still active (the write that retired it was lost): just retire it.
    } else if (row.abortCause !== undefined) {
      const gaveUp = priorFailures.count >= MAX_ABORT_FAILURES
        ? `max number of system retry attempts [${priorFailures.count}/${MAX_ABORT_FAILURES}] exhausted. Last known status message: ${priorFailures.last ?? ""}`
        : undefined;
      await abortWorkflow(ctx, deps.nodes, gaveUp);
    } else {
      await stepWorkflow(ctx, deps.nodes);
    }
  } catch (e) {
    if (!(e instanceof StopExecution)) throw e;
    if (e.why === "IncompatibleCluster" && status.producer === undefined && (await deps.clusterOf(key)) === "") {
      // Accepted, but its cluster never recorded: report without a producer from now on.
      const retry = parseStatus(before);
      retry.producer = "";
      await deps.engineStore.update(key, row.version, { status: JSON.stringify(retry), active: true, nextWakeAt: undefined });
      return { again: true };
    }
    await stopLocally(deps, ctx, e);
  }
  const terminal = TERMINAL_WORKFLOW.has(status.phase);
  const after = JSON.stringify(status);
  const changed = after !== before;
  const wakeAt = terminal ? undefined : nextWake(ctx);
  if (changed || terminal) {
    const written = await deps.engineStore.update(key, row.version, { status: after, active: !terminal, nextWakeAt: wakeAt });
    if (!written) return { again: true };
  }
  if (terminal) deps.definitions.delete(cacheKey);
  return { again: changed && !terminal, wakeAt };
}

/** The earliest deadline, or the poll fallback while task attempts are in flight. */
function nextWake(ctx: RoundContext): Date | undefined {
  let at = ctx.wakeAt;
  const busy = Object.values(ctx.status.nodes).some((n) => n.task !== undefined && !TERMINAL_NODE.has(n.phase));
  if (busy) {
    const poll = ctx.now().getTime() + TASK_POLL_MS;
    if (at === undefined || poll < at) at = poll;
  }
  return at === undefined ? undefined : new Date(at);
}

/**
 * The control plane disowns the execution or has it terminal already: stop
 * every started node without reporting anything, and retire the row.
 */
async function stopLocally(deps: RoundDeps, ctx: RoundContext, why: StopExecution): Promise<void> {
  deps.services.logger.warn("engine: stopping an execution locally", { execution: ctx.key.name, reason: why.message });
  const quiet: RoundContext = { ...ctx, recorder: deps.silentRecorder };
  await deps.nodes.abort(quiet, START_NODE, why.message).catch((e) =>
    deps.services.logger.warn("engine: cleanup of a stopped execution failed", { execution: ctx.key.name, error: errorText(e) }),
  );
  const status: WorkflowStatus = ctx.status;
  status.phase = why.why === "IncompatibleCluster" ? "Aborted" : "Failed";
  status.message = why.message;
  status.stoppedAt ??= ctx.now().toISOString();
}
