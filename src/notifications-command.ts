import { parseArgs } from "node:util";
import type { CommandIo } from "./cache-command.js";
import { commandConfig, openCommandStore } from "./command-config.js";
import { flagName, OPTIONS } from "./config.js";
import { DELIVERY_STATUSES, type Delivery, type DeliveryStatus } from "./storage/notification-store.js";

export const NOTIFICATIONS_USAGE = `flyteadmin-ts notifications: the notification outbox.

Usage:
  flyteadmin-ts notifications list [--status dead|pending|sending|sent] [--limit N] [--before ID] [options]
      lists deliveries newest first (all statuses unless --status; 50 unless
      --limit, at most 10000); --before ID pages on from the last id shown
  flyteadmin-ts notifications retry ID [options]
      sends a dead (or pending) delivery again: it becomes pending, due now,
      with a fresh attempt count; a running server sends it within seconds.
      Its maximum age still counts from when it was enqueued, so a delivery
      that fails again after that is given up again at once

Options: --config <file> and the server's database options (--database, --data-dir),
so it works on the server's data.
`;

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 10_000;
// Wide enough to read the cause in a terminal line; the whole error is in the row.
const ERROR_CHARS = 120;

/** `flyteadmin-ts notifications …` (argv after "notifications"): the exit code. */
export async function notificationsCommand(argv: string[], io: CommandIo): Promise<number> {
  const configFlags = Object.fromEntries(OPTIONS.map((o) => [flagName(o.key), { type: "string" as const }]));
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { ...configFlags, config: { type: "string" }, help: { type: "boolean", short: "h" }, status: { type: "string" }, limit: { type: "string" }, before: { type: "string" } },
    });
  } catch (e) {
    return usage(io, (e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(NOTIFICATIONS_USAGE);
    return 0;
  }
  const [verb, ...rest] = positionals;
  let request: { kind: "list"; status: DeliveryStatus | undefined; limit: number; beforeId: number | undefined } | { kind: "retry"; id: number };
  if (verb === "list") {
    if (rest.length > 0) return usage(io, `unexpected ${rest.join(" ")}`);
    const status = values.status;
    if (status !== undefined && !(DELIVERY_STATUSES as readonly string[]).includes(status)) return usage(io, `--status: expected one of ${DELIVERY_STATUSES.join(", ")}, got ${JSON.stringify(status)}`);
    const limit = values.limit === undefined ? DEFAULT_LIMIT : positiveInt(values.limit);
    if (limit === undefined || limit > MAX_LIMIT) return usage(io, `--limit: expected an integer from 1 to ${MAX_LIMIT}, got ${JSON.stringify(values.limit)}`);
    const beforeId = values.before === undefined ? undefined : positiveInt(values.before);
    if (values.before !== undefined && beforeId === undefined) return usage(io, `--before: expected a delivery id, got ${JSON.stringify(values.before)}`);
    request = { kind: "list", status: status as DeliveryStatus | undefined, limit, beforeId };
  } else if (verb === "retry") {
    const id = rest.length === 1 ? positiveInt(rest[0]!) : undefined;
    if (id === undefined) return usage(io, `notifications retry takes one delivery id, got ${JSON.stringify(rest.join(" "))}`);
    request = { kind: "retry", id };
  } else {
    return usage(io, `unknown notifications command ${positionals.join(" ") || "(none)"}`);
  }

  const config = commandConfig(values, io);
  if (!config) return 2;
  const { store } = await openCommandStore(config, io);
  try {
    if (request.kind === "list") {
      const rows = await store.notifications.list({ status: request.status, limit: request.limit, beforeId: request.beforeId });
      io.stdout(table(rows));
      if (rows.length === request.limit) io.stdout(`more: --before ${rows[rows.length - 1]!.id}\n`);
      return 0;
    }
    const result = await store.notifications.requeue(request.id, new Date());
    if (result === "requeued") {
      io.stdout(`delivery ${request.id} is pending again; a running server sends it within seconds\n`);
      return 0;
    }
    io.stderr(
      result === "missing" ? `no delivery ${request.id}\n` : result === "sent" ? `delivery ${request.id} was sent already\n` : `delivery ${request.id} is being sent now\n`,
    );
    return 1;
  } finally {
    await store.close();
  }
}

const positiveInt = (text: string): number | undefined => (/^[1-9][0-9]{0,14}$/.test(text) ? Number(text) : undefined);

/** One line per delivery, in aligned columns. */
function table(rows: readonly Delivery[]): string {
  if (rows.length === 0) return "no deliveries\n";
  const lines = [["ID", "STATUS", "CHANNEL", "ATTEMPTS", "EXECUTION", "PHASE", "TARGET", "WHEN", "LAST ERROR"]];
  for (const r of rows) {
    const when = r.status === "sent" ? `sent ${iso(r.sentAt)}` : r.status === "dead" ? `gave up ${iso(r.updatedAt)}` : `next ${iso(r.nextAttemptAt)}`;
    const error = (r.lastError ?? "").replace(/\s+/g, " ");
    lines.push([
      String(r.id),
      r.status,
      r.channel,
      String(r.attempts),
      `${r.project}/${r.domain}/${r.executionName}`,
      r.phase,
      r.target,
      when,
      error.length > ERROR_CHARS ? `${error.slice(0, ERROR_CHARS - 1)}…` : error,
    ]);
  }
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  return lines.map((l) => l.map((cell, i) => (i === l.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ").trimEnd()).join("\n") + "\n";
}

const iso = (d: Date | undefined) => (d ? d.toISOString().replace(/\.\d{3}Z$/, "Z") : "-");

function usage(io: CommandIo, problem: string): number {
  io.stderr(`${problem}\n\n${NOTIFICATIONS_USAGE}`);
  return 2;
}
