import type { ControlFlow } from "./engine-control-flow.js";
import type { EngineOverhead } from "./engine-phases.js";
import type { RealTasks } from "./engine-real-tasks.js";
import { quantile as q, round } from "./stats.js";

/** What the engine part of a run produced. */
export interface EngineResults {
  overhead: EngineOverhead;
  /** Map task and cache-hit rows (absent from results written before they existed). */
  controlFlow?: ControlFlow;
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
  if (e.controlFlow) rows.push(...controlFlowRows(e.controlFlow, runs));
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

/** The largest map is the row; its cost per element over the smallest's shows whether it grows with the element count. */
export const LINEAR = 1.25;

function controlFlowRows(cf: ControlFlow, runs: EngineOverhead["runs"]): string[][] {
  const rows: string[][] = [];
  const smallest = cf.maps.reduce((a, m) => (m.elements < a.elements ? m : a), cf.maps[0]!);
  for (const m of cf.maps) {
    const notes = [
      `${m.workflows} workflows; engine time per element ${ms(m.msPerElement)}`,
      `CPU per element ${round(m.serverCpuMsPerElement / m.noopCpuMs)} no-ops (${ms(m.noopCpuMs)} each)`,
    ];
    if (m !== smallest) {
      const time = m.msPerElement / smallest.msPerElement;
      const cpu = m.serverCpuMsPerElement / smallest.serverCpuMsPerElement;
      notes.push(`vs ${count(smallest.elements)} elements: time per element ${round(time)}×, CPU per element ${round(cpu)}× (linear, CPU ≤ ${LINEAR}×: ${mark(cpu <= LINEAR)})`);
    }
    rows.push([`engine: map task over ${count(m.elements)} echo elements, 1 in flight`, `${count(m.elements / (m.workflowP50Ms / 1000))} elements/s`, `${ms(m.workflowP50Ms)} / ${ms(quantile(m.wallMs))}`, ms(m.serverCpuMsPerElement), notes.join("; ")]);
  }
  const h = cf.cacheHit;
  const notes = [
    `${h.workflows} workflows after one that populated the cache (${ms(h.populateMs)}); engine time per node ${ms(h.msPerNode)}`,
    `CPU per node ${round(h.serverCpuMsPerNode / h.noopCpuMs)} no-ops (${ms(h.noopCpuMs)} each)`,
  ];
  const ran = runs.find((r) => r.nodes === h.nodes && r.inFlight === 1 && r.shape.includes("chain"));
  if (ran) notes.push(`vs the ${ran.shape} that runs its tasks: time per node ${round(h.msPerNode / ran.msPerNode)}×, CPU per node ${round(h.serverCpuMsPerNode / ran.serverCpuMsPerNode)}×`);
  rows.push([`engine: ${h.nodes}-node chain of cache hits, 1 in flight`, `${count(h.nodes / (h.workflowP50Ms / 1000))} nodes/s`, `${ms(h.workflowP50Ms)} / ${ms(quantile(h.wallMs))}`, ms(h.serverCpuMsPerNode), notes.join("; ")]);
  return rows;
}

/** The p99 of unsorted walls. */
const quantile = (walls: number[]) => q([...walls].sort((a, b) => a - b), 0.99);
