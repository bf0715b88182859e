import { engineRows } from "./engine-report.js";
import { replicaRows } from "./replicas.js";
import type { Results } from "./run.js";
import { type Measured, round } from "./stats.js";

const ms = (n: number) => `${round(n)} ms`;
const rate = (n: number) => `${Math.round(n).toLocaleString("en-US")}/s`;
const mark = (ok: boolean) => (ok ? "met" : "**missed**");
const cpu = (m: Measured) => (m.serverCpuMsPerCall === undefined ? "" : ms(m.serverCpuMsPerCall));
const row = (name: string, m: Measured, notes: string) => [name, rate(m.perSecond), `${ms(m.p50Ms)} / ${ms(m.p99Ms)}`, cpu(m), notes];

/** The results as the Markdown table the README shows. */
export function table(r: Results): string {
  const rows: string[][] = [];
  const o = r.unary;
  rows.push(row("Health/Check (no-op)", o.noop, `${o.concurrency} in flight`));
  rows.push(row("GetTask", o.getTask, `throughput ratio ${round(o.ratio)} (target ≥ 0.7: ${mark(o.ratio >= 0.7)}); CPU ratio ${round(o.cpuRatio)}`));
  const w = r.writes;
  rows.push(row("CreateTask", w.createTask, `${w.createTask.count} calls, ${w.concurrency} in flight`));
  rows.push(row("CreateWorkflow (10 nodes, compiled)", w.createWorkflow, `${w.createWorkflow.count} calls`));
  rows.push(row("CreateExecution (inputs to blob storage)", w.createExecution, `${w.createExecution.count} calls`));
  const ev = r.events;
  rows.push(
    row(
      `CreateNodeEvent + CreateTaskEvent`,
      ev,
      `${ev.count.toLocaleString("en-US")} events, ${ev.inFlight} executions in flight (target ≥ 5,000/s: ${mark(ev.perSecond >= 5000)})`,
    ),
  );
  const b = r.eventBaseline;
  rows.push(["same rows, raw better-sqlite3 in-process", rate(b.perSecond), "", "", `server/raw ratio ${round(ev.perSecond / b.perSecond)}`]);
  for (const [name, m] of Object.entries(r.lists.calls)) rows.push(row(name, m, `${m.items} items (target p99 < 20 ms: ${mark(m.p99Ms < 20)})`));
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

/** Rows under the table's header, as Markdown. */
export function render(rows: string[][]): string {
  const head = ["measurement", "throughput", "p50 / p99", "server CPU per call", "notes"];
  return [head, head.map(() => "---"), ...rows].map((cells) => `| ${cells.join(" | ")} |`).join("\n");
}
