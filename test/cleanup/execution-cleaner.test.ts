import { create } from "@bufbuild/protobuf";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ProjectSchema } from "../../gen/flyteidl/admin/project_pb.js";
import { WorkflowExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import type { BlobStore } from "../../src/blob/blob-store.js";
import { openBlobStore } from "../../src/blob/open-blob-store.js";
import { CleanupRefused, createExecutionCleaner, type CleanupSelection } from "../../src/cleanup/execution-cleaner.js";
import { createExecutionFiles } from "../../src/cleanup/execution-files.js";
import { parseListRequest } from "../../src/core/list-query.js";
import { EXECUTION_COLUMNS } from "../../src/core/entity-columns.js";
import { TERMINAL_PHASES } from "../../src/core/retention.js";
import { ENGINE_METADATA_PREFIX } from "../../src/engine-wiring.js";
import { createLogger } from "../../src/logger.js";
import { createSqlStore } from "../../src/storage/sql-store.js";
import type { ExecutionKey, Store } from "../../src/storage/store.js";
import { backends } from "../helpers/backends.js";
import { DAY, seedExecution } from "./seed.js";

const now = new Date("2026-06-01T00:00:00Z");
const key = (name: string, project = "p", domain = "d"): ExecutionKey => ({ project, domain, name });
const olderThan = (days: number, scope: Partial<CleanupSelection> = {}): CleanupSelection => ({
  phases: TERMINAL_PHASES,
  maxAgeFor: () => days * DAY,
  minAgeMs: days * DAY,
  limit: 1_000_000,
  ...scope,
});
const list = parseListRequest({ filters: "", limit: 100, token: "" }, { scope: [EXECUTION_COLUMNS], op: "ListExecutions" });

describe.each(backends)("Execution cleanup on $name", ({ open }) => {
  let store: Store;
  let blobs: BlobStore;
  let dir: string;
  afterEach(async () => {
    await store?.close();
    blobs?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function setUp() {
    store = createSqlStore(await open());
    dir = mkdtempSync(join(tmpdir(), "flyteadmin-cleanup-"));
    blobs = openBlobStore(join(dir, "blobs"), {}, { sweepIntervalMs: 0 });
    const runRoot = join(dir, "engine");
    const files = createExecutionFiles({
      blobs,
      engineMetadataPrefix: ENGINE_METADATA_PREFIX,
      runRoot,
      taken: async (k) => (await store.deletions.facts(k)) !== undefined || (await store.deletions.isMarked(k)),
    });
    const cleaner = createExecutionCleaner({ store, files, logger: createLogger("silent"), clock: () => now, batchRows: 2 });
    const seed = (k: ExecutionKey, o: Partial<Parameters<typeof seedExecution>[4]> = {}) => seedExecution(store, blobs, runRoot, k, { ageDays: 100, now, ...o });
    return { cleaner, seed, runRoot };
  }

  /** Whether anything of the execution is left: rows in any table, blobs, its run folder. */
  async function leftOf(k: ExecutionKey, seeded: { keys: string[]; runFolder: string }) {
    const rows = await store.deletions.countRows(k);
    const present = await Promise.all(seeded.keys.map(async (b) => (await blobs.stat(b)) !== undefined));
    return { rows, blobs: present.filter(Boolean).length, runFolder: existsSync(seeded.runFolder) };
  }

  it("deletes old terminal executions and their child executions with every row and file, and touches nothing else", async () => {
    const { cleaner, seed } = await setUp();
    await store.projects.create(create(ProjectSchema, { id: "p", name: "p" }));
    const child = await seed(key("child"), { parent: { key: key("parent"), nodeId: "n-0" } });
    const parent = await seed(key("parent"), { phase: Phase.FAILED, children: [key("child")] });
    const old = await seed(key("old"));
    const recent = await seed(key("recent"), { ageDays: 10 });
    const running = await seed(key("running"), { phase: Phase.RUNNING, engineActive: true });
    const otherProject = await seed(key("old", "q"));
    // A cache entry made by the deleted execution outlives it, with its own copy of the outputs (in the database).
    const dataset = { project: "p", name: "flyte_task-t.square", domain: "d", version: "1-a-b" };
    const datasetUuid = "7f1b0a36-4a0c-4e4c-9a53-3c1f52a0b7d1";
    await store.dataCatalog.createDataset({ ...dataset, uuid: datasetUuid, metadata: new Uint8Array(), partitionKeys: [], createdAt: now });
    await store.dataCatalog.createArtifact({ datasetUuid, artifactId: "artifact", metadata: new Uint8Array(), data: [{ name: "o0", value: new Uint8Array(3) }], partitions: [] }, now);
    await store.dataCatalog.addTag(datasetUuid, "flyte_cached-x", "artifact", now);

    const report = await cleaner.run(olderThan(90, { project: "p", domain: "d" }), false);
    expect(report.executions).toBe(3);
    // Per execution: its row, 2 tags, 1 event, 1 node execution, 1 task execution, 1 signal, 1 engine row;
    // and the parent's node that launched the child.
    expect(report.rows).toBe(3 * 8 + 1);
    // Per execution: 7 blobs of 10 bytes and a 6-byte task log.
    expect(report.files).toBe(3 * 8);
    expect(report.bytes).toBe(3 * 76);
    // A running execution is never a candidate.
    expect(report.refused).toEqual([]);

    for (const [name, seeded] of [["parent", parent], ["child", child], ["old", old]] as const) {
      expect(await leftOf(key(name), seeded)).toEqual({ rows: 0, blobs: 0, runFolder: false });
      expect(await store.executions.get(key(name))).toBeUndefined();
    }
    for (const [k, seeded] of [[key("recent"), recent], [key("running"), running], [key("old", "q"), otherProject]] as const) {
      const left = await leftOf(k, seeded);
      expect(left.rows).toBeGreaterThan(5);
      expect(left).toMatchObject({ blobs: seeded.keys.length, runFolder: true });
    }
    expect((await store.executions.list({ project: "p", domain: "d" }, list)).map((e) => e.id?.name).sort()).toEqual(["recent", "running"]);
    expect(await store.projects.get("p")).toBeDefined();
    expect((await store.dataCatalog.getArtifactByTag(dataset, "flyte_cached-x"))?.data.map((d) => [d.name, d.value.length])).toEqual([["o0", 3]]);
    expect(await store.deletions.pending(10)).toEqual([]);
  }, 60_000);

  it("a dry run changes nothing and counts what a real run then deletes", async () => {
    const { cleaner, seed } = await setUp();
    const a = await seed(key("a"), { children: [key("a-child")] });
    await seed(key("a-child"), { parent: { key: key("a"), nodeId: "n-0" } });
    await seed(key("b", "q"), { phase: Phase.ABORTED });
    const dry = await cleaner.run(olderThan(30), true);
    expect(dry).toMatchObject({ executions: 3, files: 24, bytes: 228 });
    expect(await leftOf(key("a"), a)).toMatchObject({ blobs: a.keys.length, runFolder: true });
    expect(await store.executions.get(key("a-child"))).toBeDefined();
    const real = await cleaner.run(olderThan(30), false);
    expect(real).toEqual(dry);
    expect(await cleaner.run(olderThan(30), true)).toMatchObject({ executions: 0, rows: 0, files: 0, bytes: 0 });
  });

  it("selects by phase and age, and leaves a child for its parent", async () => {
    const { cleaner, seed } = await setUp();
    await seed(key("ok"));
    await seed(key("failed"), { phase: Phase.FAILED });
    await seed(key("parent"), { ageDays: 5, children: [key("child")] });
    await seed(key("child"), { parent: { key: key("parent"), nodeId: "n-0" } });
    const r = await cleaner.run(olderThan(90, { phases: ["FAILED"] }), false);
    expect(r.executions).toBe(1);
    expect(await store.executions.get(key("failed"))).toBeUndefined();
    await cleaner.run(olderThan(90), false);
    expect(await store.executions.get(key("ok"))).toBeUndefined();
    // The child is old enough, its parent is not: both stay.
    expect(await store.executions.get(key("child"))).toBeDefined();
    expect(await store.executions.get(key("parent"))).toBeDefined();
  });

  it("refuses a running execution, one with a running child, and a child on its own", async () => {
    const { cleaner, seed } = await setUp();
    await seed(key("running"), { phase: Phase.RUNNING });
    await seed(key("parent"), { children: [key("child")] });
    await seed(key("child"), { phase: Phase.RUNNING, parent: { key: key("parent"), nodeId: "n-0" } });
    await seed(key("engine"), { engineActive: true });
    const refusal = (k: ExecutionKey) => cleaner.deleteOne(k, false).then(() => "deleted", (e: unknown) => (e instanceof CleanupRefused ? e.message : `unexpected ${String(e)}`));
    expect(await refusal(key("running"))).toBe("execution p/d/running cannot be deleted: it is RUNNING; terminate it first");
    expect(await refusal(key("parent"))).toBe("execution p/d/parent cannot be deleted: its child execution p/d/child is RUNNING");
    expect(await refusal(key("child"))).toBe("execution p/d/child was launched by p/d/parent; delete that one (it takes its children along)");
    expect(await refusal(key("engine"))).toBe("execution p/d/engine cannot be deleted: the engine still runs p/d/engine");
    expect(await refusal(key("nope"))).toBe("execution p/d/nope not found");
    for (const name of ["running", "parent", "child", "engine"]) expect(await store.executions.get(key(name))).toBeDefined();
    // Once the child ends, the parent goes with it.
    await store.executions.updateClosure(key("child"), Phase.RUNNING, create((await import("../../gen/flyteidl/admin/execution_pb.js")).ExecutionClosureSchema, { phase: Phase.SUCCEEDED }));
    expect((await cleaner.deleteOne(key("parent"), false)).executions).toBe(2);
    expect(await store.executions.get(key("child"))).toBeUndefined();
  });

  it("readers see an execution whole or not at all, and its name stays taken until the deletion ends", async () => {
    const { cleaner, seed } = await setUp();
    const e = await seed(key("e"));
    const k = key("e");
    expect(await store.deletions.mark([k], TERMINAL_PHASES, now)).toBe(true);
    // Marked: its rows are still there, but no reader finds them.
    expect(await store.deletions.countRows(k)).toBeGreaterThan(5);
    expect(await store.executions.get(k)).toBeUndefined();
    expect(await store.nodeExecutions.get({ ...k, nodeId: "n0" })).toBeUndefined();
    expect(await store.nodeExecutions.list(k, { kind: "top" }, list)).toEqual([]);
    expect(await store.nodeExecutions.dynamicWorkflowUri({ ...k, nodeId: "n0" })).toBe("");
    const attempt = { ...k, nodeId: "n0", retryAttempt: 0, task: { project: "p", domain: "d", name: "t.square", version: "v1" } };
    expect(await store.taskExecutions.get(attempt)).toBeUndefined();
    expect(await store.taskExecutions.list({ ...k, nodeId: "n0" }, list)).toEqual([]);
    // A new execution of the same name is refused while the old one is being deleted.
    await expect(seedExecution(store, blobs, join(dir, "engine"), k, { ageDays: 1, now })).rejects.toThrow(/exists/);
    expect(await store.deletions.pending(10)).toEqual([k]);

    const resumed = await cleaner.resume();
    expect(resumed.executions).toBe(1);
    expect(await leftOf(k, e)).toEqual({ rows: 0, blobs: 0, runFolder: false });
    // The name is free again.
    await seedExecution(store, blobs, join(dir, "engine"), k, { ageDays: 1, now });
    expect(await store.executions.get(k)).toBeDefined();
  });

  it("a mark changes nothing when an execution is not terminal or its engine row is active", async () => {
    const { seed } = await setUp();
    await seed(key("done"));
    await seed(key("running"), { phase: Phase.RUNNING });
    await seed(key("active"), { engineActive: true });
    expect(await store.deletions.mark([key("done"), key("running")], TERMINAL_PHASES, now)).toBe(false);
    expect(await store.deletions.mark([key("done"), key("active")], TERMINAL_PHASES, now)).toBe(false);
    for (const name of ["done", "running", "active"]) expect(await store.executions.get(key(name))).toBeDefined();
    expect(await store.deletions.pending(10)).toEqual([]);
  });

  it("leaves an engine folder another execution's ids join to", async () => {
    const { cleaner, seed } = await setUp();
    const a = await seed(key("x", "a-b", "c"));
    await seed(key("x", "a", "b-c"), { ageDays: 1 });
    await cleaner.deleteOne(key("x", "a-b", "c"), false);
    const engineKey = a.keys.find((b) => b.startsWith(ENGINE_METADATA_PREFIX))!;
    expect(await blobs.stat(engineKey)).toBeDefined();
    expect(await leftOf(key("x", "a-b", "c"), { keys: a.keys.filter((b) => b !== engineKey), runFolder: a.runFolder })).toEqual({ rows: 0, blobs: 0, runFolder: false });
  });

  it("sweeps run folders of executions that are gone, and nothing else under the run root", async () => {
    const { cleaner, seed, runRoot } = await setUp();
    const kept = await seed(key("kept"));
    const gone = await seed(key("gone"));
    // Deleted by a replica on another host: rows and blobs went, the run folder here stayed.
    await store.deletions.mark([key("gone")], TERMINAL_PHASES, now);
    while ((await store.deletions.purgeRows(key("gone"), 100)) > 0);
    await store.deletions.finish(key("gone"));
    const stray = join(runRoot, "p", "d", "not-a-run", "x");
    mkdirSync(stray, { recursive: true });
    const swept = await cleaner.sweepRunFolders(1);
    expect(swept.files + (await cleaner.sweepRunFolders(10)).files).toBe(1);
    expect(existsSync(gone.runFolder)).toBe(false);
    expect(existsSync(kept.runFolder)).toBe(true);
    expect(existsSync(stray)).toBe(true);
  });

  it("leases go to one owner at a time until they expire", async () => {
    await setUp();
    expect(await store.leases.acquire("retention", "a", now, 60_000)).toBe(true);
    expect(await store.leases.acquire("retention", "b", now, 60_000)).toBe(false);
    expect(await store.leases.acquire("retention", "a", new Date(now.getTime() + 30_000), 60_000)).toBe(true);
    expect(await store.leases.acquire("retention", "b", new Date(now.getTime() + 60_000), 60_000)).toBe(false);
    expect(await store.leases.acquire("retention", "b", new Date(now.getTime() + 120_000), 60_000)).toBe(true);
    await store.leases.release("retention", "b");
    expect(await store.leases.acquire("retention", "a", now, 60_000)).toBe(true);
  });
});
