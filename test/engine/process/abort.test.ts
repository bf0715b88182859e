// Abort of local-process attempts: SIGTERM to the task's group through its shim, the shim's own
// SIGKILL after the grace period (which outlives the server and is never put off), and the
// server's own kill when the shim is gone.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readProcRecord } from "../../../src/engine/local/process/proc-record.js";
import { type Sandbox, attemptDir, attemptOf, handleUntil, pidAlive, sandbox, shellTask, waitFor } from "./harness.js";

let s: Sandbox;
beforeEach(async () => {
  s = await sandbox();
});
afterEach(async () => {
  await s.dispose();
});

describe("local-process plugin: abort", () => {
  it("abort ends the whole process group, SIGKILL after the grace period; the attempt reads Aborted", async () => {
    const plugin = s.plugin({ gracePeriodMs: 300 });
    // Ignores SIGTERM and leaves a child of its own: only the SIGKILL of the group ends both.
    const a = attemptOf(s, shellTask(`trap '' TERM; sleep 60 & echo $! > child.pid; while true; do sleep 1; done`));
    await plugin.handle(a);
    const dir = attemptDir(s, a);
    await waitFor("the child to start", () => existsSync(join(dir, "child.pid")));
    const childPid = Number((await readFile(join(dir, "child.pid"), "utf8")).trim());
    const rec = (await readProcRecord(dir))!;
    expect(pidAlive(childPid)).toBe(true);
    await plugin.abort(a);
    await waitFor("the group to end", () => !pidAlive(rec.pid!) && !pidAlive(childPid));
    const p = await handleUntil(plugin, a, ["Aborted", "RetryableFailure", "Success", "PermanentFailure"]);
    expect(p.phase).toBe("Aborted");
    await plugin.finalize(a);
  });

  it("abort sends SIGTERM first: a task that stops on it ends before the grace period", async () => {
    const plugin = s.plugin({ gracePeriodMs: 60_000 });
    const a = attemptOf(s, shellTask("sleep 60"));
    await plugin.handle(a);
    const dir = attemptDir(s, a);
    await waitFor("the task to start", async () => (await readProcRecord(dir))?.pid !== undefined);
    await plugin.abort(a);
    await waitFor("the exit record", async () => (await readProcRecord(dir))?.endedAt !== undefined);
    expect((await readProcRecord(dir))?.signal).toBe("SIGTERM");
    expect((await handleUntil(plugin, a, ["Aborted", "RetryableFailure", "Success", "PermanentFailure"])).phase).toBe("Aborted");
  });

  /** A task that ignores SIGTERM and leaves a child of its own; resolves to the pids of both once they run. */
  async function stubbornTask(plugin: ReturnType<Sandbox["plugin"]>) {
    const a = attemptOf(s, shellTask(`trap '' TERM; sleep 60 & echo $! > child.pid; while true; do sleep 1; done`));
    await plugin.handle(a);
    const dir = attemptDir(s, a);
    await waitFor("the child to start", () => existsSync(join(dir, "child.pid")));
    const childPid = Number((await readFile(join(dir, "child.pid"), "utf8")).trim());
    return { a, rec: (await readProcRecord(dir))!, childPid };
  }

  it("the SIGKILL after the grace period comes from the shim: the server may stop right after the abort", async () => {
    const plugin = s.plugin({ gracePeriodMs: 300 });
    const { a, rec, childPid } = await stubbornTask(plugin);
    await plugin.abort(a);
    plugin.close(); // the server stops: nothing of its own is left to send the SIGKILL
    await waitFor("the group to end", () => !pidAlive(rec.pid!) && !pidAlive(childPid));
    await waitFor("the exit record", async () => (await readProcRecord(attemptDir(s, a)))?.endedAt !== undefined);
    expect((await readProcRecord(attemptDir(s, a)))?.signal).toBe("SIGKILL");
  });

  it("a repeated abort never puts the SIGKILL off", async () => {
    const plugin = s.plugin({ gracePeriodMs: 1000 });
    const { a, rec, childPid } = await stubbornTask(plugin);
    // Abort rounds that keep coming (the engine repeats one until the attempt reads Aborted).
    await waitFor("the group to end", async () => {
      await plugin.abort(attemptOf(s, a.template, { like: a }));
      return !pidAlive(rec.pid!) && !pidAlive(childPid);
    });
    expect((await handleUntil(plugin, a, ["Aborted", "RetryableFailure", "Success", "PermanentFailure"])).phase).toBe("Aborted");
  });

  it("with its shim killed from outside, abort kills the task's group at once", async () => {
    const plugin = s.plugin({ gracePeriodMs: 60_000 });
    const { a, rec, childPid } = await stubbornTask(plugin);
    process.kill(rec.shimPid, "SIGKILL");
    await waitFor("the shim to end", () => !pidAlive(rec.shimPid));
    await plugin.abort(a);
    await waitFor("the group to end", () => !pidAlive(rec.pid!) && !pidAlive(childPid));
    expect((await handleUntil(plugin, a, ["Aborted", "RetryableFailure", "Success", "PermanentFailure"])).phase).toBe("Aborted");
  });
});
