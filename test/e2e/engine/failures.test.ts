import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WorkflowExecutionIdentifier } from "../../../gen/flyteidl/core/identifier_pb.js";
import {
  ExecutionError_ErrorKind as ErrorKind,
  NodeExecution_Phase as NodePhase,
  TaskExecution_Phase as TaskPhase,
  WorkflowExecution_Phase as WfPhase,
} from "../../../gen/flyteidl/core/execution_pb.js";
import { type EngineServer, registerEngineWorkflows, startEngineServer } from "../../fixtures/engine/engine-server.js";
import {
  errorOf,
  execError,
  launch,
  metadataPrefix,
  nodeOf,
  nodesById,
  outputsOf,
  outputUri,
  primitive,
  taskAttempts,
  waitForTerminal,
  waitUntil,
} from "../../fixtures/engine/executions.js";
import { findFlytekit, SKIP_MESSAGE } from "../../fixtures/engine/flytekit-kit.js";
import { expectNoLeftovers, expectNoRefusedEvents, expectTaskNodeOrder, killLeftoverTasks, workflowEventPhases } from "../../fixtures/engine/invariants.js";
import { processAlive, readMarks } from "../../fixtures/engine/marks.js";

/**
 * engine-spec §10 scenarios 4–8: what is retried and how it is reported.
 * The executions are launched together up front (they share the engine's
 * task slots), and each test then waits for its own.
 */
const kit = findFlytekit();
const VERSION = "v1";
let h: EngineServer;
const ids: Record<string, WorkflowExecutionIdentifier> = {};
const WORKFLOWS = ["killable_wf", "value_error_wf", "flaky_wf", "exhausted_wf", "crash_wf"] as const;

describe.skipIf(!kit)(`local engine: task failures and retries ${kit ? "" : SKIP_MESSAGE}`, () => {
  beforeAll(async () => {
    h = await startEngineServer(kit!);
    await registerEngineWorkflows(kit!, h, VERSION, ["failures"]);
    for (const wf of WORKFLOWS) ids[wf] = await launch(h, `failures.${wf}`, { version: VERSION });
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    if (h) killLeftoverTasks(h);
    if (h && !process.env.E2E_KEEP) h.remove();
  });

  it("a task killed from outside is a SYSTEM failure: 3 retries that use no user retries, then RetriesExhausted (scenario 8)", async () => {
    const id = ids.killable_wf!;
    const killed = new Set<number>();
    // Kill every attempt as soon as it reports its pid, until the execution gives up.
    const exec = await waitUntil(
      "killable_wf to fail",
      async () => {
        for (const m of readMarks(h.markDir, id.name)) {
          if (!killed.has(m.attempt) && processAlive(m.pid)) {
            process.kill(m.pid, "SIGKILL");
            killed.add(m.attempt);
          }
        }
        const e = await h.admin.getExecution({ id });
        return e.closure?.phase === WfPhase.FAILED || e.closure?.phase === WfPhase.SUCCEEDED ? e : undefined;
      },
      120_000,
      100,
    );
    expect(exec.closure?.phase).toBe(WfPhase.FAILED);
    expect([...killed].sort()).toEqual([0, 1, 2, 3]);
    const attempts = await taskAttempts(h.admin, id, "n0");
    expect(attempts.map((t) => [t.id?.retryAttempt, t.closure?.phase, errorOf(t)?.kind])).toEqual([0, 1, 2, 3].map((a) => [a, TaskPhase.FAILED, ErrorKind.SYSTEM]));
    const node = (await nodesById(h.admin, id)).n0!;
    expect(node.closure?.phase).toBe(NodePhase.FAILED);
    expect(errorOf(node)?.code).toMatch(/^RetriesExhausted\|/);
    expect(errorOf(node)?.kind).toBe(ErrorKind.USER);
    expect(errorOf(node)?.message).toMatch(/^\[3\/3\] currentAttempt done\. Last Error: SYSTEM::/);
    expectTaskNodeOrder(node, attempts);
    expect(readMarks(h.markDir, id.name).map((m) => m.env.FLYTE_ATTEMPT_NUMBER)).toEqual(["0", "1", "2", "3"]);
    await expectNoLeftovers(h, id.name);
  }, 150_000);

  it("a plain Python exception is not retried despite retries=2 (scenario 4)", async () => {
    const id = ids.value_error_wf!;
    const exec = await waitForTerminal(h.admin, id);
    expect(exec.closure?.phase).toBe(WfPhase.FAILED);
    const attempts = await taskAttempts(h.admin, id, "n0");
    expect(attempts.map((t) => t.closure?.phase)).toEqual([TaskPhase.FAILED]);
    const taskError = errorOf(attempts[0]!)!;
    expect([taskError.code, taskError.kind]).toEqual(["USER:RuntimeError", ErrorKind.USER]);
    expect(taskError.message).toContain("plain user error");
    const node = (await nodesById(h.admin, id)).n0!;
    expect(node.closure?.phase).toBe(NodePhase.FAILED);
    expect(errorOf(node)).toMatchObject({ code: taskError.code, kind: taskError.kind });
    expect(execError(exec)).toMatchObject({ code: taskError.code, kind: ErrorKind.USER });
    expect(workflowEventPhases(h, id.name)).toEqual(["RUNNING", "FAILING", "FAILED"]);
    expectTaskNodeOrder(node, attempts);
    // flytekit wrote error.pb (and exited 0): that is where the error came from.
    expect(existsSync(fileURLToPath(`${metadataPrefix(h, id.name)}/n0/data/0/error.pb`))).toBe(true);
    await expectNoLeftovers(h, id.name);
  }, 90_000);

  it("a recoverable error is retried: attempts 0 and 1 fail, 2 succeeds, each in its own output folder (scenario 5)", async () => {
    const id = ids.flaky_wf!;
    const exec = await waitForTerminal(h.admin, id);
    expect(execError(exec)?.message ?? "").toBe("");
    expect(exec.closure?.phase).toBe(WfPhase.SUCCEEDED);
    expect(primitive((await outputsOf(h.admin, id)).o0)).toBe(2);
    const M = metadataPrefix(h, id.name);
    const attempts = await taskAttempts(h.admin, id, "n0");
    expect(attempts.map((t) => [t.id?.retryAttempt, t.closure?.phase])).toEqual([
      [0, TaskPhase.FAILED],
      [1, TaskPhase.FAILED],
      [2, TaskPhase.SUCCEEDED],
    ]);
    for (const t of attempts.slice(0, 2)) {
      expect([errorOf(t)?.code, errorOf(t)?.kind]).toEqual(["USER:Recoverable", ErrorKind.USER]);
      expect(errorOf(t)?.message).toContain(`flaky attempt ${t.id?.retryAttempt}`);
      expect(existsSync(fileURLToPath(`${M}/n0/data/${t.id?.retryAttempt}/error.pb`))).toBe(true);
    }
    expect(outputUri(attempts[2]!)).toBe(`${M}/n0/data/2/outputs.pb`);
    const node = (await nodesById(h.admin, id)).n0!;
    // The retries sent no node events: the node went QUEUED, RUNNING, SUCCEEDED and carries no error.
    expect(node.closure?.phase).toBe(NodePhase.SUCCEEDED);
    expect(outputUri(node)).toBe(`${M}/n0/data/2/outputs.pb`);
    expectTaskNodeOrder(node, attempts);
    expect(readMarks(h.markDir, id.name).map((m) => m.env.FLYTE_ATTEMPT_NUMBER)).toEqual(["0", "1", "2"]);
    await expectNoLeftovers(h, id.name);
  }, 90_000);

  it("retries=1 with an always-recoverable error: RetriesExhausted|USER:Recoverable, [2/2] (scenario 6)", async () => {
    const id = ids.exhausted_wf!;
    const exec = await waitForTerminal(h.admin, id);
    expect(exec.closure?.phase).toBe(WfPhase.FAILED);
    const attempts = await taskAttempts(h.admin, id, "n0");
    expect(attempts.map((t) => [t.closure?.phase, errorOf(t)?.code])).toEqual([
      [TaskPhase.FAILED, "USER:Recoverable"],
      [TaskPhase.FAILED, "USER:Recoverable"],
    ]);
    const node = (await nodesById(h.admin, id)).n0!;
    expect(node.closure?.phase).toBe(NodePhase.FAILED);
    expect(errorOf(node)?.code).toBe("RetriesExhausted|USER:Recoverable");
    expect(errorOf(node)?.kind).toBe(ErrorKind.USER);
    expect(errorOf(node)?.message).toMatch(/^\[2\/2\] currentAttempt done\. Last Error: USER::/);
    expect(errorOf(await nodeOf(h.admin, id, "n0"))?.message).toContain("still broken");
    expect(execError(exec)?.code).toBe("RetriesExhausted|USER:Recoverable");
    expectTaskNodeOrder(node, attempts);
    await expectNoLeftovers(h, id.name);
  }, 90_000);

  it("a crash (os._exit(3)) fails the attempt as USER with the exit code, and is retried per retries (scenario 7)", async () => {
    const id = ids.crash_wf!;
    const exec = await waitForTerminal(h.admin, id);
    expect(exec.closure?.phase).toBe(WfPhase.FAILED);
    const attempts = await taskAttempts(h.admin, id, "n0");
    expect(attempts.map((t) => [t.closure?.phase, errorOf(t)?.kind])).toEqual([
      [TaskPhase.FAILED, ErrorKind.USER],
      [TaskPhase.FAILED, ErrorKind.USER],
    ]);
    for (const t of attempts) expect(errorOf(t)?.message).toContain("terminated with exit code (3)");
    const node = (await nodesById(h.admin, id)).n0!;
    expect(errorOf(node)?.code).toMatch(/^RetriesExhausted\|/);
    expect(errorOf(node)?.message).toMatch(/^\[2\/2\] currentAttempt done\. Last Error: USER::/);
    expectTaskNodeOrder(node, attempts);
    await expectNoLeftovers(h, id.name);
    await expectNoRefusedEvents(h);
  }, 90_000);
});
