import { useVirtualizer } from "@tanstack/react-virtual";
import { useRef } from "react";
import { PhaseBadge } from "../../components/phase-badge.js";
import type { NodeRow } from "../../lib/node-tree.js";
import { nodePhase } from "../../lib/phases.js";
import { durationMs, formatDateTime, formatDurationMs, timestampMs } from "../../lib/time-format.js";

const ROW_HEIGHT = 40;

interface NodeListProps {
  rows: NodeRow[];
  selected: string | undefined;
  now: number;
  onSelect: (id: string) => void;
  onToggle: (id: string) => void;
}

/**
 * Every node execution, children indented under their parent. Only the rows
 * in view are in the DOM (a 1,000-node execution draws a few dozen), and the
 * table keeps its full row count for screen readers through aria-rowcount.
 */
export function NodeList({ rows, selected, now, onSelect, onToggle }: NodeListProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({ count: rows.length, getScrollElement: () => scroller.current, estimateSize: () => ROW_HEIGHT, overscan: 12 });
  return (
    <div className="node-table" role="table" aria-label="Nodes" aria-rowcount={rows.length + 1}>
      <div className="node-row node-head" role="row" aria-rowindex={1}>
        <span role="columnheader">Node</span>
        <span role="columnheader">Type</span>
        <span role="columnheader">Phase</span>
        <span role="columnheader">Started</span>
        <span role="columnheader">Duration</span>
      </div>
      {/* As tall as its rows, up to most of the window: a short list leaves no empty box (on a phone the panel is below it). */}
      <div className="node-scroll" ref={scroller} tabIndex={0} aria-label="Node rows, scrollable" style={{ height: `min(70vh, 40rem, ${rows.length * ROW_HEIGHT + 2}px)` }}>
        <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {virtualizer.getVirtualItems().map((v) => {
            const row = rows[v.index]!;
            const { item } = row;
            const c = item.execution.closure;
            const phase = nodePhase(c?.phase ?? 0);
            const started = timestampMs(c?.startedAt);
            const duration = phase.terminal ? durationMs(c?.duration) : started !== undefined ? now - started : undefined;
            return (
              <div
                key={item.id}
                role="row"
                aria-rowindex={v.index + 2}
                aria-selected={selected === item.id}
                className={`node-row${selected === item.id ? " selected" : ""}`}
                style={{ position: "absolute", top: 0, left: 0, right: 0, height: ROW_HEIGHT, transform: `translateY(${v.start}px)` }}
              >
                <span role="cell" className="node-name" style={{ paddingLeft: `${row.depth * 1.25}rem` }}>
                  {item.isParent ? (
                    <button
                      type="button"
                      className="toggle"
                      aria-expanded={row.expanded}
                      aria-label={`${row.expanded ? "Collapse" : "Expand"} ${item.specNodeId}`}
                      onClick={() => onToggle(item.id)}
                    >
                      {row.expanded ? "▾" : "▸"}
                    </button>
                  ) : (
                    <span className="toggle-space" />
                  )}
                  <button type="button" className="link-button" onClick={() => onSelect(item.id)} title={item.id}>
                    <span className="mono">{item.specNodeId}</span> <span className="muted">{item.name !== item.specNodeId ? item.name : ""}</span>
                  </button>
                </span>
                <span role="cell">{item.kind}</span>
                <span role="cell">
                  <PhaseBadge phase={phase} />
                </span>
                <span role="cell">{formatDateTime(started)}</span>
                <span role="cell">{duration === undefined ? "—" : formatDurationMs(duration)}</span>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
