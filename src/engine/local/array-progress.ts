import type { ArrayNode } from "../../../gen/flyteidl/core/workflow_pb.js";
import type { NodePhase } from "./status.js";

/**
 * The successes an array node of `size` elements needs (engine-spec §5.3):
 * `min_successes`, else `ceil(min_success_ratio × size)`, else all of them.
 * The ratio is a float32 on the wire and propeller widens that float32 before
 * multiplying; `Math.fround` gives the same value for ratios built in memory.
 */
export function minSuccesses(criteria: ArrayNode["successCriteria"], size: number): number {
  if (criteria.case === "minSuccesses") return criteria.value;
  if (criteria.case === "minSuccessRatio") return Math.ceil(Math.fround(criteria.value) * size);
  return size;
}

/** Element phases as the array node counts them; "Aborted" is an element the array stopped while failing. */
export type ElementPhase = NodePhase | "Aborted";

const TERMINAL: ReadonlySet<ElementPhase> = new Set(["Succeeded", "Failed", "TimedOut", "Skipped", "Recovered", "Aborted"]);

/** An element that will not move again (propeller's isTerminalNodePhase, plus the array's own aborted). */
export const isTerminalElement = (p: ElementPhase): boolean => TERMINAL.has(p);

/**
 * What the elements' phases mean for the array node (propeller's Executing
 * step): it fails once too many failed for `min` successes to remain
 * possible, and succeeds once nothing runs and at least `min` succeeded.
 */
export function arrayVerdict(phases: readonly ElementPhase[], min: number): { phase: "Executing" | "Succeeding" | "Failing"; failing: number; failed: number } {
  let succeeded = 0;
  let failed = 0;
  let failing = 0;
  let running = 0;
  for (const p of phases) {
    if (p === "Succeeded" || p === "Recovered" || p === "Skipped") succeeded++;
    else if (p === "Failing") failing++;
    else if (p === "Failed" || p === "TimedOut" || p === "Aborted") failed++;
    else running++;
  }
  let phase: "Executing" | "Succeeding" | "Failing" = "Executing";
  if (phases.length - failed < min) phase = "Failing";
  else if (succeeded >= min && running === 0) phase = "Succeeding";
  return { phase, failing, failed };
}
