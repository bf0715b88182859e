import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ExecutionError_ErrorKind as ErrorKind, TaskExecution_Phase as TaskPhase, WorkflowExecution_Phase as WfPhase } from "../../../gen/flyteidl/core/execution_pb.js";
import { type EngineServer, type EngineServerOptions, registerEngineWorkflows, startEngineServer } from "../../fixtures/engine/engine-server.js";
import { errorOf, execId, launch, lit, nodesById, outputsOf, primitive, taskAttempts, waitForTerminal, waitUntil } from "../../fixtures/engine/executions.js";
import { findFlytekit, SKIP_MESSAGE } from "../../fixtures/engine/flytekit-kit.js";
import { expectNoLeftovers, expectNoRefusedEvents, expectTaskNodeOrder, killLeftoverTasks, processesIn } from "../../fixtures/engine/invariants.js";
import { type Mark, processAlive, readMarks } from "../../fixtures/engine/marks.js";
import { createTestDatabase, PG_URL } from "../../helpers/backends.js";

/**
 * engine-spec §10 scenario 11: the server stops while a task runs and a new
 * server starts on the same data folder and database. The detached task keeps
 * running and the new engine picks it up: the execution succeeds with exactly
 * one task execution per attempt. Variant: the task (and its shim) are killed
 * during the outage, which the new engine finds out and retries as a SYSTEM
 * failure (LocalProcessLost).
 */
const kit = findFlytekit();
const VERSION = "v1";

/**
 * Runs a scenario with the servers it starts (all on one data folder), then
 * stops them, kills what is left of their tasks and removes the folder, so
 * scenarios can run side by side: they mostly wait for a sleeping task.
 */
async function withServers(scenario: (start: (options?: EngineServerOptions) => Promise<EngineServer>) => Promise<void>): Promise<void> {
  const servers: EngineServer[] = [];
  try {
    await scenario(async (options = {}) => {
      const h = await startEngineServer(kit!, { ...options, ...(servers[0] ? { dataDir: servers[0].dataDir } : {}) });
      servers.push(h);
      return h;
    });
  } finally {
    for (const h of servers) {
      await h.close();
      killLeftoverTasks(h);
    }
    if (servers[0] && !process.env.E2E_KEEP) servers[0].remove();
  }
}

/** Launches long_wf, waits until its task process runs, and stops the server under it. */
async function launchAndStop(first: EngineServer, secs: number): Promise<{ name: string; mark: Mark }> {
  await registerEngineWorkflows(kit!, first, VERSION, ["long"]);
  const id = await launch(first, "long.long_wf", { version: VERSION, inputs: { secs: lit.int(secs) } });
  const [mark] = await waitUntil("the long task to start", () => {
    const marks = readMarks(first.markDir, id.name);
    return marks.length > 0 && marks;
  });
  await waitUntil("the attempt to be reported RUNNING", async () => (await taskAttempts(first.admin, id, "n0"))[0]?.closure?.phase === TaskPhase.RUNNING);
  await first.close();
  return { name: id.name, mark: mark! };
}

/** After the restart: one attempt, one process, the execution succeeded, the log still served. */
async function expectResumed(second: EngineServer, name: string, before: Mark, secs: number): Promise<void> {
  const id = execId(name);
  const exec = await waitForTerminal(second.admin, id, 90_000);
  expect(exec.closure?.phase).toBe(WfPhase.SUCCEEDED);
  expect(primitive((await outputsOf(second.admin, id)).o0)).toBe(secs);
  const nodes = await nodesById(second.admin, id);
  expect(Object.keys(nodes).sort()).toEqual(["end-node", "n0", "start-node"]);
  const attempts = await taskAttempts(second.admin, id, "n0");
  expect(attempts.map((t) => [t.id?.retryAttempt, t.closure?.phase])).toEqual([[0, TaskPhase.SUCCEEDED]]);
  expectTaskNodeOrder(nodes.n0!, attempts);
  // The process that ran before the stop is the one that finished: no second start of attempt 0.
  const marks = await expectNoLeftovers(second, name);
  expect(marks.map((m) => [m.attempt, m.pid])).toEqual([[0, before.pid]]);
  expect(marks[0]!.end).not.toBeNull();
  // The log is served by the new server (its link may name the old port: same path, new origin).
  const log = attempts[0]!.closure!.logs[0]!;
  const res = await fetch(new URL(new URL(log.uri).pathname + new URL(log.uri).search, second.server.url));
  expect(res.status).toBe(200);
  const text = await res.text();
  expect(text).toContain(`sleeping ${secs}s`);
  expect(text).toContain("woke up");
  await expectNoRefusedEvents(second);
}

describe.skipIf(!kit).concurrent(`local engine: restart while a task runs ${kit ? "" : SKIP_MESSAGE}`, () => {
  it("resumes on a SQLite file: the detached task finishes and is reported once", () =>
    withServers(async (start) => {
      const first = await start();
      const { name, mark } = await launchAndStop(first, 10);
      expect(processAlive(mark.pid)).toBe(true);
      await expectResumed(await start(), name, mark, 10);
    }), 150_000);

  it.skipIf(!PG_URL)(`resumes on PostgreSQL ${PG_URL ? "" : "(skipped: FLYTEADMIN_TEST_PG_URL not set)"}`, async () => {
    const db = await createTestDatabase();
    try {
      await withServers(async (start) => {
        const first = await start({ database: db.url });
        const { name, mark } = await launchAndStop(first, 10);
        expect(processAlive(mark.pid)).toBe(true);
        await expectResumed(await start({ database: db.url }), name, mark, 10);
      });
    } finally {
      await db.drop();
    }
  }, 150_000);

  it("retries as a SYSTEM failure (LocalProcessLost) when the task vanished during the outage", () =>
    withServers(async (start) => {
      const first = await start();
      const { name, mark } = await launchAndStop(first, 8);
      // Kill the task's process group and the shim watching it (the task's parent, running in the data folder).
      const shim = parentOf(mark.pid);
      expect(processAlive(mark.pid)).toBe(true);
      // Never the group this test runs in (a task that was not given a group of its own).
      if (mark.pgid !== groupOf(process.pid)) process.kill(-mark.pgid, "SIGKILL");
      else process.kill(mark.pid, "SIGKILL");
      if (shim !== undefined && processesIn(first.dataDir).includes(shim)) process.kill(shim, "SIGKILL");
      await waitUntil("the killed task to be gone", () => !processAlive(mark.pid), 10_000);

      const second = await start();
      const exec = await waitForTerminal(second.admin, execId(name), 90_000);
      expect(exec.closure?.phase).toBe(WfPhase.SUCCEEDED);
      const attempts = await taskAttempts(second.admin, exec.id!, "n0");
      expect(attempts.map((t) => [t.id?.retryAttempt, t.closure?.phase])).toEqual([
        [0, TaskPhase.FAILED],
        [1, TaskPhase.SUCCEEDED],
      ]);
      expect([errorOf(attempts[0]!)?.kind, errorOf(attempts[0]!)?.code]).toEqual([ErrorKind.SYSTEM, "LocalProcessLost"]);
      expectTaskNodeOrder((await nodesById(second.admin, exec.id!)).n0!, attempts);
      const marks = await expectNoLeftovers(second, name);
      expect(marks.map((m) => [m.attempt, m.end !== null])).toEqual([
        [0, false],
        [1, true],
      ]);
      await expectNoRefusedEvents(second);
    }), 150_000);
});

/** Fields of /proc/<pid>/stat after the command name: [state, ppid, pgrp, …]; empty off Linux. */
function statFields(pid: number): string[] {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return [];
  }
}

const parentOf = (pid: number): number | undefined => (statFields(pid)[1] ? Number(statFields(pid)[1]) : undefined);
const groupOf = (pid: number): number | undefined => (statFields(pid)[2] ? Number(statFields(pid)[2]) : undefined);
