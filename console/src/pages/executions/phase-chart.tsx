import { createClient } from "@connectrpc/connect";
import { useTransport } from "@connectrpc/connect-query";
import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { Sort_Direction } from "../../../../gen/flyteidl/admin/common_pb.js";
import { AdminService } from "../../../../gen/flyteidl/service/admin_pb.js";
import { ErrorNotice, Loading } from "../../components/status.js";
import { filterString } from "../../lib/filters.js";
import { listAllPages } from "../../lib/paging.js";
import { bucketByPhase, type DashboardRange, RANGES, rangeStart } from "../../lib/phase-buckets.js";
import { executionPhase, PHASE_COLORS, type PhaseTone } from "../../lib/phases.js";
import { timestampMs } from "../../lib/time-format.js";

/** The chart reads at most this many executions of the range, page by page; past it, it says so. */
const CHART_LIMIT = 2_000;
const TONES: PhaseTone[] = ["succeeded", "failed", "aborted", "running", "queued", "waiting", "skipped", "recovered", "undefined"];

/**
 * Executions per hour or day, stacked by phase. A few SVG rectangles: no chart library is worth its
 * weight for one stacked bar chart. The figure carries a text summary for screen readers.
 */
export function PhaseChart({ project, domain }: { project: string; domain: string }) {
  const [range, setRange] = useState<DashboardRange>("7d");
  // The range start is fixed per range choice so the query key (and cache) is stable between renders.
  const since = useMemo(() => new Date(rangeStart(range, Date.now())).toISOString(), [range]);
  const transport = useTransport();
  const client = useMemo(() => createClient(AdminService, transport), [transport]);
  const list = useQuery({
    queryKey: ["executions-by-phase", project, domain, since],
    queryFn: ({ signal }) =>
      listAllPages(
        async (limit, token) => {
          const page = await client.listExecutions(
            {
              id: { project, domain, name: "" },
              limit,
              token,
              filters: filterString([{ op: "gte", key: "created_at", value: since }]),
              sortBy: { key: "created_at", direction: Sort_Direction.DESCENDING },
            },
            { signal },
          );
          return { items: page.executions, token: page.token };
        },
        { maxItems: CHART_LIMIT },
      ),
  });
  const buckets = useMemo(() => {
    const runs = (list.data?.items ?? []).map((e) => ({ createdMs: timestampMs(e.closure?.createdAt) ?? 0, tone: executionPhase(e.closure?.phase ?? 0).tone }));
    return bucketByPhase(runs, range, list.dataUpdatedAt || Date.now());
  }, [list.data, list.dataUpdatedAt, range]);
  const max = Math.max(1, ...buckets.map((b) => b.total));
  const total = buckets.reduce((n, b) => n + b.total, 0);
  const byTone = TONES.map((tone) => [tone, buckets.reduce((n, b) => n + (b.counts[tone] ?? 0), 0)] as const).filter(([, n]) => n > 0);
  const W = 600;
  const H = 160;
  const barW = W / buckets.length;
  const hourly = RANGES[range].bucketMs < 86_400_000;
  return (
    <section className="panel" aria-labelledby="by-phase">
      <div className="title-row">
        <h2 id="by-phase">Executions by phase</h2>
        <label>
          <span className="visually-hidden">Range</span>
          <select value={range} onChange={(event) => setRange(event.target.value as DashboardRange)}>
            {Object.entries(RANGES).map(([key, r]) => (
              <option key={key} value={key}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      {list.isPending ? (
        <Loading what="executions" />
      ) : list.error ? (
        <ErrorNotice error={list.error} />
      ) : (
        <figure className="chart">
          <svg viewBox={`0 0 ${W} ${H + 18}`} role="img" aria-label={`${total} executions, ${RANGES[range].label.toLowerCase()}: ${byTone.map(([t, n]) => `${n} ${t}`).join(", ") || "none"}`}>
            {buckets.map((b, i) => {
              let y = H;
              return (
                <g key={b.startMs}>
                  <title>{`${new Date(b.startMs).toISOString().slice(0, hourly ? 13 : 10).replace("T", " ")}${hourly ? ":00" : ""}: ${b.total}`}</title>
                  {TONES.map((tone) => {
                    const n = b.counts[tone] ?? 0;
                    if (n === 0) return null;
                    const h = (n / max) * (H - 8);
                    y -= h;
                    return <rect key={tone} x={i * barW + 2} y={y} width={Math.max(1, barW - 4)} height={h} fill={PHASE_COLORS[tone].fill} stroke={PHASE_COLORS[tone].text} strokeWidth={0.5} />;
                  })}
                  {i % Math.ceil(buckets.length / 8) === 0 ? (
                    <text x={i * barW + barW / 2} y={H + 14} fontSize={10} textAnchor="middle" fill="#5a6475">
                      {hourly ? new Date(b.startMs).toISOString().slice(11, 13) + "h" : new Date(b.startMs).toISOString().slice(5, 10)}
                    </text>
                  ) : null}
                </g>
              );
            })}
          </svg>
          <figcaption>
            <ul className="legend">
              {byTone.map(([tone, n]) => (
                <li key={tone}>
                  <span className="swatch" style={{ background: PHASE_COLORS[tone].fill, borderColor: PHASE_COLORS[tone].text }} /> {tone} {n}
                </li>
              ))}
              {byTone.length === 0 ? <li>No executions in this range.</li> : null}
            </ul>
            {list.data.cut ? <p className="status">Only the newest {CHART_LIMIT} executions of the range are counted.</p> : null}
          </figcaption>
        </figure>
      )}
    </section>
  );
}
