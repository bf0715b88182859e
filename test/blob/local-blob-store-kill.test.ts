import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LOCAL_TMP_DIR, createLocalBlobStore } from "../../src/blob/local-blob-store.js";

const CHILD = fileURLToPath(new URL("./write-loop-child.ts", import.meta.url));
const SIZE = 50 * 1024 * 1024;

type KillWhen = "start" | "mid-write";

/**
 * Starts the writer loop and SIGKILLs it. "start": as soon as it runs (before or during its
 * first put). "mid-write": once a version is complete, at the first moment some file in the
 * store's tree is partially written. Watching the whole tree, not the store's temp dir, keeps
 * the trigger independent of where the store writes, so a store that wrote in place would be
 * killed with a half-written file at the key. Returns whether a partial file was seen.
 */
async function killWriter(dir: string, key: string, when: KillWhen): Promise<boolean> {
  const child = spawn(process.execPath, ["--import", "tsx", CHILD, dir, key, String(SIZE)], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  let running = true;
  const exited = once(child, "exit").finally(() => (running = false));
  const lines = createInterface({ input: child.stdout });
  let sawPartial = false;
  const kill = () => running && child.kill("SIGKILL");
  lines.on("line", (line) => {
    if (when === "start" && line === "start") kill();
    // A fallback so the test ends even if no partial file was ever caught.
    if (line === "wrote 10") kill();
    if (when === "mid-write" && line === "wrote 1") {
      void (async () => {
        while (running) {
          if (await hasPartialFile(dir)) {
            sawPartial = true;
            kill();
            return;
          }
        }
      })();
    }
  });
  const [code, signal] = await exited;
  expect(signal, `writer ended by itself (code ${String(code)}): ${stderr}`).toBe("SIGKILL");
  return sawPartial;
}

async function hasPartialFile(dir: string): Promise<boolean> {
  // The tree changes under the walk (renames, new dirs); a failed walk just means "look again".
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const size = await stat(join(entry.parentPath, entry.name)).then((s) => s.size, () => 0);
    if (size > 0 && size < SIZE) return true;
  }
  return false;
}

/** A complete version is exactly SIZE bytes of one non-zero byte value. */
function expectCompleteVersion(bytes: Uint8Array): void {
  expect(bytes.length).toBe(SIZE);
  const fill = bytes[0] ?? 0;
  expect(fill).not.toBe(0);
  expect(Buffer.from(bytes).equals(Buffer.alloc(SIZE, fill)), `torn blob: not all bytes are ${fill}`).toBe(true);
}

describe("local store under SIGKILL", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "blob-kill-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("never leaves a torn blob at the key, and hides temp files", async () => {
    const store = createLocalBlobStore(dir);
    const key = "metadata/p/d/exec/big";

    // Killed before or during its very first write: nothing, or a whole first version.
    await killWriter(dir, key, "start");
    const first = await store.get(key);
    if (first !== undefined) expectCompleteVersion(first);
    expect(await store.list("")).toEqual(first === undefined ? [] : [key]);

    // Killed repeatedly while overwriting complete earlier versions.
    let killedMidWrite = 0;
    for (let round = 0; round < 3; round++) {
      if (await killWriter(dir, key, "mid-write")) killedMidWrite++;
      const bytes = await store.get(key);
      expect(bytes, `round ${round}: blob missing after a completed write`).toBeDefined();
      expectCompleteVersion(bytes!);
      expect((await store.head(key))?.size).toBe(SIZE);
      expect(await store.list("")).toEqual([key]);
      expect(await readdir(join(dir, "metadata/p/d/exec"))).toEqual(["big"]);
    }

    // Not a pass condition (a fast disk might finish every write before a poll sees it), but
    // recorded so a run that never interrupted a write is visible in the test output.
    if (killedMidWrite === 0) console.warn("kill test: no kill landed mid-write in this run");

    // Orphans of the killed writes sit only in the temp dir, which list never shows.
    const orphans = await readdir(join(dir, LOCAL_TMP_DIR));
    expect(orphans.every((name) => /^[0-9a-f-]{36}$/.test(name))).toBe(true);
    // And a new write over the same key still works after all that.
    await store.put(key, new Uint8Array([1, 2, 3]));
    expect(await readFile(join(dir, key))).toEqual(Buffer.from([1, 2, 3]));
  }, 120_000);
});
