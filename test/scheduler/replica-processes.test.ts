import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExecutionMetadata_ExecutionMode as Mode } from "../../gen/flyteidl/admin/execution_pb.js";
import { LaunchPlanState } from "../../gen/flyteidl/admin/launch_plan_pb.js";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import { scheduledExecutionName } from "../../src/core/schedule-name.js";
import { createTestDatabase, PG_URL } from "../helpers/backends.js";
import { type ReplicaProcess, startReplica } from "../helpers/replica-process.js";
import { createScheduledLaunchPlan, cron, D, P, registerWorkflow } from "./scheduled-launch-plan.js";

type Admin = ReturnType<typeof createClient<typeof AdminService>>;

/** One counter or gauge of a replica's /metrics (0 when absent). */
async function metric(replica: ReplicaProcess, line: RegExp): Promise<number> {
  const text = await (await fetch(`${replica.url}/metrics`)).text();
  return Number(line.exec(text)?.[1] ?? 0);
}
const created = (r: ReplicaProcess) => metric(r, /^flyteadmin_scheduler_fires_total\{result="created"\} (\d+)$/m);
const existed = (r: ReplicaProcess) => metric(r, /^flyteadmin_scheduler_fires_total\{result="exists"\} (\d+)$/m);
const leads = (r: ReplicaProcess) => metric(r, /^flyteadmin_scheduler_is_leader (\d)$/m);

async function scheduled(admin: Admin): Promise<string[]> {
  const names: string[] = [];
  let token = "";
  do {
    const page = await admin.listExecutions({ id: { project: P, domain: D }, limit: 100, token, filters: "eq(mode,1)" });
    names.push(...page.executions.map((e) => e.id!.name));
    token = page.token;
  } while (token !== "");
  return names;
}

async function until(check: () => Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Two `flyteadmin-ts serve` processes on one PostgreSQL database, both running
 * the scheduler in real time on an `@every 1s` schedule: one fires, the other
 * never does (it would count an `exists`), every execution is a tick's, and
 * when the one firing stops the other carries on from the cursor.
 */
describe.skipIf(!PG_URL)("the scheduler in two server processes on one PostgreSQL", () => {
  let db: { url: string; drop(): Promise<void> };
  let replicas: ReplicaProcess[] = [];
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "flyteadmin-scheduler-replicas-"));
    db = await createTestDatabase();
    const args = (i: number) => ["--database", db.url, "--data-dir", join(dir, `replica${i}`), "--storage", join(dir, "blobs"), "--engine", "none", "--db-pool-size", "4", "--scheduler-min-interval-ms", "1000"];
    // One after the other: the first migrates the fresh database.
    replicas.push(await startReplica(args(0)));
    replicas.push(await startReplica(args(1)));
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled(replicas.map((r) => r.stop()));
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("fires each tick once, from one replica, and goes on when that replica stops", { timeout: 120_000 }, async () => {
    const [a, b] = replicas.map((r) => createClient(AdminService, createGrpcTransport({ baseUrl: r.url }))) as [Admin, Admin];
    await a.registerProject({ project: { id: P, name: P } });
    await registerWorkflow(a);
    const id = await createScheduledLaunchPlan(a, "everysecond", "v1", cron("@every 1s"));
    await b.updateLaunchPlan({ id, state: LaunchPlanState.ACTIVE });

    await until(async () => (await scheduled(a)).length >= 4, "four scheduled executions");
    const leaders = await Promise.all(replicas.map(leads));
    expect([...leaders].sort()).toEqual([0, 1]);
    const leader = replicas[leaders.indexOf(1)]!;
    const follower = replicas.find((r) => r !== leader)!;
    expect(await existed(leader)).toBe(0);
    expect(await created(follower)).toBe(0);
    const followerAdmin = follower === replicas[0] ? a : b;

    // The one firing stops (releasing its lease): the other takes over and carries on.
    const before = (await scheduled(followerAdmin)).length;
    await leader.stop();
    replicas = replicas.filter((r) => r !== leader);
    await until(async () => (await scheduled(followerAdmin)).length >= before + 3, "ticks fired by the replica left");
    await followerAdmin.updateLaunchPlan({ id, state: LaunchPlanState.INACTIVE });

    const names = await scheduled(followerAdmin);
    expect(new Set(names).size).toBe(names.length);
    // Every execution is one of the schedule's ticks: whole seconds after activation, named as FlyteAdmin names them.
    for (const name of names) {
      const execution = await followerAdmin.getExecution({ id: { project: P, domain: D, name } });
      const meta = execution.spec!.metadata!;
      expect(meta.mode).toBe(Mode.SCHEDULED);
      const tick = new Date(Number(meta.scheduledAt!.seconds) * 1000);
      expect(meta.scheduledAt!.nanos).toBe(0);
      expect(name).toBe(scheduledExecutionName({ project: P, domain: D, name: "everysecond", version: "v1" }, tick));
    }
    // The replica left never found a tick already fired: it fired only while it held the lease.
    expect(await existed(follower)).toBe(0);
    expect(await created(follower)).toBeGreaterThanOrEqual(3);
    expect(await leads(follower)).toBe(1);
  });
});
