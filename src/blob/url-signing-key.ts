import { randomBytes } from "node:crypto";
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface KeyFileModes {
  /** Permissions of the key file; default 0600 (it is a secret). */
  fileMode?: number;
  /** Permissions of the data folder when it is created here; default 0700. */
  dirMode?: number;
}

/**
 * The secret for locally signed URLs: the configured one, else a random key kept
 * in the data folder, so URLs handed out stay valid across restarts. The file is
 * written aside and hard-linked into place, so two servers starting on one folder
 * agree on one key and neither can read a half-written file.
 */
export function urlSigningKey(configured: string, dataDir: string, modes: KeyFileModes = {}): Uint8Array {
  if (configured !== "") {
    // A short secret is guessable offline from any one signed URL.
    if (Buffer.byteLength(configured, "utf8") < 16) throw new Error("urlSigningKey must be at least 16 bytes long");
    return Buffer.from(configured, "utf8");
  }
  const file = join(dataDir, "url-signing.key");
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true, mode: modes.dirMode ?? 0o700 });
    const aside = `${file}.${process.pid}.tmp`;
    // "wx": a file left by a killed start is never reused with whatever mode it has.
    rmSync(aside, { force: true });
    writeFileSync(aside, randomBytes(32).toString("base64"), { mode: modes.fileMode ?? 0o600, flag: "wx" });
    try {
      linkSync(aside, file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    } finally {
      rmSync(aside, { force: true });
    }
  }
  const key = Buffer.from(readFileSync(file, "utf8").trim(), "base64");
  if (key.length < 16) throw new Error(`${file} holds no usable key; delete it to have a new one made`);
  return key;
}
