import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeExecution_Phase as NodePhase, TaskExecution_Phase as TaskPhase, WorkflowExecution_Phase as WfPhase } from "../../../gen/flyteidl/core/execution_pb.js";
import { type EngineServer, registerEngineWorkflows, startEngineServer } from "../../fixtures/engine/engine-server.js";
import { launch, lit, ms, nodesById, outputsOf, primitive, taskAttempts, waitForTerminal } from "../../fixtures/engine/executions.js";
import { findFlytekit, SKIP_MESSAGE } from "../../fixtures/engine/flytekit-kit.js";
import { expectNoLeftovers, expectNoRefusedEvents, killLeftoverTasks } from "../../fixtures/engine/invariants.js";
import { maxOverlap } from "../../fixtures/engine/marks.js";

/**
 * engine-spec §10 scenario 3 (max_parallelism) and the engine's task slots:
 * 20 independent task nodes (FANOUT_WIDTH in parallel.py: every task start is
 * a flytekit import, ~2 s of CPU, and the suite must stay within minutes on 2
 * cores) on a server with `engineTaskSlots: 2` all succeed, and the start/end
 * times the tasks wrote show that never more than 2 ran at once. Overlap is
 * what the processes recorded, not a duration.
 */
const kit = findFlytekit();
const VERSION = "v1";
const WIDTH = 20;
let h: EngineServer;

describe.skipIf(!kit)(`local engine: parallelism and task slots ${kit ? "" : SKIP_MESSAGE}`, () => {
  beforeAll(async () => {
    h = await startEngineServer(kit!, { taskSlots: 2 });
    await registerEngineWorkflows(kit!, h, VERSION, ["parallel"]);
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    if (h) killLeftoverTasks(h);
    if (h && !process.env.E2E_KEEP) h.remove();
  });

  it("runs two independent tasks at the same time with the default max_parallelism (scenario 3)", async () => {
    // Each sleeper waits (up to 30 s) for the other to have started: they overlap only if both run at once.
    const id = await launch(h, "parallel.two_sleepers_wf", { version: VERSION, inputs: { secs: lit.float(0.5), wait_for_peer: lit.bool(true) } });
    const exec = await waitForTerminal(h.admin, id);
    expect(exec.closure?.phase).toBe(WfPhase.SUCCEEDED);
    const out = await outputsOf(h.admin, id);
    expect([primitive(out.o0), primitive(out.o1)]).toEqual(["a", "b"]);
    const marks = await expectNoLeftovers(h, id.name);
    expect(marks.map((m) => m.tag).sort()).toEqual(["sleeper-a", "sleeper-b"]);
    expect(maxOverlap(marks)).toBe(2);
  }, 90_000);

  it("runs them one after the other with max_parallelism 1: the second is not started until the first ends (scenario 3)", async () => {
    const id = await launch(h, "parallel.two_sleepers_wf", { version: VERSION, maxParallelism: 1, inputs: { secs: lit.float(0.5), wait_for_peer: lit.bool(false) } });
    const exec = await waitForTerminal(h.admin, id);
    expect(exec.closure?.phase).toBe(WfPhase.SUCCEEDED);
    expect(exec.spec?.maxParallelism).toBe(1);
    const marks = await expectNoLeftovers(h, id.name);
    expect(maxOverlap(marks)).toBe(1);
    // The later node's task attempt was only queued once the earlier one had finished.
    const nodes = await nodesById(h.admin, id);
    const attempts = await Promise.all(["n0", "n1"].map(async (n) => (await taskAttempts(h.admin, id, n))[0]!));
    const [first, second] = [...attempts].sort((a, b) => ms(a.closure?.createdAt) - ms(b.closure?.createdAt));
    expect(ms(second!.closure?.createdAt)).toBeGreaterThanOrEqual(ms(first!.closure?.updatedAt));
    expect(ms(nodes[second!.id!.nodeExecutionId!.nodeId]!.closure?.createdAt)).toBeGreaterThanOrEqual(ms(first!.closure?.updatedAt));
  }, 90_000);

  it(`runs ${WIDTH} parallel tasks with engineTaskSlots 2: all succeed, never more than 2 at once`, async () => {
    const id = await launch(h, "parallel.fanout_wf", { version: VERSION });
    const exec = await waitForTerminal(h.admin, id, 240_000);
    expect(exec.closure?.phase).toBe(WfPhase.SUCCEEDED);
    expect(primitive((await outputsOf(h.admin, id)).o0)).toBe((WIDTH * (WIDTH - 1)) / 2);
    const nodes = await nodesById(h.admin, id);
    const taskNodes = Object.values(nodes).filter((n) => n.id!.nodeId !== "start-node" && n.id!.nodeId !== "end-node");
    expect(taskNodes.length).toBe(WIDTH + 1);
    for (const n of taskNodes) expect([n.id?.nodeId, n.closure?.phase]).toEqual([n.id?.nodeId, NodePhase.SUCCEEDED]);
    // Every node was queued at once (max_parallelism 25); those beyond the slots waited in QUEUED for one.
    const attempts = (await Promise.all(taskNodes.map((n) => taskAttempts(h.admin, id, n.id!.nodeId)))).flat();
    expect(attempts.length).toBe(WIDTH + 1);
    expect(attempts.every((t) => t.closure?.phase === TaskPhase.SUCCEEDED)).toBe(true);
    const waited = attempts.filter((t) => t.closure?.reasons.some((r) => r.message === "waiting for a free local slot"));
    expect(waited.length).toBeGreaterThan(0);
    const marks = (await expectNoLeftovers(h, id.name)).filter((m) => m.tag.startsWith("stamp-"));
    expect(marks.length).toBe(WIDTH);
    expect(new Set(marks.map((m) => m.tag)).size).toBe(WIDTH);
    expect(marks.every((m) => m.end !== null)).toBe(true);
    expect(maxOverlap(marks)).toBeLessThanOrEqual(2);
    await expectNoRefusedEvents(h);
  }, 300_000);
});
