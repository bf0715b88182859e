import { parseArgs } from "node:util";
import { apikeyCommand } from "./apikey-command.js";
import { authCommand } from "./auth-command.js";
import { cacheCommand } from "./cache-command.js";
import { cleanupCommand } from "./cleanup-command.js";
import { schedulesCommand } from "./schedules-command.js";
import { type Config, ConfigError, databaseSettings, flagName, loadConfig, OPTIONS, optionsHelp } from "./config.js";
import { createLogger } from "./logger.js";
import { notificationsCommand } from "./notifications-command.js";
import { rbacCommand } from "./rbac-command.js";
import { startServer } from "./server.js";
import { DatabaseOpenError } from "./storage/database-open-error.js";
import { openStore } from "./storage/open-store.js";

const USAGE = `flyteadmin-ts: a FlyteAdmin-compatible Flyte control plane on one port.

Usage:
  flyteadmin-ts serve   [options]   start the server (the default command)
  flyteadmin-ts migrate [options]   create or upgrade the database schema, then exit
  flyteadmin-ts cache evict --project P --domain D [--task NAME] [--version V]
                                    remove cached task outputs (see cache --help)
  flyteadmin-ts cleanup --older-than 90d [--project P] [--domain D] [--phase terminal] [--dry-run]
                                    delete old terminal executions with their data (see cleanup --help)
  flyteadmin-ts executions delete P/D/NAME [--dry-run]
                                    delete one terminal execution with its data
  flyteadmin-ts schedules list [--all]
                                    launch-plan schedules with their next tick and last error (see schedules --help)
  flyteadmin-ts notifications list [--status dead|pending|sending|sent] [--limit N]
  flyteadmin-ts notifications retry ID
                                    list notification deliveries, send a dead one again (see notifications --help)
  flyteadmin-ts auth init [--secrets-dir DIR]
                                    write the keys authentication needs (see auth --help)
  flyteadmin-ts auth hash-secret [--generate]
                                    the client_secret value of a static OAuth2 client
  flyteadmin-ts apikey create --owner SUBJECT [--expires-in 90d] [--description TEXT] | list | revoke ID
                                    API keys for scripts and CI, shown once (see apikey --help)
  flyteadmin-ts rbac grant SUBJECT ROLE [--project P] [--domain D] [--kind user|app|group] | revoke ... | list
                                    per-project roles (see rbac --help)
  flyteadmin-ts --help

Options (each also settable in the config file and the environment;
defaults < config file < environment < flags):
  --config <file>             YAML or JSON config file (env FLYTEADMIN_CONFIG)
${optionsHelp()}
`;

async function main(argv: string[]): Promise<number> {
  // Its own flags (--project, --task, ...) are not the server's.
  if (argv[0] === "cache") {
    return cacheCommand(argv.slice(1), { stdout: (t) => void process.stdout.write(t), stderr: (t) => void process.stderr.write(t), env: process.env });
  }
  if (argv[0] === "notifications") {
    return notificationsCommand(argv.slice(1), { stdout: (t) => void process.stdout.write(t), stderr: (t) => void process.stderr.write(t), env: process.env });
  }
  if (argv[0] === "cleanup" || argv[0] === "executions") {
    return cleanupCommand(argv[0], argv.slice(1), { stdout: (t) => void process.stdout.write(t), stderr: (t) => void process.stderr.write(t), env: process.env });
  }
  if (argv[0] === "auth") {
    return authCommand(argv.slice(1), {
      stdout: (t) => void process.stdout.write(t),
      stderr: (t) => void process.stderr.write(t),
      env: process.env,
      stdin: () => readStdin(),
    });
  }
  if (argv[0] === "apikey") {
    return apikeyCommand(argv.slice(1), { stdout: (t) => void process.stdout.write(t), stderr: (t) => void process.stderr.write(t), env: process.env });
  }
  if (argv[0] === "rbac") {
    return rbacCommand(argv.slice(1), { stdout: (t) => void process.stdout.write(t), stderr: (t) => void process.stderr.write(t), env: process.env });
  }
  if (argv[0] === "schedules") {
    return schedulesCommand(argv.slice(1), { stdout: (t) => void process.stdout.write(t), stderr: (t) => void process.stderr.write(t), env: process.env });
  }
  const flagSpecs = Object.fromEntries(OPTIONS.map((o) => [flagName(o.key), { type: "string" as const }]));
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...flagSpecs, config: { type: "string" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const command = positionals[0] ?? "serve";
  if (positionals.length > 1 || !["serve", "migrate"].includes(command)) {
    process.stderr.write(`unknown command ${positionals.join(" ")}\n\n${USAGE}`);
    return 2;
  }
  const flags: Partial<Record<keyof Config, string>> = {};
  for (const o of OPTIONS) {
    const v = (values as Record<string, unknown>)[flagName(o.key)];
    if (typeof v === "string") flags[o.key] = v;
  }
  const config = loadConfig({ flags, env: process.env, file: values.config ?? (process.env.FLYTEADMIN_CONFIG || undefined) });
  const logger = createLogger(config.logLevel);

  if (command === "migrate") {
    // A database created here is the one serve opens as it is: it gets the configured modes now.
    const settings = databaseSettings(config);
    const store = await openStore(config.database, { ...settings, postgres: { ...settings.postgres, poolSize: 1 }, logger });
    await store.close();
    logger.info("database is up to date", { dialect: store.dialect });
    return 0;
  }

  const server = await startServer(config, logger);
  // Listening for signals before saying "serving": whoever waits for that line may signal at once.
  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info("shutting down", { signal });
      // A second signal exits at once.
      process.once("SIGINT", () => process.exit(130));
      process.once("SIGTERM", () => process.exit(143));
      server.close().then(resolve, (e: unknown) => {
        logger.error("shutdown failed", { error: String(e) });
        resolve();
      });
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
  });
  const engine = server.app.engine;
  logger.info("serving", {
    url: server.url,
    dialect: server.app.store.dialect,
    protocols: "grpc, grpc-web, connect, http",
    engine: engine.kind,
    auth: config.auth.enabled ? config.auth.appAuth.authServerType.toLowerCase() : "off",
    // The local engine: which flytekit runs tasks (a missing one was warned about above), how many at once, where.
    ...(engine.kind === "local" ? { python: engine.python ?? "not found", taskSlots: engine.taskSlots, runRoot: engine.runRoot } : {}),
    ...(engine.kind === "k8s" ? { cluster: engine.cluster } : {}),
  });
  await stopped;
  logger.info("stopped");
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`flyteadmin-ts: ${startupFailure(e)}\n`);
    process.exit(1);
  },
);

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * What went wrong, as one line when it is the environment's fault rather than
 * a bug: a bad option, a database that cannot be opened or reached (the
 * message names the file or host:port and the code), or a system call that
 * failed (Node's message names the code and the path or address, e.g.
 * `EADDRINUSE: address already in use 0.0.0.0:8089`). A bug keeps its stack.
 */
function startupFailure(e: unknown): string {
  const err = e as { code?: unknown; syscall?: unknown; message?: unknown } | undefined;
  const oneLine = String(err?.message ?? e).split("\n")[0]!;
  if (e instanceof ConfigError || e instanceof DatabaseOpenError) return oneLine;
  if (typeof err?.code === "string" && err.code.startsWith("ERR_PARSE_ARGS")) return oneLine;
  if (typeof err?.code === "string" && typeof err.syscall === "string") return oneLine;
  return String((e as Error)?.stack ?? e);
}
