import { skipToken, useInfiniteQuery, useQuery } from "@connectrpc/connect-query";
import { Code } from "@connectrpc/connect";
import { useMemo } from "react";
import { useSearchParams } from "react-router";
import { Sort_Direction } from "../../../../gen/flyteidl/admin/common_pb.js";
import { AdminService } from "../../../../gen/flyteidl/service/admin_pb.js";
import { IdentityService } from "../../../../gen/flyteidl/service/identity_pb.js";
import { Choice } from "../../components/choice.js";
import { ExecutionsTable } from "../../components/executions-table.js";
import { LoadMore } from "../../components/load-more.js";
import { Empty, ErrorNotice, Loading } from "../../components/status.js";
import {
  DURATION_OPTIONS,
  type ExecutionFilterState,
  executionFilters,
  readExecutionFilters,
  START_TIME_OPTIONS,
  STATUS_OPTIONS,
  writeExecutionFilters,
} from "../../lib/execution-filters.js";
import { filterString } from "../../lib/filters.js";
import { executionPhase } from "../../lib/phases.js";

const PAGE = 50;

/**
 * Every execution of a project domain, newest first, with the Flyte console's filters (status,
 * start time, duration, only mine, archived) kept in the URL, a page at a time by token. While
 * any shown execution is still running the pages are asked again, less often each time; React
 * Query stops asking while the tab is hidden.
 */
export function ExecutionsList({ project, domain }: { project: string; domain: string }) {
  const [query, setQuery] = useSearchParams();
  const state = readExecutionFilters(query);
  // Synchronously (flushSync): the controlled checkboxes and selects must show a change in the same event.
  const update = (change: Partial<ExecutionFilterState>) =>
    setQuery((prev) => writeExecutionFilters({ ...readExecutionFilters(prev), ...change }, prev), { replace: true, flushSync: true });

  // Who "mine" is: asked only once someone turns the filter on. A server without sign-in has no
  // identity service (UNIMPLEMENTED), and then every execution is anonymous.
  const me = useQuery(IdentityService.method.userInfo, state.mine ? {} : skipToken, { retry: false, staleTime: Infinity });
  const noIdentity = me.error?.code === Code.Unimplemented || (me.data !== undefined && !me.data.subject);
  const subject = me.data?.subject;

  // "Since" times are computed when the filter changes, not on every render, so the query key is stable.
  const stateKey = JSON.stringify(state);
  const filters = useMemo(() => filterString(executionFilters(state, new Date(), subject)), [stateKey, subject]);
  const waitingForMe = state.mine && !noIdentity && !subject && !me.error;
  const list = useInfiniteQuery(
    AdminService.method.listExecutions,
    waitingForMe
      ? skipToken
      : { id: { project, domain, name: "" }, limit: PAGE, token: "", filters, sortBy: { key: "created_at", direction: Sort_Direction.DESCENDING } },
    {
      pageParamKey: "token",
      getNextPageParam: (page) => page.token || undefined,
      refetchInterval: (q) => {
        const running = q.state.data?.pages.some((p) => p.executions.some((e) => !executionPhase(e.closure?.phase ?? 0).terminal));
        if (!running) return false;
        // 5 s, doubling with each refresh, up to a minute: a long run is not asked about every few seconds.
        const quiet = Math.min(q.state.dataUpdateCount, 4);
        return Math.min(60_000, 5_000 * 2 ** quiet);
      },
    },
  );
  const executions = list.data?.pages.flatMap((p) => p.executions) ?? [];
  return (
    <section aria-labelledby="executions-title">
      <h2 id="executions-title">Executions</h2>
      <form className="toolbar" aria-label="Filter executions" onSubmit={(event) => event.preventDefault()}>
        <fieldset className="statuses">
          <legend>Status</legend>
          {STATUS_OPTIONS.map((o) => (
            <label key={o.key} className="inline">
              <input
                type="checkbox"
                checked={state.status.includes(o.key)}
                onChange={(event) => update({ status: event.target.checked ? [...state.status, o.key] : state.status.filter((s) => s !== o.key) })}
              />
              {o.label}
            </label>
          ))}
        </fieldset>
        <Choice label="Start time" value={state.startTime} options={START_TIME_OPTIONS} onChange={(startTime) => update({ startTime })} />
        <Choice label="Duration" value={state.duration} options={DURATION_OPTIONS} onChange={(duration) => update({ duration })} />
        <label className="inline">
          <input type="checkbox" checked={state.mine} onChange={(event) => update({ mine: event.target.checked })} />
          Only my executions
        </label>
        <label className="inline">
          <input type="checkbox" checked={state.archived} onChange={(event) => update({ archived: event.target.checked })} />
          Show archived
        </label>
      </form>
      {state.mine && noIdentity ? <p className="status">This server runs without sign-in, so executions have no owner: "only mine" shows every execution.</p> : null}
      {state.mine && me.error && !noIdentity ? <ErrorNotice error={me.error} /> : null}
      {list.isPending ? (
        <Loading what="executions" />
      ) : list.error ? (
        <ErrorNotice error={list.error} />
      ) : executions.length === 0 ? (
        <Empty>No executions match.</Empty>
      ) : (
        <>
          <ExecutionsTable executions={executions} caption="Executions" nowMs={list.dataUpdatedAt} />
          <LoadMore list={list} shown={executions.length} />
        </>
      )}
    </section>
  );
}
