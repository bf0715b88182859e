import { create } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { ReasonSchema, TaskExecutionClosureSchema, TaskExecutionSchema } from "../../gen/flyteidl/admin/task_execution_pb.js";
import { TaskExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import { ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import { LiteralMapSchema } from "../../gen/flyteidl/core/literals_pb.js";
import type { TaskExecutionEvent } from "../../gen/flyteidl/event/event_pb.js";
import type { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import { taskOffloadKey } from "../core/blob-keys.js";
import { TASK_EXECUTION_COLUMNS } from "../core/entity-columns.js";
import { alreadyExists, missingField, notFound } from "../core/errors.js";
import { checkTaskEventText } from "../core/event-validation.js";
import { validateIdentifier } from "../core/identifier.js";
import { checkIdentifierText, checkNodeId } from "../core/text-limits.js";
import { parseListRequest } from "../core/list-query.js";
import { nextToken } from "../core/pagination.js";
import { alreadyInTerminalState, checkCluster } from "../core/workflow-event-rules.js";
import type { TaskExecutionKey } from "../storage/store.js";
import type { ApiDeps } from "./deps.js";
import { readInlineData } from "./inline-data.js";
import { runOutcome } from "./run-outcome.js";
import { checkOutputSize } from "./events.js";
import { logsForPhase, mergeLogs, mergePatch, mergeTaskMetadata, sortedMetadata } from "../core/task-execution-merge.js";
import { taskExecutionKey } from "./node-executions.js";

type Impl = Pick<ServiceImpl<typeof AdminService>, "createTaskEvent" | "getTaskExecution" | "listTaskExecutions" | "getTaskExecutionData">;

// Task attempts end in these; RETRYABLE_FAILURE is not an end, another attempt follows.
const TERMINAL = new Set([Phase.SUCCEEDED, Phase.FAILED, Phase.ABORTED]);
const name = (p: Phase) => Phase[p] ?? String(p);
const keyText = (k: TaskExecutionKey) =>
  `task_id:{project:"${k.task.project}" domain:"${k.task.domain}" name:"${k.task.name}" version:"${k.task.version}"} node_execution_id:{node_id:"${k.nodeId}" execution_id:{project:"${k.project}" domain:"${k.domain}" name:"${k.name}"}} retry_attempt:${k.retryAttempt}`;

function requireTaskExecutionId(id: Parameters<typeof taskExecutionKey>[0] | undefined): TaskExecutionKey {
  if (!id) throw missingField("id");
  const taskId = id.taskId && id.taskId.resourceType === ResourceType.UNSPECIFIED ? { ...id.taskId, resourceType: ResourceType.TASK } : id.taskId;
  validateIdentifier(taskId, ResourceType.TASK);
  const key = taskExecutionKey(id);
  if (key.nodeId === "") throw missingField("node_id");
  if (key.project === "" || key.domain === "" || key.name === "") throw missingField("execution_id");
  checkIdentifierText(key);
  checkNodeId(key.nodeId);
  return key;
}

/** Task execution attempts as engines report them (FlyteAdmin's TaskExecutionManager). */
export function taskExecutionHandlers({ store, blobs, limits }: ApiDeps): Impl {
  const offloadKey = (key: TaskExecutionKey, which: "offloaded_outputs" | "offloaded_inputs") =>
    taskOffloadKey(key, key.nodeId, key.task, key.retryAttempt, which);

  /** What every accepted event sets: phase, times, and at the end duration and outputs or error. */
  const applyEvent = async (closure: ReturnType<typeof create<typeof TaskExecutionClosureSchema>>, event: TaskExecutionEvent, key: TaskExecutionKey, firstRunning: boolean) => {
    const occurredAt = timestampDate(event.occurredAt!);
    closure.phase = event.phase;
    closure.updatedAt = event.reportedAt ?? event.occurredAt;
    let startedAt: Date | undefined;
    let durationNs: number | undefined;
    let beforeCommit: (() => Promise<void>) | undefined;
    if (event.phase === Phase.RUNNING && firstRunning) {
      closure.startedAt = event.occurredAt;
      startedAt = occurredAt;
    }
    if (TERMINAL.has(event.phase)) {
      const end = runOutcome(blobs, closure.startedAt, occurredAt, event.outputResult, offloadKey(key, "offloaded_outputs"));
      if (end.ran) [closure.duration, durationNs] = [end.ran.duration, end.ran.ns];
      if (end.outputResult) closure.outputResult = end.outputResult;
      beforeCommit = end.write;
    }
    const reasons = event.reasons.length > 0 ? event.reasons.map((x) => ({ occurredAt: x.occurredAt, message: x.reason })) : event.reason ? [{ occurredAt: event.occurredAt, message: event.reason }] : [];
    for (const r of reasons) {
      if (event.reasons.length === 0 && r.message === closure.reason) continue; // a repeated deprecated reason is not a new one
      closure.reasons.push(create(ReasonSchema, r));
      closure.reason = r.message;
    }
    return { startedAt, durationNs, beforeCommit };
  };

  return {
    async createTaskEvent(req) {
      const event = req.event;
      if (!event) throw missingField("event");
      if (!event.occurredAt) throw missingField("occurred_at");
      if (event.outputResult.case === "outputData") checkOutputSize(event.outputResult.value);
      if (!event.parentNodeExecutionId?.executionId) throw missingField("execution_id");
      // Everything is checked before the first read or write: a refused event changes nothing.
      checkTaskEventText(event);
      validateIdentifier(event.taskId, ResourceType.TASK);
      const key = taskExecutionKey({ $typeName: "flyteidl.core.TaskExecutionIdentifier", taskId: event.taskId, nodeExecutionId: event.parentNodeExecutionId, retryAttempt: event.retryAttempt });
      // The execution's cluster, the node execution's existence and the attempt in one read; a lost race reads them again.
      let read = await store.taskExecutions.getForEvent(key);
      const cluster = read.cluster;
      const executionMissing = () => notFound(`Failed to get existing execution id: [project:"${key.project}" domain:"${key.domain}" name:"${key.name}"]`);
      if (cluster === undefined) throw executionMissing();
      checkCluster(event.producerId, cluster);
      for (let attempt = 0; ; attempt++) {
        if (attempt > 0) read = await store.taskExecutions.getForEvent(key);
        // A write finds nothing to write once the execution is gone (deleted since the first read):
        // the event is refused as if it had been gone from the start.
        if (read.cluster === undefined) throw executionMissing();
        const existing = read.attempt;
        if (!existing) {
          if (!read.nodeExists) throw notFound(`Failed to get existing node execution id: [node_id:"${key.nodeId}"]`);
          const closure = create(TaskExecutionClosureSchema, {
            createdAt: event.occurredAt,
            logs: event.logs,
            customInfo: event.customInfo,
            taskType: event.taskType,
            eventVersion: event.eventVersion,
            metadata: sortedMetadata(event.metadata),
          });
          const { beforeCommit: writeOutputs } = await applyEvent(closure, event, key, true);
          const inputData = event.inputValue.case === "inputData" ? event.inputValue.value : undefined;
          const inputsKey = inputData ? offloadKey(key, "offloaded_inputs") : "";
          const inputUri = event.inputValue.case === "inputUri" ? event.inputValue.value : inputData ? blobs.uri(inputsKey) : "";
          const te = create(TaskExecutionSchema, {
            id: { taskId: event.taskId, nodeExecutionId: event.parentNodeExecutionId, retryAttempt: event.retryAttempt },
            inputUri,
            closure,
          });
          // Without blobs to write the insert commits on its own.
          const writeBlobs =
            inputData || writeOutputs
              ? async () => {
                  if (inputData) await blobs.putMessage(inputsKey, LiteralMapSchema, inputData);
                  await writeOutputs?.();
                }
              : undefined;
          if (await store.taskExecutions.create(te, event.phaseVersion, writeBlobs)) return {};
          continue;
        }
        // Read for this event alone, the stored closure becomes the new one in place (a lost race reads it again);
        // each field is read before it is replaced.
        const before = existing.execution.closure!;
        const fromPhase = before.phase;
        if (before.phase === event.phase && existing.phaseVersion >= event.phaseVersion) {
          throw alreadyExists(`have already recorded task execution phase ${name(event.phase)} (version: ${event.phaseVersion}) for ${keyText(key)}`);
        }
        if (TERMINAL.has(before.phase)) {
          throw alreadyInTerminalState(`invalid phase change from ${name(before.phase)} to ${name(event.phase)} for task execution ${keyText(key)}`, name(event.phase));
        }
        const closure = before;
        closure.logs = mergeLogs(before.logs, event.logs);
        if (before.phase !== event.phase) closure.logs = logsForPhase(closure.logs, event.phase);
        closure.customInfo = mergePatch(before.customInfo, event.customInfo);
        closure.metadata = mergeTaskMetadata(before.metadata, event.metadata);
        if (before.phase !== event.phase) {
          for (const r of closure.metadata?.externalResources ?? []) r.logs = logsForPhase(r.logs, event.phase);
        }
        closure.eventVersion = Math.max(before.eventVersion, event.eventVersion);
        const { beforeCommit, ...times } = await applyEvent(closure, event, key, !before.startedAt);
        const extra = { ...times, ...(beforeCommit ? { beforeCommit } : {}) };
        if (await store.taskExecutions.update(key, { phase: fromPhase, phaseVersion: existing.phaseVersion }, closure, event.phaseVersion, extra)) return {};
      }
    },

    async getTaskExecution(req) {
      const key = requireTaskExecutionId(req.id);
      const found = await store.taskExecutions.get(key);
      if (!found) throw notFound(`missing entity of type task execution with identifier ${keyText(key)}`);
      return found.execution;
    },

    async listTaskExecutions(req) {
      const exec = req.nodeExecutionId?.executionId;
      if (!req.nodeExecutionId || !exec || exec.project === "" || exec.domain === "" || exec.name === "") throw missingField("execution_id");
      if (req.nodeExecutionId.nodeId === "") throw missingField("node_id");
      checkIdentifierText(exec);
      checkNodeId(req.nodeExecutionId.nodeId);
      const query = parseListRequest(req, { scope: [TASK_EXECUTION_COLUMNS], op: "ListTaskExecutions", maxPageSize: limits.maxPageSize });
      const taskExecutions = await store.taskExecutions.list({ project: exec.project, domain: exec.domain, name: exec.name, nodeId: req.nodeExecutionId.nodeId }, query);
      return { taskExecutions, token: nextToken(query.offset, taskExecutions.length, req.limit) };
    },

    async getTaskExecutionData(req) {
      const key = requireTaskExecutionId(req.id);
      const found = await store.taskExecutions.get(key);
      if (!found) throw notFound(`missing entity of type task execution with identifier ${keyText(key)}`);
      const read = (uri: string) => readInlineData(blobs, uri);
      const out = found.execution.closure?.outputResult;
      const base = `flyte://v1/${key.project}/${key.domain}/${key.name}/${key.nodeId}/${key.retryAttempt}`;
      return {
        inputs: {},
        outputs: {},
        fullInputs: await read(found.execution.inputUri),
        fullOutputs: out?.case === "outputData" ? out.value : out?.case === "outputUri" ? await read(out.value) : create(LiteralMapSchema),
        flyteUrls: { inputs: `${base}/i`, outputs: `${base}/o`, deck: "" },
      };
    },
  };
}
