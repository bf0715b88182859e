import type { Span } from "../../../gen/flyteidl/core/metrics_pb.js";
import { timestampMs } from "./time-format.js";

/** One part of a bar: an operation (setup, runtime, teardown...) or a task attempt. */
export interface TimelineSegment {
  label: string;
  /** Offsets from the execution's start, in milliseconds. */
  start: number;
  end: number;
}

/** One line of the Gantt chart: the execution itself, or one node. */
export interface TimelineRow {
  key: string;
  label: string;
  depth: number;
  start: number;
  end: number;
  segments: TimelineSegment[];
}

export interface Timeline {
  /** When the execution's span starts (epoch ms); rows are offsets from it. */
  origin: number;
  /** The whole span, in ms from origin (at least 1, so scales never divide by zero). */
  total: number;
  rows: TimelineRow[];
}

/** Rows drawn before the chart says how many more there are. */
export const MAX_TIMELINE_ROWS = 5_000;

/**
 * The chart from GetExecutionMetrics' span tree: each node span becomes a
 * row whose segments are its operation and task spans; a node's child node
 * spans (subworkflows, dynamic nodes) become rows beneath it. A span without
 * an end (still running) ends at `now`.
 */
export function buildTimeline(root: Span | undefined, now: number): Timeline {
  const origin = (root && timestampMs(root.startTime)) ?? now;
  const rows: TimelineRow[] = [];
  let maxEnd = 1;
  const bounds = (s: Span) => {
    const start = (timestampMs(s.startTime) ?? now) - origin;
    const end = Math.max(start, (timestampMs(s.endTime) ?? now) - origin);
    maxEnd = Math.max(maxEnd, end);
    return { start, end };
  };

  const visit = (span: Span, depth: number, key: string) => {
    if (rows.length >= MAX_TIMELINE_ROWS || depth > 32) return;
    const { start, end } = bounds(span);
    const row: TimelineRow = { key, label: spanLabel(span), depth, start, end, segments: [] };
    rows.push(row);
    const nested: Span[] = [];
    for (const child of span.spans) {
      if (child.id.case === "nodeId" || child.id.case === "workflowId") nested.push(child);
      else row.segments.push({ label: spanLabel(child), ...bounds(child) });
    }
    nested.forEach((child, i) => visit(child, depth + 1, `${key}/${spanKey(child, i)}`));
  };
  if (root) visit(root, 0, spanKey(root, 0));
  return { origin, total: maxEnd, rows };
}

function spanKey(span: Span, i: number): string {
  if (span.id.case === "nodeId") return span.id.value.nodeId;
  if (span.id.case === "workflowId") return `wf:${span.id.value.name}`;
  return `#${i}`;
}

function spanLabel(span: Span): string {
  switch (span.id.case) {
    case "workflowId":
      return span.id.value.name;
    case "nodeId":
      return span.id.value.nodeId;
    case "taskId":
      return `${span.id.value.taskId?.name ?? "task"} (attempt ${span.id.value.retryAttempt + 1})`;
    case "operationId":
      return operationLabel(span.id.value);
    default:
      return "";
  }
}

const OPERATION_LABELS: Record<string, string> = {
  WORKFLOW_SETUP: "workflow setup",
  WORKFLOW_TEARDOWN: "workflow teardown",
  NODE_TRANSITION: "transition",
  NODE_SETUP: "node setup",
  NODE_IDLE: "idle",
  NODE_RESET: "reset",
  NODE_TEARDOWN: "node teardown",
  TASK_SETUP: "task setup",
  TASK_RUNTIME: "running",
  TASK_TEARDOWN: "task teardown",
};

export function operationLabel(op: string): string {
  return OPERATION_LABELS[op] ?? op.toLowerCase().replace(/_/g, " ");
}

/** Axis ticks at a "nice" step (1, 2 or 5 times a power of ten of ms, or whole seconds/minutes/hours). */
export function timelineTicks(total: number, maxTicks = 8): number[] {
  if (!(total > 0) || maxTicks < 1) return [0];
  const steps = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000];
  let step = steps.find((s) => total / s <= maxTicks);
  if (step === undefined) step = Math.ceil(total / maxTicks / 86_400_000) * 86_400_000;
  const ticks: number[] = [];
  for (let t = 0; t <= total; t += step) ticks.push(t);
  return ticks;
}

/** A bar's left offset and width as percentages of the chart, at least 0.2% wide so instants stay visible. */
export function barGeometry(start: number, end: number, total: number): { left: number; width: number } {
  const left = Math.min(100, Math.max(0, (start / total) * 100));
  const width = Math.max(0.2, Math.min(100 - left, ((end - start) / total) * 100));
  return { left, width };
}
