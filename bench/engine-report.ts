import type { EngineOverhead } from "./engine-phases.js";
import type { RealTasks } from "./engine-real-tasks.js";
import { round } from "./stats.js";

/** What the engine part of a run produced. */
export interface EngineResults {
  overhead: EngineOverhead;
  realTasks: RealTasks | { skipped: string };
  /** Flags the engine server ran with beyond the usual ones. */
  serverFlags: string[];
}

/** Engine time per node the issue asks for, at most. */
export const TARGET_MS_PER_NODE = 5;
/** Many in flight keeps up when nodes/s stays at least this share of one in flight's. */
export const FLAT = 0.9;

const ms = (n: number) => `${round(n)} ms`;
const mark = (ok: boolean) => (ok ? "met" : "**missed**");
const count = (n: number) => Math.round(n).toLocaleString("en-US");

/** Rows for the benchmark's Markdown table (same five columns). */
export function engineRows(e: EngineResults): string[][] {
  const { noop, runs } = e.overhead;
  const rows: string[][] = [];
  for (const r of runs) {
    const alone = runs.find((o) => o.shape === r.shape && o.inFlight === 1);
    const notes = [
      `${r.workflows} workflows; engine time per node ${ms(r.msPerNode)} (target ≤ ${TARGET_MS_PER_NODE} ms: ${mark(r.msPerNode <= TARGET_MS_PER_NODE)})`,
      `CPU per node ${round(r.serverCpuMsPerNode / r.noopCpuMs)} no-ops (${ms(r.noopCpuMs)} each)`,
    ];
    if (alone && alone !== r) {
      // Flat: as many nodes per second as with one in flight, and no more CPU per node (the latter holds still when other work shares the machine).
      const ratio = r.nodesPerSecond / alone.nodesPerSecond;
      const cpuRatio = r.serverCpuMsPerNode / alone.serverCpuMsPerNode;
      notes.push(`vs 1 in flight: nodes/s ${round(ratio)}×, CPU per node ${round(cpuRatio)}× (flat, nodes/s ≥ ${FLAT}×: ${mark(ratio >= FLAT)})`);
    }
    rows.push([`engine: ${r.shape} of echo tasks, ${r.inFlight} in flight`, `${count(r.nodesPerSecond)} nodes/s`, `${ms(r.workflowP50Ms)} / ${ms(r.workflowP99Ms)}`, ms(r.serverCpuMsPerNode), notes.join("; ")]);
  }
  rows.push(["engine: no-op on the engine's server (Health/Check)", `${count(noop.perSecond)}/s`, "", ms(noop.serverCpuMsPerCall), "16 in flight, 1 s before and after each row above: their CPU baseline"]);
  const t = e.realTasks;
  if ("skipped" in t) {
    rows.push(["engine: hello through pyflyte-execute", "", "", "", `skipped: ${t.skipped}`]);
  } else {
    const rest = t.medianWallMs - t.medianPythonMs;
    rows.push([
      `engine: hello through pyflyte-execute, ${t.runs} runs`,
      "",
      `${ms(t.medianWallMs)} (median wall)`,
      "",
      `the Python process ${ms(t.medianPythonMs)} of it (${Math.round(t.pythonShare * 100)} %), engine and admin ${ms(rest)}; walls ${t.wallMs.map((w) => round(w / 1000)).join(", ")} s`,
    ]);
  }
  return rows;
}
