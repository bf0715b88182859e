// What a node costs the engine's durable state: row reads and status writes
// per node of a chain of echo tasks (counts, not times).
import { afterEach, describe, expect, it } from "vitest";
import type { Node } from "../../../gen/flyteidl/core/workflow_pb.js";
import { createEchoPlugin } from "../../../src/engine/local/echo-plugin.js";
import { promise, T, taskNode, workflow } from "../../fixtures/flyte-builders.js";
import { type Harness, intLiteral, launch, literals, registerTasks, registerWorkflow, startHarness, taskOfType, waitForPhase } from "./harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("round cost", () => {
  it("reads the row and writes the status a bounded number of times per node of a chain", async () => {
    h = await startHarness({ plugins: [createEchoPlugin()] });
    const t = taskOfType("echo", "wf.link", { x: T.int() }, { o0: T.int() });
    const nodes: Node[] = [];
    for (let i = 0; i < 20; i++) nodes.push(taskNode(`n${i}`, t, { inputs: { x: i === 0 ? promise("", "x") : promise(`n${i - 1}`, "o0") } }));
    const wf = workflow("wf.chain", { inputs: { x: T.int() }, nodes });
    await registerTasks(h.admin, t);
    await registerWorkflow(h.admin, wf);
    const engine = h.store.engine;
    const get = engine.get.bind(engine);
    const getState = engine.getState.bind(engine);
    const update = engine.update.bind(engine);
    let reads = 0;
    let fullReads = 0;
    let writes = 0;
    engine.get = (k) => (reads++, fullReads++, get(k));
    engine.getState = (k) => (reads++, getState(k));
    engine.update = (k, v, u) => (writes++, update(k, v, u));
    const id = await launch(h.admin, wf.id!, "chain", literals({ x: intLiteral(1) }));
    await waitForPhase(h.admin, id, ["SUCCEEDED"]);
    engine.get = get;
    engine.getState = getState;
    engine.update = update;
    // One step per round read the row 5.3 times and wrote it 6.3 times per node; steps in memory
    // write once per event an entity repeats (about 3.6) and read about once per 1.5 nodes.
    expect(reads / 20).toBeLessThan(2);
    // The definition is read once; later rounds read only the state.
    expect(fullReads).toBe(1);
    expect(writes / 20).toBeLessThan(4.5);
  });
});
