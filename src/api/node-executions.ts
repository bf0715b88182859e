import { create } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  type NodeExecution,
  NodeExecutionClosureSchema,
  NodeExecutionListSchema,
  NodeExecutionMetaDataSchema,
  NodeExecutionSchema,
} from "../../gen/flyteidl/admin/node_execution_pb.js";
import { dynamicClosureKey, nodeOffloadKey } from "../core/blob-keys.js";
import { CompiledWorkflowClosureSchema } from "../../gen/flyteidl/core/compiler_pb.js";
import { NodeExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import { LiteralMapSchema } from "../../gen/flyteidl/core/literals_pb.js";
import type { NodeExecutionEvent } from "../../gen/flyteidl/event/event_pb.js";
import type { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import { EXECUTION_COLUMNS, NODE_EXECUTION_COLUMNS } from "../core/entity-columns.js";
import { alreadyExists, invalidArgument, missingField, notFound } from "../core/errors.js";
import { checkExecutionId, validateNodeEvent } from "../core/event-validation.js";
import { checkIdentifierText, checkNodeId } from "../core/text-limits.js";
import { parseListRequest } from "../core/list-query.js";
import { listedNodeExecution, nodeExecutionOfListed } from "../core/listed-node-execution.js";
import { nextToken, requireLimit } from "../core/pagination.js";
import { alreadyInTerminalState, checkCluster } from "../core/workflow-event-rules.js";
import type { ExecutionKey, NodeExecutionKey, TaskExecutionKey } from "../storage/store.js";
import type { TaskExecutionIdentifier } from "../../gen/flyteidl/core/identifier_pb.js";
import type { ApiDeps } from "./deps.js";
import { answersInBinary, encodedAnswer } from "../server/encoded-answer.js";
import { readInlineData } from "./inline-data.js";
import { encodeNodeExecutionList } from "./node-execution-list-bytes.js";
import { runOutcome } from "./run-outcome.js";

type Impl = Pick<
  ServiceImpl<typeof AdminService>,
  "createNodeEvent" | "getNodeExecution" | "listNodeExecutions" | "getNodeExecutionData" | "listNodeExecutionsForTask" | "getDynamicNodeWorkflow"
>;

const TERMINAL = new Set([Phase.SUCCEEDED, Phase.FAILED, Phase.ABORTED, Phase.SKIPPED, Phase.TIMED_OUT, Phase.RECOVERED]);

const executionText = (id: ExecutionKey) => `project:"${id.project}" domain:"${id.domain}" name:"${id.name}"`;
/** A node execution id as Go prints the proto in FlyteAdmin's messages. */
export const nodeText = (id: NodeExecutionKey) => `node_id:"${id.nodeId}" execution_id:{${executionText(id)}}`;
const name = (p: Phase) => Phase[p] ?? String(p);

function requireExecution(id: { project: string; domain: string; name: string } | undefined, field = "execution_id"): ExecutionKey {
  return checkExecutionId(id && { $typeName: "flyteidl.core.WorkflowExecutionIdentifier", org: "", ...id }, field);
}

/** The key a read names: a node id that is given must be one an event could have stored. */
function readKey(id: { executionId?: ExecutionKey; nodeId: string } | undefined): NodeExecutionKey {
  const exec = requireExecution(id?.executionId);
  const nodeId = id?.nodeId ?? "";
  if (nodeId !== "") checkNodeId(nodeId);
  return { ...exec, nodeId };
}

/** The store key of a task execution identifier (fields left empty stay empty; validation is the caller's). */
export function taskExecutionKey(id: TaskExecutionIdentifier): TaskExecutionKey {
  const exec = id.nodeExecutionId?.executionId;
  return {
    project: exec?.project ?? "",
    domain: exec?.domain ?? "",
    name: exec?.name ?? "",
    nodeId: id.nodeExecutionId?.nodeId ?? "",
    retryAttempt: id.retryAttempt,
    task: { project: id.taskId?.project ?? "", domain: id.taskId?.domain ?? "", name: id.taskId?.name ?? "", version: id.taskId?.version ?? "" },
  };
}

/**
 * Node executions as engines report them (FlyteAdmin's NodeExecutionManager):
 * created by a node's first event, then moved by later ones, each a
 * compare-and-set on the stored phase.
 */
export function nodeExecutionHandlers({ store, blobs, limits }: ApiDeps): Impl {
  /** The closure fields every accepted event sets, FlyteAdmin's rules for create and update alike. */
  const applyEvent = async (closure: NodeExecution["closure"] & object, event: NodeExecutionEvent, key: NodeExecutionKey) => {
    const occurredAt = timestampDate(event.occurredAt!);
    closure.phase = event.phase;
    closure.updatedAt = event.reportedAt ?? event.occurredAt;
    let startedAt: Date | undefined;
    let durationNs: number | undefined;
    let beforeCommit: (() => Promise<void>) | undefined;
    if (event.phase === Phase.RUNNING) {
      closure.startedAt = event.occurredAt;
      closure.deckUri = event.deckUri;
      startedAt = occurredAt;
    }
    if (TERMINAL.has(event.phase)) {
      const outputsKey = nodeOffloadKey(key, key.nodeId, "offloaded_outputs");
      const end = runOutcome(blobs, closure.startedAt, occurredAt, event.outputResult, outputsKey);
      if (end.ran) [closure.duration, durationNs] = [end.ran.duration, end.ran.ns];
      if (end.outputResult) closure.outputResult = end.outputResult;
      beforeCommit = end.write;
      if (event.deckUri) closure.deckUri = event.deckUri;
    }
    if (event.targetMetadata.case === "taskNodeMetadata") {
      const t = event.targetMetadata.value;
      closure.targetMetadata = {
        case: "taskNodeMetadata",
        value: {
          $typeName: "flyteidl.admin.TaskNodeMetadata",
          checkpointUri: t.checkpointUri,
          cacheStatus: t.catalogKey ? t.cacheStatus : 0,
          catalogKey: t.catalogKey,
        },
      };
    }
    return { startedAt, durationNs, beforeCommit };
  };

  /**
   * Where the compiled closure of a dynamic node's generated workflow goes (it
   * is stored on every accepted event that carries one), and the write, which
   * runs only once the event has been accepted, inside its transaction.
   */
  const dynamicWorkflowBlob = (event: NodeExecutionEvent, key: NodeExecutionKey) => {
    const dynamic = event.targetMetadata.case === "taskNodeMetadata" ? event.targetMetadata.value.dynamicWorkflow : undefined;
    const closure = dynamic?.compiledWorkflow;
    if (!closure) return undefined;
    const wf = dynamic.id;
    const blobKey = dynamicClosureKey(key, key.nodeId, wf);
    return { uri: blobs.uri(blobKey), write: () => blobs.putMessage(blobKey, CompiledWorkflowClosureSchema, closure) };
  };

  const loadDynamicWorkflow = async (key: NodeExecutionKey) => {
    const uri = await store.nodeExecutions.dynamicWorkflowUri(key);
    const blobKey = uri ? blobs.keyOf(uri) : undefined;
    if (!blobKey) return undefined;
    const closure = await blobs.getMessage(blobKey, CompiledWorkflowClosureSchema);
    if (!closure?.primary?.template) throw new Error(`dynamic workflow closure at ${uri} is unreadable or has no primary workflow`);
    return closure;
  };

  return {
    async createNodeEvent(req) {
      const event = req.event;
      if (!event?.id?.executionId) throw invalidArgument("missing event id");
      if (!event.occurredAt) throw invalidArgument("missing occurred_at");
      // Everything is checked before the first read or write: a refused event changes nothing.
      const key = validateNodeEvent(event);
      const exec: ExecutionKey = { project: key.project, domain: key.domain, name: key.name };
      // The execution's cluster and the node execution in one read; a lost race reads the node execution alone.
      const first = await store.nodeExecutions.getForEvent(key);
      const cluster = first.cluster;
      const executionMissing = () => notFound(`Failed to get existing execution id: [${executionText(exec)}] with err: missing entity of type execution`);
      if (cluster === undefined) throw executionMissing();
      checkCluster(event.producerId, cluster);
      const dynamicWorkflow = dynamicWorkflowBlob(event, key);
      const dynamicWorkflowUri = dynamicWorkflow?.uri;
      for (let attempt = 0; ; attempt++) {
        const read = attempt === 0 ? first : await store.nodeExecutions.getForEvent(key);
        // A write finds nothing to write once the execution is gone (deleted since the first read):
        // the event is refused as if it had been gone from the start.
        if (read.cluster === undefined) throw executionMissing();
        const existing = read.nodeExecution;
        if (!existing) {
          const parentNodeId = event.parentNodeMetadata?.nodeId;
          if (parentNodeId && !(await store.nodeExecutions.get({ ...exec, nodeId: parentNodeId }))) {
            throw notFound(`Failed to get existing node execution id: [${nodeText({ ...exec, nodeId: parentNodeId })}]`);
          }
          const parentTask = event.parentTaskMetadata?.id ? taskExecutionKey(event.parentTaskMetadata.id) : undefined;
          if (parentTask && !(await store.taskExecutions.get(parentTask))) {
            throw notFound(`Failed to get existing task execution id: [${parentTask.task.name} attempt ${parentTask.retryAttempt} of node ${parentTask.nodeId}]`);
          }
          const closure = create(NodeExecutionClosureSchema, { createdAt: event.occurredAt });
          const { beforeCommit } = await applyEvent(closure, event, key);
          let inputUri = event.inputValue.case === "inputUri" ? event.inputValue.value : "";
          let writeInputs: (() => Promise<void>) | undefined;
          if (event.inputValue.case === "inputData") {
            const inputsKey = nodeOffloadKey(exec, key.nodeId, "offloaded_inputs");
            const data = event.inputValue.value;
            writeInputs = () => blobs.putMessage(inputsKey, LiteralMapSchema, data);
            inputUri = blobs.uri(inputsKey);
          }
          const metadata = create(NodeExecutionMetaDataSchema, {
            retryGroup: event.retryGroup,
            specNodeId: event.specNodeId,
            isParentNode: event.isParent,
            isDynamic: event.isDynamic,
            isArray: event.isArray,
          });
          const ne = create(NodeExecutionSchema, { id: event.id, inputUri, closure, metadata });
          // Without blobs to write the insert commits on its own.
          const writeBlobs =
            dynamicWorkflow || writeInputs || beforeCommit
              ? async () => {
                  await dynamicWorkflow?.write();
                  await writeInputs?.();
                  await beforeCommit?.();
                }
              : undefined;
          if (await store.nodeExecutions.create(ne, { nodeId: parentNodeId, taskExecution: parentTask }, event.eventVersion, dynamicWorkflowUri, writeBlobs)) {
            return {};
          }
          continue; // another event created it meanwhile: apply this one as an update
        }
        // Read for this event alone, the stored closure becomes the new one in place (a lost race reads it again).
        const closure = existing.closure!;
        const fromPhase = closure.phase;
        if (fromPhase === event.phase) throw alreadyExists(`This phase was already recorded ${name(fromPhase)} for ${nodeText(key)}`);
        if (TERMINAL.has(fromPhase)) {
          // FlyteAdmin reports the event's phase as the "current" one here.
          throw alreadyInTerminalState(`Invalid phase change from ${name(fromPhase)} to ${name(event.phase)} for node execution ${nodeText(key)}`, name(event.phase));
        }
        if (event.targetMetadata.case === "workflowNodeMetadata") {
          const child = event.targetMetadata.value.executionId;
          if (!child || !(await store.executions.exists(requireExecution(child)))) {
            throw notFound(`Failed to get existing execution id: [${child ? executionText(requireExecution(child)) : ""}]`);
          }
          if (closure.targetMetadata.case !== "workflowNodeMetadata") {
            closure.targetMetadata = { case: "workflowNodeMetadata", value: { $typeName: "flyteidl.admin.WorkflowNodeMetadata", executionId: child } };
          }
        }
        const timing = await applyEvent(closure, event, key);
        const { beforeCommit: writeOutputs, ...times } = timing;
        if (event.targetMetadata.case === "taskNodeMetadata" && event.targetMetadata.value.dynamicWorkflow) {
          closure.dynamicJobSpecUri = event.targetMetadata.value.dynamicWorkflow.dynamicJobSpecUri;
        }
        // The flags only ever turn on.
        const metadata = existing.metadata ?? create(NodeExecutionMetaDataSchema);
        metadata.isParentNode ||= event.isParent;
        metadata.isDynamic ||= event.isDynamic;
        metadata.isArray ||= event.isArray;
        const writeBlobs = dynamicWorkflow || writeOutputs ? async () => (await dynamicWorkflow?.write(), await writeOutputs?.()) : undefined;
        const extra = { ...times, ...(dynamicWorkflowUri ? { dynamicWorkflowUri } : {}), ...(writeBlobs ? { beforeCommit: writeBlobs } : {}) };
        if (await store.nodeExecutions.update(key, fromPhase, closure, metadata, extra)) return {};
      }
    },

    async getNodeExecution(req) {
      const key = readKey(req.id);
      const ne = await store.nodeExecutions.get(key);
      if (!ne) throw notFound(`missing entity of type node execution with identifier ${nodeText(key)}`);
      return ne;
    },

    async listNodeExecutions(req, ctx) {
      const exec = requireExecution(req.workflowExecutionId);
      const query = parseListRequest(req, { scope: [NODE_EXECUTION_COLUMNS, EXECUTION_COLUMNS], op: "ListNodeExecutions", maxPageSize: limits.maxPageSize });
      if (req.uniqueParentId !== "") checkNodeId(req.uniqueParentId, "unique_parent_id");
      if (req.uniqueParentId !== "" && !(await store.nodeExecutions.get({ ...exec, nodeId: req.uniqueParentId }))) {
        throw notFound(`missing entity of type node execution with identifier ${nodeText({ ...exec, nodeId: req.uniqueParentId })}`);
      }
      const parent = req.uniqueParentId === "" ? ({ kind: "top" } as const) : ({ kind: "node", nodeId: req.uniqueParentId } as const);
      const rows = await store.nodeExecutions.list(exec, parent, query);
      const token = nextToken(query.offset, rows.length, req.limit);
      // Binary callers get the stored bytes spliced: decoding and re-encoding every closure was most of a large list's CPU.
      if (answersInBinary(ctx)) return encodedAnswer(NodeExecutionListSchema, encodeNodeExecutionList(rows, token));
      return { nodeExecutions: rows.map(listedNodeExecution), token };
    },

    async getNodeExecutionData(req) {
      const key = readKey(req.id);
      const exec: ExecutionKey = { project: key.project, domain: key.domain, name: key.name };
      const ne = await store.nodeExecutions.get(key);
      if (!ne) throw notFound(`missing entity of type node execution with identifier ${nodeText(key)}`);
      const read = (uri: string) => readInlineData(blobs, uri);
      const out = ne.closure?.outputResult;
      const fullOutputs = out?.case === "outputData" ? out.value : out?.case === "outputUri" ? await read(out.value) : create(LiteralMapSchema);
      const base = `flyte://v1/${exec.project}/${exec.domain}/${exec.name}/${key.nodeId}`;
      const dynamic = await loadDynamicWorkflow(key);
      return {
        inputs: {},
        outputs: {},
        fullInputs: await read(ne.inputUri),
        fullOutputs,
        flyteUrls: { inputs: `${base}/i`, outputs: `${base}/o`, deck: ne.closure?.deckUri ? `${base}/d` : "" },
        ...(dynamic
          ? { dynamicWorkflow: { id: dynamic.primary?.template?.id, compiledWorkflow: dynamic, dynamicJobSpecUri: ne.closure?.dynamicJobSpecUri ?? "" } }
          : {}),
      };
    },

    async listNodeExecutionsForTask(req) {
      const id = req.taskExecutionId;
      if (!id) throw missingField("task_execution_id");
      const key = taskExecutionKey(id);
      if (key.project === "" || key.domain === "" || key.name === "" || key.nodeId === "") throw missingField("execution_id");
      checkIdentifierText(key);
      checkIdentifierText(key.task);
      checkNodeId(key.nodeId);
      // FlyteAdmin validates the limit with the identifier, before reading the task execution.
      requireLimit(req.limit, limits.maxPageSize);
      if (!(await store.taskExecutions.get(key))) throw notFound(`missing entity of type task execution for node [${key.nodeId}] attempt ${key.retryAttempt}`);
      const query = parseListRequest(req, { scope: [NODE_EXECUTION_COLUMNS, EXECUTION_COLUMNS], op: "ListNodeExecutionsForTask", maxPageSize: limits.maxPageSize });
      const nodeExecutions = (await store.nodeExecutions.list(key, { kind: "task", taskExecution: key }, query)).map(nodeExecutionOfListed);
      return { nodeExecutions, token: nextToken(query.offset, nodeExecutions.length, req.limit) };
    },

    async getDynamicNodeWorkflow(req) {
      const key = readKey(req.id);
      const compiledWorkflow = await loadDynamicWorkflow(key);
      if (!compiledWorkflow) throw notFound("node does not contain dynamic workflow");
      return { compiledWorkflow };
    },
  };
}
