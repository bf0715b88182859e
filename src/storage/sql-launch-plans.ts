import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { and, desc, eq, ne } from "drizzle-orm";
import {
  type LaunchPlan,
  LaunchPlanClosureSchema,
  LaunchPlanSchema,
  LaunchPlanSpecSchema,
  LaunchPlanState,
} from "../../gen/flyteidl/admin/launch_plan_pb.js";
import { ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import { LAUNCH_PLAN_COLUMNS, WORKFLOW_COLUMNS } from "../core/entity-columns.js";
import type { Dialect } from "./dialect.js";
import { type ColumnMap, orderOf, pageOf, whereOf } from "./sql-list.js";
import { createVersion, listNames, nameScope, versionKey } from "./sql-versions.js";
import { placeholders, preparedQuery } from "./prepared-query.js";
import type { LaunchPlanStore, NameScope } from "./store.js";
import type { ListQuery } from "../core/list-query.js";
import { BINARY_READ_OPTIONS } from "../core/proto-limits.js";

export function createSqlLaunchPlans(d: Dialect): LaunchPlanStore {
  const t = d.schema.launchPlans;
  const w = d.schema.workflows;
  type Row = typeof t.$inferSelect;
  const own = {
    project: t.project,
    domain: t.domain,
    name: t.name,
    version: t.version,
    state: t.state,
    schedule_type: t.scheduleType,
    created_at: t.createdAt,
    updated_at: t.updatedAt,
  };
  // `workflow.*` filters reach the launched workflow's row.
  const columns: ColumnMap = {
    [LAUNCH_PLAN_COLUMNS.code]: own,
    [WORKFLOW_COLUMNS.code]: {
      project: w.project,
      domain: w.domain,
      name: w.name,
      version: w.version,
      short_description: w.shortDescription,
      created_at: w.createdAt,
      updated_at: w.updatedAt,
    },
  };
  const joinsWorkflow = (query: ListQuery) => query.filters.some((f) => f.entity === WORKFLOW_COLUMNS.code);

  // State and timestamps in the closure always come from the row.
  const toLaunchPlan = (row: Row): LaunchPlan => {
    const closure = fromBinary(LaunchPlanClosureSchema, row.closure, BINARY_READ_OPTIONS);
    closure.state = row.state;
    closure.createdAt = timestampFromDate(row.createdAt);
    closure.updatedAt = timestampFromDate(row.updatedAt);
    return create(LaunchPlanSchema, {
      id: { resourceType: ResourceType.LAUNCH_PLAN, project: row.project, domain: row.domain, name: row.name, version: row.version },
      spec: fromBinary(LaunchPlanSpecSchema, row.spec, BINARY_READ_OPTIONS),
      closure,
    });
  };

  const listWhere = async (scope: NameScope, query: ListQuery, extra?: ReturnType<typeof eq>) => {
    const order = orderOf(query.sort, own, [desc(t.createdAt)], [t.name, t.version]);
    const where = and(nameScope(t, scope), extra, whereOf(query.filters, columns));
    const rows = await d.run((db) => {
      const base = db.select({ lp: t }).from(t).$dynamic();
      const joined = joinsWorkflow(query)
        ? base.innerJoin(
            w,
            and(eq(w.project, t.workflowProject), eq(w.domain, t.workflowDomain), eq(w.name, t.workflowName), eq(w.version, t.workflowVersion)),
          )
        : base;
      return pageOf(joined.where(where).orderBy(...order), query);
    });
    return rows.map((r) => toLaunchPlan(r.lp));
  };

  // Every launch reads its launch plan.
  const byKey = preparedQuery<Row[]>(d, "launch_plan_by_key", (db) => db.select().from(t).where(versionKey(t, placeholders("project", "domain", "name", "version"))));

  return {
    create(launchPlan, digest, scheduleType) {
      const spec = launchPlan.spec!;
      const wf = spec.workflowId!;
      // The closure is stored without state or timestamps: those live in columns.
      const closure = create(LaunchPlanClosureSchema, {
        expectedInputs: launchPlan.closure?.expectedInputs,
        expectedOutputs: launchPlan.closure?.expectedOutputs,
      });
      const columns = {
        workflowProject: wf.project,
        workflowDomain: wf.domain,
        workflowName: wf.name,
        workflowVersion: wf.version,
        spec: Buffer.from(toBinary(LaunchPlanSpecSchema, spec)),
        closure: Buffer.from(toBinary(LaunchPlanClosureSchema, closure)),
        state: LaunchPlanState.INACTIVE,
        digest: Buffer.from(digest),
        scheduleType,
      };
      return createVersion(d, ResourceType.LAUNCH_PLAN, t, launchPlan.id!, columns, toLaunchPlan);
    },

    async get(id) {
      const [row] = await byKey({ project: id.project, domain: id.domain, name: id.name, version: id.version });
      return row ? toLaunchPlan(row) : undefined;
    },

    async getActive(name) {
      const [row] = await d.run((db) =>
        db.select().from(t).where(and(nameScope(t, name), eq(t.state, LaunchPlanState.ACTIVE))).limit(1),
      );
      return row ? toLaunchPlan(row) : undefined;
    },

    async activate(id) {
      return d.transaction(async (tx) => {
        // Activations of one name take turns, so each sees the version the
        // previous one left active (READ COMMITTED re-reads per statement).
        await d.lock(tx, `launch-plan-activation/${id.project}/${id.domain}/${id.name}`);
        const [target] = await tx.select({ state: t.state }).from(t).where(versionKey(t, id)).limit(1);
        if (!target) return "missing" as const;
        const previous = await tx
          .update(t)
          .set({ state: LaunchPlanState.INACTIVE })
          .where(and(nameScope(t, id), eq(t.state, LaunchPlanState.ACTIVE), ne(t.version, id.version)))
          .returning();
        await tx.update(t).set({ state: LaunchPlanState.ACTIVE }).where(versionKey(t, id));
        return { previous: previous[0] ? toLaunchPlan(previous[0]) : undefined };
      });
    },

    async deactivate(id) {
      const rows = await d.run((db) =>
        db.update(t).set({ state: LaunchPlanState.INACTIVE, updatedAt: new Date() }).where(versionKey(t, id)).returning({ name: t.name }),
      );
      return rows.length > 0;
    },

    list: (scope, query) => listWhere(scope, query),
    listActive: (scope, query) => listWhere(scope, query, eq(t.state, LaunchPlanState.ACTIVE)),
    listIds: (scope, query) => listNames(d, t, scope, query),
  };
}
