import { skipToken, useQuery } from "@connectrpc/connect-query";
import { Sort_Direction } from "../../../../gen/flyteidl/admin/common_pb.js";
import type { Identifier } from "../../../../gen/flyteidl/core/identifier_pb.js";
import { AdminService } from "../../../../gen/flyteidl/service/admin_pb.js";
import type { EntityKind } from "../../app/routes.js";
import { timestampMs } from "../../lib/time-format.js";

export interface EntityName {
  project: string;
  domain: string;
  name: string;
}

export interface VersionRow {
  id: Identifier;
  createdMs: number | undefined;
}

const newestFirst = { key: "created_at", direction: Sort_Direction.DESCENDING };

/**
 * The newest versions of a workflow, task or launch plan. All three queries are declared and the
 * ones for other kinds skipped, so the hooks stay the same when one page module serves every kind.
 */
export function useVersions(kind: EntityKind, id: EntityName, limit: number) {
  const input = { id, limit, sortBy: newestFirst };
  const workflows = useQuery(AdminService.method.listWorkflows, kind === "workflow" ? input : skipToken);
  const tasks = useQuery(AdminService.method.listTasks, kind === "task" ? input : skipToken);
  const launchPlans = useQuery(AdminService.method.listLaunchPlans, kind === "launchPlan" ? input : skipToken);
  const q = kind === "workflow" ? workflows : kind === "task" ? tasks : launchPlans;
  const rows: VersionRow[] | undefined =
    kind === "workflow"
      ? workflows.data?.workflows.map((w) => ({ id: w.id!, createdMs: timestampMs(w.closure?.createdAt) }))
      : kind === "task"
        ? tasks.data?.tasks.map((t) => ({ id: t.id!, createdMs: timestampMs(t.closure?.createdAt) }))
        : launchPlans.data?.launchPlans.map((l) => ({ id: l.id!, createdMs: timestampMs(l.closure?.createdAt) }));
  return { isPending: q.isPending, error: q.error, rows, more: Boolean(q.data?.token) };
}

/** One version in full (Get*), for the interface, the graph and the launch plan's schedule. */
export function useVersion(kind: EntityKind, id: Identifier | undefined) {
  const input = id ? { id } : skipToken;
  const workflow = useQuery(AdminService.method.getWorkflow, kind === "workflow" ? input : skipToken);
  const task = useQuery(AdminService.method.getTask, kind === "task" ? input : skipToken);
  const launchPlan = useQuery(AdminService.method.getLaunchPlan, kind === "launchPlan" ? input : skipToken);
  return { workflow, task, launchPlan, current: kind === "workflow" ? workflow : kind === "task" ? task : launchPlan };
}

/** The launch plan version that is active (what schedules run), as the Flyte console asks for it. */
export function useActiveLaunchPlan(kind: EntityKind, id: EntityName) {
  return useQuery(
    AdminService.method.listLaunchPlans,
    kind === "launchPlan" ? { id, limit: 1, filters: "eq(state,1)", sortBy: newestFirst } : skipToken,
  );
}

/** The newest description entity of a workflow or task (long description, source link), if any. */
export function useDescription(kind: EntityKind, resourceType: number, id: EntityName) {
  return useQuery(
    AdminService.method.listDescriptionEntities,
    kind === "launchPlan" ? skipToken : { resourceType, id, limit: 1, sortBy: newestFirst },
    // A server or entity without descriptions is normal: say nothing rather than show an error.
    { retry: false },
  );
}
