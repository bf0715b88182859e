import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExecutionMetadata_ExecutionMode as Mode } from "../../../gen/flyteidl/admin/execution_pb.js";
import {
  NodeExecution_Phase as NodePhase,
  TaskExecution_Phase as TaskPhase,
  WorkflowExecution_Phase as WfPhase,
} from "../../../gen/flyteidl/core/execution_pb.js";
import { singleTaskNodeId } from "../../../src/core/single-task-workflow.js";
import { fixedLength } from "../../../src/engine/local/ids.js";
import { DOMAIN, type EngineServer, PROJECT, registerEngineWorkflows, startEngineServer } from "../../fixtures/engine/engine-server.js";
import { generatedName, rawOutputPrefix } from "../../fixtures/engine/expected-names.js";
import {
  execError,
  execOutputUri,
  launch,
  lit,
  metadataPrefix,
  nodesById,
  outputsOf,
  outputUri,
  primitive,
  readLiteralMap,
  taskAttempts,
  uniqueName,
  waitForTerminal,
} from "../../fixtures/engine/executions.js";
import { findFlytekit, SKIP_MESSAGE } from "../../fixtures/engine/flytekit-kit.js";
import { expectNoLeftovers, expectNoRefusedEvents, expectTaskNodeOrder, killLeftoverTasks, workflowEventPhases } from "../../fixtures/engine/invariants.js";

/**
 * engine-spec §10 scenario 1 (registered through the API, not fast-registered:
 * the code comes from engineCodePaths), §2.7's worked example, task logs,
 * two executions at once, and scenario 23 (single-task execution, relaunch).
 */
const kit = findFlytekit();
const VERSION = "v1";
let h: EngineServer;
// Tasks inherit the server's HOME (engine-spec §4.3): an empty one here shows whether they write to it.
let home: string;
const realHome = process.env.HOME;

describe.skipIf(!kit)(`local engine: hello world ${kit ? "" : SKIP_MESSAGE}`, () => {
  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), "flyteadmin-engine-home-"));
    process.env.HOME = home;
    h = await startEngineServer(kit!);
    await registerEngineWorkflows(kit!, h, VERSION, ["hello"]);
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    if (h) killLeftoverTasks(h);
    if (h && !process.env.E2E_KEEP) h.remove();
    process.env.HOME = realHome;
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it("runs hello_wf: phases, outputs, uris, task attempt and the process it ran in (§2.7)", async () => {
    const name = uniqueName("hello");
    const id = await launch(h, "hello.hello_wf", { version: VERSION, name, inputs: { name: lit.str("world") } });
    const exec = await waitForTerminal(h.admin, id);
    expect(execError(exec)?.message ?? "").toBe("");
    expect(exec.closure?.phase).toBe(WfPhase.SUCCEEDED);
    expect(primitive((await outputsOf(h.admin, id)).o0)).toBe("hello world");

    const M = metadataPrefix(h, name);
    expect(execOutputUri(exec)).toBe(`${M}/end-node/data/0/outputs.pb`);
    expect(workflowEventPhases(h, name)).toEqual(["RUNNING", "SUCCEEDING", "SUCCEEDED"]);

    const nodes = await nodesById(h.admin, id);
    expect(Object.keys(nodes).sort()).toEqual(["end-node", "n0", "start-node"]);
    for (const n of Object.values(nodes)) expect([n.id?.nodeId, n.closure?.phase]).toEqual([n.id?.nodeId, NodePhase.SUCCEEDED]);
    expect(outputUri(nodes["start-node"]!)).toBe(`${M}/start-node/data/0/outputs.pb`);
    const n0 = nodes.n0!;
    expect(n0.inputUri).toBe(`${M}/n0/data/inputs.pb`);
    expect(outputUri(n0)).toBe(`${M}/n0/data/0/outputs.pb`);
    expect(n0.metadata?.specNodeId).toBe("n0");
    expect(nodes["end-node"]!.inputUri).toBe(`${M}/end-node/data/inputs.pb`);
    const generated = generatedName(name, "n0", 0);
    expect(n0.closure?.targetMetadata.case === "taskNodeMetadata" && n0.closure.targetMetadata.value.checkpointUri).toBe(
      `${rawOutputPrefix(h.blobRoot, generated)}/_flytecheckpoints`,
    );
    // The resolved inputs the engine wrote, and the outputs flytekit wrote.
    expect(primitive(readLiteralMap(n0.inputUri).literals.name)).toBe("world");
    expect(primitive(readLiteralMap(`${M}/n0/data/0/outputs.pb`).literals.o0)).toBe("hello world");

    const attempts = await taskAttempts(h.admin, id, "n0");
    expect(attempts.map((t) => [t.id?.retryAttempt, t.closure?.phase])).toEqual([[0, TaskPhase.SUCCEEDED]]);
    const t = attempts[0]!;
    expect(t.id?.taskId?.name).toBe("engine_e2e.hello.say_hello");
    expect(t.inputUri).toBe(`${M}/n0/data/inputs.pb`);
    expect(outputUri(t)).toBe(`${M}/n0/data/0/outputs.pb`);
    expect(t.closure?.taskType).toBe("python-task");
    expect(t.closure?.metadata?.generatedName).toBe(generated);
    // QUEUED (with the plugin's reason) -> RUNNING (started_at, logs) -> SUCCEEDED.
    expect(t.closure?.startedAt).toBeDefined();
    expect(t.closure?.reasons[0]?.message).toMatch(/task submitted to local runner|waiting for a free local slot/);
    expect(t.closure?.logs.map((l) => l.name)).toEqual(["Local logs (User)"]);
    expectTaskNodeOrder(n0, attempts);
    expect(Math.min(...Object.values(nodes).map((n) => Number(n.closure?.createdAt?.seconds)))).toBeGreaterThanOrEqual(Number(exec.closure?.startedAt?.seconds));

    // The process: env (§4.3), working folder (§2.7), temp folder (§4.6).
    const [mark, ...more] = await expectNoLeftovers(h, name);
    expect(more).toEqual([]);
    expect(mark!.env).toMatchObject({
      FLYTE_INTERNAL_EXECUTION_ID: name,
      FLYTE_INTERNAL_EXECUTION_PROJECT: PROJECT,
      FLYTE_INTERNAL_EXECUTION_DOMAIN: DOMAIN,
      FLYTE_INTERNAL_EXECUTION_WORKFLOW: `${PROJECT}:${DOMAIN}:engine_e2e.hello.hello_wf`,
      FLYTE_ATTEMPT_NUMBER: "0",
      FLYTE_INTERNAL_TASK_PROJECT: PROJECT,
      FLYTE_INTERNAL_TASK_DOMAIN: DOMAIN,
      FLYTE_INTERNAL_TASK_NAME: "engine_e2e.hello.say_hello",
      FLYTE_INTERNAL_TASK_VERSION: VERSION,
      E2E_MARK_DIR: h.markDir,
      PYTHONUNBUFFERED: "1",
      FLYTECTL_CONFIG: "",
    });
    expect(mark!.cwd.endsWith(`/${PROJECT}/${DOMAIN}/${name}/n0/0`), mark!.cwd).toBe(true);
    expect(mark!.cwd.startsWith(`${h.dataDir}/`)).toBe(true);
    expect(mark!.tmp).toBe(`${mark!.cwd}/tmp`);
    expect(mark!.module).toBe(`${h.codeDir}/engine_e2e/marks.py`);
    expect(mark!.env.HOME).toBe(home);
    expect(readdirSync(home), "files the task wrote to HOME").toEqual([]);
    await expectNoRefusedEvents(h);
  }, 90_000);

  it("serves the attempt's log at the TaskLog uri", async () => {
    const id = await launch(h, "hello.hello_wf", { version: VERSION, inputs: { name: lit.str("logs") } });
    expect((await waitForTerminal(h.admin, id)).closure?.phase).toBe(WfPhase.SUCCEEDED);
    const [t] = await taskAttempts(h.admin, id, "n0");
    const log = t!.closure!.logs[0]!;
    expect(log.uri).toMatch(/^https?:\/\//);
    const res = await fetch(log.uri);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("saying hello to logs");
    await expectNoLeftovers(h, id.name);
  }, 90_000);

  it("runs two executions of one workflow at once, each with its own inputs and folders", async () => {
    const [a, b] = await Promise.all([
      launch(h, "hello.hello_wf", { version: VERSION, inputs: { name: lit.str("alpha") } }),
      launch(h, "hello.hello_wf", { version: VERSION, inputs: { name: lit.str("beta") } }),
    ]);
    const [ea, eb] = await Promise.all([waitForTerminal(h.admin, a!), waitForTerminal(h.admin, b!)]);
    expect([ea.closure?.phase, eb.closure?.phase]).toEqual([WfPhase.SUCCEEDED, WfPhase.SUCCEEDED]);
    expect(primitive((await outputsOf(h.admin, a!)).o0)).toBe("hello alpha");
    expect(primitive((await outputsOf(h.admin, b!)).o0)).toBe("hello beta");
    const [ma] = await expectNoLeftovers(h, a!.name);
    const [mb] = await expectNoLeftovers(h, b!.name);
    expect(ma!.cwd).not.toBe(mb!.cwd);
    expect((await taskAttempts(h.admin, a!, "n0")).length).toBe(1);
    expect((await taskAttempts(h.admin, b!, "n0")).length).toBe(1);
  }, 90_000);

  it("runs a single task (the .flytegen workflow) and relaunches a finished execution with the same inputs (scenario 23)", async () => {
    const id = await launch(h, "hello.say_hello", { version: VERSION, task: true, inputs: { name: lit.str("task") } });
    const exec = await waitForTerminal(h.admin, id);
    expect(exec.closure?.phase).toBe(WfPhase.SUCCEEDED);
    expect(exec.closure?.workflowId?.name).toBe(".flytegen.engine_e2e.hello.say_hello");
    expect(primitive((await outputsOf(h.admin, id)).o0)).toBe("hello task");
    const nodes = await nodesById(h.admin, id);
    // A node id past 20 bytes is hashed, top level included (propeller's GenerateUniqueID with event
    // version 2); the spec node id keeps the name the .flytegen workflow gave it.
    const specId = singleTaskNodeId("engine_e2e.hello.say_hello");
    const taskNode = fixedLength(specId, 20);
    expect(taskNode).toMatch(/^f[a-z1-6]{7}$/);
    expect(Object.keys(nodes).sort()).toEqual(["end-node", taskNode, "start-node"].sort());
    expect(nodes[taskNode]!.metadata?.specNodeId).toBe(specId);
    expect((await taskAttempts(h.admin, id, taskNode)).map((t) => t.closure?.phase)).toEqual([TaskPhase.SUCCEEDED]);
    await expectNoLeftovers(h, id.name);

    const relaunched = await h.admin.relaunchExecution({ id, name: uniqueName("relaunch") });
    const again = await waitForTerminal(h.admin, relaunched.id!);
    expect(again.closure?.phase).toBe(WfPhase.SUCCEEDED);
    expect(again.spec?.metadata?.mode).toBe(Mode.RELAUNCH);
    expect(again.spec?.metadata?.referenceExecution?.name).toBe(id.name);
    expect(primitive((await outputsOf(h.admin, relaunched.id!)).o0)).toBe("hello task");
    const [mark] = await expectNoLeftovers(h, relaunched.id!.name);
    expect(mark!.env.FLYTE_INTERNAL_EXECUTION_ID).toBe(relaunched.id!.name);
    await expectNoRefusedEvents(h);
  }, 120_000);
});
