import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { and, asc, eq, getTableColumns, inArray, sql } from "drizzle-orm";
import { type TaskExecution, TaskExecutionClosureSchema, TaskExecutionSchema } from "../../gen/flyteidl/admin/task_execution_pb.js";
import { TaskExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import { ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import { TASK_EXECUTION_COLUMNS } from "../core/entity-columns.js";
import type { Db, Dialect } from "./dialect.js";
import { executionPresent } from "./sql-executions.js";
import { placeholders, preparedQuery } from "./prepared-query.js";
import { preparedWrite, writeOne } from "./prepared-write.js";
import { taskExecutionRef } from "./sql-node-executions.js";
import { type ColumnMap, orderOf, pageOf, whereOf } from "./sql-list.js";
import type { NodeExecutionKey, TaskExecutionKey, TaskExecutionStore } from "./store.js";
import { BINARY_READ_OPTIONS } from "../core/proto-limits.js";

export function createSqlTaskExecutions(d: Dialect): TaskExecutionStore {
  const t = d.schema.taskExecutions;
  const n = d.schema.nodeExecutions;
  type Row = typeof t.$inferSelect;
  const own = {
    retry_attempt: t.retryAttempt,
    phase: t.phase,
    phase_version: t.phaseVersion,
    started_at: t.startedAt,
    // FlyteAdmin's duration column is 0 until the run ends (a non-pointer Go field GORM inserts as 0), so
    // running rows compare and sort as 0, not as NULL.
    duration: sql`coalesce(${t.durationNs}, 0)`,
    created_at: t.createdAt,
    updated_at: t.updatedAt,
    task_execution_created_at: t.createdAt,
    task_execution_updated_at: t.updatedAt,
  };
  const columns: ColumnMap = { [TASK_EXECUTION_COLUMNS.code]: own };
  const nodeOf = (id: NodeExecutionKey) =>
    and(eq(t.executionProject, id.project), eq(t.executionDomain, id.domain), eq(t.executionName, id.name), eq(t.nodeId, id.nodeId));
  const keyOf = (id: TaskExecutionKey) =>
    and(
      nodeOf(id),
      eq(t.retryAttempt, id.retryAttempt),
      eq(t.project, id.task.project),
      eq(t.domain, id.task.domain),
      eq(t.name, id.task.name),
      eq(t.version, id.task.version),
    );

  /** The key named by the values (or placeholders) `keyValues` gives. */
  const keyOfValues = (v: Record<string, unknown>): TaskExecutionKey => ({
    project: v.project as string,
    domain: v.domain as string,
    name: v.name as string,
    nodeId: v.nodeId as string,
    retryAttempt: v.retryAttempt as number,
    task: { project: v.taskProject as string, domain: v.taskDomain as string, name: v.taskName as string, version: v.taskVersion as string },
  });

  const toTaskExecution = (row: Row, isParent: boolean): TaskExecution =>
    create(TaskExecutionSchema, {
      id: {
        taskId: { resourceType: ResourceType.TASK, project: row.project, domain: row.domain, name: row.name, version: row.version },
        nodeExecutionId: { nodeId: row.nodeId, executionId: { project: row.executionProject, domain: row.executionDomain, name: row.executionName } },
        retryAttempt: row.retryAttempt,
      },
      inputUri: row.inputUri,
      closure: fromBinary(TaskExecutionClosureSchema, row.closure, BINARY_READ_OPTIONS),
      isParent,
    });
  // An attempt is a parent when node executions name it as theirs.
  const parentKey = (row: Row) =>
    taskExecutionRef({
      project: row.executionProject,
      domain: row.executionDomain,
      name: row.executionName,
      nodeId: row.nodeId,
      retryAttempt: row.retryAttempt,
      task: { project: row.project, domain: row.domain, name: row.name, version: row.version },
    });
  /** Which of the rows have child node executions, in one query for the whole page. */
  const parentsAmong = async (rows: readonly Row[]): Promise<Set<string>> => {
    if (rows.length === 0) return new Set();
    const found = await d.run((db) =>
      db
        .selectDistinct({ parent: n.parentTaskExecution })
        .from(n)
        .where(inArray(n.parentTaskExecution, rows.map(parentKey))),
    );
    return new Set(found.map((f) => f.parent ?? ""));
  };

  // Every task event reads its attempt, and whether it is a parent, in one statement; by primary key, so
  // without a LIMIT (see preparedQuery).
  const byKey = preparedQuery<(Row & { isParent: unknown })[]>(d, "task_execution_by_key", (db) => {
    const key = keyOfValues(placeholders("project", "domain", "name", "nodeId", "retryAttempt", "taskProject", "taskDomain", "taskName", "taskVersion"));
    // The same test as parentsAmong: a node execution names this attempt as its parent.
    const isParent = sql`exists (select 1 from ${n} where ${n.parentTaskExecution} = ${sql.placeholder("parentRef")})`;
    return db
      .select({ ...getTableColumns(t), isParent })
      .from(t)
      .where(and(keyOf(key), executionPresent(d, placeholders("project", "domain", "name"))));
  });

  // Every task event reads its execution's cluster, whether its node execution exists, and the attempt at once
  // (each by primary key: one row at most).
  const forEvent = preparedQuery<{ cluster: string; nodeId: string | null; te: Row | null; isParent: unknown }[]>(d, "task_execution_for_event", (db) => {
    const e = d.schema.executions;
    const key = keyOfValues(placeholders("project", "domain", "name", "nodeId", "retryAttempt", "taskProject", "taskDomain", "taskName", "taskVersion"));
    const isParent = sql`exists (select 1 from ${n} where ${n.parentTaskExecution} = ${sql.placeholder("parentRef")})`;
    return db
      .select({ cluster: e.cluster, nodeId: n.nodeId, te: t, isParent })
      .from(e)
      .leftJoin(n, and(eq(n.project, e.project), eq(n.domain, e.domain), eq(n.name, e.name), eq(n.nodeId, key.nodeId)))
      .leftJoin(t, keyOf(key))
      .where(and(eq(e.project, key.project), eq(e.domain, key.domain), eq(e.name, key.name)));
  });

  /** A key's values, as `keyOfValues` reads them. */
  const keyValues = (id: TaskExecutionKey) => ({
    project: id.project,
    domain: id.domain,
    name: id.name,
    nodeId: id.nodeId,
    retryAttempt: id.retryAttempt,
    taskProject: id.task.project,
    taskDomain: id.task.domain,
    taskName: id.task.name,
    taskVersion: id.task.version,
  });

  // Every task event writes one of these (values left out keep the column as it is, or its default).
  const insertRow = preparedWrite<{ nodeId: string }[]>(d, (db, v) =>
    db
      .insert(t)
      .values({
        project: v.project,
        domain: v.domain,
        name: v.name,
        version: v.version,
        executionProject: v.executionProject,
        executionDomain: v.executionDomain,
        executionName: v.executionName,
        nodeId: v.nodeId,
        retryAttempt: v.retryAttempt,
        phase: v.phase,
        phaseVersion: v.phaseVersion,
        inputUri: v.inputUri,
        closure: v.closure,
        startedAt: v.startedAt,
        createdAt: v.createdAt,
        updatedAt: v.updatedAt,
      })
      .onConflictDoNothing()
      .returning({ nodeId: t.nodeId }),
  );
  const updateRow = preparedWrite<{ nodeId: string }[]>(d, (db, v) =>
    db
      .update(t)
      .set({ phase: v.phase, phaseVersion: v.phaseVersion, closure: v.closure, updatedAt: v.updatedAt, startedAt: v.startedAt, durationNs: v.durationNs })
      .where(and(keyOf(keyOfValues(v)), eq(t.phase, v.expectedPhase), eq(t.phaseVersion, v.expectedPhaseVersion)))
      .returning({ nodeId: t.nodeId }),
  );

  return {
    async get(id) {
      const [found] = await byKey({ ...keyValues(id), parentRef: taskExecutionRef(id) });
      if (!found) return undefined;
      const { isParent, ...row } = found;
      return { execution: toTaskExecution(row, isParent === true || isParent === 1 || isParent === 1n), phaseVersion: row.phaseVersion };
    },

    async getForEvent(id) {
      const [row] = await forEvent({ ...keyValues(id), parentRef: taskExecutionRef(id) });
      if (!row) return { cluster: undefined, nodeExists: false, attempt: undefined };
      const isParent = row.isParent === true || row.isParent === 1 || row.isParent === 1n;
      const attempt = row.te ? { execution: toTaskExecution(row.te, isParent), phaseVersion: row.te.phaseVersion } : undefined;
      return { cluster: row.cluster, nodeExists: row.nodeId !== null, attempt };
    },

    async create(te, phaseVersion, beforeCommit) {
      const id = te.id!;
      const node = id.nodeExecutionId!;
      const exec = node.executionId!;
      const task = id.taskId!;
      const closure = te.closure!;
      const write = (db: Db) =>
        insertRow(db, {
          project: task.project,
          domain: task.domain,
          name: task.name,
          version: task.version,
          executionProject: exec.project,
          executionDomain: exec.domain,
          executionName: exec.name,
          nodeId: node.nodeId,
          retryAttempt: id.retryAttempt,
          phase: Phase[closure.phase] ?? "UNDEFINED",
          phaseVersion,
          inputUri: te.inputUri,
          closure: Buffer.from(toBinary(TaskExecutionClosureSchema, closure)),
          startedAt: closure.startedAt ? timestampDate(closure.startedAt) : null,
          createdAt: closure.createdAt ? timestampDate(closure.createdAt) : new Date(),
          updatedAt: closure.updatedAt ? timestampDate(closure.updatedAt) : new Date(),
        });
      return writeOne(d, write, beforeCommit);
    },

    async update(id, expected, closure, phaseVersion, extra = {}) {
      const write = (db: Db) =>
        updateRow(db, {
          ...keyValues(id),
          expectedPhase: Phase[expected.phase] ?? "UNDEFINED",
          expectedPhaseVersion: expected.phaseVersion,
          phase: Phase[closure.phase] ?? "UNDEFINED",
          phaseVersion,
          closure: Buffer.from(toBinary(TaskExecutionClosureSchema, closure)),
          updatedAt: closure.updatedAt ? timestampDate(closure.updatedAt) : new Date(),
          startedAt: extra.startedAt,
          durationNs: extra.durationNs,
        });
      return writeOne(d, write, extra.beforeCommit);
    },

    async list(node, query) {
      const order = orderOf(query.sort, own, [asc(t.retryAttempt)], [t.retryAttempt, t.name, t.version]);
      const rows = await d.run((db) => pageOf(db.select().from(t).where(and(nodeOf(node), whereOf(query.filters, columns), executionPresent(d, node))).orderBy(...order).$dynamic(), query));
      const parents = await parentsAmong(rows);
      return rows.map((row) => toTaskExecution(row, parents.has(parentKey(row))));
    },
  };
}
