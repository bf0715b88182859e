// The engine rows: workflows of echo tasks run by the local engine of the
// real server, one at a time and many in flight, timed by the server's own
// timestamps (CreateExecution to the terminal event) so polling does not
// blur them.
import { type Timestamp, timestampMs } from "@bufbuild/protobuf/wkt";
import type { ExecutionClosure } from "../gen/flyteidl/admin/execution_pb.js";
import { WorkflowExecution_Phase as Phase } from "../gen/flyteidl/core/execution_pb.js";
import { AdminService } from "../gen/flyteidl/service/admin_pb.js";
import {
  chainShape,
  chainWorkflowRequest,
  DOMAIN,
  dynamicShape,
  dynamicTaskRequest,
  dynamicWorkflowRequest,
  echoTaskRequest,
  ENGINE_PROJECT,
  type EngineShape,
  engineExecutionRequest,
  engineLaunchPlanRequest,
  fanOutShape,
  fanOutWorkflowRequest,
} from "./engine-payloads.js";
import type { GrpcClient } from "./grpc-client.js";
import type { NoopBaseline } from "./noop-baseline.js";
import { quantile } from "./stats.js";

const A = AdminService.method;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TERMINAL = new Set([Phase.SUCCEEDED, Phase.FAILED, Phase.ABORTED, Phase.TIMED_OUT]);

/** One way of running a shape: `inFlight` executions at once, `workflows` in all. */
export interface EngineRun {
  shape: string;
  /** Task nodes per execution (the start and end nodes come on top). */
  nodes: number;
  inFlight: number;
  workflows: number;
  /** 1 in flight: the executions' walls added up; else first CreateExecution to last terminal event. */
  seconds: number;
  nodesPerSecond: number;
  /** Engine time per node: 1 in flight, the median execution's wall / its nodes; else `seconds` / all nodes. */
  msPerNode: number;
  /** Each execution's wall, CreateExecution to SUCCEEDED (server timestamps). */
  workflowP50Ms: number;
  workflowP99Ms: number;
  /** The server's CPU over the run (CreateExecution, the engine, its events, the polls) per node. */
  serverCpuMsPerNode: number;
  /** The GetExecution calls that watched for the ends (by key; included in the CPU). */
  polls: number;
  /** Health/Check's server CPU per call, the mean of its measurements just before and just after this run (other work on the machine changes both alike). */
  noopCpuMs: number;
}

export interface EngineOverhead {
  /** Health/Check on the same server (16 in flight), over all the runs' baselines. */
  noop: { perSecond: number; serverCpuMsPerCall: number };
  runs: EngineRun[];
}

/** Registers the echo task and both shapes, then runs each shape 1 at a time and `inFlight` at once. */
export async function engineOverhead(
  c: GrpcClient,
  sizes: { engineSequential: number; engineInFlight: number },
  cpu: () => number,
  noop: NoopBaseline,
  log: (s: string) => void,
): Promise<EngineOverhead> {
  const chain = chainShape(20);
  const fanOut = fanOutShape(50);
  const dynamic = dynamicShape(200);
  const shapes = [chain, fanOut, dynamic];
  await c.call(A.registerProject, { project: { id: ENGINE_PROJECT, name: ENGINE_PROJECT } });
  await c.call(A.createTask, echoTaskRequest());
  await c.call(A.createTask, dynamicTaskRequest(dynamic));
  await c.call(A.createWorkflow, chainWorkflowRequest(chain));
  await c.call(A.createWorkflow, fanOutWorkflowRequest(fanOut));
  await c.call(A.createWorkflow, dynamicWorkflowRequest(dynamic));
  for (const s of shapes) await c.call(A.createLaunchPlan, engineLaunchPlanRequest(s));
  const runs: EngineRun[] = [];
  let seq = 0;
  const name = () => `eng${seq++}`;
  for (const shape of shapes) {
    // One unmeasured execution first: the engine's code paths compile on first use.
    await runSequential(c, shape, 1, cpu, name);
    // The chain runs `engineInFlight` at once; wider shapes as many nodes in all, which keeps the run short.
    const inFlight = Math.max(1, Math.round((sizes.engineInFlight * shapes[0]!.nodes) / shape.nodes));
    log(`engine: ${shape.label}, ${inFlight} in flight...`);
    const many = await noop.bracket(() => runBatch(c, shape, inFlight, cpu, name));
    // One at a time after the batch: a few executions alone are not enough for the JIT to settle
    // (measured first, they cost about twice the CPU per node they cost warm).
    log(`engine: ${shape.label}, 1 in flight...`);
    runs.push(await noop.bracket(() => runSequential(c, shape, sizes.engineSequential, cpu, name)), many);
  }
  return { noop: noop.summary(), runs };
}

/** `count` executions one after another, each created once the previous one ended. */
type Timed = Omit<EngineRun, "noopCpuMs">;

async function runSequential(c: GrpcClient, shape: EngineShape, count: number, cpu: () => number, name: () => string): Promise<Timed> {
  const walls: number[] = [];
  let polls = 0;
  const before = cpu();
  for (let i = 0; i < count; i++) {
    const n = name();
    await c.call(A.createExecution, engineExecutionRequest(shape, n, i));
    const end = await waitForEnd(c, n);
    polls += end.polls;
    walls.push(wallOf(end.closure, n));
  }
  const cpuMs = (cpu() - before) * 1000;
  walls.sort((a, b) => a - b);
  const seconds = walls.reduce((a, w) => a + w, 0) / 1000;
  return summary(shape, 1, walls, seconds, quantile(walls, 0.5) / shape.nodes, cpuMs, polls);
}

/** `count` executions created at once, timed from the first creation to the last end. */
async function runBatch(c: GrpcClient, shape: EngineShape, count: number, cpu: () => number, name: () => string): Promise<Timed> {
  const names = Array.from({ length: count }, name);
  const before = cpu();
  await Promise.all(names.map((n, i) => c.raw(A.createExecution, engineExecutionRequest(shape, n, i))));
  // In creation order: once the first has ended most later ones have too, and each costs one call.
  const ends: Awaited<ReturnType<typeof waitForEnd>>[] = [];
  for (const n of names) ends.push(await waitForEnd(c, n));
  const cpuMs = (cpu() - before) * 1000;
  const polls = ends.reduce((a, e) => a + e.polls, 0);
  const times = ends.map((e, i) => timesOf(e.closure, names[i]!));
  const seconds = (Math.max(...times.map((t) => t.ended)) - Math.min(...times.map((t) => t.created))) / 1000;
  const walls = times.map((t) => t.ended - t.created).sort((a, b) => a - b);
  return summary(shape, count, walls, seconds, (seconds * 1000) / (count * shape.nodes), cpuMs, polls);
}

function summary(shape: EngineShape, inFlight: number, walls: number[], seconds: number, msPerNode: number, cpuMs: number, polls: number): Timed {
  const nodes = walls.length * shape.nodes;
  return {
    shape: shape.label,
    nodes: shape.nodes,
    inFlight,
    workflows: walls.length,
    seconds,
    nodesPerSecond: nodes / seconds,
    msPerNode,
    workflowP50Ms: quantile(walls, 0.5),
    workflowP99Ms: quantile(walls, 0.99),
    serverCpuMsPerNode: cpuMs / nodes,
    polls,
  };
}

/**
 * Polls GetExecution (a read by key) until the execution has ended, 10 ms
 * apart at first and at most 100 ms: the timings come from the server's
 * timestamps, so a late poll only lengthens the run, and few polls keep
 * their CPU out of the engine's.
 */
export async function waitForEnd(c: GrpcClient, name: string, timeoutMs = 600_000): Promise<{ closure: ExecutionClosure | undefined; polls: number }> {
  const deadline = performance.now() + timeoutMs;
  let wait = 10;
  for (let polls = 1; ; polls++) {
    const { closure } = await c.call(A.getExecution, { id: { project: ENGINE_PROJECT, domain: DOMAIN, name } });
    if (TERMINAL.has(closure?.phase ?? Phase.UNDEFINED)) return { closure, polls };
    if (performance.now() > deadline) throw new Error(`engine: execution ${name} is still ${Phase[closure?.phase ?? 0]} after ${timeoutMs / 1000} s`);
    await sleep(wait);
    wait = Math.min(100, wait * 1.5);
  }
}

/** CreateExecution to SUCCEEDED in ms. */
export const wallOf = (closure: ExecutionClosure | undefined, name: string) => {
  const t = timesOf(closure, name);
  return t.ended - t.created;
};

/** When the execution was created and when its terminal event landed (closure.updatedAt); fails unless it SUCCEEDED. */
function timesOf(cl: ExecutionClosure | undefined, name: string): { created: number; ended: number } {
  if (cl?.phase !== Phase.SUCCEEDED) {
    const error = cl?.outputResult.case === "error" ? `: ${cl.outputResult.value.code} ${cl.outputResult.value.message}` : "";
    throw new Error(`execution ${name} ended ${Phase[cl?.phase ?? 0]}${error}`);
  }
  return { created: ms(cl.createdAt), ended: ms(cl.updatedAt) };
}

const ms = (t: Timestamp | undefined) => (t ? timestampMs(t) : NaN);
