import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openBlobStore } from "../../src/blob/open-blob-store.js";
import { createExecutionCleaner } from "../../src/cleanup/execution-cleaner.js";
import { createExecutionFiles } from "../../src/cleanup/execution-files.js";
import { ENGINE_METADATA_PREFIX } from "../../src/engine-wiring.js";
import { createLogger } from "../../src/logger.js";
import { openStore } from "../../src/storage/open-store.js";
import type { ExecutionKey } from "../../src/storage/store.js";
import { createTestDatabase, PG_URL } from "../helpers/backends.js";
import { seedExecution } from "./seed.js";

const CHILD = join(import.meta.dirname, "cleanup-child.ts");
const COUNT = 12;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const databases = [
  { name: "sqlite file", open: async (dir: string) => join(dir, "admin.db") },
  ...(PG_URL
    ? [
        {
          name: "postgres (server)",
          open: async () => {
            const db = await createTestDatabase();
            cleanups.push(() => db.drop());
            return db.url;
          },
        },
      ]
    : []),
];

/** Runs the child until it has deleted one execution, then kills it with SIGKILL. */
function runAndKill(database: string, blobDir: string, runRoot: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", CHILD, database, blobDir, runRoot], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("executions deleted")) child.kill("SIGKILL");
    });
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      if (signal === "SIGKILL" || code === 0) resolve(out);
      else reject(new Error(`the cleanup process failed (${code}): ${err}`));
    });
  });
}

describe.each(databases)("A cleanup killed in the middle on $name", ({ open }) => {
  it("leaves every execution whole, hidden or gone, and the next run finishes it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "flyteadmin-cleanup-kill-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const database = await open(dir);
    const blobDir = join(dir, "blobs");
    const runRoot = join(dir, "engine");
    const now = new Date();
    const store = await openStore(database);
    const blobs = openBlobStore(blobDir, {}, { sweepIntervalMs: 0 });
    cleanups.push(async () => {
      blobs.close();
      await store.close();
    });
    const seeded = new Map<string, { key: ExecutionKey; keys: string[]; runFolder: string }>();
    for (let i = 0; i < COUNT; i++) {
      const key = { project: "p", domain: "d", name: `e${i}` };
      seeded.set(key.name, { key, ...(await seedExecution(store, blobs, runRoot, key, { ageDays: 100 - i, now, extraNodes: 20 })) });
    }
    const kept = { project: "p", domain: "d", name: "recent" };
    const recent = await seedExecution(store, blobs, runRoot, kept, { ageDays: 1, now, extraNodes: 2 });
    const full = await store.deletions.countRows(kept);

    const out = await runAndKill(database, blobDir, runRoot);
    expect(out).not.toContain("done");

    let whole = 0;
    let gone = 0;
    for (const s of seeded.values()) {
      const visible = (await store.executions.get(s.key)) !== undefined;
      const marked = await store.deletions.isMarked(s.key);
      const rows = await store.deletions.countRows(s.key);
      const files = (await Promise.all(s.keys.map((k) => blobs.stat(k)))).filter(Boolean).length;
      if (visible) {
        // Readers see it whole: every row and file is there (20 extra node executions where `recent` has 2).
        expect({ marked, rows, files, runFolder: existsSync(s.runFolder) }).toEqual({ marked: false, rows: full + 18, files: s.keys.length, runFolder: true });
        whole++;
      } else if (!marked) {
        expect({ rows, files, runFolder: existsSync(s.runFolder) }).toEqual({ rows: 0, files: 0, runFolder: false });
        gone++;
      } else {
        // Half-deleted: hidden from every reader.
        expect(await store.nodeExecutions.get({ ...s.key, nodeId: "n0" })).toBeUndefined();
      }
    }
    expect(gone).toBeGreaterThan(0);
    expect(whole + gone).toBeLessThanOrEqual(COUNT);

    // The next run finishes what was marked, then deletes the rest.
    const files = createExecutionFiles({ blobs, engineMetadataPrefix: ENGINE_METADATA_PREFIX, runRoot, taken: async () => false });
    const cleaner = createExecutionCleaner({ store, files, logger: createLogger("silent") });
    await cleaner.resume();
    const age = 30 * 86_400_000;
    await cleaner.run({ phases: ["SUCCEEDED"], maxAgeFor: () => age, minAgeMs: age, limit: 1_000 }, false);
    for (const s of seeded.values()) {
      expect(await store.deletions.countRows(s.key)).toBe(0);
      expect((await Promise.all(s.keys.map((k) => blobs.stat(k)))).filter(Boolean)).toEqual([]);
      expect(existsSync(s.runFolder)).toBe(false);
    }
    expect(await store.deletions.pending(10)).toEqual([]);
    expect(await store.deletions.countRows(kept)).toBe(full);
    expect((await Promise.all(recent.keys.map((k) => blobs.stat(k)))).filter(Boolean)).toHaveLength(recent.keys.length);
  }, 180_000);
});
