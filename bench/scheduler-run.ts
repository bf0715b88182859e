// The scheduler rows (`--only scheduler`): the in-process scheduler over a
// database holding many active schedules, driven pass by pass as its loop
// drives it, on a clock the bench controls. Idle passes run on simulated time
// (a minute of passes takes milliseconds); firing runs on real time, because
// the rate limit it is bounded by waits in real time.
import { create } from "@bufbuild/protobuf";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import { LaunchPlanSpecSchema, LaunchPlanState } from "../gen/flyteidl/admin/launch_plan_pb.js";
import { TaskSpecSchema } from "../gen/flyteidl/admin/task_pb.js";
import { WorkflowSpecSchema } from "../gen/flyteidl/admin/workflow_pb.js";
import { ResourceType } from "../gen/flyteidl/core/identifier_pb.js";
import { AdminService } from "../gen/flyteidl/service/admin_pb.js";
import { buildApp } from "../src/app.js";
import { loadConfig } from "../src/config.js";
import { createLogger } from "../src/logger.js";
import { promise, pythonTask, T, taskNode, workflow } from "../test/fixtures/flyte-builders.js";
import { DOMAIN, PROJECT } from "./payloads.js";
import { round } from "./stats.js";

export interface SchedulerResults {
  schedules: number;
  firing: number;
  /** Idle: the passes of one simulated minute (one per 5 s, as the loop sleeps at most 5 s). */
  idle: { passesPerMinute: number; cpuMsPerMinute: number; noopCpuMs: number };
  /** `firing` schedules due in the same minute: real time from their tick to the last execution existing. */
  limited: Firing;
  unlimited: Firing;
}

interface Firing {
  maxCreatesPerSecond: number;
  burst: number;
  lagSeconds: number;
  passes: number;
  cpuMsPerExecution: number;
}

const MINUTE = 60_000;
// Every schedule is activated at T0; the idle ones next fire at midnight, the firing ones at 10:30 or 10:31.
const T0 = Date.parse("2024-05-06T10:00:00Z");
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

export async function measureScheduler(o: { database: string; dataDir: string; schedules: number; firing: number; log: (s: string) => void }): Promise<SchedulerResults> {
  // The clock is simulated (idle passes) or real time shifted so the measured tick is "now".
  const clock = { simulated: T0 as number | undefined, offset: 0 };
  const now = () => new Date(clock.simulated ?? Date.now() + clock.offset);
  const open = (maxCreatesPerSecond: string) =>
    buildApp(
      loadConfig({ flags: { database: o.database, dataDir: o.dataDir, engine: "none", logLevel: "silent", schedulerMaxCreatesPerSecond: maxCreatesPerSecond, metrics: "false" } }),
      createLogger("silent"),
      { clock: now },
    );
  const limitedApp = await open("100");
  try {
    const admin = createClient(AdminService, createRouterTransport(limitedApp.routes, { router: { interceptors: limitedApp.interceptors } }));
    await seed(admin, o);

    o.log(`scheduler: idle passes over ${o.schedules.toLocaleString("en-US")} active schedules...`);
    const probes = 50;
    let before = cpuMs();
    for (let i = 0; i < probes; i++) await limitedApp.store.probe();
    const noopCpuMs = (cpuMs() - before) / probes;
    // A warm-up minute, then the measured ones.
    const passesPerMinute = MINUTE / 5_000;
    const minutes = 5;
    let passes = 0;
    for (let t = T0 + 5_000; t <= T0 + MINUTE; t += 5_000) {
      clock.simulated = t;
      await limitedApp.scheduler.runOnce();
    }
    before = cpuMs();
    for (let t = T0 + MINUTE + 5_000; t <= T0 + (1 + minutes) * MINUTE; t += 5_000) {
      clock.simulated = t;
      const r = await limitedApp.scheduler.runOnce();
      if (r.handled > 0) throw new Error("an idle pass fired something");
      passes++;
    }
    const idle = { passesPerMinute, cpuMsPerMinute: (cpuMs() - before) / minutes, noopCpuMs };
    if (passes !== minutes * passesPerMinute) throw new Error("unexpected pass count");

    o.log(`scheduler: ${o.firing} schedules due at once, default rate limit...`);
    const limited = await fire(limitedApp, T0 + 30 * MINUTE, "10:30", clock, o.firing);
    await limitedApp.scheduler.stop();
    o.log(`scheduler: ${o.firing} schedules due at once, no rate limit...`);
    const unlimitedApp = await open("0");
    try {
      const unlimited = await fire(unlimitedApp, T0 + 31 * MINUTE, "10:31", clock, o.firing);
      return { schedules: o.schedules, firing: o.firing, idle, limited: { ...limited, maxCreatesPerSecond: 100, burst: 10 }, unlimited: { ...unlimited, maxCreatesPerSecond: 0, burst: 10 } };
    } finally {
      await unlimitedApp.close();
    }
  } finally {
    await limitedApp.close();
  }
}

/** Passes as the loop runs them (the next at once while work is left) from the tick on, until every execution of it exists. */
async function fire(app: Awaited<ReturnType<typeof buildApp>>, tick: number, label: string, clock: { simulated: number | undefined; offset: number }, expected: number) {
  clock.simulated = undefined;
  clock.offset = tick - Date.now();
  const before = cpuMs();
  let passes = 0;
  let created = 0;
  while (created < expected) {
    const r = await app.scheduler.runOnce();
    passes++;
    created += r.handled;
    if (passes > expected + 10) throw new Error(`the ${label} schedules did not all fire`);
  }
  const lagSeconds = (Date.now() + clock.offset - tick) / 1000;
  return { lagSeconds, passes, cpuMsPerExecution: (cpuMs() - before) / expected };
}

/** One workflow; `schedules` launch plans activated at T0, `firing` of them due at 10:30 (and as many at 10:31), the rest at midnight. */
async function seed(admin: ReturnType<typeof createClient<typeof AdminService>>, o: { schedules: number; firing: number; log: (s: string) => void }) {
  o.log(`scheduler: registering and activating ${o.schedules.toLocaleString("en-US")} scheduled launch plans...`);
  await admin.registerProject({ project: { id: PROJECT, name: PROJECT } });
  const task = pythonTask("bench.scheduled", { kickoff: T.datetime() }, {});
  const wf = workflow("bench.scheduled_wf", { inputs: { kickoff: T.datetime() }, nodes: [taskNode("n0", task, { inputs: { kickoff: promise("", "kickoff") } })] });
  await admin.createTask({ id: task.id, spec: create(TaskSpecSchema, { template: task }) });
  await admin.createWorkflow({ id: wf.id, spec: create(WorkflowSpecSchema, { template: wf }) });
  for (let i = 0; i < o.schedules; i++) {
    const expression = i < o.firing ? "30 10 * * *" : i < 2 * o.firing ? "31 10 * * *" : "0 0 * * *";
    const id = { resourceType: ResourceType.LAUNCH_PLAN, project: PROJECT, domain: DOMAIN, name: `bench.scheduled_${i}`, version: "v1" };
    const spec = create(LaunchPlanSpecSchema, {
      workflowId: wf.id,
      defaultInputs: { parameters: { kickoff: { var: { type: T.datetime() }, behavior: { case: "required", value: true } } } },
      entityMetadata: { schedule: { ScheduleExpression: { case: "cronSchedule", value: { schedule: expression } }, kickoffTimeInputArg: "kickoff" } },
    });
    await admin.createLaunchPlan({ id, spec });
    await admin.updateLaunchPlan({ id, state: LaunchPlanState.ACTIVE });
  }
}

/** The rows of the results table. */
export function schedulerRows(r: SchedulerResults): string[][] {
  const n = (x: number) => x.toLocaleString("en-US");
  const firing = (name: string, f: Firing, bound: string) => [
    name,
    `${n(Math.round(r.firing / f.lagSeconds))}/s`,
    `lag ${round(f.lagSeconds)} s`,
    `${round(f.cpuMsPerExecution)} ms`,
    `${n(r.firing)} executions in ${f.passes} passes; ${round(f.cpuMsPerExecution / r.idle.noopCpuMs)} no-ops (${round(r.idle.noopCpuMs)} ms each) per execution; ${bound}`,
  ];
  const floor = (r.firing - 10) / 100;
  return [
    [
      `scheduler idle, ${n(r.schedules)} active schedules`,
      "",
      "",
      `${round(r.idle.cpuMsPerMinute)} ms per minute`,
      `${r.idle.passesPerMinute} passes per minute; ${round(r.idle.cpuMsPerMinute / r.idle.passesPerMinute / r.idle.noopCpuMs)} no-ops per pass (a no-op: one trivial query, store.probe(), ${round(r.idle.noopCpuMs)} ms CPU)`,
    ],
    firing(`${n(r.firing)} schedules due in one minute, rate limit 100/s burst 10`, r.limited, `bounded by the rate limit: (${n(r.firing)} − 10) / 100 = ${round(floor)} s`),
    firing(`${n(r.firing)} schedules due in one minute, no rate limit`, r.unlimited, "bounded by CreateExecution's own cost"),
  ];
}
