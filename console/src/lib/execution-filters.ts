import type { Filter } from "./filters.js";

/**
 * The executions list's filters (status, start time, duration, only mine, archived), as the Flyte
 * console offers them, with their state kept in the URL query so a filtered list can be shared.
 */
export const STATUS_OPTIONS = [
  { key: "queued", label: "Queued", phase: "QUEUED" },
  { key: "running", label: "Running", phase: "RUNNING" },
  { key: "succeeded", label: "Succeeded", phase: "SUCCEEDED" },
  { key: "failed", label: "Failed", phase: "FAILED" },
  { key: "aborted", label: "Aborted", phase: "ABORTED" },
  { key: "timed_out", label: "Timed out", phase: "TIMED_OUT" },
  { key: "unknown", label: "Unknown", phase: "UNDEFINED" },
] as const;

export const START_TIME_OPTIONS = [
  { key: "all", label: "All time" },
  { key: "lastHour", label: "Last hour" },
  { key: "today", label: "Last 24 hours" },
  { key: "yesterday", label: "Last 48 hours" },
  { key: "thisWeek", label: "Last 7 days" },
  { key: "thisMonth", label: "Last 30 days" },
] as const;

const HOUR = 3600;
export const DURATION_OPTIONS = [
  { key: "all", label: "Any duration", min: undefined, max: undefined },
  { key: "lt1hour", label: "Less than 1 hour", min: undefined, max: HOUR },
  { key: "gt1hour", label: "1 hour or more", min: HOUR, max: undefined },
  { key: "2to3hours", label: "2 to 3 hours", min: 2 * HOUR, max: 3 * HOUR },
  { key: "3to4hours", label: "3 to 4 hours", min: 3 * HOUR, max: 4 * HOUR },
  { key: "gte4hours", label: "4 hours or more", min: 4 * HOUR, max: undefined },
] as const;

export type StartTimeKey = (typeof START_TIME_OPTIONS)[number]["key"];
export type DurationKey = (typeof DURATION_OPTIONS)[number]["key"];

export interface ExecutionFilterState {
  status: string[];
  startTime: StartTimeKey;
  duration: DurationKey;
  /** The signed-in user's subject when "only mine" is on. */
  mine: boolean;
  archived: boolean;
}

const HOURS_BACK: Record<Exclude<StartTimeKey, "all">, number> = { lastHour: 1, today: 24, yesterday: 48, thisWeek: 24 * 7, thisMonth: 24 * 30 };

/** Reads the filter state from a URL query, ignoring anything it does not know. */
export function readExecutionFilters(query: URLSearchParams): ExecutionFilterState {
  const known = new Set<string>(STATUS_OPTIONS.map((o) => o.key));
  const startTime = START_TIME_OPTIONS.find((o) => o.key === query.get("startTime"))?.key ?? "all";
  const duration = DURATION_OPTIONS.find((o) => o.key === query.get("duration"))?.key ?? "all";
  return {
    status: (query.get("status") ?? "").split(",").filter((s) => known.has(s)),
    startTime,
    duration,
    mine: query.get("onlyMine") === "true",
    archived: query.get("archived") === "true",
  };
}

/** Writes the filter state back into a query, leaving defaults out so plain URLs stay plain. */
export function writeExecutionFilters(state: ExecutionFilterState, query = new URLSearchParams()): URLSearchParams {
  const out = new URLSearchParams(query);
  const set = (key: string, value: string | undefined) => (value ? out.set(key, value) : out.delete(key));
  set("status", state.status.join(","));
  set("startTime", state.startTime === "all" ? undefined : state.startTime);
  set("duration", state.duration === "all" ? undefined : state.duration);
  set("onlyMine", state.mine ? "true" : undefined);
  set("archived", state.archived ? "true" : undefined);
  return out;
}

/**
 * The filters to send. `now` is passed in so the same state gives the same request within one
 * render (and tests can fix the clock). `user` is the subject for "only mine".
 */
export function executionFilters(state: ExecutionFilterState, now: Date, user?: string): Filter[] {
  const out: Filter[] = [];
  // The server lists active executions unless a state filter says otherwise; "archived" shows the
  // archived ones instead (state 1, EXECUTION_ARCHIVED), as the Flyte console's switch does.
  if (state.archived) out.push({ op: "eq", key: "state", value: 1 });
  const phases = STATUS_OPTIONS.filter((o) => state.status.includes(o.key)).map((o) => o.phase);
  if (phases.length > 0) out.push({ op: "value_in", key: "phase", value: phases });
  if (state.startTime !== "all") {
    const since = new Date(now.getTime() - HOURS_BACK[state.startTime] * 3600_000);
    out.push({ op: "gte", key: "created_at", value: since.toISOString() });
  }
  const duration = DURATION_OPTIONS.find((o) => o.key === state.duration);
  if (duration?.min !== undefined) out.push({ op: "gte", key: "duration", value: duration.min });
  if (duration?.max !== undefined) out.push({ op: "lt", key: "duration", value: duration.max });
  if (state.mine && user) out.push({ op: "eq", key: "user", value: user });
  return out;
}
