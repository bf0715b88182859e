// The real-task row: flytekit's `hello` workflow run by the local engine
// through the real `pyflyte-execute`, end to end, and how much of its wall
// time the Python process takes.
import { accessSync, constants, existsSync, mkdirSync, readFileSync, symlinkSync } from "node:fs";
import { delimiter, join, resolve } from "node:path";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { ResourceType } from "../gen/flyteidl/core/identifier_pb.js";
import { AdminService } from "../gen/flyteidl/service/admin_pb.js";
import { loadFlytekitPackage, registerPackage } from "../test/fixtures/flytekit.js";
import { DOMAIN, ENGINE_PROJECT } from "./engine-payloads.js";
import { waitForEnd, wallOf } from "./engine-phases.js";
import { type GrpcClient, GrpcError } from "./grpc-client.js";
import { quantile } from "./stats.js";

const A = AdminService.method;
const SHARED_KIT_BIN = "/work/shared/flytekit/bin";
/** The Python source of the hello fixture; its templates name the module `cfx.hello.wf`. */
const FIXTURE_SRC = "/work/shared/fixtures/flytekit/src";
const WORKFLOW = "cfx.hello.wf.hello_wf";

/** What the engine server needs to run the fixture's task: flytekit's commands and the fixture's code. */
export interface RealTaskSetup {
  /** The folder holding pyflyte-execute (`--engine-python`). */
  binDir: string;
  /** A folder holding `cfx/` (`--engine-code-paths`). */
  codeDir: string;
}

/** Finds flytekit (PATH, then the shared kit) and lays out the fixture's code under `dir`; a reason when the row cannot run. */
export function realTaskSetup(dir: string, env: NodeJS.ProcessEnv = process.env): RealTaskSetup | { skipped: string } {
  const candidates = [...(env.PATH ?? "").split(delimiter).filter((d) => d !== ""), SHARED_KIT_BIN];
  const binDir = candidates.map((d) => resolve(d)).find((d) => executable(join(d, "pyflyte-execute")));
  if (!binDir) return { skipped: `pyflyte-execute not found on PATH nor in ${SHARED_KIT_BIN}` };
  if (!existsSync(join(FIXTURE_SRC, "hello", "wf.py"))) return { skipped: `the hello fixture's code is not in ${FIXTURE_SRC}` };
  const codeDir = join(dir, "engine-code");
  mkdirSync(codeDir, { recursive: true });
  if (!existsSync(join(codeDir, "cfx"))) symlinkSync(FIXTURE_SRC, join(codeDir, "cfx"));
  return { binDir, codeDir };
}

/** Flags of the engine server for the setup. */
export const realTaskFlags = (s: RealTaskSetup) => ["--engine-python", s.binDir, "--engine-code-paths", s.codeDir];

export interface RealTasks {
  runs: number;
  /** Each run's wall, CreateExecution to SUCCEEDED (server timestamps). */
  wallMs: number[];
  /** Each run's pyflyte-execute process, start to exit (the engine's process record). */
  pythonMs: number[];
  medianWallMs: number;
  medianPythonMs: number;
  /** Median Python / median wall. */
  pythonShare: number;
  /** Where tasks ran from. */
  python: string;
}

/** Registers the hello package as `pyflyte register` would and runs hello_wf `runs` times, one after another. */
export async function realTasks(c: GrpcClient, setup: RealTaskSetup, runRoot: string, runs: number): Promise<RealTasks> {
  try {
    await c.call(A.registerProject, { project: { id: ENGINE_PROJECT, name: ENGINE_PROJECT } });
  } catch (e) {
    if (!(e instanceof GrpcError && e.status === 6)) throw e; // ALREADY_EXISTS: the engine rows made it
  }
  const admin = {
    createTask: (r: object) => c.call(A.createTask, r as never),
    createWorkflow: (r: object) => c.call(A.createWorkflow, r as never),
    createLaunchPlan: (r: object) => c.call(A.createLaunchPlan, r as never),
  };
  await registerPackage(admin, loadFlytekitPackage("hello", ENGINE_PROJECT, DOMAIN, "v1"));
  const lp = { resourceType: ResourceType.LAUNCH_PLAN, project: ENGINE_PROJECT, domain: DOMAIN, name: WORKFLOW, version: "v1" };
  const wallMs: number[] = [];
  const pythonMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const name = `hello${i}`;
    const name_ = { value: { case: "scalar" as const, value: { value: { case: "primitive" as const, value: { value: { case: "stringValue" as const, value: `bench ${i}` } } } } } };
    await c.call(A.createExecution, { project: ENGINE_PROJECT, domain: DOMAIN, name, spec: { launchPlan: lp, metadata: { principal: "bench" } }, inputs: { literals: { name: name_ } } });
    wallMs.push(wallOf((await waitForEnd(c, name)).closure, name));
    pythonMs.push(await processMs(c, runRoot, name));
  }
  const medianWallMs = median(wallMs);
  const medianPythonMs = median(pythonMs);
  return { runs, wallMs, pythonMs, medianWallMs, medianPythonMs, pythonShare: medianPythonMs / medianWallMs, python: setup.binDir };
}

/**
 * The task process's lifetime from the record the engine's shim keeps in the
 * attempt folder; when there is none, the task attempt's RUNNING to its end as
 * the API reports it (which includes the engine noticing the exit).
 */
async function processMs(c: GrpcClient, runRoot: string, name: string): Promise<number> {
  try {
    const rec = JSON.parse(readFileSync(join(runRoot, ENGINE_PROJECT, DOMAIN, name, "n0", "0", ".engine", "proc.json"), "utf8")) as { startedAt?: string; endedAt?: string };
    const ms = Date.parse(rec.endedAt ?? "") - Date.parse(rec.startedAt ?? "");
    if (Number.isFinite(ms)) return ms;
  } catch {
    // no record: fall back to the API's view
  }
  const { taskExecutions } = await c.call(A.listTaskExecutions, { nodeExecutionId: { nodeId: "n0", executionId: { project: ENGINE_PROJECT, domain: DOMAIN, name } }, limit: 10 });
  const cl = taskExecutions[0]?.closure;
  return cl?.startedAt && cl.updatedAt ? timestampMs(cl.updatedAt) - timestampMs(cl.startedAt) : NaN;
}

const median = (xs: number[]) => quantile([...xs].sort((a, b) => a - b), 0.5);

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
