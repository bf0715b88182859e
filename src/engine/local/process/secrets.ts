import { open } from "node:fs/promises";
import { join } from "node:path";
import type { Secret } from "../../../../gen/flyteidl/core/security_pb.js";
import type { Logger } from "../../../logger.js";
import { isPathSegment } from "./attempt-files.js";
import { secretEnvName } from "./process-env.js";

const MAX_SECRET_BYTES = 1 << 20;

/**
 * The secrets a template requests (`security_context.secrets`), read from
 * `<secretsDir>/<group>/<key>`, as flytekit's env var names → values. A secret that is
 * missing or unreadable is left out (flytekit then names it in its own error when the task
 * asks for it); group-only requests (no key) have no single value and are left out too.
 */
export async function readTaskSecrets(secretsDir: string, secrets: readonly Secret[], logger: Logger): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  if (secretsDir === "") return out;
  for (const s of secrets.slice(0, 256)) {
    if (!isPathSegment(s.group) || !isPathSegment(s.key)) {
      if (s.key !== "") logger.warn("secret request with an unusable group or key ignored", { group: s.group, key: s.key });
      continue;
    }
    const path = join(secretsDir, s.group, s.key);
    try {
      const fh = await open(path, "r");
      try {
        if ((await fh.stat()).size > MAX_SECRET_BYTES) {
          logger.warn("secret larger than 1 MiB ignored", { group: s.group, key: s.key });
          continue;
        }
        const value = await fh.readFile("utf8");
        if (value.includes("\0")) {
          logger.warn("secret with a NUL byte cannot be passed in the environment", { group: s.group, key: s.key });
          continue;
        }
        out[secretEnvName(s)] = value;
      } finally {
        await fh.close();
      }
    } catch (e) {
      logger.warn("secret requested by a task not found", { group: s.group, key: s.key, error: (e as NodeJS.ErrnoException).code ?? String(e) });
    }
  }
  return out;
}
