import type { CommandIo } from "./cache-command.js";
import { type Config, ConfigError, databaseSettings, flagName, loadConfig, OPTIONS } from "./config.js";
import { createLogger, type Logger } from "./logger.js";
import { openStore } from "./storage/open-store.js";
import type { Store } from "./storage/store.js";

/**
 * The configuration a maintenance command (`cache evict`, `cleanup`, `executions delete`) runs with:
 * the server's own options from its flags, environment and `--config` file, so the command opens the
 * same database and blob store the server uses. A bad configuration is written to stderr and gives
 * undefined (the command then exits 2).
 */
export function commandConfig(values: Record<string, unknown>, io: CommandIo): Config | undefined {
  const flags: Partial<Record<keyof Config, string>> = {};
  for (const o of OPTIONS) {
    const v = values[flagName(o.key)];
    if (typeof v === "string") flags[o.key] = v;
  }
  const file = typeof values.config === "string" ? values.config : io.env.FLYTEADMIN_CONFIG || undefined;
  try {
    return loadConfig({ flags, env: io.env, file });
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    io.stderr(`${e.message}\n`);
    return undefined;
  }
}

/**
 * The store a maintenance command works on: the server's database, with one
 * connection (a command runs one statement at a time, beside a server that
 * may be using the pool's others), and a logger that is quiet unless
 * `--log-level debug`.
 */
export async function openCommandStore(config: Config, io: CommandIo): Promise<{ store: Store; logger: Logger }> {
  const logger = createLogger(config.logLevel === "debug" ? "debug" : "warn", io.stderr);
  const settings = databaseSettings(config);
  const store = await openStore(config.database, { ...settings, postgres: { ...settings.postgres, poolSize: 1 }, logger });
  return { store, logger };
}
