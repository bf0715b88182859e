import { mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Execution } from "../../../gen/flyteidl/admin/execution_pb.js";
import { ExecutionMetadata_ExecutionMode as Mode } from "../../../gen/flyteidl/admin/execution_pb.js";
import {
  ExecutionError_ErrorKind,
  NodeExecution_Phase as NodePhase,
  TaskExecution_Phase as TaskPhase,
  WorkflowExecution_Phase as WfPhase,
} from "../../../gen/flyteidl/core/execution_pb.js";
import { ResourceType } from "../../../gen/flyteidl/core/identifier_pb.js";
import { copyEngineSources } from "../../fixtures/engine/engine-package.js";
import { DOMAIN, type EngineServer, PROJECT, startEngineServer } from "../../fixtures/engine/engine-server.js";
import { execError, execId, launch, lit, ms, nodesById, outputsOf, primitive, taskAttempts, uniqueName, waitForTerminal } from "../../fixtures/engine/executions.js";
import { findFlytekit, SKIP_MESSAGE } from "../../fixtures/engine/flytekit-kit.js";
import { expectNoLeftovers, expectNoRefusedEvents, killLeftoverTasks } from "../../fixtures/engine/invariants.js";
import { type PyflyteCli, pyflyteCli } from "../../fixtures/engine/pyflyte-cli.js";

/**
 * `@eager` workflows with the real flytekit: the eager task's body builds a FlyteRemote
 * from the platform env the engine gives every task (FLYTE_PLATFORM_URL/INSECURE) and
 * launches each entity it awaits as an execution of its own on this server, labelled
 * with the eager execution's name, then polls it and reads its outputs.
 */
const kit = findFlytekit();
let h: EngineServer;
let cli: PyflyteCli;
let work: string;
let src: string;

const EAGER_EXEC = "eager-exec";
const EAGER_ROOT = "eager-root-exec";

/** The executions an eager execution launched: those labelled with its name. */
async function childrenOf(parent: string): Promise<Execution[]> {
  const all = await h.admin.listExecutions({ id: { project: PROJECT, domain: DOMAIN }, limit: 100 });
  return all.executions.filter((e) => e.spec?.labels?.values[EAGER_EXEC] === parent).sort((a, b) => a.id!.name.localeCompare(b.id!.name));
}

const envsOf = (e: Execution) => Object.fromEntries((e.spec?.envs?.values ?? []).map((kv) => [kv.key, kv.value]));

describe.skipIf(!kit)(`local engine: @eager workflows ${kit ? "" : SKIP_MESSAGE}`, () => {
  beforeAll(async () => {
    const dataDir = realpathSync(mkdtempSync(join(tmpdir(), "flyteadmin-engine-e2e-")));
    // Executions the eager tasks launch carry only flytekit's envs: the marks folder comes with every task instead.
    h = await startEngineServer(kit!, { dataDir, flags: { engineCodePaths: "", engineEnv: `E2E_MARK_DIR=${join(dataDir, "marks")}` } });
    await h.admin.registerProject({ project: { id: PROJECT, name: PROJECT } });
    work = mkdtempSync(join(tmpdir(), "flyteadmin-engine-eager-"));
    src = copyEngineSources(join(work, "src"), ["marks.py", "eager.py"]);
    cli = pyflyteCli(kit!, work, h.server.port);
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    if (h) killLeftoverTasks(h);
    if (h && !process.env.E2E_KEEP) h.remove();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("pyflyte run --remote of an eager workflow awaiting two tasks adds their results; each task ran as an execution labelled with the eager one", async () => {
    const name = uniqueName("eager");
    await cli.run(["run", "--remote", "--project", PROJECT, "--domain", DOMAIN, "--name", name, "engine_e2e/eager.py", "eager_sum", "--x", "3"], src, 180_000);
    const id = execId(name);
    const exec = await waitForTerminal(h.admin, id, 180_000);
    expect(execError(exec)).toBeUndefined();
    expect(exec.closure?.phase).toBe(WfPhase.SUCCEEDED);
    expect(primitive((await outputsOf(h.admin, id)).o0)).toBe(3 * 2 + 3 * 3);

    const children = await childrenOf(name);
    expect(children.map((c) => c.spec?.launchPlan?.name)).toEqual(["engine_e2e.eager.double", "engine_e2e.eager.square"]);
    for (const c of children) {
      // flytekit's deterministic names: e-<eager fn[:8]>-<parent[:5]>-<fn[:8]>-<16 hex>, dnsified.
      expect(c.id!.name).toMatch(new RegExp(`^e-eager-su-${name.slice(0, 5)}-(double|square)-[0-9a-f]{16}$`));
      expect(c.spec?.launchPlan?.resourceType).toBe(ResourceType.TASK);
      expect(c.spec?.labels?.values).toEqual({ [EAGER_EXEC]: name, [EAGER_ROOT]: name });
      expect(envsOf(c)).toEqual({ _F_EE_ROOT: name });
      expect(c.spec?.metadata?.mode).toBe(Mode.MANUAL);
      expect(c.closure?.phase).toBe(WfPhase.SUCCEEDED);
    }
    // Awaited together (asyncio.gather): both were launched before either finished.
    expect(Math.max(...children.map((c) => ms(c.closure?.createdAt)))).toBeLessThan(Math.min(...children.map((c) => ms(c.closure?.updatedAt))));
    expect(primitive((await outputsOf(h.admin, children[0]!.id!)).o0)).toBe(6);
    expect(primitive((await outputsOf(h.admin, children[1]!.id!)).o0)).toBe(9);

    const [eagerMark] = await expectNoLeftovers(h, name);
    expect(eagerMark!.env.FLYTE_PLATFORM_URL).toBe(`127.0.0.1:${h.server.port}`);
    expect(eagerMark!.env.FLYTE_PLATFORM_INSECURE).toBe("true");
    for (const c of children) await expectNoLeftovers(h, c.id!.name);
    await expectNoRefusedEvents(h);
  }, 240_000);

  it("a workflow an eager task calls runs through its launch plan; its execution is found by the eager execution's tag", async () => {
    const name = uniqueName("eagerwf");
    await cli.run(["run", "--remote", "--project", PROJECT, "--domain", DOMAIN, "--name", name, "engine_e2e/eager.py", "eager_wf_call", "--x", "4"], src, 180_000);
    const id = execId(name);
    const exec = await waitForTerminal(h.admin, id, 180_000);
    expect(execError(exec)).toBeUndefined();
    expect(primitive((await outputsOf(h.admin, id)).o0)).toBe((4 + 1) * 10);

    const [child] = await childrenOf(name);
    expect(child?.spec?.launchPlan).toMatchObject({ resourceType: ResourceType.LAUNCH_PLAN, name: "engine_e2e.eager.plus_one_wf" });
    expect(child!.closure?.phase).toBe(WfPhase.SUCCEEDED);
    expect(primitive((await outputsOf(h.admin, child!.id!)).o0)).toBe(5);
    // What flytekit's eager failure handler asks to find the executions to terminate.
    const tagged = await h.admin.listExecutions({
      id: { project: PROJECT, domain: DOMAIN },
      limit: 100,
      filters: `value_in(execution_tag.key,${EAGER_EXEC})+value_in(execution_tag.value,${name})`,
    });
    expect(tagged.executions.map((e) => e.id!.name)).toEqual([child!.id!.name]);
    await expectNoLeftovers(h, name);
    await expectNoRefusedEvents(h);
  }, 240_000);

  it("pyflyte register, then the eager launch plan: a failing sub-task fails the eager node, and the failure node flytekit adds runs", async () => {
    const version = "eager-v1";
    await cli.run(["register", "--project", PROJECT, "--domain", DOMAIN, "--version", version, "engine_e2e"], src, 180_000);
    const name = uniqueName("eagerfail");
    const id = await launch(h, "eager.eager_fails", { version, name, inputs: { x: lit.int(5) } });
    const exec = await waitForTerminal(h.admin, id, 180_000);
    expect(exec.closure?.phase).toBe(WfPhase.FAILED);
    // flytekit fails the eager task with what the sub-execution's closure says.
    const err = execError(exec);
    expect({ code: err?.code, kind: err?.kind }).toEqual({ code: "USER:NonRecoverableSystemError", kind: ExecutionError_ErrorKind.USER });
    expect(err?.message).toContain("Error executing engine_e2e.eager.fail_on with error");
    expect(err?.message).toContain("USER:RuntimeError");

    const [child] = await childrenOf(name);
    expect(child?.spec?.launchPlan).toMatchObject({ resourceType: ResourceType.TASK, name: "engine_e2e.eager.fail_on", version });
    expect(child!.closure?.phase).toBe(WfPhase.FAILED);
    const nodes = await nodesById(h.admin, id);
    expect(Object.fromEntries(Object.entries(nodes).map(([k, n]) => [k, n.closure?.phase]))).toEqual({
      "start-node": NodePhase.SUCCEEDED,
      n0: NodePhase.FAILED,
      efn: NodePhase.SUCCEEDED,
    });
    // Not recoverable: the eager task is not retried (it would launch nothing new: the names are deterministic).
    expect((await taskAttempts(h.admin, id, "n0")).map((t) => t.closure?.phase)).toEqual([TaskPhase.FAILED]);
    expect((await taskAttempts(h.admin, id, "efn")).map((t) => [t.id?.taskId?.name, t.closure?.phase])).toEqual([["engine_e2e.eager.eager_fails-cleanup", TaskPhase.SUCCEEDED]]);
    await expectNoLeftovers(h, name);
    await expectNoRefusedEvents(h);
  }, 240_000);
});
