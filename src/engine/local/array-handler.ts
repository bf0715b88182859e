import { create } from "@bufbuild/protobuf";
import { CatalogCacheStatus } from "../../../gen/flyteidl/core/catalog_pb.js";
import { type ExecutionError, ExecutionErrorSchema, TaskExecution_Phase } from "../../../gen/flyteidl/core/execution_pb.js";
import { type LiteralMap, LiteralMapSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import type { TaskTemplate } from "../../../gen/flyteidl/core/tasks_pb.js";
import type { ArrayNode, Node } from "../../../gen/flyteidl/core/workflow_pb.js";
import { type ExternalResourceInfo, ExternalResourceInfoSchema } from "../../../gen/flyteidl/event/event_pb.js";
import { type ArrayElements, arrayElements, elementId, readArrayInputs } from "./array-elements.js";
import { arrayTaskEvent, capturingRecorder, externalResourcesOf, withEveryElement } from "./array-events.js";
import { errorSummary } from "./array-errors.js";
import { arraySize } from "./array-inputs.js";
import { gatherOutputs } from "./array-outputs.js";
import { arrayVerdict, isTerminalElement, minSuccesses } from "./array-progress.js";
import { elementsOf, type Elements, initialArrayState } from "./array-state.js";
import { readMessage, writeMessage } from "./blob-uris.js";
import { taskKey } from "./definition.js";
import { ErrorKind, errorText, executionError } from "./execution-error.js";
import { isEventError } from "./event-sink.js";
import type { NodeExecutor } from "./node-executor.js";
import { joinUri, outputDir, outputsPath } from "./paths.js";
import { type HandlerResult, type NodeContext, type NodeHandler, result } from "./round-context.js";
import { type ArrayState, attemptStarted, errorFromJson, errorToJson, TERMINAL_NODE } from "./status.js";
import { blobSize, MAX_OUTPUTS_BYTES } from "./output-check.js";

/** The reason the elements in flight are aborted with when too many failed (propeller's). */
const FAILING_REASON = "ArrayNodeFailing";
/** Outputs of succeeded elements read at once while gathering. */
const READ_BATCH = 16;

const badSpec = (n: NodeContext, message: string) => result("Failure", n.round.now(), "", executionError(ErrorKind.SYSTEM, "BadSpecificationError", message));

/** The array node's spec, its sub-node and the task that runs, or why the node cannot run. */
function specOf(n: NodeContext): { spec: ArrayNode; sub: Node; template: TaskTemplate } | HandlerResult {
  const t = n.node.target;
  if (t.case !== "arrayNode") return badSpec(n, `node [${n.specId}] is not an array node`);
  const sub = t.value.node;
  if (!sub) return badSpec(n, `array node [${n.specId}] has no sub-node`);
  const target = sub.target;
  if (target.case !== "taskNode" || target.value.reference.case !== "referenceId") {
    return result("Failure", n.round.now(), "", executionError(ErrorKind.SYSTEM, "UnsupportedNodeKind", `array node [${n.specId}]: only task sub-nodes (map tasks) are supported by the local engine`));
  }
  const id = target.value.reference.value;
  const template = n.scope.tasks.get(taskKey(id));
  if (!template) return badSpec(n, `failed to find ArrayNode subNode task with id: '${id.project}:${id.domain}:${id.name}:${id.version}'`);
  return { spec: t.value, sub, template };
}

/**
 * Array nodes (flytekit `map_task`, engine-spec §2.4.8, §5.3): the node's
 * inputs give its elements; each element is the sub-node run through the
 * engine's node state machine (retries, timeouts, task plugin), at most
 * `parallelism` at a time, every process taking its CPU slot as any task's.
 * Elements report nothing of their own (propeller's arrayNode.eventVersion 0):
 * their task events become external resources of the array's one task
 * execution. The array itself is never retried.
 */
export function createArrayHandler(nodes: NodeExecutor): NodeHandler {
  const elementsFor = (n: NodeContext) => {
    const s = specOf(n);
    return "phase" in s ? s : { ...s, elements: arrayElements(nodes, n, s.spec, s.sub, s.template) };
  };

  /** Sends the array's task event; an event the control plane cannot take fails the node instead (as for task nodes). */
  const report = async (
    n: NodeContext,
    els: ArrayElements,
    phase: TaskExecution_Phase,
    version: number,
    resources: ExternalResourceInfo[],
    extra: { inputUri?: string; outputUri?: string; error?: ExecutionError } = {},
  ): Promise<HandlerResult | undefined> => {
    const ctx = n.round;
    const event = arrayTaskEvent({
      executionId: ctx.def.executionId,
      nodeId: n.uniqueId,
      taskId: els.template.id,
      phase,
      version,
      producerId: ctx.producerId,
      occurredAt: ctx.now(),
      externalResources: resources,
      ...extra,
    });
    try {
      if (phase === TaskExecution_Phase.ABORTED) await ctx.recorder.taskAborted(event);
      else await ctx.recorder.task(event);
    } catch (e) {
      if (!isEventError(e, "TooLarge", "InvalidArgument")) throw e;
      return result("Failure", ctx.now(), "", executionError(ErrorKind.USER, "NodeFailed", errorText(e)));
    }
    return undefined;
  };

  /** Every element in a terminal event: the ones this step did not name, from their recorded phases. */
  const everyElement = (els: ArrayElements, el: Elements, resources: ExternalResourceInfo[]) =>
    withEveryElement(resources, el.phases, (i) => ({ retryAttempt: el.attempts(i), externalId: els.externalId(i, el.attempts(i)) }));

  /** Phase None: count the elements; the task execution starts QUEUED with one UNDEFINED resource per element. */
  async function start(n: NodeContext, spec: ArrayNode, els: ArrayElements): Promise<HandlerResult> {
    const size = arraySize(await readArrayInputs(n), spec.boundInputs);
    if ("error" in size) return result("Failure", n.round.now(), "", size.error);
    const st = initialArrayState(size.size);
    n.status.array = st;
    // No elements, no resources: propeller sends nothing until the (empty) success.
    if (st.size > 0) {
      const resources = Array.from({ length: st.size }, (_, i) =>
        create(ExternalResourceInfoSchema, { externalId: els.externalId(i, 0), index: i, retryAttempt: 0, phase: TaskExecution_Phase.UNDEFINED, cacheStatus: CatalogCacheStatus.CACHE_DISABLED }),
      );
      const failed = await report(n, els, TaskExecution_Phase.QUEUED, 0, resources, { inputUri: n.inputsUri });
      if (failed) return failed;
    }
    return result("Running", n.round.now());
  }

  /** Phase Executing: one step of up to `parallelism` unfinished elements, in index order; then what they add up to. */
  async function execute(n: NodeContext, spec: ArrayNode, els: ArrayElements, st: ArrayState): Promise<HandlerResult> {
    const ctx = n.round;
    const el = elementsOf(st);
    const parallelism = spec.parallelismOption.case === "parallelism" ? spec.parallelismOption.value : 0;
    const max = parallelism > 0 ? parallelism : st.size;
    const resources: ExternalResourceInfo[] = [];
    const failures = new Map<number, string>();
    let changed = false;
    let handled = 0;
    // [LOCAL] An element is only started while few enough started ones wait for a CPU slot: the
    // rest could only queue for one, each with a status of its own and a step of work every step.
    const { slots } = ctx.services;
    const room = Math.max(1, Math.ceil(slots.capacity - slots.used));
    let waiting = Object.values(els.statuses).filter((ns) => !TERMINAL_NODE.has(ns.phase) && !attemptStarted(ns)).length;
    for (let i = 0; i < st.size && handled < max; i++) {
      if (isTerminalElement(el.phases[i]!)) continue;
      handled++;
      const id = elementId(i);
      const starting = !els.statuses[id];
      if (starting && waiting >= room) continue;
      const before = { phase: el.phases[i]!, task: el.taskPhases[i]!, error: els.statuses[id]?.error };
      const recorder = capturingRecorder();
      await els.step(i, recorder);
      const ns = els.statuses[id];
      if (!ns) throw new Error(`array element ${id} has no status after its step`);
      // (An element that ended at once, e.g. from the cache, waits for nothing.)
      if (starting && !TERMINAL_NODE.has(ns.phase) && !attemptStarted(ns)) waiting++;
      const task = ns.task?.phase ?? "Undefined";
      // An error this step is this step's failure (a failing element's error is only copied when it ends).
      if (ns.error !== undefined && ns.error !== before.error && before.phase !== "Failing" && before.phase !== "TimingOut") {
        failures.set(i, errorFromJson(ns.error)?.message ?? "");
      }
      resources.push(...externalResourcesOf(recorder, { index: i, retryAttempt: ns.attempts, externalId: els.externalId(i, ns.attempts) }));
      if (ns.phase !== before.phase || task !== before.task) changed = true;
      el.phases[i] = ns.phase;
      el.taskPhases[i] = task;
      el.setAttempts(i, ns.attempts);
      // Recomputed from the scope whenever the element is handled: not worth keeping per element.
      delete ns.dataDir;
      delete ns.outputDir;
    }
    // What the elements launched is recorded before the array reports (an event that fails fails the round).
    await els.flush();
    const verdict = arrayVerdict(el.phases, minSuccesses(spec.successCriteria, st.size));
    if (verdict.failing > 0 || (verdict.failed > 0 && st.error === undefined)) {
      st.error = errorToJson(create(ExecutionErrorSchema, { message: errorSummary(failures) }));
    }
    const from = st.phase;
    st.phase = verdict.phase;
    el.store();
    // A finished element is its phase character and attempt count from now on.
    for (const [id, ns] of Object.entries(els.statuses)) if (TERMINAL_NODE.has(ns.phase)) delete els.statuses[id];
    if (st.phase === "Executing") ctx.parallelism++;
    if (resources.length > 0) {
      if (changed) st.version++;
      const failed = await report(n, els, TaskExecution_Phase.RUNNING, st.version, resources);
      if (failed) return failed;
      if (st.phase !== from) st.version = 0;
    }
    return result("Running", ctx.now());
  }

  /** Phase Succeeding: each output a list in index order, none where an element did not succeed. */
  async function succeed(n: NodeContext, els: ArrayElements, st: ArrayState): Promise<HandlerResult> {
    const blobs = n.round.services.blobs;
    const el = elementsOf(st);
    // The declared outputs of the sub-task as registered (lists), not as an element sees them.
    const names = Object.keys(els.template.interface?.outputs?.variables ?? {}).sort();
    const outputs: (LiteralMap | undefined)[] = new Array(st.size).fill(undefined);
    if (names.length > 0) {
      // The gathered outputs are held in memory and become one outputs.pb, which a downstream node may
      // read only up to MAX_OUTPUTS_BYTES: elements' outputs past that in total fail the node before
      // anything is read, so a large map cannot exhaust the server's memory.
      let total = 0;
      for (let i = 0; i < st.size; i++) {
        if (el.phases[i] !== "Succeeded") continue;
        total += (await blobSize(blobs, outputsPath(outputDir(joinUri(n.outputDir, String(i)), el.attempts(i))))) ?? 0;
        if (total > MAX_OUTPUTS_BYTES) {
          const message = `the outputs of the array's elements exceed the ${MAX_OUTPUTS_BYTES} bytes allowed for one node's outputs`;
          st.error = errorToJson(executionError(ErrorKind.USER, "OutputSizeExceeded", message));
          return fail(n, els, st);
        }
      }
      for (let from = 0; from < st.size; from += READ_BATCH) {
        const batch = [];
        for (let i = from; i < Math.min(st.size, from + READ_BATCH); i++) {
          if (el.phases[i] !== "Succeeded") continue;
          const uri = outputsPath(outputDir(joinUri(n.outputDir, String(i)), el.attempts(i)));
          batch.push(
            readMessage(blobs, uri, LiteralMapSchema).then((m) => {
              if (!m) throw new Error(`outputs ${uri} of array element ${i} are missing`);
              outputs[i] = m;
            }),
          );
        }
        await Promise.all(batch);
      }
    }
    const uri = outputsPath(n.outputDir);
    await writeMessage(blobs, uri, LiteralMapSchema, gatherOutputs(names, outputs));
    const failed = await report(n, els, TaskExecution_Phase.SUCCEEDED, 0, everyElement(els, el, []), { outputUri: uri });
    if (failed) return failed;
    st.reported = true;
    return result("Success", n.round.now(), "", undefined, { outputUri: uri });
  }

  /** Phase Failing: the elements in flight are aborted, the task execution FAILED with the elements' failures. */
  async function fail(n: NodeContext, els: ArrayElements, st: ArrayState): Promise<HandlerResult> {
    const el = elementsOf(st);
    const aborted = await els.abortInFlight(el, FAILING_REASON);
    const error = errorFromJson(st.error) ?? executionError(ErrorKind.UNKNOWN, "ArrayNodeFailing", "Unknown reason");
    const failed = await report(n, els, TaskExecution_Phase.FAILED, 0, everyElement(els, el, aborted), { error });
    if (failed) return failed;
    st.reported = true;
    return result("Failure", n.round.now(), "", error);
  }

  return {
    finalizeRequired: true,
    eventFlags: () => ({ isArray: true }),

    async handle(n) {
      const s = elementsFor(n);
      if ("phase" in s) return s;
      const st = n.status.array;
      if (!st) return start(n, s.spec, s.elements);
      switch (st.phase) {
        case "Executing":
          return execute(n, s.spec, s.elements, st);
        case "Succeeding":
          return succeed(n, s.elements, st);
        case "Failing":
          return fail(n, s.elements, st);
      }
    },

    async abort(n, reason, final) {
      const st = n.status.array;
      const s = elementsFor(n);
      if ("phase" in s) return;
      if (!st) {
        // Never started: like a task node's attempt, it is reported ABORTED only when the node ends so.
        if (final) await report(n, s.elements, TaskExecution_Phase.ABORTED, 0, []);
        return;
      }
      if (st.reported) return;
      const el = elementsOf(st);
      const aborted = await s.elements.abortInFlight(el, reason);
      // A failing array was already going to fail: its task execution says so (propeller's Abort).
      const failing = st.phase === "Failing";
      const phase = failing ? TaskExecution_Phase.FAILED : TaskExecution_Phase.ABORTED;
      const error = failing ? (errorFromJson(st.error) ?? executionError(ErrorKind.UNKNOWN, "ArrayNodeFailing", "Unknown reason")) : undefined;
      await report(n, s.elements, phase, 0, everyElement(s.elements, el, aborted), error ? { error } : {});
      st.reported = true;
    },

    async finalize(n) {
      if (!n.status.array) return;
      const s = elementsFor(n);
      // Elements still in flight once the array is done (a failing one when enough succeeded) are finalized.
      if (!("phase" in s)) await s.elements.finalizeInFlight();
    },
  };
}
