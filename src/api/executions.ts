import { clone, create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { ExecutionClosureSchema } from "../../gen/flyteidl/admin/execution_pb.js";
import { LiteralMapSchema } from "../../gen/flyteidl/core/literals_pb.js";
import type { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import {
  EXECUTION_COLUMNS,
  EXECUTION_LAUNCH_PLAN_COLUMNS,
  EXECUTION_TAG_COLUMNS,
  EXECUTION_TASK_COLUMNS,
  EXECUTION_WORKFLOW_COLUMNS,
} from "../core/entity-columns.js";
import { missingField } from "../core/errors.js";
import { parseVersionList } from "../core/named-lists.js";
import { nextToken } from "../core/pagination.js";
import { checkIdentifierText, checkNoNul } from "../core/text-limits.js";
import type { ExecutionKey } from "../storage/store.js";
import type { ApiDeps } from "./deps.js";
import { recoverExecution, relaunchExecution } from "./execution-again.js";
import { createExecution } from "./execution-create.js";
import { executionNotFound, terminateExecution } from "./execution-terminate.js";
import { readInlineData } from "./inline-data.js";

type Impl = Pick<
  ServiceImpl<typeof AdminService>,
  | "createExecution"
  | "relaunchExecution"
  | "recoverExecution"
  | "getExecution"
  | "updateExecution"
  | "terminateExecution"
  | "listExecutions"
  | "getExecutionData"
>;

const ERROR_MESSAGE_LIST_BYTES = 100;

function requireExecutionId(id: { project: string; domain: string; name: string } | undefined): ExecutionKey {
  if (!id) throw missingField("id");
  if (id.project === "") throw missingField("project");
  if (id.domain === "") throw missingField("domain");
  if (id.name === "") throw missingField("name");
  checkIdentifierText(id);
  return { project: id.project, domain: id.domain, name: id.name };
}

/** Cuts a string to at most n UTF-8 bytes without splitting a character. */
function trimUtf8(text: string, n: number): string {
  const bytes = Buffer.from(text, "utf8");
  return bytes.length <= n ? text : bytes.subarray(0, n).toString("utf8").replace(/\uFFFD$/, "");
}

/** Executions (FlyteAdmin's ExecutionManager), handed to the configured WorkflowExecutor. */
export function executionHandlers(deps: ApiDeps): Impl {
  const { store, blobs } = deps;

  const load = async (id: ExecutionKey) => {
    const stored = await store.executions.get(id);
    if (!stored) throw executionNotFound(id);
    return stored;
  };

  return {
    async createExecution(req) {
      return { id: await createExecution(deps, req) };
    },

    async relaunchExecution(req) {
      return { id: await relaunchExecution(deps, requireExecutionId(req.id), req.name, req.overwriteCache) };
    },

    async recoverExecution(req) {
      return { id: await recoverExecution(deps, requireExecutionId(req.id), req.name, req.metadata?.parentNodeExecution) };
    },

    async getExecution(req) {
      const stored = await load(requireExecutionId(req.id));
      return stored.execution;
    },

    async updateExecution(req) {
      const id = requireExecutionId(req.id);
      const requestedAt = new Date();
      // Retried compare-and-set on the phase, so a concurrent event is never overwritten.
      for (;;) {
        const stored = await load(id);
        const closure = clone(ExecutionClosureSchema, stored.execution.closure!);
        closure.stateChangeDetails = { $typeName: "flyteidl.admin.ExecutionStateChangeDetails", state: req.state, principal: "", occurredAt: timestampFromDate(requestedAt) };
        closure.updatedAt = timestampFromDate(requestedAt);
        const applied = await store.executions.updateClosure(id, closure.phase, closure, { state: req.state, expectedClosure: stored.closureBytes });
        if (applied) return {};
      }
    },

    async terminateExecution(req) {
      const id = requireExecutionId(req.id);
      checkNoNul(req.cause, "cause");
      await terminateExecution(deps, id, req.cause);
      return {};
    },

    async listExecutions(req) {
      const scope = [EXECUTION_COLUMNS, EXECUTION_LAUNCH_PLAN_COLUMNS, EXECUTION_WORKFLOW_COLUMNS, EXECUTION_TASK_COLUMNS, EXECUTION_TAG_COLUMNS] as const;
      const { project, domain, name, query } = parseVersionList(req, scope, "ListExecutions", deps.limits.maxPageSize);
      // Archived executions stay hidden unless the request filters on state itself.
      const filters = query.filters.some((f) => f.column === "state")
        ? query.filters
        : [...query.filters, { entity: EXECUTION_COLUMNS.code, column: "state", type: "int" as const, op: "eq" as const, values: [0] }];
      const executions = await store.executions.list({ project, domain, name }, { ...query, filters });
      for (const e of executions) {
        // Lists carry no inputs and at most 100 bytes of an error message.
        if (e.spec) e.spec.inputs = undefined;
        if (e.closure) {
          e.closure.computedInputs = undefined;
          if (e.closure.outputResult.case === "error") e.closure.outputResult.value.message = trimUtf8(e.closure.outputResult.value.message, ERROR_MESSAGE_LIST_BYTES);
        }
      }
      return { executions, token: nextToken(query.offset, executions.length, req.limit) };
    },

    async getExecutionData(req) {
      const stored = await load(requireExecutionId(req.id));
      const read = (uri: string) => readInlineData(blobs, uri);
      const result = stored.execution.closure?.outputResult;
      const outputs = result?.case === "outputs" ? result.value.data : undefined;
      const fullOutputs =
        result?.case === "outputData"
          ? result.value
          : outputs?.case === "values"
            ? outputs.value
            : outputs?.case === "uri"
              ? await read(outputs.value)
              : create(LiteralMapSchema);
      return { fullInputs: await read(stored.inputsUri), fullOutputs, inputs: {}, outputs: {} };
    },
  };
}
