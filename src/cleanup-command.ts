import { parseArgs } from "node:util";
import { s3Options } from "./app.js";
import { openBlobStore } from "./blob/open-blob-store.js";
import { type CleanupReport, CleanupRefused } from "./cleanup/execution-cleaner.js";
import { createCleanup } from "./cleanup/cleanup-wiring.js";
import type { FileTally } from "./cleanup/execution-files.js";
import type { CommandIo } from "./cache-command.js";
import { commandConfig, openCommandStore } from "./command-config.js";
import { flagName, OPTIONS } from "./config.js";
import { maxAgeFor, parseAge, parsePhases, RetentionError } from "./core/retention.js";

export const CLEANUP_USAGE = `flyteadmin-ts cleanup: delete old terminal executions with their data.

Usage:
  flyteadmin-ts cleanup [--older-than AGE] [--project P] [--domain D] [--phase terminal] [--dry-run] [--limit N] [options]
      deletes executions that ended (SUCCEEDED, FAILED, ABORTED, TIMED_OUT, or
      only the phases --phase names, comma-separated) and were last changed
      more than AGE ago (90d, 12h, 30m, 2w; without it: the configured
      --retention policy), each with its child executions, node and task
      executions, events, signals, engine state and files; then blobs of
      executions that are gone (orphans, unchanged for a day); --dry-run
      prints what would go and changes nothing
  flyteadmin-ts executions delete PROJECT/DOMAIN/NAME [--dry-run] [options]
      deletes one execution the same way; a running one is refused

Options: --config <file> and the server's database, storage and engine options
(--database, --data-dir, --storage, --s3-*, --engine-run-root), so it works on the server's data.
`;

const MAX_ID_CHARS = 255;
/** Blob keys looked at per orphan sweep call (each call lists them in pages). */
const ORPHAN_KEYS_PER_CALL = 10_000;

/** `flyteadmin-ts cleanup …` (argv after "cleanup") or `executions …` (argv after "executions"): the exit code. */
export async function cleanupCommand(command: "cleanup" | "executions", argv: string[], io: CommandIo): Promise<number> {
  const configFlags = Object.fromEntries(OPTIONS.map((o) => [flagName(o.key), { type: "string" as const }]));
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        ...configFlags,
        config: { type: "string" },
        help: { type: "boolean", short: "h" },
        "older-than": { type: "string" },
        project: { type: "string" },
        domain: { type: "string" },
        phase: { type: "string" },
        "dry-run": { type: "boolean" },
        limit: { type: "string" },
      },
    });
  } catch (e) {
    return usage(io, (e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(CLEANUP_USAGE);
    return 0;
  }
  const dryRun = values["dry-run"] === true;
  let target: { project: string; domain: string; name: string } | undefined;
  if (command === "executions") {
    if (positionals[0] !== "delete" || positionals.length !== 2) return usage(io, `unknown executions command ${positionals.join(" ") || "(none)"}`);
    const parts = positionals[1]!.split("/");
    if (parts.length !== 3 || parts.some((p) => p.trim() === "" || p.length > MAX_ID_CHARS)) return usage(io, `expected PROJECT/DOMAIN/NAME, got ${JSON.stringify(positionals[1])}`);
    target = { project: parts[0]!, domain: parts[1]!, name: parts[2]! };
  } else if (positionals.length > 0) return usage(io, `unexpected ${positionals.join(" ")}`);
  for (const id of ["project", "domain"] as const) {
    const v = values[id];
    if (v !== undefined && (v.trim() === "" || v.length > MAX_ID_CHARS)) return usage(io, `--${id} must be an id of 1 to ${MAX_ID_CHARS} characters`);
  }
  const limit = values.limit === undefined ? Number.MAX_SAFE_INTEGER : /^[1-9][0-9]{0,8}$/.test(values.limit) ? Number(values.limit) : NaN;
  if (Number.isNaN(limit)) return usage(io, `--limit: expected a positive integer, got ${JSON.stringify(values.limit)}`);
  let phases: readonly string[];
  let olderThanMs: number | undefined;
  try {
    phases = parsePhases(values.phase);
    olderThanMs = values["older-than"] === undefined ? undefined : parseAge(values["older-than"]);
  } catch (e) {
    if (!(e instanceof RetentionError)) throw e;
    return usage(io, e.message.startsWith("--") ? e.message : `--older-than: ${e.message}`);
  }

  const config = commandConfig(values, io);
  if (!config) return 2;
  if (!target && olderThanMs === undefined && config.retention.length === 0) return usage(io, "--older-than is required when no --retention policy is configured");

  const { store, logger } = await openCommandStore(config, io);
  const blobs = openBlobStore(config.storage, s3Options(config), { sweepIntervalMs: 0 });
  try {
    const { cleaner } = createCleanup({ config, store, blobs, logger });
    let report: CleanupReport;
    let orphans: FileTally | undefined;
    if (target) {
      try {
        report = await cleaner.deleteOne(target, dryRun);
      } catch (e) {
        if (!(e instanceof CleanupRefused)) throw e;
        io.stderr(`${e.message}\n`);
        return 1;
      }
    } else {
      // A run finishes what an interrupted one left before it starts anything new.
      const resumed = dryRun ? undefined : await cleaner.resume();
      const policy = config.retention;
      const ages = olderThanMs !== undefined ? [olderThanMs] : policy.map((r) => r.maxAgeMs);
      report = await cleaner.run(
        {
          project: values.project,
          domain: values.domain,
          phases,
          maxAgeFor: (p, d) => olderThanMs ?? maxAgeFor(policy, p, d),
          minAgeMs: Math.min(...ages),
          limit,
        },
        dryRun,
      );
      if (resumed) for (const key of ["executions", "rows", "files", "bytes"] as const) report[key] += resumed[key];
      orphans = { files: 0, bytes: 0 };
      // Then every blob key once, for blobs of executions that are gone without them.
      for (let done = false; !done; ) {
        const swept = await cleaner.sweepOrphans(ORPHAN_KEYS_PER_CALL, dryRun);
        orphans.files += swept.files;
        orphans.bytes += swept.bytes;
        done = swept.done;
      }
    }
    io.stdout(summary(report, dryRun));
    if (orphans && orphans.files > 0) io.stdout(`${dryRun ? "would delete" : "deleted"} ${plural(orphans.files, "orphaned file", "orphaned files")}: ${plural(orphans.bytes, "byte", "bytes")}\n`);
    for (const r of report.refused) io.stdout(`kept ${r.id}: ${r.reason}\n`);
    if (report.refusedCount > report.refused.length) io.stdout(`kept ${report.refusedCount - report.refused.length} more\n`);
    return 0;
  } finally {
    blobs.close();
    await store.close();
  }
}

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

function summary(r: CleanupReport, dryRun: boolean): string {
  return `${dryRun ? "would delete" : "deleted"} ${plural(r.executions, "execution", "executions")}: ${plural(r.rows, "row", "rows")}, ${plural(r.files, "file", "files")}, ${plural(r.bytes, "byte", "bytes")}\n`;
}

function usage(io: CommandIo, problem: string): number {
  io.stderr(`${problem}\n\n${CLEANUP_USAGE}`);
  return 2;
}
