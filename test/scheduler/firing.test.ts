import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { ExecutionMetadata_ExecutionMode as Mode } from "../../gen/flyteidl/admin/execution_pb.js";
import { LaunchPlanState } from "../../gen/flyteidl/admin/launch_plan_pb.js";
import { Project_ProjectState } from "../../gen/flyteidl/admin/project_pb.js";
import { type Identifier, ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import type { App } from "../../src/app.js";
import type { Config } from "../../src/config.js";
import { scheduledExecutionName } from "../../src/core/schedule-name.js";
import { createSqlStore } from "../../src/storage/sql-store.js";
import { openSqlite } from "../../src/storage/sqlite.js";
import type { Store } from "../../src/storage/store.js";
import { inMemoryAdmin } from "../helpers/app.js";
import { createScheduledLaunchPlan, cron, D, P, rate, registerWorkflow } from "./scheduled-launch-plan.js";

type Admin = Awaited<ReturnType<typeof inMemoryAdmin>>["admin"];

const apps: App[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
});

const at = (hhmmss: string, day = "2024-05-06") => new Date(`${day}T${hhmmss}Z`);

/**
 * An app on a fake clock: activations happen at `clock.now`, and the
 * scheduler's rate limit waits by moving it. `store` replaces the default
 * in-memory one (fault injection, a file shared with a restarted app).
 */
async function setUp(over: Partial<Record<keyof Config, string>> = {}, store?: Store, clock = { now: at("10:00:00") }) {
  const built = await inMemoryAdmin(over, {
    clock: () => clock.now,
    sleep: async (ms) => {
      clock.now = new Date(clock.now.getTime() + ms);
    },
    ...(store ? { store } : {}),
  });
  apps.push(built.app);
  return { admin: built.admin, app: built.app, clock };
}

async function registered(over: Partial<Record<keyof Config, string>> = {}, store?: Store) {
  const s = await setUp(over, store);
  await s.admin.registerProject({ project: { id: P, name: P } });
  await registerWorkflow(s.admin);
  return s;
}

/** One scheduler pass at time t (the clock reads t while it runs, and moves on only by rate-limit waits). */
const passAt = (s: { app: App; clock: { now: Date } }, t: Date) => {
  s.clock.now = t;
  return s.app.scheduler.runOnce();
};
const activate = (admin: Admin, id: Identifier) => admin.updateLaunchPlan({ id, state: LaunchPlanState.ACTIVE });
const executions = async (admin: Admin) =>
  (await admin.listExecutions({ id: { project: P, domain: D }, limit: 1000 })).executions.map((e) => ({
    name: e.id!.name,
    scheduledAt: e.spec?.metadata?.scheduledAt ? timestampDate(e.spec.metadata.scheduledAt).toISOString() : undefined,
    launchPlan: e.spec?.launchPlan?.version,
  }));
const scheduledTimes = async (admin: Admin) => (await executions(admin)).map((e) => e.scheduledAt).sort();

/** A store whose executions.create records the names created, in order. */
function recordingStore(order: string[]): Store {
  const store = createSqlStore(openSqlite(":memory:"));
  return {
    ...store,
    executions: {
      ...store.executions,
      create: async (e, ...rest) => {
        const created = await store.executions.create(e, ...rest);
        if (created) order.push(e.execution.id!.name);
        return created;
      },
    },
  };
}

describe("a cron tick (scenario 2)", () => {
  it("creates one execution with FlyteAdmin's name, mode, scheduled_at, launch plan and kickoff input", async () => {
    const { admin, app, clock } = await registered();
    clock.now = at("10:03:27.400");
    const id = await createScheduledLaunchPlan(admin, "every5", "v1", cron("*/5 * * * *"));
    await activate(admin, id);
    expect((await passAt({ app, clock }, at("10:04:59"))).handled).toBe(0);
    const report = await passAt({ app, clock }, at("10:05:00"));
    expect(report).toMatchObject({ leader: true, due: 1, handled: 1, nextTick: at("10:10:00"), wakeAt: at("10:05:05") });
    const name = scheduledExecutionName(id, at("10:05:00"));
    expect(name).toMatch(/^f[0-9a-f]{16}000$/);
    const e = await admin.getExecution({ id: { project: P, domain: D, name } });
    expect(e.spec?.metadata?.mode).toBe(Mode.SCHEDULED);
    expect(timestampDate(e.spec!.metadata!.scheduledAt!)).toEqual(at("10:05:00"));
    expect(e.spec?.metadata?.principal).toBe("");
    expect(e.spec?.launchPlan).toMatchObject({ resourceType: ResourceType.LAUNCH_PLAN, project: P, domain: D, name: "every5", version: "v1" });
    const inputs = (await admin.getExecutionData({ id: { project: P, domain: D, name } })).fullInputs?.literals;
    const kickoff = inputs?.kickoff?.value;
    expect(kickoff?.case === "scalar" && kickoff.value.value.case === "primitive" && kickoff.value.value.value.value).toMatchObject({
      case: "datetime",
      value: { seconds: BigInt(at("10:05:00").getTime() / 1000), nanos: 0 },
    });
    expect(await app.store.schedules.get(id)).toMatchObject({ nextFireAt: at("10:10:00"), lastFiredAt: at("10:05:00"), attempts: 0, lastError: null });
    // The same pass again finds nothing due.
    expect((await passAt({ app, clock }, at("10:05:01"))).handled).toBe(0);
    expect(await executions(admin)).toHaveLength(1);
  });

  it("re-fires a tick whose advance was lost to a crash and meets its own execution (scenario 3)", async () => {
    const base = createSqlStore(openSqlite(":memory:"));
    let crash = true;
    const store: Store = {
      ...base,
      schedules: {
        ...base.schedules,
        advance: async (...args) => {
          if (crash) {
            crash = false;
            throw new Error("the process died here");
          }
          return base.schedules.advance(...args);
        },
      },
    };
    const { admin, app, clock } = await registered({}, store);
    const id = await createScheduledLaunchPlan(admin, "every5", "v1", cron("*/5 * * * *"));
    await activate(admin, id);
    await expect(passAt({ app, clock }, at("10:05:00"))).rejects.toThrow("the process died here");
    expect(await app.store.schedules.get(id)).toMatchObject({ nextFireAt: at("10:05:00") });
    expect(await passAt({ app, clock }, at("10:05:30"))).toMatchObject({ handled: 1 });
    expect(await scheduledTimes(admin)).toEqual([at("10:05:00").toISOString()]);
    expect(await app.store.schedules.get(id)).toMatchObject({ nextFireAt: at("10:10:00"), lastFiredAt: at("10:05:00") });
  });
});

describe("catch-up after downtime (scenario 4)", () => {
  const downFor30Minutes = async (over: Partial<Record<keyof Config, string>>, until = at("10:30:00")) => {
    const order: string[] = [];
    const { admin, app, clock } = await registered({ ...over }, recordingStore(order));
    const id = await createScheduledLaunchPlan(admin, "every5", "v1", cron("*/5 * * * *"));
    await activate(admin, id);
    await passAt({ app, clock }, until);
    return { admin, app, id, order };
  };
  const ticks = (id: Identifier, ...times: string[]) => times.map((t) => scheduledExecutionName(id, at(t)));

  it("all: every missed tick, oldest first", async () => {
    const { app, id, order } = await downFor30Minutes({});
    expect(order).toEqual(ticks(id, "10:05:00", "10:10:00", "10:15:00", "10:20:00", "10:25:00", "10:30:00"));
    expect((await app.store.schedules.get(id))?.nextFireAt).toEqual(at("10:35:00"));
  });

  it("latest: only the newest", async () => {
    const { app, id, order } = await downFor30Minutes({ schedulerCatchUp: "latest" });
    expect(order).toEqual(ticks(id, "10:30:00"));
    expect((await app.store.schedules.get(id))?.nextFireAt).toEqual(at("10:35:00"));
  });

  it("none: nothing older than the grace, and the cursor moves on", async () => {
    const { app, id, order } = await downFor30Minutes({ schedulerCatchUp: "none" }, at("10:31:30"));
    expect(order).toEqual([]);
    expect((await app.store.schedules.get(id))?.nextFireAt).toEqual(at("10:35:00"));
  });

  it("fires at most maxTicksPerPass per pass and asks for another pass at once", async () => {
    const { admin, app, clock } = await registered({ schedulerMaxTicksPerPass: "4" });
    const id = await createScheduledLaunchPlan(admin, "every5", "v1", cron("*/5 * * * *"));
    await activate(admin, id);
    expect(await passAt({ app, clock }, at("10:30:00"))).toMatchObject({ handled: 4, wakeAt: at("10:30:00") });
    expect((await app.store.schedules.get(id))?.nextFireAt).toEqual(at("10:25:00"));
    expect(await passAt({ app, clock }, at("10:30:00"))).toMatchObject({ handled: 2, nextTick: at("10:35:00") });
    expect(await executions(admin)).toHaveLength(6);
  });
});

describe("fixed rate (scenario 5)", () => {
  it("keeps its phase across a restart", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "flyteadmin-rate-")), "admin.db");
    const first = await registered({}, createSqlStore(openSqlite(file)));
    first.clock.now = at("10:03:27.400");
    const id = await createScheduledLaunchPlan(first.admin, "tenmin", "v1", rate(10, 0));
    await activate(first.admin, id);
    await passAt(first, at("10:13:27"));
    await first.app.close();
    apps.splice(apps.indexOf(first.app), 1);
    const second = await setUp({}, createSqlStore(openSqlite(file)));
    expect(await passAt(second, at("10:20:00"))).toMatchObject({ handled: 0, nextTick: at("10:23:27") });
    await passAt(second, at("10:23:27"));
    expect(await scheduledTimes(second.admin)).toEqual([at("10:13:27").toISOString(), at("10:23:27").toISOString()]);
    expect((await executions(second.admin)).map((e) => e.name).sort()).toEqual(
      [scheduledExecutionName(id, at("10:13:27")), scheduledExecutionName(id, at("10:23:27"))].sort(),
    );
  });
});

describe("activation changes", () => {
  it("a new version takes over: no old-version tick after it, names differ for the same time (scenario 6)", async () => {
    const { admin, app, clock } = await registered();
    const v1 = await createScheduledLaunchPlan(admin, "lp", "v1", cron("*/5 * * * *"));
    const v2 = await createScheduledLaunchPlan(admin, "lp", "v2", cron("*/5 * * * *"));
    await activate(admin, v1);
    await passAt({ app, clock }, at("10:05:00"));
    clock.now = at("10:07:00");
    await activate(admin, v2);
    await passAt({ app, clock }, at("10:10:00"));
    const runs = (await executions(admin)).map((e) => `${e.launchPlan}@${e.scheduledAt}`).sort();
    expect(runs).toEqual([`v1@${at("10:05:00").toISOString()}`, `v2@${at("10:10:00").toISOString()}`]);
    expect(scheduledExecutionName(v1, at("10:10:00"))).not.toBe(scheduledExecutionName(v2, at("10:10:00")));
  });

  it("deactivated, then reactivated: the inactive period is not caught up (scenario 7)", async () => {
    const { admin, app, clock } = await registered();
    const id = await createScheduledLaunchPlan(admin, "lp", "v1", cron("*/5 * * * *"));
    await activate(admin, id);
    await passAt({ app, clock }, at("10:05:00"));
    clock.now = at("10:07:00");
    await admin.updateLaunchPlan({ id, state: LaunchPlanState.INACTIVE });
    expect((await passAt({ app, clock }, at("10:30:00"))).due).toBe(0);
    clock.now = at("11:02:00");
    await activate(admin, id);
    await passAt({ app, clock }, at("11:05:00"));
    expect(await scheduledTimes(admin)).toEqual([at("10:05:00").toISOString(), at("11:05:00").toISOString()]);
  });

  it("an impossible date stays idle and the others fire (scenario 8, D13)", async () => {
    const { admin, app, clock } = await registered();
    const never = await createScheduledLaunchPlan(admin, "never", "v1", cron("0 0 31 2 *"));
    const every5 = await createScheduledLaunchPlan(admin, "every5", "v1", cron("*/5 * * * *"));
    await activate(admin, never);
    await activate(admin, every5);
    await passAt({ app, clock }, at("10:05:00"));
    expect((await executions(admin)).map((e) => e.launchPlan)).toEqual(["v1"]);
    expect(await app.store.schedules.get(never)).toMatchObject({ active: true, nextFireAt: null, lastError: "schedule has no future run" });
  });
});

describe("launch plans activated before schedules were kept", () => {
  it("are adopted by the first pass: they fire from the next tick on", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "flyteadmin-adopt-")), "admin.db");
    const { admin, app, clock } = await registered({}, createSqlStore(openSqlite(file)));
    const active = await createScheduledLaunchPlan(admin, "old", "v1", cron("*/5 * * * *"));
    const inactive = await createScheduledLaunchPlan(admin, "idle", "v1", cron("*/5 * * * *"));
    await activate(admin, active);
    // As an earlier version left them: active launch plans, no schedule rows.
    const raw = new Database(file);
    raw.exec("DELETE FROM schedulable_entities");
    raw.close();
    expect(await passAt({ app, clock }, at("10:07:30"))).toMatchObject({ handled: 0, nextTick: at("10:10:00") });
    expect(await app.store.schedules.get(active)).toMatchObject({ active: true, activatedAt: at("10:07:30"), nextFireAt: at("10:10:00") });
    expect(await app.store.schedules.get(inactive)).toBeUndefined();
    await passAt({ app, clock }, at("10:10:00"));
    expect(await scheduledTimes(admin)).toEqual([at("10:10:00").toISOString()]);
  });
});

describe("failures", () => {
  it("a refused create skips the tick with the reason, and the next tick is tried (scenario 10)", async () => {
    // Without the kickoff argument the fixed-rate launch plan lacks a required input.
    const { admin, app, clock } = await registered({ schedulerKickoffArgForFixedRate: "false" });
    const id = await createScheduledLaunchPlan(admin, "tenmin", "v1", rate(10, 0));
    await activate(admin, id);
    const report = await passAt({ app, clock }, at("10:10:00"));
    expect(report).toMatchObject({ handled: 1, nextTick: at("10:20:00") });
    const row = await app.store.schedules.get(id);
    expect(row).toMatchObject({ nextFireAt: at("10:20:00"), lastFiredAt: null, attempts: 0 });
    expect(row?.lastError).toMatch(/^the tick at 2024-05-06T10:10:00.000Z was skipped: .*kickoff/);
    expect(await passAt({ app, clock }, at("10:20:00"))).toMatchObject({ handled: 1 });
    expect((await app.store.schedules.get(id))?.nextFireAt).toEqual(at("10:30:00"));
    expect(await executions(admin)).toEqual([]);
  });

  it("a passing failure is retried with backoff, then succeeds once (scenario 11)", async () => {
    const base = createSqlStore(openSqlite(":memory:"));
    let failures = 2;
    const store: Store = {
      ...base,
      executions: {
        ...base.executions,
        create: async (...args) => {
          if (failures-- > 0) throw Object.assign(new Error("connect ECONNREFUSED 10.0.0.1:5432"), { code: "ECONNREFUSED" });
          return base.executions.create(...args);
        },
      },
    };
    const { admin, app, clock } = await registered({}, store);
    const id = await createScheduledLaunchPlan(admin, "every5", "v1", cron("*/5 * * * *"));
    await activate(admin, id);
    const first = await passAt({ app, clock }, at("10:05:00"));
    let row = await app.store.schedules.get(id);
    expect(row).toMatchObject({ nextFireAt: at("10:05:00"), attempts: 1, lastError: "connect ECONNREFUSED 10.0.0.1:5432" });
    // 1 s with jitter: between half of it and all of it.
    expect(row!.retryAt!.getTime() - at("10:05:00").getTime()).toBeGreaterThanOrEqual(500);
    expect(row!.retryAt!.getTime() - at("10:05:00").getTime()).toBeLessThanOrEqual(1000);
    expect(first).toMatchObject({ nextTick: row!.retryAt, wakeAt: row!.retryAt });
    // Not before its time: no hot loop.
    expect((await passAt({ app, clock }, at("10:05:00.400"))).due).toBe(0);
    await passAt({ app, clock }, at("10:05:01"));
    row = await app.store.schedules.get(id);
    expect(row).toMatchObject({ attempts: 2 });
    expect(row!.retryAt!.getTime() - at("10:05:01").getTime()).toBeGreaterThanOrEqual(1000);
    expect(row!.retryAt!.getTime() - at("10:05:01").getTime()).toBeLessThanOrEqual(2000);
    await passAt({ app, clock }, at("10:05:05"));
    expect(await app.store.schedules.get(id)).toMatchObject({ nextFireAt: at("10:10:00"), attempts: 0, retryAt: null, lastError: null, lastFiredAt: at("10:05:00") });
    expect(await scheduledTimes(admin)).toEqual([at("10:05:00").toISOString()]);
  });

  it("a tick that keeps failing is given up after the retry window and recorded", async () => {
    const base = createSqlStore(openSqlite(":memory:"));
    const store: Store = {
      ...base,
      executions: { ...base.executions, create: async () => Promise.reject(Object.assign(new Error("database is locked"), { code: "SQLITE_BUSY" })) },
    };
    // 3 s of nominal backoff (1 s, then 2 s): three tries.
    const { admin, app, clock } = await registered({ schedulerMaxRetryWindowMs: "3000" }, store);
    const id = await createScheduledLaunchPlan(admin, "every5", "v1", cron("*/5 * * * *"));
    await activate(admin, id);
    await passAt({ app, clock }, at("10:05:00"));
    await passAt({ app, clock }, at("10:05:01"));
    expect(await app.store.schedules.get(id)).toMatchObject({ attempts: 2, nextFireAt: at("10:05:00") });
    await passAt({ app, clock }, at("10:05:03"));
    const row = await app.store.schedules.get(id);
    expect(row).toMatchObject({ attempts: 0, retryAt: null, nextFireAt: at("10:10:00"), lastFiredAt: null });
    expect(row?.lastError).toBe("gave up on the tick at 2024-05-06T10:05:00.000Z after 3 tries: database is locked");
  });

  it("an archived project's ticks are skipped without an error (scenario 12)", async () => {
    const { admin, app, clock } = await registered();
    const id = await createScheduledLaunchPlan(admin, "every5", "v1", cron("*/5 * * * *"));
    await activate(admin, id);
    await admin.updateProject({ id: P, name: P, state: Project_ProjectState.ARCHIVED });
    expect(await passAt({ app, clock }, at("10:05:00"))).toMatchObject({ handled: 1 });
    expect(await app.store.schedules.get(id)).toMatchObject({ nextFireAt: at("10:10:00"), lastError: null, lastFiredAt: null, attempts: 0 });
    expect(await executions(admin)).toEqual([]);
  });
});

describe("rate limit (scenario 15)", () => {
  // 300 ticks at 30 per second, burst 10: the shape of 1,000 at 100 (rate-limiter.test.ts), at a third of the creates.
  it("spreads a catch-up over the clock ((300 - 10) / 30 s at least), and API calls are served meanwhile", { timeout: 60_000 }, async () => {
    const { admin, app, clock } = await registered({ schedulerMaxTicksPerPass: "300", schedulerMaxCreatesPerSecond: "30" });
    const id = await createScheduledLaunchPlan(admin, "minutely", "v1", cron("* * * * *"));
    await activate(admin, id);
    const start = clock.now.getTime();
    const pass = passAt({ app, clock }, new Date(start + 300 * 60_000));
    let passDone = false;
    void pass.then(() => (passDone = true));
    // Reads while the pass runs are answered before it ends.
    await admin.getVersion({});
    const listed = await admin.listExecutions({ id: { project: P, domain: D }, limit: 1 });
    expect(passDone).toBe(false);
    expect(listed.executions.length).toBeLessThan(300);
    expect(await pass).toMatchObject({ handled: 300 });
    expect(clock.now.getTime() - (start + 300 * 60_000)).toBeGreaterThanOrEqual((290 / 30) * 1000 - 1);
    expect((await admin.listExecutions({ id: { project: P, domain: D }, limit: 1000 })).executions).toHaveLength(300);
  });
});
