import { toBinary } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { and, count, desc, eq, exists, inArray, sql } from "drizzle-orm";
import { ExecutionClosureSchema, ExecutionSpecSchema } from "../../gen/flyteidl/admin/execution_pb.js";
import { ExecutionError_ErrorKind as ErrorKind, WorkflowExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import { type Identifier, ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import {
  EXECUTION_COLUMNS,
  EXECUTION_LAUNCH_PLAN_COLUMNS,
  EXECUTION_TAG_COLUMNS,
  EXECUTION_TASK_COLUMNS,
  EXECUTION_WORKFLOW_COLUMNS,
} from "../core/entity-columns.js";
import type { Dialect } from "./dialect.js";
import { placeholders, preparedQuery } from "./prepared-query.js";
import { preparedWrite } from "./prepared-write.js";
import { type ColumnMap, orderOf, pageOf, whereOf } from "./sql-list.js";
import type { ExecutionKey, ExecutionStore, StoredExecution } from "./store.js";
import { insertDeliveries } from "./sql-notifications.js";
import { executionOfListed, type ListedExecution } from "../core/listed-execution.js";

const ref = (resourceType: ResourceType, project: string, domain: string, name: string, version: string): Identifier | undefined =>
  name === "" ? undefined : ({ $typeName: "flyteidl.core.Identifier", resourceType, project, domain, name, version, org: "" } as Identifier);

/**
 * The columns filters and sort keys name on an execution (`execution.` on
 * node lists too, which join the execution's row): every column of
 * EXECUTION_COLUMNS has its place here, so none reaches the query builder unmapped.
 */
export function executionColumns(t: Dialect["schema"]["executions"]) {
  return {
    execution_project: t.project,
    execution_domain: t.domain,
    execution_name: t.name,
    phase: t.phase,
    mode: t.mode,
    user: t.user,
    state: t.state,
    launch_entity: t.launchEntity,
    cluster: t.cluster,
    error_kind: t.errorKind,
    error_code: t.errorCode,
    abort_cause: t.abortCause,
    started_at: t.startedAt,
    // FlyteAdmin's duration column is 0 until the run ends (a non-pointer Go field GORM inserts as 0), so
    // running rows compare and sort as 0, not as NULL.
    duration: sql`coalesce(${t.durationNs}, 0)`,
    created_at: t.createdAt,
    updated_at: t.updatedAt,
    execution_created_at: t.createdAt,
    execution_updated_at: t.updatedAt,
  };
}

/**
 * True while the execution's row is in `executions`: node and task executions
 * of an execution being deleted are gone for readers the moment its row is,
 * however many of them the deletion still has to remove.
 */
export const executionPresent = (d: Dialect, key: ExecutionKey) => {
  const t = d.schema.executions;
  return sql`exists (select 1 from ${t} where ${and(eq(t.project, key.project), eq(t.domain, key.domain), eq(t.name, key.name))})`;
};

/** Undoes a create whose name belongs to an execution being deleted. */
class NameBeingDeleted extends Error {}

export function createSqlExecutions(d: Dialect): ExecutionStore {
  const t = d.schema.executions;
  const marks = d.schema.executionDeletions;
  const tags = d.schema.executionTags;
  type Row = typeof t.$inferSelect;
  const own = executionColumns(t);
  const columns: ColumnMap = {
    [EXECUTION_COLUMNS.code]: own,
    [EXECUTION_LAUNCH_PLAN_COLUMNS.code]: { project: t.launchPlanProject, domain: t.launchPlanDomain, name: t.launchPlanName, version: t.launchPlanVersion },
    [EXECUTION_WORKFLOW_COLUMNS.code]: { project: t.workflowProject, domain: t.workflowDomain, name: t.workflowName, version: t.workflowVersion },
    [EXECUTION_TASK_COLUMNS.code]: { project: t.taskProject, domain: t.taskDomain, name: t.taskName, version: t.taskVersion },
  };
  const keyOf = (id: ExecutionKey) => and(eq(t.project, id.project), eq(t.domain, id.domain), eq(t.name, id.name));

  // A list answers with executions alone: of a row it needs only these.
  const listed = { project: t.project, domain: t.domain, name: t.name, spec: t.spec, closure: t.closure, createdAt: t.createdAt, updatedAt: t.updatedAt };
  const toListed = (row: { [K in keyof typeof listed]: Row[K] }): ListedExecution => ({
    id: { project: row.project, domain: row.domain, name: row.name },
    spec: row.spec,
    closure: row.closure,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  });

  const toStored = (row: Row): StoredExecution => {
    return {
      execution: executionOfListed(toListed(row)),
      launchPlan: ref(ResourceType.LAUNCH_PLAN, row.launchPlanProject, row.launchPlanDomain, row.launchPlanName, row.launchPlanVersion),
      workflow: ref(ResourceType.WORKFLOW, row.workflowProject, row.workflowDomain, row.workflowName, row.workflowVersion)!,
      task: ref(ResourceType.TASK, row.taskProject, row.taskDomain, row.taskName, row.taskVersion),
      launchEntity: row.launchEntity,
      inputsUri: row.inputsUri,
      userInputsUri: row.userInputsUri,
      user: row.user,
      cluster: row.cluster,
      closureBytes: row.closure,
    };
  };

  // Every event reads its execution first. No LIMIT: the key is unique (see preparedQuery).
  const byKey = preparedQuery<Row[]>(d, "execution_by_key", (db) => db.select().from(t).where(keyOf(placeholders("project", "domain", "name"))));
  const existsByKey = preparedQuery<{ name: string }[]>(d, "execution_exists_by_key", (db) =>
    db.select({ name: t.name }).from(t).where(keyOf(placeholders("project", "domain", "name"))),
  );
  const clusterByKey = preparedQuery<{ cluster: string }[]>(d, "execution_cluster_by_key", (db) =>
    db.select({ cluster: t.cluster }).from(t).where(keyOf(placeholders("project", "domain", "name"))),
  );

  // Every CreateExecution writes one of these; the columns left out of a row (null) take their default, null.
  const insertRow = preparedWrite<{ name: string }[]>(d, (db, v) =>
    db
      .insert(t)
      .values(v as typeof t.$inferInsert)
      .onConflictDoNothing()
      .returning({ name: t.name }),
  );
  const deletionMark = preparedWrite<{ name: string }[]>(d, (db, v) =>
    db.select({ name: marks.name }).from(marks).where(and(eq(marks.project, v.project), eq(marks.domain, v.domain), eq(marks.name, v.name))),
  );

  /** The row an execution is stored as. */
  const rowOf = (stored: StoredExecution): typeof t.$inferInsert => {
    const e = stored.execution;
    const id = e.id!;
    const closure = e.closure!;
    const now = closure.createdAt ? timestampDate(closure.createdAt) : new Date();
    const lp = stored.launchPlan;
    const task = stored.task;
    return {
      project: id.project,
      domain: id.domain,
      name: id.name,
      launchPlanProject: lp?.project ?? "",
      launchPlanDomain: lp?.domain ?? "",
      launchPlanName: lp?.name ?? "",
      launchPlanVersion: lp?.version ?? "",
      workflowProject: stored.workflow.project,
      workflowDomain: stored.workflow.domain,
      workflowName: stored.workflow.name,
      workflowVersion: stored.workflow.version,
      taskProject: task?.project ?? "",
      taskDomain: task?.domain ?? "",
      taskName: task?.name ?? "",
      taskVersion: task?.version ?? "",
      phase: Phase[closure.phase] ?? "UNDEFINED",
      spec: Buffer.from(toBinary(ExecutionSpecSchema, e.spec!)),
      closure: Buffer.from(toBinary(ExecutionClosureSchema, closure)),
      mode: e.spec?.metadata?.mode ?? 0,
      user: stored.user,
      state: closure.stateChangeDetails?.state ?? 0,
      launchEntity: stored.launchEntity,
      cluster: stored.cluster,
      inputsUri: stored.inputsUri,
      userInputsUri: stored.userInputsUri,
      errorKind: closure.outputResult.case === "error" ? (ErrorKind[closure.outputResult.value.kind] ?? "UNKNOWN") : null,
      errorCode: closure.outputResult.case === "error" ? closure.outputResult.value.code : null,
      createdAt: now,
      updatedAt: now,
    };
  };

  return {
    async create(stored, tagPairs, beforeCommit) {
      const id = stored.execution.id!;
      return d.transaction(async (tx): Promise<boolean> => {
        const inserted = await insertRow(tx, rowOf(stored));
        if (inserted.length === 0) return false;
        // A name whose earlier execution is still being deleted is taken until that ends (checked after
        // the insert: on PostgreSQL it waited for a concurrent deletion's commit, so it sees its mark).
        if ((await deletionMark(tx, { project: id.project, domain: id.domain, name: id.name })).length > 0) throw new NameBeingDeleted();
        if (tagPairs.length > 0) {
          const unique = [...new Map(tagPairs.map(([k, v]) => [`${k}\u0000${v}`, [k, v] as const])).values()];
          await tx.insert(tags).values(unique.map(([key, value]) => ({ project: id.project, domain: id.domain, name: id.name, key, value })));
        }
        if (beforeCommit) await beforeCommit();
        return true;
      }).catch((e: unknown) => {
        if (e instanceof NameBeingDeleted) return false;
        throw e;
      });
    },

    async createMany(stored) {
      // Multi-row INSERTs of a few hundred rows stay under both dialects' bound-parameter limits.
      const CHUNK = 500;
      await d.transaction(async (tx) => {
        for (let i = 0; i < stored.length; i += CHUNK) await tx.insert(t).values(stored.slice(i, i + CHUNK).map(rowOf));
      });
    },

    async delete(id) {
      await d.transaction(async (tx) => {
        await tx.delete(tags).where(and(eq(tags.project, id.project), eq(tags.domain, id.domain), eq(tags.name, id.name)));
        await tx.delete(t).where(keyOf(id));
      });
    },

    async exists(id) {
      const rows = await existsByKey({ project: id.project, domain: id.domain, name: id.name });
      return rows.length > 0;
    },

    async get(id) {
      const [row] = await byKey({ project: id.project, domain: id.domain, name: id.name });
      return row ? toStored(row) : undefined;
    },

    async clusterOf(id) {
      const [row] = await clusterByKey({ project: id.project, domain: id.domain, name: id.name });
      return row?.cluster;
    },

    async updateClosure(id, expectedPhase, closure, extra = {}) {
      const events = d.schema.executionEvents;
      // The update and its history row commit together; the phase condition
      // makes the update a compare-and-set on both dialects.
      return d.transaction(async (tx) => {
        const rows = await tx
          .update(t)
          .set({
            phase: Phase[closure.phase] ?? "UNDEFINED",
            closure: Buffer.from(toBinary(ExecutionClosureSchema, closure)),
            updatedAt: closure.updatedAt ? timestampDate(closure.updatedAt) : new Date(),
            ...(extra.state !== undefined ? { state: extra.state } : {}),
            ...(extra.abortCause !== undefined ? { abortCause: extra.abortCause } : {}),
            ...(extra.spec !== undefined ? { spec: Buffer.from(toBinary(ExecutionSpecSchema, extra.spec)) } : {}),
            ...(extra.cluster !== undefined ? { cluster: extra.cluster } : {}),
            ...(extra.startedAt !== undefined ? { startedAt: extra.startedAt } : {}),
            ...(extra.durationNs !== undefined ? { durationNs: extra.durationNs } : {}),
            ...(closure.outputResult.case === "error"
              ? { errorKind: ErrorKind[closure.outputResult.value.kind] ?? "UNKNOWN", errorCode: closure.outputResult.value.code }
              : {}),
          })
          .where(
            and(
              keyOf(id),
              eq(t.phase, Phase[expectedPhase] ?? "UNDEFINED"),
              extra.expectedClosure ? eq(t.closure, Buffer.from(extra.expectedClosure)) : undefined,
            ),
          )
          .returning({ name: t.name });
        if (rows.length === 0) return false;
        if (extra.event) {
          await tx
            .insert(events)
            .values({ ...id, phase: extra.event.phase, producerId: extra.event.producerId, occurredAt: extra.event.occurredAt, createdAt: new Date() })
            .onConflictDoNothing();
        }
        if (extra.deliveries) {
          const { items, enqueuedAt } = extra.deliveries;
          await insertDeliveries(d, tx, id, Phase[closure.phase] ?? String(closure.phase), items, enqueuedAt);
        }
        if (extra.beforeCommit) await extra.beforeCommit();
        return true;
      });
    },

    async countByLaunchPlan(scope, phases) {
      const [row] = await d.run((db) =>
        db
          .select({ n: count() })
          .from(t)
          .where(and(eq(t.project, scope.project), eq(t.domain, scope.domain), eq(t.launchPlanName, scope.name), inArray(t.phase, [...phases]))),
      );
      return Number(row?.n ?? 0);
    },

    async list(scope, query) {
      // Tag filters match through a correlated EXISTS, so an execution with several tags is listed once.
      const own = query.filters.filter((f) => f.entity !== EXECUTION_TAG_COLUMNS.code);
      const tagFilters = query.filters.filter((f) => f.entity === EXECUTION_TAG_COLUMNS.code);
      const tagColumns: ColumnMap = { [EXECUTION_TAG_COLUMNS.code]: { key: tags.key, value: tags.value } };
      const order = orderOf(query.sort, columns[EXECUTION_COLUMNS.code]!, [desc(t.createdAt)], [t.name]);
      const rows = await d.run((db) => {
        const tagged =
          tagFilters.length > 0
            ? exists(
                db
                  .select({ key: tags.key })
                  .from(tags)
                  .where(and(eq(tags.project, t.project), eq(tags.domain, t.domain), eq(tags.name, t.name), whereOf(tagFilters, tagColumns))),
              )
            : undefined;
        const where = and(eq(t.project, scope.project), eq(t.domain, scope.domain), scope.name ? eq(t.name, scope.name) : undefined, whereOf(own, columns), tagged);
        return pageOf(db.select(listed).from(t).where(where).orderBy(...order).$dynamic(), query);
      });
      return rows.map(toListed);
    },
  };
}

