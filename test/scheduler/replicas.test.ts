import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LaunchPlanState } from "../../gen/flyteidl/admin/launch_plan_pb.js";
import type { App } from "../../src/app.js";
import type { PassReport } from "../../src/scheduler/scheduler.js";
import { inMemoryAdmin } from "../helpers/app.js";
import { createTestDatabase, PG_URL } from "../helpers/backends.js";
import { createScheduledLaunchPlan, cron, D, P, rate, registerWorkflow } from "./scheduled-launch-plan.js";

/**
 * Two servers on one database, as two replicas of one deployment: one fires
 * at a time (the lease), each tick becomes exactly one execution, and when
 * the one firing stops renewing the other takes over. On a SQLite file
 * always, on a real PostgreSQL server when FLYTEADMIN_TEST_PG_URL is set.
 */
const databases: [string, () => Promise<{ database: string; drop(): Promise<void> }>][] = [
  ["a SQLite file", async () => ({ database: join(mkdtempSync(join(tmpdir(), "flyteadmin-replicas-")), "admin.db"), drop: async () => undefined })],
  ...(PG_URL
    ? [["PostgreSQL", async () => { const db = await createTestDatabase(); return { database: db.url, drop: db.drop }; }] as [string, () => Promise<{ database: string; drop(): Promise<void> }>]]
    : []),
];

const T0 = Date.parse("2024-05-06T10:00:00Z");
const MINUTE = 60_000;
let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

/** Two apps on the database, sharing a fake clock; the first registers three schedules activated at T0. */
async function twoReplicas(openDb: () => Promise<{ database: string; drop(): Promise<void> }>, leases?: "always mine") {
  const db = await openDb();
  cleanup.push(db.drop);
  const clock = { now: new Date(T0) };
  const storage = mkdtempSync(join(tmpdir(), "flyteadmin-replica-blobs-"));
  const apps: App[] = [];
  for (let i = 0; i < 2; i++) {
    const { app, admin } = await inMemoryAdmin({ database: db.database, storage }, { clock: () => clock.now, sleep: async (ms) => void (clock.now = new Date(clock.now.getTime() + ms)) });
    cleanup.push(() => app.close());
    apps.push(app);
    if (i > 0) continue;
    await admin.registerProject({ project: { id: P, name: P } });
    await registerWorkflow(admin);
    for (const [name, schedule] of [["every5", cron("*/5 * * * *")], ["every2", cron("@every 2m")], ["tenmin", rate(10, 0)]] as const) {
      const id = await createScheduledLaunchPlan(admin, name, "v1", schedule);
      await admin.updateLaunchPlan({ id, state: LaunchPlanState.ACTIVE });
    }
  }
  if (leases) {
    // Both believe they hold the lease (an expired lease, a paused process): only the names and the cursor CAS keep it right.
    for (const app of apps) Object.assign(app.store.leases, { acquire: async () => true });
  }
  const count = async () => (await apps[0]!.store.executions.list({ project: P, domain: D }, { filters: [], offset: 0 })).length;
  return { apps, clock, count };
}

/** Ticks in (T0, T0 + minutes]: every 5 min, every 2 min, every 10 min. */
const ticksUpTo = (minutes: number) => Math.floor(minutes / 5) + Math.floor(minutes / 2) + Math.floor(minutes / 10);

describe.each(databases)("two schedulers on %s", { timeout: 180_000 }, (name, openDb) => {
  it("fire each tick once over an hour, one at a time, and the other takes over when the first stops", async () => {
    const { apps, clock, count } = await twoReplicas(openDb);
    const [a, b] = apps as [App, App];
    const leaders: string[] = [];
    const step = (replicas: App[]): Promise<PassReport[]> => Promise.all(replicas.map((r) => r.scheduler.runOnce()));
    // An hour in steps of 5 s (the longest a scheduler sleeps), both replicas passing at every step.
    for (let t = T0 + 5_000; t <= T0 + 60 * MINUTE; t += 5_000) {
      clock.now = new Date(t);
      const [ra, rb] = await step([a, b]);
      expect([ra!.leader, rb!.leader].filter(Boolean)).toHaveLength(1);
      // The follower never fires.
      for (const r of [ra!, rb!]) if (!r.leader) expect(r.handled).toBe(0);
      leaders.push(ra!.leader ? "a" : "b");
    }
    expect(new Set(leaders).size).toBe(1);
    expect(await count()).toBe(ticksUpTo(60));

    // The leader dies without giving the lease up: only the other one passes from now on.
    const follower = leaders[0] === "a" ? b : a;
    let takenOverAt: number | undefined;
    for (let t = T0 + 60 * MINUTE + 5_000; t <= T0 + 70 * MINUTE; t += 5_000) {
      clock.now = new Date(t);
      const [r] = await step([follower]);
      if (r!.leader && takenOverAt === undefined) takenOverAt = t;
    }
    // Within the lease's 15 s and one pass of 5 s.
    expect(takenOverAt! - (T0 + 60 * MINUTE)).toBeLessThanOrEqual(20_000);
    expect(await count()).toBe(ticksUpTo(70));
  });

  it("create each execution once even when both fire at the same time", async () => {
    const { apps, clock, count } = await twoReplicas(openDb, "always mine");
    for (let t = T0 + 30_000; t <= T0 + 30 * MINUTE; t += 30_000) {
      clock.now = new Date(t);
      // Two SQLite connections in one process block its event loop while one waits for the other's
      // write lock, so there the passes take turns (two processes on the file would not); PostgreSQL races them.
      const reports = name === "PostgreSQL" ? await Promise.all(apps.map((r) => r.scheduler.runOnce())) : [await apps[0]!.scheduler.runOnce(), await apps[1]!.scheduler.runOnce()];
      expect(reports.every((r) => r.leader)).toBe(true);
    }
    expect(await count()).toBe(ticksUpTo(30));
    for (const name of ["every5", "every2", "tenmin"]) {
      const row = await apps[0]!.store.schedules.get({ project: P, domain: D, name, version: "v1" });
      expect(row?.nextFireAt!.getTime()).toBeGreaterThan(T0 + 30 * MINUTE);
    }
  });
});
