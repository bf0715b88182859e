import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { and, asc, eq, isNull, sql } from "drizzle-orm";
import {
  type NodeExecution,
  NodeExecutionClosureSchema,
  NodeExecutionMetaDataSchema,
  NodeExecutionSchema,
} from "../../gen/flyteidl/admin/node_execution_pb.js";
import { ExecutionError_ErrorKind as ErrorKind, NodeExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import { EXECUTION_COLUMNS, NODE_EXECUTION_COLUMNS } from "../core/entity-columns.js";
import type { Db, Dialect } from "./dialect.js";
import { executionColumns, executionPresent } from "./sql-executions.js";
import { placeholders, preparedQuery } from "./prepared-query.js";
import { preparedWrite, writeOne } from "./prepared-write.js";
import { type ColumnMap, orderOf, pageOf, whereOf } from "./sql-list.js";
import type { NodeExecutionKey, NodeExecutionStore, TaskExecutionKey } from "./store.js";
import { BINARY_READ_OPTIONS } from "../core/proto-limits.js";

/** How a node execution names the task attempt it runs under (sql-task-executions.ts finds children by it). */
export const taskExecutionRef = (k: TaskExecutionKey) => `${k.project}/${k.domain}/${k.name}/${k.nodeId}/${k.retryAttempt}`;

export function createSqlNodeExecutions(d: Dialect): NodeExecutionStore {
  const t = d.schema.nodeExecutions;
  const e = d.schema.executions;
  type Row = typeof t.$inferSelect;
  const own = {
    node_id: t.nodeId,
    phase: t.phase,
    error_kind: t.errorKind,
    error_code: t.errorCode,
    started_at: t.startedAt,
    // FlyteAdmin's duration column is 0 until the run ends (a non-pointer Go field GORM inserts as 0), so
    // running rows compare and sort as 0, not as NULL.
    duration: sql`coalesce(${t.durationNs}, 0)`,
    created_at: t.createdAt,
    updated_at: t.updatedAt,
    node_execution_created_at: t.createdAt,
    node_execution_updated_at: t.updatedAt,
  };
  // `execution.` filters reach the workflow execution's row.
  const columns: ColumnMap = {
    [NODE_EXECUTION_COLUMNS.code]: own,
    [EXECUTION_COLUMNS.code]: executionColumns(e),
  };
  const keyOf = (id: NodeExecutionKey) => and(eq(t.project, id.project), eq(t.domain, id.domain), eq(t.name, id.name), eq(t.nodeId, id.nodeId));
  const errorColumns = (closure: NodeExecution["closure"]) =>
    closure?.outputResult.case === "error"
      ? { errorKind: ErrorKind[closure.outputResult.value.kind] ?? "UNKNOWN", errorCode: closure.outputResult.value.code }
      : {};

  const toNodeExecution = (row: Row): NodeExecution => {
    const closure = fromBinary(NodeExecutionClosureSchema, row.closure, BINARY_READ_OPTIONS);
    return create(NodeExecutionSchema, {
      id: { nodeId: row.nodeId, executionId: { project: row.project, domain: row.domain, name: row.name } },
      inputUri: row.inputUri,
      closure,
      metadata: fromBinary(NodeExecutionMetaDataSchema, row.metadata, BINARY_READ_OPTIONS),
    });
  };

  // Every node and task event reads its node execution. The unique key reads one row at most: no LIMIT (see preparedQuery).
  const byKey = preparedQuery<Row[]>(d, "node_execution_by_key", (db) =>
    db
      .select()
      .from(t)
      .where(and(keyOf(placeholders("project", "domain", "name", "nodeId")), executionPresent(d, placeholders("project", "domain", "name")))),
  );

  // Every node event reads its execution's cluster and its node execution at once (one row at most: both by primary key).
  const forEvent = preparedQuery<{ cluster: string; ne: Row | null }[]>(d, "node_execution_for_event", (db) => {
    const v = placeholders("project", "domain", "name", "nodeId");
    return db
      .select({ cluster: e.cluster, ne: t })
      .from(e)
      .leftJoin(t, and(eq(t.project, e.project), eq(t.domain, e.domain), eq(t.name, e.name), eq(t.nodeId, v.nodeId)))
      .where(and(eq(e.project, v.project), eq(e.domain, v.domain), eq(e.name, v.name)));
  });

  // Every node event writes one of these (values left out keep the column as it is, or its default).
  const insertRow = preparedWrite<{ nodeId: string }[]>(d, (db, v) =>
    db
      .insert(t)
      .values({
        project: v.project,
        domain: v.domain,
        name: v.name,
        nodeId: v.nodeId,
        phase: v.phase,
        closure: v.closure,
        metadata: v.metadata,
        inputUri: v.inputUri,
        parentNodeId: v.parentNodeId,
        parentTaskExecution: v.parentTaskExecution,
        startedAt: v.startedAt,
        eventVersion: v.eventVersion,
        dynamicWorkflowUri: v.dynamicWorkflowUri,
        errorKind: v.errorKind,
        errorCode: v.errorCode,
        createdAt: v.createdAt,
        updatedAt: v.updatedAt,
      })
      .onConflictDoNothing()
      .returning({ nodeId: t.nodeId }),
  );
  const updateRow = preparedWrite<{ nodeId: string }[]>(d, (db, v) =>
    db
      .update(t)
      .set({
        phase: v.phase,
        closure: v.closure,
        metadata: v.metadata,
        updatedAt: v.updatedAt,
        startedAt: v.startedAt,
        durationNs: v.durationNs,
        dynamicWorkflowUri: v.dynamicWorkflowUri,
        errorKind: v.errorKind,
        errorCode: v.errorCode,
      })
      .where(and(keyOf({ project: v.project, domain: v.domain, name: v.name, nodeId: v.nodeId }), eq(t.phase, v.expectedPhase)))
      .returning({ nodeId: t.nodeId }),
  );

  return {
    async get(id) {
      const [row] = await byKey({ project: id.project, domain: id.domain, name: id.name, nodeId: id.nodeId });
      return row ? toNodeExecution(row) : undefined;
    },

    async getForEvent(id) {
      const [row] = await forEvent({ project: id.project, domain: id.domain, name: id.name, nodeId: id.nodeId });
      return { cluster: row?.cluster, nodeExecution: row?.ne ? toNodeExecution(row.ne) : undefined };
    },

    async create(ne, parent, eventVersion, dynamicWorkflowUri = "", beforeCommit) {
      const id = ne.id!;
      const exec = id.executionId!;
      const closure = ne.closure!;
      const write = (db: Db) =>
        insertRow(db, {
          project: exec.project,
          domain: exec.domain,
          name: exec.name,
          nodeId: id.nodeId,
          phase: Phase[closure.phase] ?? "UNDEFINED",
          closure: Buffer.from(toBinary(NodeExecutionClosureSchema, closure)),
          metadata: Buffer.from(toBinary(NodeExecutionMetaDataSchema, ne.metadata ?? create(NodeExecutionMetaDataSchema))),
          inputUri: ne.inputUri,
          parentNodeId: parent.nodeId ?? null,
          // Matches the key sql-task-executions.ts looks children up by.
          parentTaskExecution: parent.taskExecution ? taskExecutionRef(parent.taskExecution) : null,
          startedAt: closure.startedAt ? timestampDate(closure.startedAt) : null,
          eventVersion,
          dynamicWorkflowUri,
          ...errorColumns(closure),
          createdAt: closure.createdAt ? timestampDate(closure.createdAt) : new Date(),
          updatedAt: closure.updatedAt ? timestampDate(closure.updatedAt) : new Date(),
        });
      return writeOne(d, write, beforeCommit);
    },

    async update(id, expectedPhase, closure, metadata, extra = {}) {
      const write = (db: Db) =>
        updateRow(db, {
          project: id.project,
          domain: id.domain,
          name: id.name,
          nodeId: id.nodeId,
          expectedPhase: Phase[expectedPhase] ?? "UNDEFINED",
          phase: Phase[closure.phase] ?? "UNDEFINED",
          closure: Buffer.from(toBinary(NodeExecutionClosureSchema, closure)),
          metadata: Buffer.from(toBinary(NodeExecutionMetaDataSchema, metadata)),
          updatedAt: closure.updatedAt ? timestampDate(closure.updatedAt) : new Date(),
          startedAt: extra.startedAt,
          durationNs: extra.durationNs,
          // Replaced only by a new reference, never cleared.
          dynamicWorkflowUri: extra.dynamicWorkflowUri || undefined,
          ...errorColumns(closure),
        });
      return writeOne(d, write, extra.beforeCommit);
    },

    async dynamicWorkflowUri(id) {
      const [row] = await d.run((db) => db.select({ uri: t.dynamicWorkflowUri }).from(t).where(and(keyOf(id), executionPresent(d, id))));
      return row?.uri ?? "";
    },

    async list(execution, parent, query) {
      const parentCondition =
        parent.kind === "top"
          ? and(isNull(t.parentNodeId), isNull(t.parentTaskExecution))
          : parent.kind === "node"
            ? eq(t.parentNodeId, parent.nodeId)
            : eq(t.parentTaskExecution, taskExecutionRef(parent.taskExecution));
      // Nodes in the order they started, unless a sort is asked for.
      const order = orderOf(query.sort, own, [asc(t.createdAt)], [t.nodeId]);
      const joinsExecution = query.filters.some((f) => f.entity === EXECUTION_COLUMNS.code);
      const rows = await d.run((db) => {
        // The columns a listed node execution is made of: a list may be thousands of rows.
        const base = db.select({ project: t.project, domain: t.domain, name: t.name, nodeId: t.nodeId, inputUri: t.inputUri, closure: t.closure, metadata: t.metadata }).from(t).$dynamic();
        const joined = joinsExecution ? base.innerJoin(e, and(eq(e.project, t.project), eq(e.domain, t.domain), eq(e.name, t.name))) : base;
        const where = and(
          eq(t.project, execution.project),
          eq(t.domain, execution.domain),
          eq(t.name, execution.name),
          parentCondition,
          whereOf(query.filters, columns),
          joinsExecution ? undefined : executionPresent(d, execution),
        );
        return pageOf(joined.where(where).orderBy(...order), query);
      });
      return rows.map((r) => ({ id: { project: r.project, domain: r.domain, name: r.name, nodeId: r.nodeId }, inputUri: r.inputUri, closure: r.closure, metadata: r.metadata }));
    },
  };
}

