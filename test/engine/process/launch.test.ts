// Starting the shim: its launch file (which may hold secrets) never outlives a failed start,
// on the server's side or the shim's.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { findShim, spawnShim } from "../../../src/engine/local/process/launch.js";
import { readProcRecord } from "../../../src/engine/local/process/proc-record.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "shim-launch-"));
  await mkdir(join(dir, ".engine"), { mode: 0o700 });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const launchFile = () => join(dir, ".engine", "launch.json");
/** Runs the shim in the foreground on `dir`, as the server would start it. */
const runShim = () => spawnSync(process.execPath, [findShim(), dir], { cwd: dir, env: {}, encoding: "utf8" });

describe("the shim's launch file", () => {
  it("is deleted when the log cannot be opened and no shim starts", async () => {
    await mkdir(join(dir, ".engine", "task.log")); // a folder where the log should go
    await expect(spawnShim(findShim(), dir, { argv: ["true"], env: { SECRET: "x" }, graceMs: 1000 })).rejects.toThrow();
    expect(existsSync(launchFile())).toBe(false);
  });

  it("is deleted by a shim that cannot use it, which records why", async () => {
    for (const text of ["{not json", JSON.stringify({ argv: [], env: {} }), JSON.stringify({ argv: ["true"] })]) {
      await writeFile(launchFile(), text, { mode: 0o600 });
      const r = runShim();
      expect(r.stderr).toContain("cannot read the launch description");
      expect(existsSync(launchFile())).toBe(false);
      expect(await readProcRecord(dir)).toMatchObject({ exitCode: 127, error: "launch description unreadable", launchFault: true });
    }
  });

  it("is deleted by a shim whose command cannot be started", async () => {
    await writeFile(launchFile(), JSON.stringify({ argv: [join(dir, "no-such-program")], env: {}, graceMs: 1000 }), { mode: 0o600 });
    runShim();
    expect(existsSync(launchFile())).toBe(false);
    const rec = await readProcRecord(dir);
    expect(rec?.exitCode).toBe(127);
    // A missing command is the task's problem, not the platform's.
    expect(rec?.launchFault).toBeUndefined();
  });

  it("is left alone by a shim given a relative folder, which refuses it instead of looking for it elsewhere", async () => {
    await writeFile(launchFile(), JSON.stringify({ argv: ["true"], env: {}, graceMs: 1000 }), { mode: 0o600 });
    const r = spawnSync(process.execPath, [findShim(), "."], { cwd: dir, env: {}, encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("absolute attempt dir");
  });
});
