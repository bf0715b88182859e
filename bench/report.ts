import { engineRows } from "./engine-report.js";
import type { FloorResults } from "./floor.js";
import { replicaRows } from "./replicas.js";
import { authRows } from "./auth-run.js";
import type { Results } from "./run.js";
import { type Measured, round } from "./stats.js";

const ms = (n: number) => `${round(n)} ms`;
const rate = (n: number) => `${Math.round(n).toLocaleString("en-US")}/s`;
const mark = (ok: boolean) => (ok ? "met" : "**missed**");
const cpu = (m: Measured) => (m.serverCpuMsPerCall === undefined ? "" : ms(m.serverCpuMsPerCall));
const row = (name: string, m: Measured, notes: string) => [name, rate(m.perSecond), `${ms(m.p50Ms)} / ${ms(m.p99Ms)}`, cpu(m), notes];
/** Server CPU per call in no-ops measured just before and after the phase (absent in older results). */
const noops = (m: Measured, noopCpuMs: number | undefined) =>
  noopCpuMs === undefined || m.serverCpuMsPerCall === undefined ? "" : `; ${round(m.serverCpuMsPerCall / noopCpuMs)} no-ops (${ms(noopCpuMs)} each)`;

/** The results as the Markdown table the README shows. */
export function table(r: Results): string {
  const rows: string[][] = [];
  const o = r.unary;
  if (r.floor) rows.push(...floorRows(o, r.floor));
  else rows.push(...unaryRows(o));
  if (r.auth) rows.push(...authRows(r.auth));
  rows.push(...writeRows(r.writes));
  rows.push(eventRow(r.events));
  const b = r.eventBaseline;
  rows.push(["same rows, raw better-sqlite3 in-process", rate(b.perSecond), "", "", `server/raw ratio ${round(r.events.perSecond / b.perSecond)}`]);
  rows.push(...listRows(r.lists.calls, r.lists.noopCpuMs));
  const f = r.footprint;
  rows.push(["start-up to first RPC, empty database", "", ms(f.startupMs), "", `target < 1 s: ${mark(f.startupMs < 1000)}`]);
  rows.push(["start-up to first RPC, seeded database", "", ms(f.startupSeededMs), "", ""]);
  rows.push(["RSS idle after start", "", `${round(f.idleRssMb)} MB`, "", `target < 150 MB: ${mark(f.idleRssMb < 150)}`]);
  rows.push(["RSS peak under load (unary, writes, events)", "", `${round(f.loadRssMb)} MB`, "", ""]);
  rows.push(["RSS after the list calls (seeded)", "", `${round(f.listsRssMb)} MB`, "", ""]);
  if (r.engine) rows.push(...engineRows(r.engine));
  if (r.replicas) rows.push(...replicaRows(r.replicas));
  return render(rows);
}

/** The event ingestion row. */
export function eventRow(ev: Results["events"]): string[] {
  return row(
    `CreateNodeEvent + CreateTaskEvent`,
    ev,
    `${ev.count.toLocaleString("en-US")} events, ${ev.inFlight} executions in flight (target ≥ 5,000/s: ${mark(ev.perSecond >= 5000)})${noops(ev, ev.noopCpuMs)}`,
  );
}

/** The three registration and launch rows. */
export function writeRows(w: Results["writes"]): string[][] {
  return [
    row("CreateTask", w.createTask, `${w.createTask.count} calls, ${w.concurrency} in flight${noops(w.createTask, w.noopCpuMs)}`),
    row("CreateWorkflow (10 nodes, compiled)", w.createWorkflow, `${w.createWorkflow.count} calls${noops(w.createWorkflow, w.noopCpuMs)}`),
    row("CreateExecution (inputs to blob storage)", w.createExecution, `${w.createExecution.count} calls${noops(w.createExecution, w.noopCpuMs)}`),
  ];
}

function unaryRows(o: Results["unary"]): string[][] {
  return [
    row("Health/Check (no-op)", o.noop, `${o.concurrency} in flight`),
    row("GetTask", o.getTask, `throughput ratio ${round(o.ratio)} (target ≥ 0.7: ${mark(o.ratio >= 0.7)}); CPU ratio ${round(o.cpuRatio)}`),
  ];
}

/**
 * The unary rows and, under them, the same Health/Check on the two reference
 * servers measured in the same run: the CPU ratios say how far this server is
 * above the framework it runs on, and that framework above grpc-js.
 */
export function floorRows(o: Results["unary"], f: FloorResults): string[][] {
  const cpuOf = (m: Measured) => m.serverCpuMsPerCall!;
  return [
    ...unaryRows(o),
    row("bare connect-node Health/Check", f.connect, `CPU ×${round(cpuOf(f.connect) / cpuOf(f.grpcJs))} of grpc-js; this server's no-op (same rounds, ${ms(cpuOf(f.noop))}) ×${round(cpuOf(f.noop) / cpuOf(f.connect))} of it`),
    row("grpc-js Health/Check", f.grpcJs, `${f.concurrency} in flight, same client and codec`),
  ];
}

/** A row per list call. */
export function listRows(calls: Record<string, Measured & { items: number; targetP99Ms?: number }>, noopCpuMs?: number): string[][] {
  return Object.entries(calls).map(([name, m]) => {
    const target = m.targetP99Ms ?? 20;
    return row(name, m, `${m.items} items (target p99 < ${target} ms: ${mark(m.p99Ms < target)})${noops(m, noopCpuMs)}`);
  });
}

/** Rows under the table's header, as Markdown. */
export function render(rows: string[][]): string {
  const head = ["measurement", "throughput", "p50 / p99", "server CPU per call", "notes"];
  return [head, head.map(() => "---"), ...rows].map((cells) => `| ${cells.join(" | ")} |`).join("\n");
}
