import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { BlobStore } from "../../src/blob/blob-store.js";
import { openBlobStore } from "../../src/blob/open-blob-store.js";
import { createCleanup } from "../../src/cleanup/cleanup-wiring.js";
import { loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/logger.js";
import { createAppMetrics } from "../../src/metrics/app-metrics.js";
import { createSqlStore } from "../../src/storage/sql-store.js";
import type { Store } from "../../src/storage/store.js";
import { backends } from "../helpers/backends.js";
import { DAY, seedExecution } from "./seed.js";

describe.each(backends)("Retention on a timer on $name", ({ open }) => {
  let store: Store;
  let blobs: BlobStore;
  let dir: string;
  afterEach(async () => {
    await store?.close();
    blobs?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("applies the policy per project and domain, one replica at a time, and counts what it deleted", async () => {
    store = createSqlStore(await open());
    dir = mkdtempSync(join(tmpdir(), "flyteadmin-retention-"));
    blobs = openBlobStore(join(dir, "blobs"), {}, { sweepIntervalMs: 0 });
    const config = loadConfig({
      flags: { dataDir: dir, engine: "none", retention: JSON.stringify({ "*": { development: "30d" }, ml: { development: "365d" } }), retentionBatch: "10" },
    });
    let now = new Date("2026-06-01T00:00:00Z");
    const clock = () => now;
    const seed = (project: string, domain: string, name: string, ageDays: number) =>
      seedExecution(store, blobs, config.engineRunRoot, { project, domain, name }, { ageDays, now });
    await seed("web", "development", "old", 40);
    await seed("web", "development", "new", 10);
    await seed("web", "production", "old", 400);
    await seed("ml", "development", "old", 40);
    for (let i = 0; i < 12; i++) await seed("bulk", "development", `e${i}`, 50 + i);

    const metrics = createAppMetrics();
    const logger = createLogger("silent");
    const a = createCleanup({ config, store, blobs, logger, metrics: metrics.cleanup, clock });
    const b = createCleanup({ config, store, blobs, logger, clock });
    const first = await a.timer.runOnce();
    // At most one batch per pass: 10 of the 13 old development executions.
    expect(first?.executions).toBe(10);
    // The other replica waits while the lease is held.
    expect(await b.timer.runOnce()).toBeUndefined();
    expect((await a.timer.runOnce())?.executions).toBe(3);
    const left = async (project: string, domain: string, name: string) => (await store.executions.get({ project, domain, name })) !== undefined;
    expect(await left("web", "development", "old")).toBe(false);
    expect(await left("web", "development", "new")).toBe(true);
    expect(await left("web", "production", "old")).toBe(true);
    expect(await left("ml", "development", "old")).toBe(true);
    const body = (await metrics.scrape()).body;
    expect(body).toContain('flyteadmin_cleanup_deleted_total{kind="executions"} 13');
    expect(body).toContain('flyteadmin_cleanup_deleted_total{kind="bytes"} 988');

    // Once A stops it gives the lease up, and B carries on.
    a.timer.start();
    await a.timer.stop();
    now = new Date(now.getTime() + 30 * DAY);
    expect((await b.timer.runOnce())?.executions).toBe(1);
    expect(await left("web", "development", "new")).toBe(false);
    await b.timer.stop();

    // Blobs of an execution that went without them (here: never stored) go with a later pass, once a day old.
    const orphan = "metadata/web/development/vanished/inputs";
    await blobs.put(orphan, new Uint8Array(7));
    const orphanMetrics = createAppMetrics();
    const c = createCleanup({ config, store, blobs, logger, metrics: orphanMetrics.cleanup, clock });
    now = new Date(Date.now() + 2 * DAY);
    expect(await c.timer.runOnce()).toBeDefined();
    expect(await blobs.stat(orphan)).toBeUndefined();
    expect(await left("ml", "development", "old")).toBe(true);
    const scraped = (await orphanMetrics.scrape()).body;
    expect(scraped).toContain('flyteadmin_cleanup_deleted_total{kind="orphan_files"} 1');
    expect(scraped).toContain('flyteadmin_cleanup_deleted_total{kind="orphan_bytes"} 7');
    await c.timer.stop();
  }, 180_000);
});
