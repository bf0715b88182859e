import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { TaskExecution_Phase } from "../../../gen/flyteidl/core/execution_pb.js";
import { Resources_ResourceName, type TaskTemplate } from "../../../gen/flyteidl/core/tasks_pb.js";
import { TaskExecutionEventSchema, TaskExecutionMetadata_InstanceClass, TaskNodeMetadataSchema } from "../../../gen/flyteidl/event/event_pb.js";
import { parseQuantity } from "../../core/quantity.js";
import { blobExists } from "./blob-uris.js";
import { taskKey } from "./definition.js";
import { ErrorKind, errorText, executionError, truncateError } from "./execution-error.js";
import { isEventError } from "./event-sink.js";
import { generatedName } from "./ids.js";
import { checkTaskOutputs } from "./output-check.js";
import { checkpointPrefix, deckPath, futuresPath, outputsPath, rawOutputPrefix } from "./paths.js";
import { type HandlerResult, type NodeContext, type NodeHandler, result } from "./round-context.js";
import type { TaskStatus } from "./status.js";
import type { PhaseInfo, PluginPhase, TaskAttempt, TaskPlugin } from "./task-plugin.js";

const EVENT_PHASE: Record<PluginPhase, TaskExecution_Phase> = {
  Queued: TaskExecution_Phase.QUEUED,
  Initializing: TaskExecution_Phase.INITIALIZING,
  Running: TaskExecution_Phase.RUNNING,
  Success: TaskExecution_Phase.SUCCEEDED,
  RetryableFailure: TaskExecution_Phase.FAILED,
  PermanentFailure: TaskExecution_Phase.FAILED,
  Aborted: TaskExecution_Phase.ABORTED,
};
const TERMINAL: ReadonlySet<string> = new Set<PluginPhase>(["Success", "RetryableFailure", "PermanentFailure", "Aborted"]);

export const WAITING_FOR_SLOT = "waiting for a free local slot";

/** The task template a task node runs. */
export function taskTemplateOf(n: NodeContext): TaskTemplate | undefined {
  const t = n.node.target;
  return t.case === "taskNode" && t.value.reference.case === "referenceId" ? n.scope.tasks.get(taskKey(t.value.reference.value)) : undefined;
}

/** The first plugin that lists the task type (engine-spec §4.1). */
export const pluginFor = (plugins: readonly TaskPlugin[], type: string) => plugins.find((p) => p.taskTypes.includes(type));

/**
 * CPUs an attempt counts against the engine's slots: its CPU request, else the engine default.
 * An eager task counts none: it mostly waits for the executions it launches, whose tasks need
 * slots of their own, so holding one would deadlock as soon as eager tasks fill every slot.
 */
export function cpusOf(template: TaskTemplate, fallback: number): number {
  if (template.metadata?.isEager) return 0;
  const container = template.target.case === "container" ? template.target.value : undefined;
  const request = container?.resources?.requests.find((r) => r.name === Resources_ResourceName.CPU);
  const parsed = request ? parseQuantity(request.value) : undefined;
  return parsed && "value" in parsed && parsed.value > 0 ? parsed.value : fallback;
}

/** The slot holder name of a node's current attempt. */
export const slotHolder = (n: NodeContext) => `${n.round.key.project}/${n.round.key.domain}/${n.round.key.name}/${n.uniqueId}/${n.status.attempts}`;

function interruptible(n: NodeContext): boolean {
  const own = n.node.metadata?.interruptibleValue;
  if (own?.case === "interruptible") return own.value;
  return n.round.def.json.config.interruptible ?? n.round.def.interruptibleDefault;
}

/** The attempt handed to the plugin; everything in it follows from the ids (engine-spec §1.2, §3.1). */
export function buildAttempt(n: NodeContext, template: TaskTemplate, ts: TaskStatus): TaskAttempt {
  const ctx = n.round;
  const { def, services } = ctx;
  const rawBase = def.json.config.rawOutputPrefix || services.rawOutputBase;
  const attempt = n.status.attempts;
  const name = generatedName(ctx.key.name, n.uniqueId, attempt);
  const raw = rawOutputPrefix(rawBase, name);
  // Attempt 0 resumes from the checkpoint of the reference execution's attempt when the node is recovered (engine-spec §6.7).
  const prevCheckpoint = attempt > 0 ? checkpointPrefix(rawOutputPrefix(rawBase, generatedName(ctx.key.name, n.uniqueId, attempt - 1))) : (n.status.recovery?.checkpointUri ?? "");
  return {
    executionId: def.executionId,
    namespace: def.json.namespace,
    workflowName: def.workflowId.name,
    nodeUniqueId: n.uniqueId,
    attempt,
    generatedName: name,
    taskId: template.id!,
    template,
    paths: {
      inputPath: n.inputsUri,
      inputPrefix: n.dataDir,
      outputPrefix: n.outputDir,
      rawOutputPrefix: raw,
      checkpointPrefix: checkpointPrefix(raw),
      prevCheckpointPrefix: prevCheckpoint,
    },
    envs: { ...def.json.config.envs },
    ...(n.scope.element ? { array: { index: n.scope.element.index, inputPath: n.scope.element.arrayInputsUri, inputPrefix: n.scope.element.arrayDataDir } } : {}),
    cpus: cpusOf(template, services.defaultTaskCpus),
    state: ts.state,
    setState: (s) => {
      ts.state = s;
    },
    wake: () => services.wake(ctx.key),
    blobs: services.blobs,
  };
}

/** A task event for the node's current attempt (propeller's ToTaskExecutionEvent, engine-spec §2.4.3). */
function taskEvent(n: NodeContext, attempt: TaskAttempt, plugin: TaskPlugin, info: PhaseInfo, occurredAt: Date) {
  const at = timestampFromDate(info.occurredAt ?? occurredAt);
  const reason = info.reason ?? "";
  const event = create(TaskExecutionEventSchema, {
    taskId: attempt.taskId,
    parentNodeExecutionId: { executionId: n.round.def.executionId, nodeId: n.uniqueId },
    retryAttempt: attempt.attempt,
    phase: EVENT_PHASE[info.phase],
    phaseVersion: info.version,
    producerId: n.round.producerId,
    occurredAt: at,
    reportedAt: timestampFromDate(n.round.now()),
    inputValue: { case: "inputUri", value: n.inputsUri },
    logs: info.logs ?? [],
    reason,
    reasons: reason ? [{ reason, occurredAt: at }] : [],
    taskType: attempt.template.type,
    metadata: {
      generatedName: attempt.generatedName,
      pluginIdentifier: plugin.id,
      instanceClass: interruptible(n) ? TaskExecutionMetadata_InstanceClass.INTERRUPTIBLE : TaskExecutionMetadata_InstanceClass.DEFAULT,
    },
    eventVersion: 1,
  });
  if (info.phase === "Success") event.outputResult = { case: "outputUri", value: outputsPath(attempt.paths.outputPrefix) };
  if ((info.phase === "RetryableFailure" || info.phase === "PermanentFailure") && info.error) {
    event.outputResult = { case: "error", value: truncateError(info.error) };
  }
  return event;
}

/**
 * Task nodes (engine-spec §2.4.3, §8.2): resolves the plugin by task type,
 * takes a CPU slot before the attempt's first `handle`, reports each new
 * (phase, version) as a task event, validates outputs on success, and maps the
 * plugin's phase to the node's transition.
 */
export function createTaskHandler(): NodeHandler {
  return {
    finalizeRequired: true,

    async handle(n) {
      const ctx = n.round;
      const { services } = ctx;
      const startedAt = ctx.now();
      const template = taskTemplateOf(n);
      if (!template) {
        return result("Failure", startedAt, "", executionError(ErrorKind.SYSTEM, "TaskTemplateNotFound", `task template of node [${n.specId}] is not in the compiled workflow`));
      }
      const plugin = pluginFor(services.plugins, template.type);
      if (!plugin) {
        const available = services.plugins.map((p) => p.id).join(", ");
        const message = `Unsupported task type [${template.type}]: no plugin of the local engine runs task type [${template.type}]; plugins available: [${available}]`;
        return result("Failure", startedAt, "", executionError(ErrorKind.SYSTEM, "UnsupportedTaskType", message));
      }
      const ts: TaskStatus = n.status.task ?? { phase: "Undefined", version: 0 };
      n.status.task = ts;
      const attempt = buildAttempt(n, template, ts);
      const holder = slotHolder(n);

      const fresh = ts.state === undefined;
      let info: PhaseInfo;
      if (ts.slot !== undefined) {
        services.slots.ensure(holder, ts.slot);
        info = await plugin.handle(attempt);
      } else if (ts.phase === "Undefined" || ts.phase === "Queued") {
        if (services.slots.tryAcquire(holder, attempt.cpus, () => services.wake(ctx.key))) {
          ts.slot = attempt.cpus;
          // The attempt's clock (its execution deadline) starts now, not while it waited for the slot.
          n.status.lastAttemptStartedAt = startedAt.toISOString();
          info = await plugin.handle(attempt);
        } else {
          info = { phase: "Queued", version: 0, reason: WAITING_FOR_SLOT };
        }
      } else {
        info = await plugin.handle(attempt);
      }

      // The plugin launched something and recorded it: that record is durable before anything else can fail.
      if (fresh && ts.state !== undefined) await ctx.persist();

      let problem: { error: PhaseInfo["error"]; recoverable: boolean } | undefined;
      const seen = info.phase === ts.phase && info.version === ts.version;
      // A task that wrote a futures file is the parent part of a dynamic node: its outputs come later, from its children.
      if (info.phase === "Success" && !seen && !(await blobExists(services.blobs, futuresPath(n.outputDir)))) {
        problem = await checkTaskOutputs(services.blobs, template, n.outputDir);
        if (problem) info = { ...info, phase: problem.recoverable ? "RetryableFailure" : "PermanentFailure", error: problem.error };
      }
      if (!seen) {
        try {
          await ctx.recorder.task(taskEvent(n, attempt, plugin, info, startedAt));
        } catch (e) {
          if (!isEventError(e, "TooLarge", "InvalidArgument")) throw e;
          // The control plane cannot take this event (as for node events): the node fails with the reason.
          return result("Failure", ctx.now(), "", executionError(ErrorKind.USER, "NodeFailed", errorText(e)));
        }
        if (ts.phase !== info.phase) ts.lastPhaseUpdatedAt = ctx.now().toISOString();
        ts.phase = info.phase;
        ts.version = info.version;
      }
      if (TERMINAL.has(info.phase)) {
        services.slots.release(holder);
        delete ts.slot;
      } else {
        ctx.parallelism++;
      }
      return transition(n, attempt, info, startedAt);
    },

    async abort(n, _reason, final) {
      const ts = n.status.task;
      // An attempt never handled has nothing to stop, unless the node ends ABORTED (propeller reports it anyway).
      if (!ts && !final) return;
      const template = taskTemplateOf(n);
      const plugin = template && pluginFor(n.round.services.plugins, template.type);
      const holder = slotHolder(n);
      if (!template || !plugin) {
        n.round.services.slots.release(holder);
        return;
      }
      const status = ts ?? { phase: "Undefined" as const, version: 0 };
      if (TERMINAL.has(status.phase)) return;
      const attempt = buildAttempt(n, template, status);
      await plugin.abort(attempt);
      n.round.services.slots.release(holder);
      delete status.slot;
      const aborted: PhaseInfo = { phase: "Aborted", version: 0 };
      await n.round.recorder.taskAborted(taskEvent(n, attempt, plugin, aborted, n.round.now()));
    },

    async finalize(n) {
      const ts = n.status.task;
      n.round.services.slots.release(slotHolder(n));
      if (!ts) return;
      delete ts.slot;
      const template = taskTemplateOf(n);
      const plugin = template && pluginFor(n.round.services.plugins, template.type);
      if (template && plugin) await plugin.finalize(buildAttempt(n, template, ts));
    },
  };
}

/** The node transition a plugin phase means (propeller's FinalTransition). */
async function transition(n: NodeContext, attempt: TaskAttempt, info: PhaseInfo, at: Date): Promise<HandlerResult> {
  const taskNodeMetadata = create(TaskNodeMetadataSchema, { checkpointUri: attempt.paths.checkpointPrefix });
  switch (info.phase) {
    case "Success": {
      const deck = deckPath(n.outputDir);
      const deckUri = (await blobExists(n.round.services.blobs, deck)) ? deck : undefined;
      return result("Success", at, info.reason ?? "", undefined, { outputUri: outputsPath(n.outputDir), taskNodeMetadata, ...(deckUri ? { deckUri } : {}) });
    }
    case "RetryableFailure":
      return result("RetryableFailure", at, info.reason ?? "", info.error ?? executionError(ErrorKind.UNKNOWN, "Unknown", "Unknown error message"), { taskNodeMetadata });
    case "PermanentFailure":
      return result("Failure", at, info.reason ?? "", info.error ?? executionError(ErrorKind.UNKNOWN, "Unknown", "Unknown error message"), { taskNodeMetadata });
    default:
      return result("Running", at, info.reason ?? "");
  }
}
