import { clone, create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { ExecutionClosureSchema, ExecutionListSchema } from "../../gen/flyteidl/admin/execution_pb.js";
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
import { listedExecution } from "../core/listed-execution.js";
import { parseVersionList } from "../core/named-lists.js";
import { nextToken } from "../core/pagination.js";
import { checkIdentifierText, checkNoNul } from "../core/text-limits.js";
import type { ExecutionKey } from "../storage/store.js";
import { answersInBinary, encodedAnswer } from "../server/encoded-answer.js";
import type { ApiDeps } from "./deps.js";
import { encodeExecutionList } from "./execution-list-bytes.js";
import { recoverExecution, relaunchExecution } from "./execution-again.js";
import { createExecution } from "./execution-create.js";
import { executionNotFound, terminateExecution } from "./execution-terminate.js";
import { readInlineData } from "./inline-data.js";
import { principalOf } from "../auth/identity.js";

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

function requireExecutionId(id: { project: string; domain: string; name: string } | undefined): ExecutionKey {
  if (!id) throw missingField("id");
  if (id.project === "") throw missingField("project");
  if (id.domain === "") throw missingField("domain");
  if (id.name === "") throw missingField("name");
  checkIdentifierText(id);
  return { project: id.project, domain: id.domain, name: id.name };
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
    async createExecution(req, ctx) {
      return { id: await createExecution(deps, req, principalOf(ctx)) };
    },

    async relaunchExecution(req, ctx) {
      return { id: await relaunchExecution(deps, requireExecutionId(req.id), req.name, req.overwriteCache, principalOf(ctx)) };
    },

    async recoverExecution(req, ctx) {
      return { id: await recoverExecution(deps, requireExecutionId(req.id), req.name, req.metadata?.parentNodeExecution, principalOf(ctx)) };
    },

    async getExecution(req) {
      const stored = await load(requireExecutionId(req.id));
      return stored.execution;
    },

    async updateExecution(req, ctx) {
      const id = requireExecutionId(req.id);
      const requestedAt = new Date();
      // Retried compare-and-set on the phase, so a concurrent event is never overwritten.
      for (;;) {
        const stored = await load(id);
        const closure = clone(ExecutionClosureSchema, stored.execution.closure!);
        closure.stateChangeDetails = { $typeName: "flyteidl.admin.ExecutionStateChangeDetails", state: req.state, principal: principalOf(ctx), occurredAt: timestampFromDate(requestedAt) };
        closure.updatedAt = timestampFromDate(requestedAt);
        const applied = await store.executions.updateClosure(id, closure.phase, closure, { state: req.state, expectedClosure: stored.closureBytes });
        if (applied) return {};
      }
    },

    async terminateExecution(req, ctx) {
      const id = requireExecutionId(req.id);
      checkNoNul(req.cause, "cause");
      await terminateExecution(deps, id, req.cause, principalOf(ctx));
      return {};
    },

    async listExecutions(req, ctx) {
      const scope = [EXECUTION_COLUMNS, EXECUTION_LAUNCH_PLAN_COLUMNS, EXECUTION_WORKFLOW_COLUMNS, EXECUTION_TASK_COLUMNS, EXECUTION_TAG_COLUMNS] as const;
      const { project, domain, name, query } = parseVersionList(req, scope, "ListExecutions", deps.limits.maxPageSize);
      // Archived executions stay hidden unless the request filters on state itself.
      const filters = query.filters.some((f) => f.column === "state")
        ? query.filters
        : [...query.filters, { entity: EXECUTION_COLUMNS.code, column: "state", type: "int" as const, op: "eq" as const, values: [0] }];
      const rows = await store.executions.list({ project, domain, name }, { ...query, filters });
      const token = nextToken(query.offset, rows.length, req.limit);
      // Binary callers get the stored bytes spliced: decoding and re-encoding a page of specs and closures was most of its CPU.
      if (answersInBinary(ctx)) return encodedAnswer(ExecutionListSchema, encodeExecutionList(rows, token));
      return { executions: rows.map(listedExecution), token };
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
