import { useQuery } from "@connectrpc/connect-query";
import { Sort_Direction } from "../../../../gen/flyteidl/admin/common_pb.js";
import { AdminService } from "../../../../gen/flyteidl/service/admin_pb.js";
import { type EntityKind, paths } from "../../app/routes.js";
import { ExecutionsTable } from "../../components/executions-table.js";
import { Empty, ErrorNotice, Loading } from "../../components/status.js";
import { entityExecutionFilters, filterString } from "../../lib/filters.js";
import { executionPhase } from "../../lib/phases.js";
import { Link } from "react-router";
import type { EntityName } from "./entity-queries.js";

const FILTER_KIND: Record<EntityKind, "workflow" | "task" | "launch_plan"> = { workflow: "workflow", task: "task", launchPlan: "launch_plan" };

/** The newest executions of an entity (or of one version), refreshed while any of them is still running. */
export function EntityExecutions({ kind, id, version }: { kind: EntityKind; id: EntityName; version?: string }) {
  const filters = filterString(entityExecutionFilters(FILTER_KIND[kind], { ...id, ...(version ? { version } : {}) }));
  const list = useQuery(
    AdminService.method.listExecutions,
    { id: { project: id.project, domain: id.domain, name: "" }, limit: 10, filters, sortBy: { key: "created_at", direction: Sort_Direction.DESCENDING } },
    {
      refetchInterval: (query) => (query.state.data?.executions.some((e) => !executionPhase(e.closure?.phase ?? 0).terminal) ? 10_000 : false),
    },
  );
  return (
    <section aria-labelledby="recent-executions">
      <h2 id="recent-executions">Recent executions</h2>
      {list.isPending ? (
        <Loading what="executions" />
      ) : list.error ? (
        <ErrorNotice error={list.error} />
      ) : list.data.executions.length === 0 ? (
        <Empty>No executions yet.</Empty>
      ) : (
        <>
          <ExecutionsTable executions={list.data.executions} caption="Recent executions" nowMs={list.dataUpdatedAt} />
          <p>
            <Link to={paths.executions(id.project, id.domain)}>All executions of the project</Link>
          </p>
        </>
      )}
    </section>
  );
}
