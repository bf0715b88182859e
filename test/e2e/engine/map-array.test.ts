import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeExecution_Phase as NodePhase, TaskExecution_Phase as TaskPhase, WorkflowExecution_Phase as WfPhase } from "../../../gen/flyteidl/core/execution_pb.js";
import { create } from "@bufbuild/protobuf";
import { type Literal, LiteralSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import { type EngineServer, registerEngineWorkflows, startEngineServer } from "../../fixtures/engine/engine-server.js";
import { generatedName } from "../../fixtures/engine/expected-names.js";
import { launch, lit, metadataPrefix, nodesById, outputsOf, outputUri, primitive, taskAttempts, waitForTerminal } from "../../fixtures/engine/executions.js";
import { findFlytekit, SKIP_MESSAGE } from "../../fixtures/engine/flytekit-kit.js";
import { expectNoLeftovers, expectNoRefusedEvents, killLeftoverTasks } from "../../fixtures/engine/invariants.js";
import { maxOverlap } from "../../fixtures/engine/marks.js";

/**
 * engine-spec §10 scenario 16 with the real flytekit: `map_task(plus_one,
 * concurrency=2)` over [1, 2, 3] runs one pyflyte-map-execute process per
 * element, at most two at once, reported as one task execution of the array
 * node with an external resource per element; the min_success_ratio=0.5
 * variant with a failing element succeeds with none at its index.
 */
const kit = findFlytekit();
const VERSION = "v1";
let h: EngineServer;

const ints = (...xs: number[]): Literal => create(LiteralSchema, { value: { case: "collection", value: { literals: xs.map(lit.int) } } });
const items = (l: Literal | undefined): (number | string | boolean | null | undefined)[] => {
  if (l?.value.case !== "collection") return [];
  return l.value.value.literals.map((x) => (x.value.case === "scalar" && x.value.value.value.case === "noneType" ? null : primitive(x.value.case === "scalar" && x.value.value.value.case === "union" ? x.value.value.value.value.value : x)));
};

describe.skipIf(!kit)(`local engine: map tasks ${kit ? "" : SKIP_MESSAGE}`, () => {
  beforeAll(async () => {
    // Slots for three: only the array's concurrency keeps the third element waiting.
    h = await startEngineServer(kit!, { taskSlots: 3 });
    await registerEngineWorkflows(kit!, h, VERSION, ["map_array"]);
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    if (h) killLeftoverTasks(h);
    if (h && !process.env.E2E_KEEP) h.remove();
  });

  it("maps plus_one over [1, 2, 3] two at a time: [2, 3, 4], one task execution with three external resources (scenario 16)", async () => {
    const id = await launch(h, "map_array.map_plus_one", { version: VERSION, inputs: { xs: ints(1, 2, 3) } });
    const exec = await waitForTerminal(h.admin, id, 180_000);
    expect(exec.closure?.phase).toBe(WfPhase.SUCCEEDED);
    expect(items((await outputsOf(h.admin, id)).o0)).toEqual([2, 3, 4]);

    const nodes = await nodesById(h.admin, id);
    expect(Object.keys(nodes).sort()).toEqual(["end-node", "n0", "start-node"]);
    const n0 = nodes.n0!;
    expect(n0.closure?.phase).toBe(NodePhase.SUCCEEDED);
    expect(n0.metadata?.isArray).toBe(true);
    expect(outputUri(n0)).toBe(`${metadataPrefix(h, id.name)}/n0/data/0/outputs.pb`);

    const attempts = await taskAttempts(h.admin, id, "n0");
    expect(attempts).toHaveLength(1);
    const t = attempts[0]!;
    expect(t.closure?.phase).toBe(TaskPhase.SUCCEEDED);
    expect(t.closure?.taskType).toBe("container_array");
    expect(t.closure?.metadata?.pluginIdentifier).toBe("k8s-array");
    const array = generatedName(id.name, "n0", 0);
    expect(t.closure?.metadata?.externalResources.map((r) => [r.index, r.externalId, TaskPhase[r.phase]])).toEqual(
      [0, 1, 2].map((i) => [i, `${array}-n${i}-0`, "SUCCEEDED"]),
    );
    expect(outputUri(t)).toBe(outputUri(n0));
    // Each element's log link, named with its index, serves that element's process output.
    const logs = t.closure?.metadata?.externalResources.map((r) => r.logs) ?? [];
    expect(logs.map((l) => l.map((x) => x.name))).toEqual([0, 1, 2].map((i) => [`Local logs (User)-${i}`]));
    const log = await (await fetch(logs[1]![0]!.uri)).text();
    expect(log).toContain("e2e mark plus_one-2 attempt=0");

    // One process per element, each told its index, never more than two at once.
    const marks = await expectNoLeftovers(h, id.name);
    expect(marks.map((m) => m.tag).sort()).toEqual(["plus_one-1", "plus_one-2", "plus_one-3"]);
    for (const m of marks) expect(m.env.FLYTE_K8S_ARRAY_INDEX).toBe(String(Number(m.tag.slice("plus_one-".length)) - 1));
    expect(maxOverlap(marks)).toBeLessThanOrEqual(2);
    // Each element ran in its own attempt folder, under its own unique id.
    expect(new Set(marks.map((m) => m.cwd)).size).toBe(3);
    for (const m of marks) expect(m.cwd).toContain(`/${id.name}/n0-0-n${Number(m.tag.slice("plus_one-".length)) - 1}/0`);
    await expectNoRefusedEvents(h);
  }, 240_000);

  it("succeeds with min_success_ratio 0.5 when one element fails: none at its index (scenario 16)", async () => {
    const id = await launch(h, "map_array.map_min_ratio", { version: VERSION, inputs: { xs: ints(1, 2, 3) } });
    const exec = await waitForTerminal(h.admin, id, 180_000);
    expect(exec.closure?.phase).toBe(WfPhase.SUCCEEDED);
    expect(items((await outputsOf(h.admin, id)).o0)).toEqual([2, null, 4]);
    const t = (await taskAttempts(h.admin, id, "n0"))[0]!;
    expect(t.closure?.phase).toBe(TaskPhase.SUCCEEDED);
    expect(t.closure?.metadata?.externalResources.map((r) => TaskPhase[r.phase])).toEqual(["SUCCEEDED", "FAILED", "SUCCEEDED"]);
    const marks = await expectNoLeftovers(h, id.name);
    expect(marks.map((m) => m.tag).sort()).toEqual(["plus_one_or_fail-1", "plus_one_or_fail-2", "plus_one_or_fail-3"]);
    await expectNoRefusedEvents(h);
  }, 240_000);
});
