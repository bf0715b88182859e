import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { WorkflowExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import { openBlobStore } from "../../src/blob/open-blob-store.js";
import { cleanupCommand } from "../../src/cleanup-command.js";
import { packageRoot } from "../../src/paths.js";
import { openStore } from "../../src/storage/open-store.js";
import type { ExecutionKey } from "../../src/storage/store.js";
import { seedExecution } from "../cleanup/seed.js";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

/** A data dir whose SQLite database and blobs hold executions as the server leaves them. */
async function seeded() {
  const dir = mkdtempSync(join(tmpdir(), "flyteadmin-cleanup-cli-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const database = join(dir, "flyteadmin.db");
  const blobs = openBlobStore(join(dir, "blobs"), {}, { sweepIntervalMs: 0 });
  cleanups.push(() => blobs.close());
  const store = await openStore(database);
  const now = new Date();
  const seed = (name: string, ageDays: number, o: { phase?: Phase; project?: string } = {}) =>
    seedExecution(store, blobs, join(dir, "engine"), { project: o.project ?? "p", domain: "development", name }, { ageDays, now, ...o });
  const old = await seed("old", 100);
  const failed = await seed("failed", 100, { phase: Phase.FAILED });
  const recent = await seed("recent", 5);
  const running = await seed("running", 100, { phase: Phase.RUNNING });
  const other = await seed("other", 100, { project: "q" });
  await store.close();
  const present = async (name: string, project = "p") => {
    const s = await openStore(database);
    try {
      return (await s.deletions.countRows({ project, domain: "development", name } satisfies ExecutionKey)) > 0;
    } finally {
      await s.close();
    }
  };
  return { dir, database, args: ["--database", database, "--data-dir", dir], seeded: { old, failed, recent, running, other }, present, blobs };
}

const run = async (command: "cleanup" | "executions", argv: string[]) => {
  const out = { stdout: "", stderr: "" };
  const code = await cleanupCommand(command, argv, { stdout: (t) => void (out.stdout += t), stderr: (t) => void (out.stderr += t), env: {} });
  return { code, ...out };
};

describe("flyteadmin-ts cleanup", () => {
  it("prints counts and bytes on a dry run and changes nothing, then deletes the same", async () => {
    const { args, present, seeded: s, blobs } = await seeded();
    const dry = await run("cleanup", ["--older-than", "90d", "--project", "p", "--dry-run", ...args]);
    expect(dry).toEqual({ code: 0, stdout: "would delete 2 executions: 16 rows, 16 files, 152 bytes\n", stderr: "" });
    for (const name of ["old", "failed", "recent", "running"]) expect(await present(name)).toBe(true);
    expect(await blobs.stat(s.old.keys[0]!)).toBeDefined();

    const failedOnly = await run("cleanup", ["--older-than", "90d", "--project", "p", "--phase", "failed", ...args]);
    expect(failedOnly).toMatchObject({ code: 0, stdout: "deleted 1 execution: 8 rows, 8 files, 76 bytes\n" });
    const real = await run("cleanup", ["--older-than", "90d", "--project", "p", ...args]);
    expect(real).toMatchObject({ code: 0, stdout: "deleted 1 execution: 8 rows, 8 files, 76 bytes\n" });
    expect(await present("old")).toBe(false);
    expect(await present("failed")).toBe(false);
    expect(existsSync(s.old.runFolder)).toBe(false);
    expect(await blobs.stat(s.old.keys[0]!)).toBeUndefined();
    for (const name of ["recent", "running"]) expect(await present(name)).toBe(true);
    expect(await present("other", "q")).toBe(true);
  }, 60_000);

  it("removes blobs of executions that are gone once they are a day old, and counts them on a dry run", async () => {
    const { dir, args, seeded: s, blobs } = await seeded();
    const orphan = "metadata/p/development/vanished/inputs";
    const fresh = "metadata/p/development/starting/inputs";
    for (const k of [orphan, fresh]) await blobs.put(k, new Uint8Array(10));
    const old = new Date(Date.now() - 2 * 86_400_000);
    utimesSync(join(dir, "blobs", ...orphan.split("/")), old, old);
    const dry = await run("cleanup", ["--older-than", "900d", "--dry-run", ...args]);
    expect(dry).toEqual({ code: 0, stdout: "would delete 0 executions: 0 rows, 0 files, 0 bytes\nwould delete 1 orphaned file: 10 bytes\n", stderr: "" });
    expect(await blobs.stat(orphan)).toBeDefined();
    const real = await run("cleanup", ["--older-than", "900d", ...args]);
    expect(real).toMatchObject({ code: 0, stdout: "deleted 0 executions: 0 rows, 0 files, 0 bytes\ndeleted 1 orphaned file: 10 bytes\n" });
    expect(await blobs.stat(orphan)).toBeUndefined();
    // Written less than a day ago (an execution being created), and every stored execution's blobs: kept.
    expect(await blobs.stat(fresh)).toBeDefined();
    for (const seededExecution of Object.values(s)) for (const k of seededExecution.keys) expect(await blobs.stat(k)).toBeDefined();
  }, 60_000);

  it("deletes one execution by name and refuses a running one with a non-zero exit", async () => {
    const { args, present } = await seeded();
    expect(await run("executions", ["delete", "p/development/recent", ...args])).toMatchObject({ code: 0, stdout: "deleted 1 execution: 8 rows, 8 files, 76 bytes\n" });
    expect(await present("recent")).toBe(false);
    expect(await run("executions", ["delete", "p/development/running", ...args])).toEqual({
      code: 1,
      stdout: "",
      stderr: "execution p/development/running cannot be deleted: it is RUNNING; terminate it first\n",
    });
    expect(await present("running")).toBe(true);
    expect(await run("executions", ["delete", "p/development/nope", ...args])).toMatchObject({ code: 1, stderr: "execution p/development/nope not found\n" });
  }, 60_000);

  it("refuses bad arguments with the usage and exit code 2", async () => {
    const usage = (argv: string[], command: "cleanup" | "executions" = "cleanup") => run(command, argv).then((r) => ({ code: r.code, first: r.stderr.split("\n")[0] }));
    expect(await usage(["--older-than", "90"])).toEqual({ code: 2, first: '--older-than: expected an age such as 90d, 12h, 30m, 45s or 2w, got "90"' });
    expect(await usage(["--older-than", "0d"])).toEqual({ code: 2, first: '--older-than: an age must be more than zero, got "0d"' });
    expect(await usage(["--older-than", "1d", "--phase", "running"])).toMatchObject({ code: 2, first: expect.stringContaining("--phase: expected terminal") });
    expect(await usage(["--older-than", "1d", "--limit", "-1"])).toMatchObject({ code: 2 });
    expect(await usage(["--older-than", "1d", "--project", ""])).toMatchObject({ code: 2, first: expect.stringContaining("--project") });
    expect(await usage(["--database", ":memory:"])).toEqual({ code: 2, first: "--older-than is required when no --retention policy is configured" });
    expect(await usage(["delete", "p/d"], "executions")).toMatchObject({ code: 2, first: 'expected PROJECT/DOMAIN/NAME, got "p/d"' });
    expect(await usage(["list"], "executions")).toMatchObject({ code: 2, first: "unknown executions command list" });
  });

  it("is wired into the command line", async () => {
    const { args } = await seeded();
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [join(packageRoot(), "bin/flyteadmin-ts.js"), "executions", "delete", "p/development/running", ...args], { stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.once("exit", (code) => resolve({ code, stdout, stderr }));
    });
    expect(r).toMatchObject({ code: 1, stderr: expect.stringContaining("it is RUNNING; terminate it first") });
  }, 60_000);
});
