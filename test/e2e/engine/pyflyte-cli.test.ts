import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeExecution_Phase as NodePhase, TaskExecution_Phase as TaskPhase, WorkflowExecution_Phase as WfPhase } from "../../../gen/flyteidl/core/execution_pb.js";
import { copyEngineSources } from "../../fixtures/engine/engine-package.js";
import { DOMAIN, type EngineServer, PROJECT, startEngineServer } from "../../fixtures/engine/engine-server.js";
import { execId, launch, lit, metadataPrefix, nodesById, outputsOf, outputUri, primitive, taskAttempts, uniqueName, waitForTerminal, waitUntil } from "../../fixtures/engine/executions.js";
import { findFlytekit, SKIP_MESSAGE } from "../../fixtures/engine/flytekit-kit.js";
import { expectNoLeftovers, expectNoRefusedEvents, expectTaskNodeOrder, killLeftoverTasks, workflowEventPhases } from "../../fixtures/engine/invariants.js";
import { type PyflyteCli, pyflyteCli } from "../../fixtures/engine/pyflyte-cli.js";

/**
 * engine-spec §10 scenario 1 with the real CLI (`pyflyte register`, which
 * fast-registers through DataProxy, and `pyflyte run --remote`), and scenario
 * 22: `pyflyte register` bakes `--dest-dir /root` into every task, which the
 * engine rewrites to the attempt's folder, so the code is unpacked there and
 * nothing lands in /root.
 */
const kit = findFlytekit();
let h: EngineServer;
let cli: PyflyteCli;
let work: string;
let src: string;
const rootPackage = "/root/engine_e2e";
let rootPackageExisted = false;

describe.skipIf(!kit)(`local engine: pyflyte register and run --remote ${kit ? "" : SKIP_MESSAGE}`, () => {
  beforeAll(async () => {
    rootPackageExisted = existsSync(rootPackage);
    // No code path: fast-registered code must come from the tarball the engine unpacks, nowhere else.
    h = await startEngineServer(kit!, { flags: { engineCodePaths: "" } });
    await h.admin.registerProject({ project: { id: PROJECT, name: PROJECT } });
    // The CLI's source root holds only what these scenarios run (it is packed into the fast-register tarball).
    work = mkdtempSync(join(tmpdir(), "flyteadmin-engine-cli-"));
    src = copyEngineSources(join(work, "src"), ["marks.py", "hello.py"]);
    cli = pyflyteCli(kit!, work, h.server.port);
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    if (h) killLeftoverTasks(h);
    if (h && !process.env.E2E_KEEP) h.remove();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("pyflyte register fast-registers with --dest-dir /root; the task runs from its attempt folder (scenario 22)", async () => {
    const version = "fast-v1";
    await cli.run(["register", "--project", PROJECT, "--domain", DOMAIN, "--version", version, "engine_e2e"], src);
    const task = await h.admin.getTask({ id: { resourceType: 1, project: PROJECT, domain: DOMAIN, name: "engine_e2e.hello.say_hello", version } });
    const target = task.closure?.compiledTask?.template?.target;
    const args = target?.case === "container" ? target.value.args : [];
    expect(args.slice(0, 1)).toEqual(["pyflyte-fast-execute"]);
    expect(args[args.indexOf("--dest-dir") + 1]).toBe("/root");
    expect(args[args.indexOf("--additional-distribution") + 1]).toMatch(new RegExp(`^file://${h.blobRoot}/`));

    const id = await launch(h, "hello.hello_wf", { version, inputs: { name: lit.str("fast") } });
    const exec = await waitForTerminal(h.admin, id);
    expect(exec.closure?.phase).toBe(WfPhase.SUCCEEDED);
    expect(primitive((await outputsOf(h.admin, id)).o0)).toBe("hello fast");
    const [mark] = await expectNoLeftovers(h, id.name);
    // Unpacked into the attempt folder (the dest dir the engine substituted), imported from there.
    expect(mark!.module).toBe(`${mark!.cwd}/engine_e2e/marks.py`);
    expect(existsSync(rootPackage)).toBe(rootPackageExisted);
    await expectNoRefusedEvents(h);
  }, 120_000);

  it("pyflyte run --remote hello_wf --name world: the execution succeeds with flytekit's own request (scenario 1)", async () => {
    const name = uniqueName("clirun");
    const { stdout } = await cli.run(
      ["run", "--remote", "--project", PROJECT, "--domain", DOMAIN, "--name", name, "--env", `E2E_MARK_DIR=${h.markDir}`, "engine_e2e/hello.py", "hello_wf", "--name", "world"],
      src,
    );
    expect(stdout).toContain(name);
    const id = execId(name);
    await waitUntil("the execution pyflyte created", () => h.admin.getExecution({ id }).then(() => true), 10_000);
    const exec = await waitForTerminal(h.admin, id);
    expect(exec.closure?.phase).toBe(WfPhase.SUCCEEDED);
    expect(primitive((await outputsOf(h.admin, id)).o0)).toBe("hello world");
    expect(workflowEventPhases(h, name)).toEqual(["RUNNING", "SUCCEEDING", "SUCCEEDED"]);

    const M = metadataPrefix(h, name);
    const nodes = await nodesById(h.admin, id);
    expect(Object.fromEntries(Object.entries(nodes).map(([k, n]) => [k, n.closure?.phase]))).toEqual({
      "start-node": NodePhase.SUCCEEDED,
      n0: NodePhase.SUCCEEDED,
      "end-node": NodePhase.SUCCEEDED,
    });
    const attempts = await taskAttempts(h.admin, id, "n0");
    expect(attempts.map((t) => t.closure?.phase)).toEqual([TaskPhase.SUCCEEDED]);
    expect(attempts[0]!.inputUri).toBe(`${M}/n0/data/inputs.pb`);
    expect(outputUri(attempts[0]!)).toBe(`${M}/n0/data/0/outputs.pb`);
    expect(attempts[0]!.closure?.startedAt).toBeDefined();
    expectTaskNodeOrder(nodes.n0!, attempts);

    // pyflyte run fast-registers with --dest-dir "."; the code is unpacked in the attempt folder as well.
    const [mark] = await expectNoLeftovers(h, name);
    expect(mark!.module).toBe(`${mark!.cwd}/engine_e2e/marks.py`);
    expect(existsSync(rootPackage)).toBe(rootPackageExisted);
    await expectNoRefusedEvents(h);
  }, 120_000);
});
