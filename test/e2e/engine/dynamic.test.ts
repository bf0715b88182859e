import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NodeExecution } from "../../../gen/flyteidl/admin/node_execution_pb.js";
import { ExecutionError_ErrorKind as ErrorKind, NodeExecution_Phase as NodePhase, TaskExecution_Phase as TaskPhase, WorkflowExecution_Phase as WfPhase } from "../../../gen/flyteidl/core/execution_pb.js";
import type { WorkflowExecutionIdentifier } from "../../../gen/flyteidl/core/identifier_pb.js";
import type { Literal } from "../../../gen/flyteidl/core/literals_pb.js";
import { type EngineServer, type EngineServerOptions, registerEngineWorkflows, startEngineServer } from "../../fixtures/engine/engine-server.js";
import { fixedLength, joinParts } from "../../fixtures/engine/expected-names.js";
import { errorOf, execError, launch, lit, metadataPrefix, nodeOf, outputsOf, outputUri, primitive, taskAttempts, waitForTerminal, waitUntil } from "../../fixtures/engine/executions.js";
import { findFlytekit, SKIP_MESSAGE } from "../../fixtures/engine/flytekit-kit.js";
import { expectNoLeftovers, expectNoRefusedEvents, expectTaskNodeOrder, killLeftoverTasks } from "../../fixtures/engine/invariants.js";
import { processAlive, readMarks } from "../../fixtures/engine/marks.js";

/**
 * engine-spec §10 scenario 17: @dynamic tasks of the real flytekit. The task
 * yields child tasks at run time; the engine compiles and reports their
 * workflow (GetDynamicNodeWorkflow), runs them under the parent node, and a
 * server restart in the middle resumes them under the same ids.
 */
const kit = findFlytekit();
const VERSION = "v1";

const ints = (l: Literal | undefined) => (l?.value.case === "collection" ? l.value.value.literals.map((x) => primitive(x)) : undefined);

/** The children of a node execution (ListNodeExecutions with unique_parent_id), by id. */
async function childrenOf(h: EngineServer, id: WorkflowExecutionIdentifier, parent: string): Promise<Record<string, NodeExecution>> {
  const res = await h.admin.listNodeExecutions({ workflowExecutionId: id, uniqueParentId: parent, limit: 100 });
  return Object.fromEntries(res.nodeExecutions.map((n) => [n.id!.nodeId, n]));
}

/** Each child task node ran exactly one attempt, which succeeded, after its node's first event. */
async function expectOneAttemptEach(h: EngineServer, id: WorkflowExecutionIdentifier, nodes: Record<string, NodeExecution>, taskNodes: string[]) {
  for (const nodeId of taskNodes) {
    const attempts = await taskAttempts(h.admin, id, nodeId);
    expect(attempts.map((t) => [t.id?.retryAttempt, t.closure?.phase]), nodeId).toEqual([[0, TaskPhase.SUCCEEDED]]);
    expectTaskNodeOrder(nodes[nodeId]!, attempts);
  }
}

describe.skipIf(!kit)(`local engine: dynamic workflows ${kit ? "" : SKIP_MESSAGE}`, () => {
  let h: EngineServer;
  const ids: Record<string, WorkflowExecutionIdentifier> = {};
  beforeAll(async () => {
    h = await startEngineServer(kit!);
    await registerEngineWorkflows(kit!, h, VERSION, ["dynamic_wf"]);
    ids.squares = await launch(h, "dynamic_wf.dynamic_wf", { version: VERSION });
    ids.nested = await launch(h, "dynamic_wf.nested_wf", { version: VERSION });
    ids.failing = await launch(h, "dynamic_wf.failing_wf", { version: VERSION });
    ids.subworkflows = await launch(h, "dynamic_wf.subworkflow_wf", { version: VERSION });
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    if (h) killLeftoverTasks(h);
    if (h && !process.env.E2E_KEEP) h.remove();
  });

  it("squares range(3) through child tasks: [0, 1, 4], children n0-0-dn<i> under the parent (scenario 17)", async () => {
    const id = ids.squares!;
    const exec = await waitForTerminal(h.admin, id, 180_000);
    expect(execError(exec)?.message ?? "").toBe("");
    expect(exec.closure?.phase).toBe(WfPhase.SUCCEEDED);
    expect(ints((await outputsOf(h.admin, id)).o0)).toEqual([0, 1, 4]);

    const M = metadataPrefix(h, id.name);
    const n0 = await nodeOf(h.admin, id, "n0");
    expect(n0.closure?.phase).toBe(NodePhase.SUCCEEDED);
    expect([n0.metadata?.isDynamic, n0.metadata?.isParentNode]).toEqual([true, true]);
    expect(outputUri(n0)).toBe(`${M}/n0/data/0/outputs.pb`);
    expect(n0.closure?.dynamicJobSpecUri).toBe(`${M}/n0/data/0/futures.pb`);
    // The compiled workflow sits next to the futures file the task wrote.
    expect(existsSync(fileURLToPath(`${M}/n0/data/0/dynamic_compiled.pb`))).toBe(true);
    // The parent task ran once and succeeded before its children did.
    const parentAttempts = await taskAttempts(h.admin, id, "n0");
    expect(parentAttempts.map((t) => [t.id?.retryAttempt, t.closure?.phase])).toEqual([[0, TaskPhase.SUCCEEDED]]);

    const served = await h.admin.getDynamicNodeWorkflow({ id: { executionId: id, nodeId: "n0" } });
    const template = served.compiledWorkflow?.primary?.template;
    expect(template?.id).toMatchObject({ project: id.project, domain: id.domain, name: "dynamic_n0" });
    expect(template?.nodes.map((n) => n.id).sort()).toEqual(["dn0", "dn1", "dn2", "end-node", "start-node"]);
    expect(served.compiledWorkflow?.tasks.map((t) => t.template?.id?.name)).toEqual(["engine_e2e.dynamic_wf.square"]);

    const children = await childrenOf(h, id, "n0");
    expect(Object.keys(children).sort()).toEqual(["n0-0-dn0", "n0-0-dn1", "n0-0-dn2", "n0-0-end-node", "n0-0-start-node"]);
    for (const [childId, child] of Object.entries(children)) {
      expect(child.closure?.phase, childId).toBe(NodePhase.SUCCEEDED);
      expect([child.metadata?.retryGroup, child.metadata?.specNodeId]).toEqual(["0", childId.slice("n0-0-".length)]);
    }
    expect(children["n0-0-dn1"]?.inputUri).toBe(`${M}/n0/data/0/dn1/inputs.pb`);
    expect(outputUri(children["n0-0-dn2"]!)).toBe(`${M}/n0/data/0/dn2/0/outputs.pb`);
    await expectOneAttemptEach(h, id, children, ["n0-0-dn0", "n0-0-dn1", "n0-0-dn2"]);
    // Only the top-level nodes are listed without a parent.
    const top = await h.admin.listNodeExecutions({ workflowExecutionId: id, limit: 100 });
    expect(top.nodeExecutions.map((n) => n.id!.nodeId).sort()).toEqual(["end-node", "n0", "start-node"]);

    const marks = await expectNoLeftovers(h, id.name);
    expect(marks.map((m) => m.tag).sort()).toEqual(["square0", "square1", "square2", "squares"]);
    // Each child ran as its own task: its generated name follows from its unique id.
    expect(marks.find((m) => m.tag === "square1")?.cwd).toMatch(/\/n0-0-dn1\/0$/);
    await expectNoRefusedEvents(h);
  }, 200_000);

  it("runs a dynamic task yielded by a dynamic task: grandchildren n0-0-dn0-0-dn<i>", async () => {
    const id = ids.nested!;
    const exec = await waitForTerminal(h.admin, id, 180_000);
    expect(execError(exec)?.message ?? "").toBe("");
    expect(exec.closure?.phase).toBe(WfPhase.SUCCEEDED);
    expect(ints((await outputsOf(h.admin, id)).o0)).toEqual([0, 1]);
    const children = await childrenOf(h, id, "n0");
    expect(Object.keys(children).sort()).toEqual(["n0-0-dn0", "n0-0-end-node", "n0-0-start-node"]);
    const inner = children["n0-0-dn0"]!;
    expect([inner.metadata?.isDynamic, inner.metadata?.isParentNode, inner.closure?.phase]).toEqual([true, true, NodePhase.SUCCEEDED]);
    const grandchildren = await childrenOf(h, id, "n0-0-dn0");
    // Ids longer than 20 bytes are hashed (engine-spec §1.1): the inner start node's is one of them.
    const hashed = (spec: string) => fixedLength(joinParts(["n0-0-dn0", "0", spec]), 20);
    expect(hashed("start-node")).toMatch(/^f[a-z1-6]{7}$/);
    expect(Object.keys(grandchildren).sort()).toEqual([hashed("start-node"), "n0-0-dn0-0-dn0", "n0-0-dn0-0-dn1", "n0-0-dn0-0-end-node"].sort());
    await expectOneAttemptEach(h, id, grandchildren, ["n0-0-dn0-0-dn0", "n0-0-dn0-0-dn1"]);
    const served = await h.admin.getDynamicNodeWorkflow({ id: { executionId: id, nodeId: "n0-0-dn0" } });
    expect(served.compiledWorkflow?.primary?.template?.id?.name).toBe("dynamic_dn0");
    const marks = await expectNoLeftovers(h, id.name);
    expect(marks.map((m) => m.tag).sort()).toEqual(["nested", "square0", "square1", "squares"]);
  }, 200_000);

  it("runs subworkflows a dynamic task yields, from the dynamic workflow's own closure", async () => {
    const id = ids.subworkflows!;
    const exec = await waitForTerminal(h.admin, id, 180_000);
    expect(execError(exec)?.message ?? "").toBe("");
    expect(exec.closure?.phase).toBe(WfPhase.SUCCEEDED);
    // x -> (x²)²
    expect(ints((await outputsOf(h.admin, id)).o0)).toEqual([0, 1]);
    const children = await childrenOf(h, id, "n0");
    expect(Object.keys(children).sort()).toEqual(["n0-0-dn0", "n0-0-dn1", "n0-0-end-node", "n0-0-start-node"]);
    for (const sub of ["n0-0-dn0", "n0-0-dn1"]) {
      expect([children[sub]!.metadata?.isParentNode, children[sub]!.closure?.phase], sub).toEqual([true, NodePhase.SUCCEEDED]);
      const inner = await childrenOf(h, id, sub);
      // flytekit names the nodes of a workflow it compiles inside a dynamic task dn<i> too.
      expect(Object.values(inner).map((n) => n.metadata?.specNodeId).sort()).toEqual(["dn0", "dn1", "end-node", "start-node"]);
    }
    const marks = await expectNoLeftovers(h, id.name);
    // (marks are kept per tag: each square<x> ran twice, once per node of square_twice)
    expect(marks.map((m) => m.tag).sort()).toEqual(["square0", "square1", "via_subworkflows"]);
    await expectNoRefusedEvents(h);
  }, 200_000);

  it("fails the dynamic node with its failing child's error", async () => {
    const id = ids.failing!;
    const exec = await waitForTerminal(h.admin, id, 180_000);
    expect(exec.closure?.phase).toBe(WfPhase.FAILED);
    const children = await childrenOf(h, id, "n0");
    expect(children["n0-0-dn1"]?.closure?.phase).toBe(NodePhase.FAILED);
    const failed = await nodeOf(h.admin, id, "n0-0-dn1");
    expect(errorOf(failed)?.message).toContain("child 1 fails");
    const n0 = await nodeOf(h.admin, id, "n0");
    expect(n0.closure?.phase).toBe(NodePhase.FAILED);
    expect(n0.metadata?.isDynamic).toBe(true);
    expect(errorOf(n0)).toMatchObject({ kind: ErrorKind.USER, code: errorOf(failed)?.code });
    expect(execError(exec)).toMatchObject({ kind: ErrorKind.USER, code: errorOf(failed)?.code });
    await expectNoLeftovers(h, id.name);
  }, 200_000);
});

/**
 * Runs a scenario with the servers it starts (all on one data folder), then
 * stops them, kills what is left of their tasks and removes the folder.
 */
async function withServers(scenario: (start: (options?: EngineServerOptions) => Promise<EngineServer>) => Promise<void>): Promise<void> {
  const servers: EngineServer[] = [];
  try {
    await scenario(async (options = {}) => {
      const s = await startEngineServer(kit!, { ...options, ...(servers[0] ? { dataDir: servers[0].dataDir } : {}) });
      servers.push(s);
      return s;
    });
  } finally {
    for (const s of servers) {
      await s.close();
      killLeftoverTasks(s);
    }
    if (servers[0] && !process.env.E2E_KEEP) servers[0].remove();
  }
}

describe.skipIf(!kit)(`local engine: dynamic workflow across a restart ${kit ? "" : SKIP_MESSAGE}`, () => {
  it("keeps the children's ids when the server restarts while they run (scenario 17)", () =>
    withServers(async (start) => {
      const first = await start();
      await registerEngineWorkflows(kit!, first, VERSION, ["dynamic_wf"]);
      const id = await launch(first, "dynamic_wf.dynamic_wf", { version: VERSION, inputs: { n: lit.int(2), secs: lit.int(8) } });
      const running = await waitUntil(
        "both children to run",
        () => {
          const marks = readMarks(first.markDir, id.name).filter((m) => m.tag.startsWith("square") && m.tag !== "squares" && m.end === null);
          return marks.length === 2 && marks;
        },
        120_000,
      );
      const before = Object.keys(await childrenOf(first, id, "n0")).sort();
      await first.close();
      expect(running.every((m) => processAlive(m.pid))).toBe(true);

      const second = await start();
      const exec = await waitForTerminal(second.admin, id, 120_000);
      expect(execError(exec)?.message ?? "").toBe("");
      expect(exec.closure?.phase).toBe(WfPhase.SUCCEEDED);
      expect(ints((await outputsOf(second.admin, id)).o0)).toEqual([0, 1]);
      const children = await childrenOf(second, id, "n0");
      expect(Object.keys(children).sort()).toEqual(["n0-0-dn0", "n0-0-dn1", "n0-0-end-node", "n0-0-start-node"]);
      expect(before.filter((c) => !(c in children))).toEqual([]);
      await expectOneAttemptEach(second, id, children, ["n0-0-dn0", "n0-0-dn1"]);
      expect((await taskAttempts(second.admin, id, "n0")).map((t) => [t.id?.retryAttempt, t.closure?.phase])).toEqual([[0, TaskPhase.SUCCEEDED]]);
      // The processes that ran before the stop are the ones that finished: no child started twice.
      const marks = await expectNoLeftovers(second, id.name);
      const squares = marks.filter((m) => m.tag !== "squares");
      expect(squares.map((m) => [m.tag, m.attempt, m.pid]).sort()).toEqual(running.map((m) => [m.tag, m.attempt, m.pid]).sort());
      expect(squares.every((m) => m.end !== null)).toBe(true);
      await expectNoRefusedEvents(second);
    }), 300_000);
});
