import { parseArgs } from "node:util";
import type { CommandIo } from "./cache-command.js";
import { commandConfig, openCommandStore } from "./command-config.js";
import { flagName, OPTIONS } from "./config.js";
import { scheduleText } from "./scheduler/schedule-plan.js";
import type { ScheduleRow } from "./storage/schedule-store.js";

export const SCHEDULES_USAGE = `flyteadmin-ts schedules: launch-plan schedules and where they stand.

Usage:
  flyteadmin-ts schedules list [--all] [--limit N] [options]
      lists the schedules of active launch plan versions (with --all also those
      of versions no longer active): the schedule, its next tick, the tick it
      last fired, failed tries of the next tick, and the last error

Options: --config <file> and the server's database options (--database, --data-dir),
so it reads the server's database.
`;

const DEFAULT_LIMIT = 1000;
// A reason can be long (a whole CreateExecution refusal); the table shows its start.
const MAX_ERROR_CHARS = 160;

/** `flyteadmin-ts schedules …` (argv after "schedules"): the exit code. Bad arguments are a usage error (2). */
export async function schedulesCommand(argv: string[], io: CommandIo): Promise<number> {
  const configFlags = Object.fromEntries(OPTIONS.map((o) => [flagName(o.key), { type: "string" as const }]));
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { ...configFlags, config: { type: "string" }, help: { type: "boolean", short: "h" }, all: { type: "boolean" }, limit: { type: "string" } },
    });
  } catch (e) {
    io.stderr(`${(e as Error).message}\n\n${SCHEDULES_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(SCHEDULES_USAGE);
    return 0;
  }
  if (positionals.length !== 1 || positionals[0] !== "list") {
    io.stderr(`unknown schedules command ${positionals.join(" ") || "(none)"}\n\n${SCHEDULES_USAGE}`);
    return 2;
  }
  const limit = values.limit === undefined ? DEFAULT_LIMIT : /^[1-9][0-9]{0,6}$/.test(values.limit) ? Number(values.limit) : NaN;
  if (Number.isNaN(limit)) {
    io.stderr(`--limit: expected a positive integer of at most 7 digits, got ${JSON.stringify(values.limit)}\n\n${SCHEDULES_USAGE}`);
    return 2;
  }
  const config = commandConfig(values, io);
  if (!config) return 2;
  const { store } = await openCommandStore(config, io);
  try {
    const rows = await store.schedules.list({ all: values.all === true, limit: limit + 1 });
    io.stdout(scheduleTable(rows.slice(0, limit)));
    if (rows.length > limit) io.stdout(`(first ${limit} shown; --limit shows more)\n`);
    return 0;
  } finally {
    await store.close();
  }
}

/** The rows as an aligned text table, one schedule per line. */
export function scheduleTable(rows: readonly ScheduleRow[]): string {
  if (rows.length === 0) return "no schedules\n";
  const time = (d: Date | null) => (d ? d.toISOString().replace(".000Z", "Z") : "-");
  const lines = [
    ["LAUNCH PLAN", "SCHEDULE", "ACTIVE", "NEXT TICK", "LAST FIRED", "ATTEMPTS", "LAST ERROR"],
    ...rows.map((r) => [
      `${r.project}/${r.domain}/${r.name}@${r.version}`,
      scheduleText(r),
      r.active ? "yes" : "no",
      r.retryAt && r.nextFireAt ? `${time(r.nextFireAt)} (retry ${time(r.retryAt)})` : time(r.nextFireAt),
      time(r.lastFiredAt),
      String(r.attempts),
      oneLine(r.lastError ?? "-"),
    ]),
  ];
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  return lines.map((l) => l.map((cell, i) => (i === l.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ")).join("\n") + "\n";
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, " ");
  return flat.length > MAX_ERROR_CHARS ? `${flat.slice(0, MAX_ERROR_CHARS - 1)}…` : flat;
}
