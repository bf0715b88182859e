import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { TaskExecution_Phase } from "../../../gen/flyteidl/core/execution_pb.js";
import { createEchoPlugin } from "../../../src/engine/local/echo-plugin.js";
import { createLocalEngine } from "../../../src/engine/local/local-engine.js";
import { initialStatus } from "../../../src/engine/local/status.js";
import { createLogger } from "../../../src/logger.js";
import { createScriptedPlugin } from "./scripted-plugin.js";
import { createSqlStore } from "../../../src/storage/sql-store.js";
import { promise, T, taskNode, workflow } from "../../fixtures/flyte-builders.js";
import { backends } from "../../helpers/backends.js";
import { eventLines, execId, type Harness, type HarnessOptions, intLiteral, launch, literals, registerTasks, registerWorkflow, startHarness, taskOfType, tempDir, waitFor, waitForPhase } from "./harness.js";

// A SQLite file, PGlite, and a PostgreSQL server when the environment names one.
const stores: { name: string; options: () => HarnessOptions }[] = [
  { name: "SQLite file", options: () => ({ database: join(tempDir("engine-restart-"), "admin.db") }) },
  ...backends
    .filter((b) => b.name.startsWith("postgres"))
    .map((b) => ({ name: b.name, options: (): HarnessOptions => ({ openStore: async () => createSqlStore(await b.open()) }) })),
];

let h: Harness | undefined;
afterEach(() => h?.close());

// PGlite starts slowly (WASM, migrations) and runs every statement on one thread.
describe.each(stores)("restart on $name", { timeout: 120_000 }, ({ options }) => {
  it("resumes a running execution in a new engine: it finishes, with one task execution per attempt", async () => {
    h = await startHarness(options());
    const t = taskOfType("echo", "wf.slow", { x: T.int() }, { o0: T.int() }, { config: { sleep_ms: "800" } });
    const wf = workflow("wf.restart", {
      inputs: { x: T.int() },
      outputs: { o0: T.int() },
      nodes: [taskNode("n0", t, { inputs: { x: promise("", "x") } }), taskNode("n1", t, { inputs: { x: promise("n0", "o0") } })],
      outputBindings: { o0: promise("n1", "o0") },
    });
    await registerTasks(h.admin, t);
    await registerWorkflow(h.admin, wf);
    const id = await launch(h.admin, wf.id!, "restart", literals({ x: intLiteral(5) }));
    await waitFor("n0 to run", () => (eventLines(h!.events, "restart").includes("T n0#0 RUNNING v0") ? true : undefined), 90_000);
    await h.restart([createEchoPlugin()]);
    await waitForPhase(h.admin, id, ["SUCCEEDED"], 90_000);
    expect((await h.admin.getExecutionData({ id })).fullOutputs?.literals.o0).toEqual(intLiteral(5));
    for (const nodeId of ["n0", "n1"]) {
      const tasks = await h.admin.listTaskExecutions({ nodeExecutionId: { executionId: id, nodeId }, limit: 10 });
      expect(tasks.taskExecutions.map((x) => `${x.id?.retryAttempt}:${TaskExecution_Phase[x.closure!.phase]}`)).toEqual(["0:SUCCEEDED"]);
    }
    const nodes = await h.admin.listNodeExecutions({ workflowExecutionId: id, limit: 10 });
    expect(nodes.nodeExecutions.map((n) => n.id?.nodeId).sort()).toEqual(["end-node", "n0", "n1", "start-node"]);
    // Nothing was refused but repeats of what was already recorded.
    expect(h.events.filter((r) => r.refused && r.refused !== "AlreadyExists")).toEqual([]);
    expect(eventLines(h.events, "restart").filter((l) => !l.endsWith("!AlreadyExists")).at(-1)).toBe("WF SUCCEEDED");
  });

  it("resumes an abort requested while no engine ran", async () => {
    h = await startHarness(options());
    const t = taskOfType("echo", "wf.slow2", { x: T.int() }, { o0: T.int() }, { config: { sleep_ms: "60000" } });
    const wf = workflow("wf.restart2", { inputs: { x: T.int() }, nodes: [taskNode("n0", t, { inputs: { x: promise("", "x") } })] });
    await registerTasks(h.admin, t);
    await registerWorkflow(h.admin, wf);
    const id = await launch(h.admin, wf.id!, "restart2", literals({ x: intLiteral(5) }));
    await waitFor("n0 to run", () => (eventLines(h!.events, "restart2").includes("T n0#0 RUNNING v0") ? true : undefined), 90_000);
    await h.engine.stop();
    const seen = h.events.length;
    await h.admin.terminateExecution({ id, cause: "while down" });
    await new Promise((r) => setTimeout(r, 200));
    expect(h.events.length).toBe(seen); // a stopped engine reports nothing
    await h.restart([createEchoPlugin()]);
    await waitForPhase(h.admin, id, ["ABORTED"], 90_000);
    expect(eventLines(h.events, "restart2").slice(-3)).toEqual(["T n0#0 ABORTED v0", "N n0 ABORTED", "WF ABORTED"]);
  });
});

describe("before start()", () => {
  it("only records an abort: no round runs until start() resumes the row", async () => {
    h = await startHarness();
    const key = { project: "flytesnacks", domain: "development", name: "early" };
    await h.store.engine.create({ key, definition: "{}", status: JSON.stringify(initialStatus()) });
    let reads = 0;
    const store = { ...h.store, engine: { ...h.store.engine, get: (k: typeof key) => (reads++, h!.store.engine.get(k)) } };
    const engine = createLocalEngine({ store, blobs: h.blobs, sink: { workflow: async () => {}, node: async () => {}, task: async () => {} }, plugins: [], config: { clusterId: "local", metadataPrefix: "metadata/propeller", rawOutputBase: h.blobs.uri("data"), maxConcurrentTasks: 1, defaultTaskCpus: 1, workers: 1 }, logger: createLogger("silent") });
    await engine.executor.abort(execId("early"), "stop it");
    for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 1));
    expect(reads).toBe(0);
    expect((await h.store.engine.get(key))?.abortCause).toBe("stop it");
    await engine.stop();
  });
});

describe("replay safety", () => {
  it("keeps what a plugin recorded when it launched an attempt, even when the round fails afterwards", async () => {
    const plugin = createScriptedPlugin();
    h = await startHarness({ plugins: [plugin], config: { retryBaseMs: 1 } });
    const ok = taskOfType("scripted", "wf.launches", { x: T.int() }, { o0: T.int() }, { config: { script: "success:5" } });
    const broken = taskOfType("scripted", "wf.breaks", { x: T.int() }, { o0: T.int() }, { config: { script: "throwfirst" } });
    const wf = workflow("wf.replay", { inputs: { x: T.int() }, nodes: [taskNode("n0", ok, { inputs: { x: promise("", "x") } }), taskNode("n1", broken, { inputs: { x: promise("", "x") } })] });
    await registerTasks(h.admin, ok, broken);
    await registerWorkflow(h.admin, wf);
    const id = await launch(h.admin, wf.id!, "replay", literals({ x: intLiteral(1) }));
    await waitForPhase(h.admin, id, ["SUCCEEDED"]);
    expect(plugin.thrown.has("replay-n1-0")).toBe(true);
    // n0 launched in the round n1 broke; the replayed round found its record and did not launch it again.
    expect(plugin.launched.filter((n) => n === "replay-n0-0")).toHaveLength(1);
  });
});
