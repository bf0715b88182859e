import { useQuery } from "@connectrpc/connect-query";
import { useEffect, useMemo, useRef } from "react";
import type { Execution } from "../../../../gen/flyteidl/admin/execution_pb.js";
import type { Span } from "../../../../gen/flyteidl/core/metrics_pb.js";
import { AdminService } from "../../../../gen/flyteidl/service/admin_pb.js";
import { ErrorNotice, Loading } from "../../components/status.js";
import { executionPhase } from "../../lib/phases.js";
import { barGeometry, buildTimeline, MAX_TIMELINE_ROWS, timelineTicks } from "../../lib/timeline.js";
import { formatDurationMs } from "../../lib/time-format.js";
import { useLiveInterval } from "./use-live.js";

/** How deep GetExecutionMetrics follows nested nodes: subworkflows and dynamic children included. */
const DEPTH = 10;

/** A Gantt chart of the execution from GetExecutionMetrics: one row per node, segments per operation. */
export function ExecutionTimeline({ execution, now }: { execution: Execution; now: number }) {
  const terminal = executionPhase(execution.closure?.phase ?? 0).terminal;
  const interval = useLiveInterval<{ span?: Span }>((d) => `${d.span?.spans.length}:${d.span?.endTime?.seconds}`, () => terminal, terminal);
  const metrics = useQuery(AdminService.method.getExecutionMetrics, { id: execution.id, depth: DEPTH }, { refetchInterval: interval });
  // Polling stops when the execution ends: one more read then shows the final spans.
  const refetch = metrics.refetch;
  const wasTerminal = useRef(terminal);
  useEffect(() => {
    if (terminal && !wasTerminal.current) void refetch({ cancelRefetch: false });
    wasTerminal.current = terminal;
  }, [terminal, refetch]);
  const timeline = useMemo(() => buildTimeline(metrics.data?.span, now), [metrics.data, now]);
  if (metrics.isPending) return <Loading what="the timeline" />;
  if (metrics.error) return <ErrorNotice error={metrics.error} />;
  const ticks = timelineTicks(timeline.total);
  return (
    <figure className="timeline" aria-label="Timeline">
      <div className="timeline-axis" aria-hidden="true">
        {ticks.map((t) => (
          <span key={t} style={{ left: `${(t / timeline.total) * 100}%` }}>
            {formatDurationMs(t)}
          </span>
        ))}
      </div>
      <ul className="timeline-rows">
        {timeline.rows.map((row) => {
          const bar = barGeometry(row.start, row.end, timeline.total);
          return (
            <li key={row.key} className="timeline-row">
              <span className="timeline-label mono" style={{ paddingLeft: `${row.depth}rem` }} title={row.label}>
                {row.label}
              </span>
              <span className="timeline-track">
                <span
                  className="timeline-bar"
                  style={{ left: `${bar.left}%`, width: `${bar.width}%` }}
                  title={`${row.label}: ${formatDurationMs(row.end - row.start)}`}
                />
                {row.segments.map((s, i) => {
                  const g = barGeometry(s.start, s.end, timeline.total);
                  return <span key={i} className={`timeline-segment seg-${segmentClass(s.label)}`} style={{ left: `${g.left}%`, width: `${g.width}%` }} title={`${s.label}: ${formatDurationMs(s.end - s.start)}`} />;
                })}
                <span className="visually-hidden">
                  starts at {formatDurationMs(row.start)}, lasts {formatDurationMs(row.end - row.start)}
                </span>
              </span>
            </li>
          );
        })}
      </ul>
      {timeline.rows.length >= MAX_TIMELINE_ROWS ? <figcaption className="status">Only the first {MAX_TIMELINE_ROWS} rows are drawn.</figcaption> : null}
    </figure>
  );
}

function segmentClass(label: string): string {
  if (label === "running" || label.includes("attempt")) return "run";
  if (label === "idle") return "idle";
  return "overhead";
}
