// A round replayed without state: the round that launched an attempt lost its result (a task
// event refused with a transient error, a lost status write), so the next round calls the
// plugin again with no state. The running task is adopted, never killed; abort still finds it.
import { existsSync } from "node:fs";
import { mkdir, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ExecutionError_ErrorKind } from "../../../gen/flyteidl/core/execution_pb.js";
import { readProcRecord } from "../../../src/engine/local/process/proc-record.js";
import { type Sandbox, type TestAttempt, attemptDir, attemptOf, controlFile, handleUntil, pidAlive, sandbox, shellTask, waitFor } from "./harness.js";

let s: Sandbox;
beforeEach(async () => {
  s = await sandbox();
});
afterEach(async () => {
  await s.dispose();
});

const TERMINAL = ["Success", "RetryableFailure", "PermanentFailure", "Aborted"] as const;

/** The same attempt as the engine hands it over in a replayed round: same ids, no state. */
const replayOf = (a: TestAttempt) => attemptOf(s, a.template, { exec: a.executionId.name, nodeId: a.nodeUniqueId, attempt: a.attempt });

/** Starts a task that runs until `go` appears in its folder; resolves once it runs. */
async function gatedTask(plugin: ReturnType<Sandbox["plugin"]>) {
  const a = attemptOf(s, shellTask("while [ ! -f go ]; do sleep 0.05; done; echo done"));
  expect((await plugin.handle(a)).phase).toBe("Queued");
  const dir = attemptDir(s, a);
  await waitFor("the task to start", async () => (await readProcRecord(dir))?.pid !== undefined);
  return { a, dir, rec: (await readProcRecord(dir))! };
}

describe("local-process plugin: a replayed round without state", () => {
  it("adopts the task this server started instead of killing it", async () => {
    const plugin = s.plugin();
    const { a, dir, rec } = await gatedTask(plugin);
    const b = replayOf(a);
    expect(b.state).toBeUndefined();
    expect((await plugin.handle(b)).phase).toBe("Running");
    expect(pidAlive(rec.pid!)).toBe(true);
    expect(b.state).toMatchObject({ dir, shimPid: rec.shimPid });
    await writeFile(join(dir, "go"), "");
    const p = await handleUntil(plugin, b, [...TERMINAL]);
    expect(p.phase, p.error?.message).toBe("Success");
  });

  it("adopts it after a restart too, from the shim's record", async () => {
    const first = s.plugin();
    const { a, dir, rec } = await gatedTask(first);
    first.close();
    const second = s.plugin();
    const b = replayOf(a);
    expect((await second.handle(b)).phase).toBe("Running");
    expect(pidAlive(rec.pid!)).toBe(true);
    await writeFile(join(dir, "go"), "");
    await waitFor("a wake-up from the exit watcher", () => b.wakes > 0);
    expect((await handleUntil(second, b, [...TERMINAL])).phase).toBe("Success");
  });

  it("abort without state ends the task in the attempt's folder; the attempt reads Aborted", async () => {
    const first = s.plugin();
    const { a, rec } = await gatedTask(first);
    first.close();
    const second = s.plugin();
    const b = replayOf(a);
    await second.abort(b);
    await waitFor("the task to end", () => !pidAlive(rec.pid!));
    expect((await handleUntil(second, b, [...TERMINAL])).phase).toBe("Aborted");
  });

  it("abort without state, in the server that started the task, ends it too", async () => {
    const plugin = s.plugin();
    const { a, rec } = await gatedTask(plugin);
    await plugin.abort(replayOf(a));
    await waitFor("the task to end", () => !pidAlive(rec.pid!));
    expect((await handleUntil(plugin, a, [...TERMINAL])).phase).toBe("Aborted");
  });

  it("a verdict reached before any process ran is repeated, not taken for a lost launch", async () => {
    const plugin = s.plugin();
    const t = shellTask("true");
    if (t.target.case === "container") t.target.value.command = ["no-such-command-xyz"];
    const a = attemptOf(s, t);
    expect((await plugin.handle(a)).error?.code).toBe("ExecutableNotFound");
    expect((await plugin.handle(replayOf(a))).error?.code).toBe("ExecutableNotFound");
  });

  it("a folder whose launch file waits for its shim is QUEUED for a while, then lost, and the file is removed", async () => {
    const plugin = s.plugin();
    const a = attemptOf(s, shellTask("true"));
    const launchFile = controlFile(s, a, "launch.json");
    await mkdir(join(attemptDir(s, a), ".engine"), { recursive: true });
    await writeFile(launchFile, JSON.stringify({ argv: ["true"], env: { SECRET: "x" }, graceMs: 1000 }));
    expect((await plugin.handle(a)).phase).toBe("Queued");
    const old = new Date(Date.now() - 60_000);
    await utimes(launchFile, old, old);
    const p = await plugin.handle(a);
    expect(p.phase).toBe("RetryableFailure");
    expect(p.error).toMatchObject({ code: "LocalProcessLost", kind: ExecutionError_ErrorKind.SYSTEM });
    expect(existsSync(launchFile)).toBe(false);
  });
});
