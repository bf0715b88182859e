import { create } from "@bufbuild/protobuf";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { ExecutionMetadata_ExecutionMode as Mode } from "../../../gen/flyteidl/admin/execution_pb.js";
import { CatalogCacheStatus, CatalogReservation_Status } from "../../../gen/flyteidl/core/catalog_pb.js";
import { NodeExecution_Phase, TaskExecution_Phase, WorkflowExecution_Phase } from "../../../gen/flyteidl/core/execution_pb.js";
import { type BindingData, type Literal, LiteralSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import { NodeSchema } from "../../../gen/flyteidl/core/workflow_pb.js";
import type { NodeExecutionEvent } from "../../../gen/flyteidl/event/event_pb.js";
import { SignalService } from "../../../gen/flyteidl/service/signal_pb.js";
import { taskCacheKey } from "../../../src/engine/local/cache-key.js";
import { SERIALIZED_CACHE_WAIT } from "../../../src/engine/local/cache.js";
import { createEchoPlugin } from "../../../src/engine/local/echo-plugin.js";
import { parseStatus } from "../../../src/engine/local/status.js";
import { bindings, branchNode, intValue, launchPlanId, launchPlanNode, promise, signalNode, subWorkflowNode, T, taskNode, workflow } from "../../fixtures/flyte-builders.js";
import { childExecutionName, generatedName } from "../../fixtures/engine/expected-names.js";
import { createTestDatabase, PG_URL } from "../../helpers/backends.js";
import { cacheEntry, reservationOwner } from "../../helpers/cache-entries.js";
import { createElementPlugin, type ElementPlugin } from "./element-plugin.js";
import { eventLines, execId, type Harness, type HarnessOptions, intLiteral, launch, literals, registerTasks, registerWorkflow, startHarness, taskOfType, waitFor, waitForPhase } from "./harness.js";
import { createScriptedPlugin, type ScriptedPlugin } from "./scripted-plugin.js";

/**
 * The node kinds on a PostgreSQL server (FLYTEADMIN_TEST_PG_URL; skipped
 * without it): one representative run of each kind, so that what each keeps
 * in the store — nested node executions listed by parent, child executions,
 * signals, an array's merged external resources, catalog entries and
 * reservations, engine rows across a restart — is exercised on PostgreSQL as
 * well as SQLite. Every test gets a database of its own.
 */
let h: Harness | undefined;
let drop: (() => Promise<void>) | undefined;
let scripted: ScriptedPlugin;
let elements: ElementPlugin;
afterEach(async () => {
  await h?.close();
  await drop?.();
  h = undefined;
  drop = undefined;
});

const start = async (config: HarnessOptions["config"] = {}) => {
  const db = await createTestDatabase();
  drop = db.drop;
  scripted = createScriptedPlugin();
  elements = createElementPlugin();
  h = await startHarness({ database: db.url, plugins: [createEchoPlugin(), scripted, elements], config });
  return h;
};

const lines = (exec: string) => eventLines(h!.events, exec).filter((l) => !l.endsWith("!AlreadyExists"));
const waitForLine = (exec: string, line: string) => waitFor(`"${line}" of ${exec}`, () => (eventLines(h!.events, exec).includes(line) ? true : undefined), 60_000);
const done = (id: ReturnType<typeof execId>, phases?: string[]) => waitForPhase(h!.admin, id, phases, 60_000);
const noRefusals = () => expect(h!.events.filter((r) => r.refused && r.refused !== "AlreadyExists")).toEqual([]);
const nodeEvents = (exec: string, nodeId: string) =>
  h!.events.flatMap((r) => (r.kind === "node" && r.event.id?.executionId?.name === exec && r.event.id.nodeId === nodeId && !r.refused ? [r.event as NodeExecutionEvent] : []));
const childrenOf = async (id: ReturnType<typeof execId>, parent: string) =>
  (await h!.admin.listNodeExecutions({ workflowExecutionId: id, uniqueParentId: parent, limit: 100 })).nodeExecutions.map((n) => `${n.id?.nodeId}:${NodeExecution_Phase[n.closure!.phase]}`).sort();
const echo = (name: string, config: Record<string, string> = {}) => taskOfType("echo", name, { x: T.int() }, { o0: T.int() }, { config });
const str = (v: string): Literal => create(LiteralSchema, { value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "stringValue", value: v } } } } } });
const list = (...xs: number[]): Literal => create(LiteralSchema, { value: { case: "collection", value: { literals: xs.map(intLiteral) } } });

describe.skipIf(!PG_URL)("node kinds on PostgreSQL (needs FLYTEADMIN_TEST_PG_URL)", { timeout: 120_000 }, () => {
  it("branch: takes the matching case; the chosen node is listed under the branch", async () => {
    await start();
    const t = echo("pg.br.t");
    const wf = workflow("pg.br", {
      inputs: { x: T.int() },
      outputs: { o0: T.int() },
      nodes: [
        branchNode("n0", { var: ".x", equals: 2 }, taskNode("n0", t, { inputs: { x: promise("", "x") } }), taskNode("n1", t, { inputs: { x: intValue(0) } }), {
          inputs: { ".x": promise("", "x") },
          name: "pick",
        }),
      ],
      outputBindings: { o0: promise("n0", "o0") },
    });
    await registerTasks(h!.admin, t);
    await registerWorkflow(h!.admin, wf);
    const id = await launch(h!.admin, wf.id!, "pgbr", literals({ x: intLiteral(2) }));
    await done(id, ["SUCCEEDED"]);
    expect((await h!.admin.getExecutionData({ id })).fullOutputs?.literals.o0).toEqual(intLiteral(2));
    expect(await childrenOf(id, "n0")).toEqual(["n0-0-n0-n0:SUCCEEDED"]);
    expect(await childrenOf(id, "")).toEqual(["end-node:SUCCEEDED", "n0:SUCCEEDED", "start-node:SUCCEEDED"]);
    for (const e of nodeEvents("pgbr", "n0-0-n0-n0")) expect(e).toMatchObject({ specNodeId: "n0-n0", parentNodeMetadata: { nodeId: "n0" }, retryGroup: "0" });
    noRefusals();
  });

  it("subworkflow: resumes in a new engine while the inner task runs, from the engine row in PostgreSQL", async () => {
    await start();
    const t = echo("pg.sub.t", { sleep_ms: "800" });
    const inner = workflow("pg.sub.inner", {
      inputs: { x: T.int() },
      outputs: { o0: T.int() },
      nodes: [taskNode("n0", t, { inputs: { x: promise("", "x") } }), taskNode("n1", t, { inputs: { x: promise("n0", "o0") } })],
      outputBindings: { o0: promise("n1", "o0") },
    });
    const outer = workflow("pg.sub", { inputs: { x: T.int() }, outputs: { o0: T.int() }, nodes: [subWorkflowNode("n0", inner, { inputs: { x: promise("", "x") } })], outputBindings: { o0: promise("n0", "o0") } });
    await registerTasks(h!.admin, t);
    await registerWorkflow(h!.admin, outer, [inner]);
    const id = await launch(h!.admin, outer.id!, "pgsub", literals({ x: intLiteral(4) }));
    await waitForLine("pgsub", "T n0-0-n0#0 RUNNING v0");
    await h!.restart();
    await done(id, ["SUCCEEDED"]);
    expect((await h!.admin.getExecutionData({ id })).fullOutputs?.literals.o0).toEqual(intLiteral(4));
    expect(await childrenOf(id, "n0")).toEqual(["n0-0-end-node:SUCCEEDED", "n0-0-n0:SUCCEEDED", "n0-0-n1:SUCCEEDED", "n0-0-start-node:SUCCEEDED"]);
    for (const nodeId of ["n0-0-n0", "n0-0-n1"]) {
      const tasks = await h!.admin.listTaskExecutions({ nodeExecutionId: { executionId: id, nodeId }, limit: 10 });
      expect(tasks.taskExecutions.map((x) => `${x.id?.retryAttempt}:${TaskExecution_Phase[x.closure!.phase]}`)).toEqual(["0:SUCCEEDED"]);
    }
    expect(lines("pgsub").filter((l) => l.startsWith("N n0 "))).toEqual(["N n0 QUEUED", "N n0 RUNNING", "N n0 SUCCEEDED"]);
    noRefusals();
  });

  it("launch plan: the child execution is created, linked both ways, and its end wakes the parent; a terminate cascades to it", async () => {
    await start();
    const t = echo("pg.lp.t");
    const hang = taskOfType("scripted", "pg.lp.hang", { x: T.int() }, { o0: T.int() }, { config: { script: "hang" } });
    for (const [name, task] of [
      ["pg.lp.child", t],
      ["pg.lp.forever", hang],
    ] as const) {
      await registerTasks(h!.admin, task);
      await registerWorkflow(
        h!.admin,
        workflow(name, { inputs: { x: T.int() }, outputs: { o0: T.int() }, nodes: [taskNode("n0", task, { inputs: { x: promise("", "x") } })], outputBindings: { o0: promise("n0", "o0") } }),
      );
    }
    const parent = (name: string, lp: string) =>
      workflow(name, { inputs: { x: T.int() }, outputs: { o0: T.int() }, nodes: [launchPlanNode("n0", launchPlanId(lp), { inputs: { x: promise("", "x") } })], outputBindings: { o0: promise("n0", "o0") } });
    const ok = parent("pg.lp.parent", "pg.lp.child");
    const stuck = parent("pg.lp.parent2", "pg.lp.forever");
    await registerWorkflow(h!.admin, ok);
    await registerWorkflow(h!.admin, stuck);

    const id = await launch(h!.admin, ok.id!, "pglp", literals({ x: intLiteral(9) }));
    await done(id, ["SUCCEEDED"]);
    const child = execId(childExecutionName("pglp", "n0", 0));
    const c = await h!.admin.getExecution({ id: child });
    expect(c.closure?.phase).toBe(WorkflowExecution_Phase.SUCCEEDED);
    expect(c.spec?.metadata).toMatchObject({ mode: Mode.CHILD_WORKFLOW, nesting: 1, parentNodeExecution: { executionId: { name: "pglp" }, nodeId: "n0" } });
    const node = await h!.admin.getNodeExecution({ id: { executionId: id, nodeId: "n0" } });
    expect(node.closure?.targetMetadata.case === "workflowNodeMetadata" ? node.closure.targetMetadata.value.executionId?.name : undefined).toBe(child.name);
    expect((await h!.admin.getExecutionData({ id })).fullOutputs?.literals.o0).toEqual(intLiteral(9));
    expect(lines("pglp")).toEqual(["WF RUNNING", "N start-node SUCCEEDED", "N n0 QUEUED", "N n0 RUNNING", "N n0 SUCCEEDED", "N end-node QUEUED", "N end-node SUCCEEDED", "WF SUCCEEDING", "WF SUCCEEDED"]);

    const id2 = await launch(h!.admin, stuck.id!, "pglp2", literals({ x: intLiteral(1) }));
    const child2 = execId(childExecutionName("pglp2", "n0", 0));
    await waitFor("the child's task to run", () => (scripted.started.includes(generatedName(child2.name, "n0", 0)) ? true : undefined), 60_000);
    await h!.admin.terminateExecution({ id: id2, cause: "enough" });
    await done(id2, ["ABORTED"]);
    const ended = await done(child2, ["ABORTED"]);
    expect(ended.closure?.outputResult).toMatchObject({ case: "abortMetadata", value: { cause: "cascading abort as parent execution id [pglp2] aborted, reason [Workflow aborted.]" } });
    const all = await h!.admin.listExecutions({ id: { project: id.project, domain: id.domain }, limit: 100 });
    expect(all.executions.map((e) => e.id?.name).sort()).toEqual(["pglp", "pglp2", child.name, child2.name].sort());
    noRefusals();
  });

  it("gate: the signal is kept in PostgreSQL and SetSignal releases the gate", async () => {
    await start({ signalPollMs: 600_000 });
    const signals = createClient(SignalService, createRouterTransport(h!.app.routes, { router: { interceptors: h!.app.interceptors } }));
    const t = taskOfType("echo", "pg.gate.t", { x: T.str() }, { o0: T.str() });
    const wf = workflow("pg.gate", {
      outputs: { o0: T.str() },
      nodes: [signalNode("n0", "title", "o0", T.str()), taskNode("n1", t, { inputs: { x: promise("n0", "o0") } })],
      outputBindings: { o0: promise("n1", "o0") },
    });
    await registerTasks(h!.admin, t);
    await registerWorkflow(h!.admin, wf);
    const id = await launch(h!.admin, wf.id!, "pggate");
    await waitForLine("pggate", "N n0 RUNNING");
    const listed = await signals.listSignals({ workflowExecutionId: id, limit: 10 });
    expect(listed.signals.map((s) => [s.id?.signalId, s.type, s.value])).toEqual([["title", T.str(), undefined]]);
    await signals.setSignal({ id: { executionId: id, signalId: "title" }, value: str("pg") });
    await done(id, ["SUCCEEDED"]);
    expect((await h!.admin.getExecutionData({ id })).fullOutputs?.literals.o0).toEqual(str("pg"));
    expect(lines("pggate").filter((l) => l.startsWith("N n0 "))).toEqual(["N n0 QUEUED", "N n0 RUNNING", "N n0 SUCCEEDED"]);
    noRefusals();
  });

  it("array: one task execution whose external resources the control plane merged over the steps", async () => {
    await start();
    const task = taskOfType("element", "pg.arr.plus_one", { x: T.list(T.int()) }, { o0: T.list(T.int()) }, { config: { sleep_ms: "50" } });
    const inputs: Record<string, BindingData> = { x: promise("", "xs") };
    const node = create(NodeSchema, { id: "n0", metadata: { name: "map" }, inputs: bindings(inputs), target: { case: "arrayNode", value: { node: taskNode("plus_one", task, { inputs }), parallelismOption: { case: "parallelism", value: 2 } } } });
    const wf = workflow("pg.arr", { inputs: { xs: T.list(T.int()) }, outputs: { o0: T.list(T.int()) }, nodes: [node], outputBindings: { o0: promise("n0", "o0") } });
    await registerTasks(h!.admin, task);
    await registerWorkflow(h!.admin, wf);
    const id = await launch(h!.admin, wf.id!, "pgarr", literals({ xs: list(1, 2, 3, 4) }));
    await done(id, ["SUCCEEDED"]);
    expect((await h!.admin.getExecutionData({ id })).fullOutputs?.literals.o0).toEqual(list(2, 3, 4, 5));
    expect(elements.maxRunning).toBe(2);
    const tasks = (await h!.admin.listTaskExecutions({ nodeExecutionId: { executionId: id, nodeId: "n0" }, limit: 10 })).taskExecutions;
    expect(tasks.map((x) => TaskExecution_Phase[x.closure!.phase])).toEqual(["SUCCEEDED"]);
    const array = generatedName("pgarr", "n0", 0);
    expect(tasks[0]!.closure?.metadata?.externalResources.map((r) => [r.index, r.externalId, TaskExecution_Phase[r.phase], r.logs.map((l) => l.name)])).toEqual(
      [0, 1, 2, 3].map((i) => [i, `${array}-n${i}-0`, "SUCCEEDED", [`Element log-${i}`]]),
    );
    noRefusals();
  });

  it("cache: a serializable task's second run waits on the first's reservation, then hits the entry it wrote", async () => {
    await start();
    const t = taskOfType("scripted", "pg.square", { x: T.int() }, { o0: T.int() }, { config: { script: "success:1500" } });
    t.metadata!.discoverable = true;
    t.metadata!.discoveryVersion = "1.0";
    t.metadata!.cacheSerializable = true;
    const wf = workflow("pg.cached", { inputs: { x: T.int() }, outputs: { o0: T.int() }, nodes: [taskNode("n0", t, { inputs: { x: promise("", "x") } })], outputBindings: { o0: promise("n0", "o0") } });
    await registerTasks(h!.admin, t);
    await registerWorkflow(h!.admin, wf);
    const first = await launch(h!.admin, wf.id!, "pgc1", literals({ x: intLiteral(7) }));
    await waitFor("the first run's task", () => (scripted.started.includes(generatedName("pgc1", "n0", 0)) ? true : undefined), 60_000);
    const key = taskCacheKey(t, literals({ x: intLiteral(7) }));
    // The reservation is the first run's, in PostgreSQL.
    expect(await reservationOwner(h!.store.dataCatalog, key, "someone else")).toBe(generatedName("pgc1", "n0", 0));
    const second = await launch(h!.admin, wf.id!, "pgc2", literals({ x: intLiteral(7) }));
    await waitFor("the second run to wait", async () => {
      const row = await h!.store.engine.get({ project: second.project, domain: second.domain, name: second.name });
      return row && parseStatus(row.status).nodes["n0"]?.message === SERIALIZED_CACHE_WAIT ? true : undefined;
    }, 60_000);
    await done(first, ["SUCCEEDED"]);
    await done(second, ["SUCCEEDED"]);
    expect(lines("pgc2")).toEqual(["WF RUNNING", "N start-node SUCCEEDED", "N n0 QUEUED", "N n0 SUCCEEDED", "N end-node QUEUED", "N end-node SUCCEEDED", "WF SUCCEEDING", "WF SUCCEEDED"]);
    const meta = (exec: string) => {
      const e = nodeEvents(exec, "n0").find((x) => x.phase === NodeExecution_Phase.SUCCEEDED);
      return e?.targetMetadata.case === "taskNodeMetadata" ? e.targetMetadata.value : undefined;
    };
    expect(meta("pgc1")).toMatchObject({ cacheStatus: CatalogCacheStatus.CACHE_POPULATED, reservationStatus: CatalogReservation_Status.RESERVATION_RELEASED });
    expect(meta("pgc2")?.cacheStatus).toBe(CatalogCacheStatus.CACHE_HIT);
    expect(scripted.launched.filter((g) => g.startsWith("pgc2"))).toEqual([]);
    expect((await h!.admin.getExecutionData({ id: second })).fullOutputs?.literals.o0).toEqual(intLiteral(7));
    // The entry names the first run; the reservation was released.
    expect((await cacheEntry(h!.store.dataCatalog, key))?.keyMap["execution-name"]).toBe("pgc1");
    expect(await reservationOwner(h!.store.dataCatalog, key, "someone else")).toBe("someone else");
    noRefusals();
  });
});
