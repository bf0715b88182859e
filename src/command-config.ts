import type { CommandIo } from "./cache-command.js";
import { type Config, ConfigError, flagName, loadConfig, OPTIONS } from "./config.js";

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
