import type { ElementPhase } from "./array-progress.js";
import type { ArrayState, TaskStatus } from "./status.js";

/**
 * An array node keeps one character per element for its node phase and one
 * for its task phase (propeller keeps bit arrays): a map of thousands of
 * elements costs a few kilobytes of status, and only the elements in flight
 * have a full node status of their own.
 */
const NODE_CODES: Record<ElementPhase, string> = {
  NotYetStarted: "N",
  Queued: "Q",
  Running: "R",
  DynamicRunning: "D",
  Succeeding: "s",
  Succeeded: "S",
  Failing: "f",
  Failed: "F",
  TimingOut: "t",
  TimedOut: "T",
  RetryableFailure: "r",
  Skipped: "K",
  Recovered: "V",
  Aborted: "A",
};
export type ElementTaskPhase = TaskStatus["phase"];
const TASK_CODES: Record<ElementTaskPhase, string> = {
  Undefined: "U",
  Queued: "Q",
  Initializing: "I",
  Running: "R",
  Success: "S",
  RetryableFailure: "r",
  PermanentFailure: "F",
  Aborted: "A",
};
const invert = <T extends string>(codes: Record<T, string>): Map<string, T> => new Map(Object.entries(codes).map(([k, v]) => [v as string, k as T]));
const NODE_PHASES = invert(NODE_CODES);
const TASK_PHASES = invert(TASK_CODES);

const decode = <T>(text: string, size: number, table: Map<string, T>, what: string): T[] => {
  if (text.length !== size) throw new Error(`array node status holds ${text.length} ${what} for ${size} elements`);
  return Array.from(text, (c) => {
    const p = table.get(c);
    if (p === undefined) throw new Error(`array node status holds an unknown ${what} code [${c}]`);
    return p;
  });
};

/** The state an array node starts executing with: every element not yet started. */
export function initialArrayState(size: number): ArrayState {
  return { phase: "Executing", size, phases: NODE_CODES.NotYetStarted.repeat(size), taskPhases: TASK_CODES.Undefined.repeat(size), version: 0 };
}

/** The elements of an array state in memory, written back with `store`. */
export interface Elements {
  phases: ElementPhase[];
  taskPhases: ElementTaskPhase[];
  attempts(index: number): number;
  setAttempts(index: number, attempts: number): void;
  /** Writes the elements back into the state. */
  store(): void;
}

export function elementsOf(st: ArrayState): Elements {
  const phases = decode(st.phases, st.size, NODE_PHASES, "phases");
  const taskPhases = decode(st.taskPhases, st.size, TASK_PHASES, "task phases");
  return {
    phases,
    taskPhases,
    attempts: (i) => st.attempts?.[i] ?? 0,
    setAttempts(i, attempts) {
      if (attempts > 0) (st.attempts ??= {})[i] = attempts;
      else if (st.attempts) delete st.attempts[i];
    },
    store() {
      st.phases = phases.map((p) => NODE_CODES[p]).join("");
      st.taskPhases = taskPhases.map((p) => TASK_CODES[p]).join("");
    },
  };
}
