import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WorkflowExecutionIdentifier } from "../../../gen/flyteidl/core/identifier_pb.js";
import { NodeExecution_Phase as NodePhase, TaskExecution_Phase as TaskPhase, WorkflowExecution_Phase as WfPhase } from "../../../gen/flyteidl/core/execution_pb.js";
import { copyEngineSources } from "../../fixtures/engine/engine-package.js";
import { type EngineServer, registerEngineWorkflows, startEngineServer } from "../../fixtures/engine/engine-server.js";
import { generatedName, rawOutputPrefix } from "../../fixtures/engine/expected-names.js";
import {
  blobUri,
  errorOf,
  execError,
  launch,
  lit,
  metadataPrefix,
  nodeOf,
  nodesById,
  outputsOf,
  outputUri,
  primitive,
  taskAttempts,
  waitForTerminal,
} from "../../fixtures/engine/executions.js";
import { findFlytekit, kitPython, pyflyteEnv, SKIP_MESSAGE } from "../../fixtures/engine/flytekit-kit.js";
import { expectNoLeftovers, expectNoRefusedEvents, expectTaskNodeOrder, killLeftoverTasks, workflowEventPhases } from "../../fixtures/engine/invariants.js";

const run = promisify(execFile);

/**
 * engine-spec §10 scenario 2 (typed DAG with fan-in, compared with flytekit's
 * own local run), scenario 21 (a FlyteFile passed between tasks), and the
 * execution's envs reaching the task (an env-controlled failure in a chain).
 */
const kit = findFlytekit();
const VERSION = "v1";
let h: EngineServer;
const ids: Record<string, WorkflowExecutionIdentifier> = {};

/** typed_wf(a=3) run by flytekit locally, without any server: the expected output. */
async function localTypedRun(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "flyteadmin-engine-local-run-"));
  try {
    const code = copyEngineSources(join(dir, "code"));
    const env = pyflyteEnv(kit!, dir);
    env.PYTHONPATH = [code, env.PYTHONPATH].filter(Boolean).join(delimiter);
    const { stdout } = await run(kitPython(kit!), ["-c", "from engine_e2e.typed import typed_wf\nprint('RESULT=' + typed_wf(a=3))"], { cwd: dir, env, timeout: 60_000 });
    return /^RESULT=(.*)$/m.exec(stdout)?.[1] ?? `no result in: ${stdout}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.skipIf(!kit)(`local engine: typed DAG, files, envs ${kit ? "" : SKIP_MESSAGE}`, () => {
  let expectedTyped: Promise<string>;
  beforeAll(async () => {
    h = await startEngineServer(kit!);
    await registerEngineWorkflows(kit!, h, VERSION, ["typed", "files", "failures"]);
    ids.typed = await launch(h, "typed.typed_wf", { version: VERSION, inputs: { a: lit.int(3) } });
    ids.files = await launch(h, "files.files_wf", { version: VERSION, inputs: { text: lit.str("payload") } });
    ids.chainFails = await launch(h, "failures.chain_wf", { version: VERSION, envs: { E2E_FAIL_STEP: "3" } });
    expectedTyped = localTypedRun();
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    if (h) killLeftoverTasks(h);
    if (h && !process.env.E2E_KEEP) h.remove();
  });

  it("runs the typed DAG with the launch plan's defaults; the output equals flytekit's local run (scenario 2)", async () => {
    const id = ids.typed!;
    const exec = await waitForTerminal(h.admin, id);
    expect(exec.closure?.phase).toBe(WfPhase.SUCCEEDED);
    const out = primitive((await outputsOf(h.admin, id)).o0);
    expect(out).toBe(await expectedTyped);
    expect(out).toMatch(/^x-True-2024-01-02T03:04:05.*=27\.5$/);

    const nodes = await nodesById(h.admin, id);
    expect(Object.keys(nodes).sort()).toEqual(["end-node", "n0", "n1", "n2", "n3", "start-node"]);
    for (const n of ["n0", "n1", "n2", "n3"]) {
      expect([n, nodes[n]!.closure?.phase]).toEqual([n, NodePhase.SUCCEEDED]);
      const attempts = await taskAttempts(h.admin, id, n);
      expect(attempts.map((t) => t.closure?.phase)).toEqual([TaskPhase.SUCCEEDED]);
      expectTaskNodeOrder(nodes[n]!, attempts);
    }
    // Data dependencies, seen from the processes: total waited for scale; combine for describe and total.
    const marks = await expectNoLeftovers(h, id.name);
    const at = (tag: string) => marks.find((m) => m.tag === tag)!;
    expect(at("total").start).toBeGreaterThanOrEqual(at("scale").end!);
    expect(at("combine").start).toBeGreaterThanOrEqual(Math.max(at("describe").end!, at("total").end!));
    expect(workflowEventPhases(h, id.name)).toEqual(["RUNNING", "SUCCEEDING", "SUCCEEDED"]);
  }, 120_000);

  it("passes a FlyteFile between tasks; it lives under the attempt's raw output prefix and downloads over HTTP (scenario 21)", async () => {
    const id = ids.files!;
    const exec = await waitForTerminal(h.admin, id);
    expect(execError(exec)?.message ?? "", "the execution's error").toBe("");
    expect(exec.closure?.phase).toBe(WfPhase.SUCCEEDED);
    expect(primitive((await outputsOf(h.admin, id)).o0)).toBe("read: payload");
    const data = await h.admin.getNodeExecutionData({ id: { executionId: id, nodeId: "n0" } });
    const uri = blobUri(data.fullOutputs?.literals.o0);
    expect(uri).toBeDefined();
    // Under <blob root>/data/<shard>/<generated name>/ (engine-spec §3.2), as a file:// uri or a bare path.
    const prefix = rawOutputPrefix(h.blobRoot, generatedName(id.name, "n0", 0));
    expect(uri!.startsWith(`${prefix}/`) || uri!.startsWith(`${prefix.slice("file://".length)}/`), uri).toBe(true);
    expect(uri!.endsWith("/out.txt")).toBe(true);
    // The reader got the same literal as its input.
    const n1 = (await nodesById(h.admin, id)).n1!;
    expect(n1.inputUri).toBe(`${metadataPrefix(h, id.name)}/n1/data/inputs.pb`);
    const inputs = await h.admin.getNodeExecutionData({ id: { executionId: id, nodeId: "n1" } });
    expect(blobUri(inputs.fullInputs?.literals.f)).toBe(uri);

    const link = await h.proxy.createDownloadLocation({ nativeUrl: uri!.startsWith("/") ? `file://${uri}` : uri! });
    const res = await fetch(link.signedUrl);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("payload");
    await expectNoLeftovers(h, id.name);
  }, 120_000);

  it("passes the execution's envs to the task: E2E_FAIL_STEP=3 fails the third node of the chain, the first two succeed", async () => {
    const id = ids.chainFails!;
    const exec = await waitForTerminal(h.admin, id);
    expect(exec.closure?.phase).toBe(WfPhase.FAILED);
    const nodes = await nodesById(h.admin, id);
    expect([nodes.n0?.closure?.phase, nodes.n1?.closure?.phase, nodes.n2?.closure?.phase]).toEqual([NodePhase.SUCCEEDED, NodePhase.SUCCEEDED, NodePhase.FAILED]);
    expect(outputUri(nodes.n1!)).toBe(`${metadataPrefix(h, id.name)}/n1/data/0/outputs.pb`);
    expect(errorOf(await nodeOf(h.admin, id, "n2"))?.message).toContain("step 3 told to fail by E2E_FAIL_STEP");
    expect(nodes["end-node"]).toBeUndefined();
    const marks = await expectNoLeftovers(h, id.name);
    expect(marks.map((m) => [m.tag, m.env.E2E_FAIL_STEP])).toEqual([
      ["step-1", "3"],
      ["step-2", "3"],
      ["step-3", "3"],
    ]);
    await expectNoRefusedEvents(h);
  }, 120_000);
});
