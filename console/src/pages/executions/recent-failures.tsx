import { useQuery } from "@connectrpc/connect-query";
import { Link } from "react-router";
import { Sort_Direction } from "../../../../gen/flyteidl/admin/common_pb.js";
import { AdminService } from "../../../../gen/flyteidl/service/admin_pb.js";
import { paths } from "../../app/routes.js";
import { Empty, ErrorNotice, Loading } from "../../components/status.js";
import { filterString } from "../../lib/filters.js";
import { formatDateTime, timestampMs } from "../../lib/time-format.js";

/** The five newest failed or timed-out executions, each with the first line of its error. */
export function RecentFailures({ project, domain }: { project: string; domain: string }) {
  const list = useQuery(AdminService.method.listExecutions, {
    id: { project, domain, name: "" },
    limit: 5,
    filters: filterString([{ op: "value_in", key: "phase", value: ["FAILED", "TIMED_OUT"] }]),
    sortBy: { key: "created_at", direction: Sort_Direction.DESCENDING },
  });
  return (
    <section className="panel" aria-labelledby="recent-failures">
      <h2 id="recent-failures">Recent failures</h2>
      {list.isPending ? (
        <Loading what="failures" />
      ) : list.error ? (
        <ErrorNotice error={list.error} />
      ) : list.data.executions.length === 0 ? (
        <Empty>No failed executions.</Empty>
      ) : (
        <ul className="failures">
          {list.data.executions.map((e) => {
            const result = e.closure?.outputResult;
            const message = result?.case === "error" ? result.value.message.split("\n")[0] : "";
            return (
              <li key={e.id?.name}>
                {e.id ? <Link to={paths.execution(e.id)}>{e.id.name}</Link> : null}{" "}
                <span className="status">{formatDateTime(timestampMs(e.closure?.createdAt))}</span>
                {message ? <div className="error-line">{message.slice(0, 300)}</div> : null}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
