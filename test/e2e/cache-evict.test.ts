import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openBlobStore } from "../../src/blob/open-blob-store.js";
import { cacheCommand } from "../../src/cache-command.js";
import { CATALOG_PREFIX } from "../../src/engine/local/catalog.js";
import { packageRoot } from "../../src/paths.js";
import { openStore } from "../../src/storage/open-store.js";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

/** A data dir whose SQLite database holds cache entries as the engine leaves them, and output copies an earlier version left. */
async function seeded() {
  const dir = mkdtempSync(join(tmpdir(), "flyteadmin-cache-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const database = join(dir, "flyteadmin.db");
  const blobs = openBlobStore(join(dir, "blobs"), {}, { sweepIntervalMs: 0 });
  const store = await openStore(database);
  const now = new Date();
  const datasetOf = (name: string) => {
    const domain = name === "prod" ? "production" : "development";
    const task = name === "c" ? "wf.other" : "wf.square";
    const version = name === "b" ? "2.0" : "1.0";
    return { project: "flytesnacks", name: `flyte_task-${task}`, domain, version: `${version}-abcdefgh-ijklmnop` };
  };
  const put = async (artifactId: string) => {
    const dataset = datasetOf(artifactId);
    await store.dataCatalog.createDataset({ ...dataset, uuid: randomUUID(), metadata: new Uint8Array(), partitionKeys: [], createdAt: now });
    const { uuid } = (await store.dataCatalog.getDataset(dataset))!;
    await store.dataCatalog.createArtifact({ datasetUuid: uuid, artifactId, metadata: new Uint8Array(), data: [{ name: "o0", value: new Uint8Array([1, 2, 3]) }], partitions: [] }, now);
    await store.dataCatalog.addTag(uuid, `flyte_cached-${artifactId}`, artifactId, now);
  };
  const names = ["a", "b", "c", "prod"];
  for (const name of names) await put(name);
  await store.close();
  // Copies an earlier version kept of each entry's outputs.
  const oldCopies = [`${CATALOG_PREFIX}/flytesnacks/development/x.pb`, `${CATALOG_PREFIX}/flytesnacks/development/y.pb`, `${CATALOG_PREFIX}/flytesnacks/production/z.pb`];
  for (const key of oldCopies) await blobs.put(key, new Uint8Array([1]));
  const left = async () => {
    const s = await openStore(database);
    try {
      const ids: string[] = [];
      for (const name of names) if (await s.dataCatalog.getArtifactByTag(datasetOf(name), `flyte_cached-${name}`)) ids.push(name);
      return ids;
    } finally {
      await s.close();
    }
  };
  const copiesLeft = async () => (await blobs.list(`${CATALOG_PREFIX}/`)).length;
  return { dir, database, left, copiesLeft };
}

const rmOldCopies = async (dir: string) => rmSync(join(dir, "blobs", CATALOG_PREFIX), { recursive: true, force: true });

const cli = (args: string[]) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [join(packageRoot(), "bin/flyteadmin-ts.js"), ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });

describe("flyteadmin-ts cache evict", () => {
  it("removes one task's entries of one cache version from the command line, and the output copies an earlier version left", async () => {
    const { dir, database, left, copiesLeft } = await seeded();
    const r = await cli(["cache", "evict", "--project", "flytesnacks", "--domain", "development", "--task", "wf.square", "--version", "1.0", "--database", database, "--data-dir", dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      "evicted 1 cache entry (project flytesnacks, domain development, task wf.square, cache version 1.0)\n" +
        "removed 2 output copies an earlier version kept under metadata/catalog/flytesnacks/development/\n",
    );
    expect(await left()).toEqual(["b", "c", "prod"]);
    expect(await copiesLeft()).toBe(1);
  }, 60_000);

  it("removes a task's entries of every version, then all of a project and domain, and leaves other domains", async () => {
    const { dir, database, left } = await seeded();
    await rmOldCopies(dir);
    const io = () => {
      const out = { stdout: "", stderr: "" };
      return { out, io: { stdout: (t: string) => void (out.stdout += t), stderr: (t: string) => void (out.stderr += t), env: {} } };
    };
    const args = ["--database", database, "--data-dir", dir];
    const one = io();
    expect(await cacheCommand(["evict", "--project", "flytesnacks", "--domain", "development", "--task", "wf.square", ...args], one.io)).toBe(0);
    expect(one.out.stdout).toBe("evicted 2 cache entries (project flytesnacks, domain development, task wf.square)\n");
    expect(await left()).toEqual(["c", "prod"]);
    const all = io();
    expect(await cacheCommand(["evict", "--project", "flytesnacks", "--domain", "development", ...args], all.io)).toBe(0);
    expect(all.out.stdout).toBe("evicted 1 cache entry (project flytesnacks, domain development)\n");
    expect(await left()).toEqual(["prod"]);
    const none = io();
    expect(await cacheCommand(["evict", "--project", "flytesnacks", "--domain", "development", ...args], none.io)).toBe(0);
    expect(none.out.stdout).toBe("evicted 0 cache entries (project flytesnacks, domain development)\n");
  });

  it("refuses missing, empty or unknown arguments with the usage and exit code 2", async () => {
    const run = async (argv: string[]) => {
      let stderr = "";
      const code = await cacheCommand(argv, { stdout: () => {}, stderr: (t) => void (stderr += t), env: {} });
      return { code, stderr };
    };
    expect(await run(["evict", "--domain", "development"])).toMatchObject({ code: 2, stderr: expect.stringContaining("--project is required") });
    expect(await run(["evict", "--project", "p", "--domain", " "])).toMatchObject({ code: 2, stderr: expect.stringContaining("--domain is required") });
    expect(await run(["evict", "--project", "p", "--domain", "d", "--task", ""])).toMatchObject({ code: 2, stderr: expect.stringContaining("--task must not be empty") });
    expect(await run(["evict", "--project", "x".repeat(300), "--domain", "d"])).toMatchObject({ code: 2, stderr: expect.stringContaining("longer than") });
    expect(await run(["purge", "--project", "p", "--domain", "d"])).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown cache command purge") });
    expect(await run(["evict", "--project", "p", "--domain", "d", "--bogus"])).toMatchObject({ code: 2, stderr: expect.stringContaining("--bogus") });
    expect(await run([])).toMatchObject({ code: 2, stderr: expect.stringContaining("Usage") });
  });
});
