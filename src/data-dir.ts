import { statSync } from "node:fs";
import type { Logger } from "./logger.js";

/**
 * Warns when an existing data folder lets group or others in: it holds the
 * database, the blobs and the URL-signing key. The server tightens what it
 * creates (see the fileMode and dirMode options) but does not change the
 * permissions of a folder an operator made, which may be shared on purpose.
 * Returns the mode bits that are too open (0 when none, or no folder yet).
 */
export function checkDataDirMode(dataDir: string, logger: Logger): number {
  let mode: number;
  try {
    mode = statSync(dataDir).mode & 0o777;
  } catch {
    return 0; // not there yet: it is created with dirMode
  }
  const open = mode & 0o077;
  if (open !== 0 && process.platform !== "win32") {
    logger.warn("the data folder is open to group or others; it holds the database, blobs and URL-signing key", {
      path: dataDir,
      mode: `0${mode.toString(8)}`,
      fix: `chmod go-rwx ${dataDir}`,
    });
  }
  return open;
}
