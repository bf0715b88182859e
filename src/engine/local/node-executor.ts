import type { ExecutionError } from "../../../gen/flyteidl/core/execution_pb.js";
import type { Node } from "../../../gen/flyteidl/core/workflow_pb.js";
import { cacheAfterHandle, cacheBeforeHandle, cacheOnQueued, isCacheHit, releaseCacheReservation } from "./cache.js";
import { childScope, type ChildScopeOptions, type DagScope, type Graph, uniqueIdIn } from "./dag-scope.js";
import { taskKey } from "./definition.js";
import { ErrorKind, errorText, executionError } from "./execution-error.js";
import { isEventError } from "./event-sink.js";
import { nodeAbortedEvent, nodeEvent, START_NODE } from "./node-events.js";
import { deadlineText, executionDeadlineMs, maxAttempts, retriesExhausted, retryEligibility } from "./node-policy.js";
import { inputsPath, outputDir } from "./paths.js";
import { preExecute } from "./pre-execute.js";
import { attemptRecovery } from "./recovery.js";
import { type HandlerResult, type NodeContext, type NodeHandler, requestWake, result, type RoundContext } from "./round-context.js";
import { endHandler, nodeKind, startHandler, unsupportedHandler } from "./simple-handlers.js";
import { attemptStarted, clearAttemptState, errorFromJson, HANDLEABLE, ms, type NodePhase, nodeStatusOf, updateNodePhase } from "./status.js";

/** What handling a node (and what lies downstream of it) came to (propeller's interfaces.NodeStatus). */
export type NodeOutcome =
  | { kind: "pending" | "queued" | "running" | "success" | "complete" | "recovered" | "timedOut" }
  | { kind: "failed"; error: ExecutionError };

const PENDING: NodeOutcome = { kind: "pending" };
const RUNNING: NodeOutcome = { kind: "running" };

const NODE_PHASE: Record<HandlerResult["phase"], NodePhase> = {
  NotReady: "NotYetStarted",
  Queued: "Queued",
  Running: "Running",
  DynamicRunning: "DynamicRunning",
  Success: "Succeeding",
  Failure: "Failing",
  RetryableFailure: "RetryableFailure",
  Timedout: "TimingOut",
  Skip: "Skipped",
};
const TERMINAL_HANDLER_PHASES = new Set<HandlerResult["phase"]>(["Success", "Failure", "Timedout", "Skip"]);

export interface NodeExecutor {
  /** propeller's RecursiveNodeHandler from `nodeId` of `scope` (its start node for a whole graph). */
  handle(ctx: RoundContext, scope: DagScope, nodeId: string): Promise<NodeOutcome>;
  /** propeller's AbortHandler from `nodeId`: every started, unfinished node is aborted with `reason` and reported ABORTED. */
  abort(ctx: RoundContext, scope: DagScope, nodeId: string, reason: string): Promise<void>;
  /** The context of a node, its directories recorded in its status. */
  context(ctx: RoundContext, scope: DagScope, nodeId: string): NodeContext;
  /** The scope of the graph a node runs (subworkflow, branch, dynamic workflow, array elements). */
  childScope(n: NodeContext, graph: Graph, options?: ChildScopeOptions): DagScope;
}

/** Node kinds a handler can be registered for (start and end nodes have their own). */
export type NodeKind = "task" | "branch" | "gate" | "array" | "subworkflow" | "launchplan";

/** A handler per node kind; a handler of nodes with children gets the executor to run them. Kinds left out fail as unsupported. */
export type NodeHandlers = { task: (nodes: NodeExecutor) => NodeHandler } & Partial<Record<Exclude<NodeKind, "task">, (nodes: NodeExecutor) => NodeHandler>>;

/**
 * The node state machine of engine-spec §2.3 for the nodes of one workflow:
 * each round moves each node by at most one transition, in the DAG order
 * propeller walks it, and reports what each transition means.
 */
export function createNodeExecutor(factories: NodeHandlers): NodeExecutor {
  const registered = new Map<string, NodeHandler>();
  const handlerFor = (node: Node): NodeHandler => {
    if (node.id === START_NODE) return startHandler;
    if (node.id === "end-node") return endHandler;
    return registered.get(nodeKind(node)) ?? unsupportedHandler;
  };

  const context = (ctx: RoundContext, scope: DagScope, nodeId: string): NodeContext => {
    const node = scope.nodes.get(nodeId);
    if (!node) throw new Error(`node ${nodeId} is not in the workflow`);
    const status = nodeStatusOf(scope.statuses, nodeId);
    const dataDir = scope.dataDirOf(nodeId);
    const out = outputDir(dataDir, status.attempts);
    status.dataDir = dataDir;
    status.outputDir = out;
    const uniqueId = uniqueIdIn(scope, nodeId);
    return { round: ctx, scope, node, specId: nodeId, uniqueId, status, dataDir, inputsUri: inputsPath(dataDir), outputDir: out };
  };

  const taskOf = (scope: DagScope, node: Node) =>
    node.target.case === "taskNode" && node.target.value.reference.case === "referenceId"
      ? scope.tasks.get(taskKey(node.target.value.reference.value))
      : undefined;

  const limitedKind = (node: Node) =>
    node.target.case === "taskNode" || node.target.case === "arrayNode" || (node.target.case === "workflowNode" && node.target.value.reference.case === "launchplanRef");

  // ---- one transition of one node (propeller's HandleNode) ---------------------------------
  const handleNotYetStarted = async (n: NodeContext, h: NodeHandler): Promise<NodeOutcome> => {
    const ctx = n.round;
    const occurredAt = ctx.now();
    // A recovery execution takes over what its reference execution did, before inputs are resolved (engine-spec §6.7).
    const recovered = await attemptRecovery(n, h, occurredAt);
    if (recovered) return recovered;
    let p = await preExecute(n);
    if (p.phase === "NotReady") return PENDING;
    ctx.dirty.add(n.uniqueId);
    // A cache hit succeeds here, without a task execution (engine-spec §6.1).
    if (p.phase === "Queued") p = (await cacheOnQueued(n)) ?? p;
    let np = NODE_PHASE[p.phase];
    if (np === "Succeeding" && (!h.finalizeRequired || isCacheHit(p))) np = "Succeeded";
    if (np !== n.status.phase) {
      p.occurredAt = occurredAt;
      await ctx.recorder.node(nodeEvent(n, p, h.eventFlags?.(n)));
      updateNodePhase(n.status, np, p.occurredAt, p.reason, p.error);
    }
    if (np === "Queued") {
      ctx.parallelism++;
      return { kind: "queued" };
    }
    if (np === "Skipped") return { kind: "success" };
    return PENDING;
  };

  /**
   * The handler's answer with deadlines and retry eligibility applied (propeller's execute); `expired`
   * when a deadline overrode an answer that said the node was still going.
   */
  const execute = async (n: NodeContext, h: NodeHandler): Promise<{ p: HandlerResult; expired: boolean }> => {
    const ctx = n.round;
    let p = await h.handle(n);
    let expired = false;
    const now = ctx.now().getTime();
    const deadline = executionDeadlineMs(n.node);
    if (!TERMINAL_HANDLER_PHASES.has(p.phase) && deadline > 0) {
      const queuedAt = ms(n.status.queuedAt);
      // A task attempt still waiting for a CPU slot has not started: only the active deadline runs. A node
      // without a task attempt (a gate) started its attempt when it went Running, as in propeller.
      const attemptAt = n.status.task === undefined || attemptStarted(n.status) ? ms(n.status.lastAttemptStartedAt) : undefined;
      if (queuedAt !== undefined && queuedAt + 2 * deadline < now) {
        return { p: result("Timedout", ctx.now(), `task active timeout [${deadlineText(2 * deadline)}] expired`), expired: true };
      }
      if (attemptAt !== undefined && attemptAt + deadline < now) {
        const timeout = executionError(ErrorKind.USER, "TimeoutExpired", `task execution timeout [${deadlineText(deadline)}] expired`);
        p = result("RetryableFailure", ctx.now(), timeout.message, timeout);
        expired = true;
      }
    }
    if (p.phase === "RetryableFailure") {
      const error = p.error ?? executionError(ErrorKind.UNKNOWN, "Unknown", "Unknown error");
      const { current, max, eligible } = retryEligibility(n.status, maxAttempts(n.node, taskOf(n.scope, n.node)), error);
      if (!eligible) return { p: result("Failure", p.occurredAt, p.reason, retriesExhausted(error, current, max), p.info), expired };
      // The next attempt starts its own clock (propeller's ClearNodeStatus).
      delete n.status.lastAttemptStartedAt;
    }
    return { p, expired };
  };

  const handleQueuedOrRunning = async (n: NodeContext, h: NodeHandler): Promise<NodeOutcome> => {
    const ctx = n.round;
    const current = n.status.phase;
    const gate = await cacheBeforeHandle(n);
    const executed = gate?.result ? undefined : await execute(n, h);
    const p = await cacheAfterHandle(n, gate?.result ?? executed!.p, gate);
    let np = NODE_PHASE[p.phase];
    if (p.error && (current === "Running" || current === "Queued" || current === "DynamicRunning")) {
      // propeller counts a permanent SYSTEM failure twice; kept for identical retry budgets.
      if (p.error.kind === ErrorKind.SYSTEM) n.status.systemFailures++;
      if (np === "Failing" && p.error.kind === ErrorKind.SYSTEM) n.status.systemFailures++;
    }
    let outcome: NodeOutcome = RUNNING;
    if (np === "Failing" && !h.finalizeRequired) {
      np = "Failed";
      outcome = { kind: "failed", error: p.error ?? unknownError() };
    }
    if (np === "TimingOut" && !h.finalizeRequired) {
      np = "TimedOut";
      outcome = { kind: "timedOut" };
    }
    if (np === "Succeeding" && (!h.finalizeRequired || isCacheHit(p))) {
      np = "Succeeded";
      outcome = { kind: "success" };
    }
    if (executed?.expired && (np === "Failed" || np === "TimedOut")) {
      // [LOCAL] A deadline ended a node whose handler still had work going (a subworkflow's nodes, a
      // launch-plan node's child execution) and that skips the Failing/TimingOut step in which a task
      // node stops its attempt. propeller leaves that work running; here it is stopped first, so no
      // process, CPU slot or child execution outlives the node, and its nodes are reported ABORTED.
      await abortNode(n, h, np === "Failed" ? "node failing" : "node timed out", false);
    }
    if (np !== current && np !== "RetryableFailure") {
      try {
        await ctx.recorder.node(nodeEvent(n, p, h.eventFlags?.(n)));
      } catch (e) {
        if (!isEventError(e, "TooLarge", "InvalidArgument")) throw e;
        // The control plane cannot take this event: the node fails with the reason instead.
        const failed = result("Failure", ctx.now(), "", executionError(ErrorKind.USER, "NodeFailed", errorText(e)));
        await ctx.recorder.node(nodeEvent(n, failed, h.eventFlags?.(n)));
        updateNodePhase(n.status, "Failing", failed.occurredAt, "", failed.error);
        return RUNNING;
      }
    }
    updateNodePhase(n.status, np, p.occurredAt, p.reason, p.error);
    if (!["Succeeded", "Failed", "TimedOut"].includes(np)) armDeadlines(n);
    return outcome;
  };

  /** A timer at the node's next deadline, so a timeout is noticed on time (engine-spec §6.3 [LOCAL]). */
  const armDeadlines = (n: NodeContext) => {
    const deadline = executionDeadlineMs(n.node);
    if (deadline <= 0) return;
    const queuedAt = ms(n.status.queuedAt);
    const attemptAt = ms(n.status.lastAttemptStartedAt);
    if (queuedAt !== undefined) requestWake(n.round, queuedAt + 2 * deadline + 1);
    if (attemptAt !== undefined) requestWake(n.round, attemptAt + deadline + 1);
  };

  /** propeller's Abort: the handler stops and finalizes; a final abort reports the node ABORTED. */
  const abortNode = async (n: NodeContext, h: NodeHandler, reason: string, final: boolean) => {
    try {
      await h.abort(n, reason, final);
    } catch (e) {
      await h.finalize(n).catch(() => undefined);
      throw e;
    }
    await h.finalize(n);
    await releaseCacheReservation(n);
    if (final) await n.round.recorder.nodeAborted(nodeAbortedEvent(n, reason));
  };

  const handleNode = async (ctx: RoundContext, scope: DagScope, nodeId: string): Promise<NodeOutcome> => {
    const n = context(ctx, scope, nodeId);
    const h = handlerFor(n.node);
    const phase = n.status.phase;
    if (phase === "NotYetStarted" && nodeId !== START_NODE) return handleNotYetStarted(n, h);
    ctx.dirty.add(n.uniqueId);
    switch (phase) {
      case "Failing":
        await abortNode(n, h, "node failing", false);
        updateNodePhase(n.status, "Failed", ctx.now(), n.status.message ?? "", errorFromJson(n.status.error));
        return { kind: "failed", error: errorFromJson(n.status.error) ?? unknownError() };
      case "TimingOut":
        await abortNode(n, h, "node timed out", false);
        updateNodePhase(n.status, "TimedOut", ctx.now(), n.status.message ?? "");
        return { kind: "timedOut" };
      case "Succeeding":
        await h.finalize(n);
        updateNodePhase(n.status, "Succeeded", ctx.now(), "completed successfully");
        return { kind: "success" };
      case "RetryableFailure": {
        await abortNode(n, h, n.status.message ?? "", false);
        n.status.attempts++;
        updateNodePhase(n.status, "Running", ctx.now(), "retrying");
        clearAttemptState(n.status);
        const next = context(ctx, scope, nodeId);
        armDeadlines(next);
        return PENDING;
      }
      default:
        return handleQueuedOrRunning(n, h);
    }
  };

  // ---- the walk (propeller's RecursiveNodeHandler and handleDownstream) ---------------------
  const handle = async (ctx: RoundContext, scope: DagScope, nodeId: string): Promise<NodeOutcome> => {
    const node = scope.nodes.get(nodeId);
    if (!node) return { kind: "failed", error: executionError(ErrorKind.SYSTEM, "BadSpecificationError", `failed to retrieve node [${nodeId}]`) };
    const status = scope.statuses[nodeId];
    const phase = status?.phase ?? "NotYetStarted";
    const uniqueId = uniqueIdIn(scope, nodeId);
    if (HANDLEABLE.has(phase)) {
      if (ctx.dirty.has(uniqueId)) return RUNNING;
      const max = ctx.def.json.config.maxParallelism;
      // Only a node yet to start an attempt waits for max_parallelism: one that started (and may hold a
      // CPU slot) is always handled, or its end would never be seen and its slot never released.
      if (max > 0 && limitedKind(node) && ctx.parallelism >= max && !attemptStarted(status)) return RUNNING;
      return handleNode(ctx, scope, nodeId);
    }
    // A node reached again through another path this round: its subgraph was walked already
    // (re-walking it once per path is exponential in a layered DAG).
    const seen = ctx.visited.get(uniqueId);
    if (seen) return seen;
    if (phase === "Succeeded" || phase === "Skipped" || phase === "Recovered") return remember(ctx, uniqueId, await downstream(ctx, scope, nodeId));
    if (phase === "Failed") {
      await downstream(ctx, scope, nodeId);
      return remember(ctx, uniqueId, { kind: "failed", error: errorFromJson(status?.error) ?? unknownError() });
    }
    if (phase === "TimedOut") {
      await downstream(ctx, scope, nodeId);
      return remember(ctx, uniqueId, { kind: "timedOut" });
    }
    throw new Error(`node ${nodeId} is in an unknown phase ${phase}`);
  };

  const downstream = async (ctx: RoundContext, scope: DagScope, nodeId: string): Promise<NodeOutcome> => {
    const next = scope.downstream.get(nodeId) ?? [];
    if (next.length === 0) return { kind: "complete" };
    let allCompleted = true;
    let partial = false;
    let onComplete: NodeOutcome = { kind: "complete" };
    for (const d of next) {
      const state = await handle(ctx, scope, d);
      if (state.kind === "failed" || state.kind === "timedOut") {
        if (!scope.failAfterExecutableNodes) return state;
        onComplete = state;
      } else if (state.kind !== "complete") {
        allCompleted = false;
      }
      if (state.kind === "success") partial = true;
    }
    if (allCompleted) return onComplete;
    return partial ? { kind: "success" } : PENDING;
  };

  const abort = async (ctx: RoundContext, scope: DagScope, nodeId: string, reason: string, seen = new Set<string>()): Promise<void> => {
    if (seen.has(nodeId)) return;
    seen.add(nodeId);
    const phase = scope.statuses[nodeId]?.phase ?? "NotYetStarted";
    if (phase === "NotYetStarted") return;
    if (HANDLEABLE.has(phase)) {
      const n = context(ctx, scope, nodeId);
      await abortNode(n, handlerFor(n.node), reason, true);
      return;
    }
    if (phase === "Succeeded" || phase === "Skipped" || phase === "Recovered") {
      const errors: unknown[] = [];
      for (const d of scope.downstream.get(nodeId) ?? []) {
        await abort(ctx, scope, d, reason, seen).catch((e) => errors.push(e));
      }
      if (errors.length > 0) throw errors[0];
    }
  };

  const executor: NodeExecutor = {
    handle,
    abort: (ctx, scope, nodeId, reason) => abort(ctx, scope, nodeId, reason),
    context,
    childScope: (n, graph, options) => childScope(n, graph, options),
  };
  for (const [kind, make] of Object.entries(factories)) registered.set(kind, make(executor));
  return executor;
}

const remember = (ctx: RoundContext, uniqueId: string, outcome: NodeOutcome): NodeOutcome => {
  ctx.visited.set(uniqueId, outcome);
  return outcome;
};

const unknownError = () => executionError(ErrorKind.UNKNOWN, "UnknownError", "Unknown error");
