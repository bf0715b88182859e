import Database from "better-sqlite3";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LaunchPlanState } from "../../gen/flyteidl/admin/launch_plan_pb.js";
import type { Identifier } from "../../gen/flyteidl/core/identifier_pb.js";
import type { App } from "../../src/app.js";
import type { Config } from "../../src/config.js";
import { createSqlStore } from "../../src/storage/sql-store.js";
import { openSqlite } from "../../src/storage/sqlite.js";
import { inMemoryAdmin } from "../helpers/app.js";
import { failure } from "../helpers/rpc-failure.js";
import { createScheduledLaunchPlan, cron, deprecatedCron, P, rate, registerWorkflow } from "./scheduled-launch-plan.js";

type Admin = Awaited<ReturnType<typeof inMemoryAdmin>>["admin"];

let app: App | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** An app whose activations happen at the time `clock.now` says. */
async function setUp(over: Partial<Record<keyof Config, string>> = {}, store?: App["store"]) {
  const clock = { now: new Date("2024-05-06T10:03:27.400Z") };
  const built = await inMemoryAdmin(over, { clock: () => clock.now, ...(store ? { store } : {}) });
  app = built.app;
  await built.admin.registerProject({ project: { id: P, name: P } });
  await registerWorkflow(built.admin);
  return { admin: built.admin, app: built.app, clock };
}

const rowOf = (a: App, id: Identifier) => a.store.schedules.get(id);
const activate = (admin: Admin, id: Identifier) => admin.updateLaunchPlan({ id, state: LaunchPlanState.ACTIVE });
const deactivate = (admin: Admin, id: Identifier) => admin.updateLaunchPlan({ id, state: LaunchPlanState.INACTIVE });

describe("activating a scheduled launch plan (scenario 1)", () => {
  it("writes an active row whose cursor is the first tick after activation; deactivating clears it", async () => {
    const { admin, app } = await setUp();
    const id = await createScheduledLaunchPlan(admin, "every5", "v1", cron("*/5 * * * *"));
    expect(await rowOf(app, id)).toBeUndefined();
    await activate(admin, id);
    expect(await rowOf(app, id)).toMatchObject({
      active: true,
      cronExpression: "*/5 * * * *",
      fixedRateValue: null,
      kickoffTimeInputArg: "kickoff",
      activatedAt: new Date("2024-05-06T10:03:27.000Z"),
      nextFireAt: new Date("2024-05-06T10:05:00.000Z"),
      attempts: 0,
      lastError: null,
    });
    await deactivate(admin, id);
    expect(await rowOf(app, id)).toMatchObject({ active: false, nextFireAt: null });
    expect((await admin.getLaunchPlan({ id })).closure?.state).toBe(LaunchPlanState.INACTIVE);
  });

  it("anchors a fixed rate at the activation second (scenario 5)", async () => {
    const { admin, app } = await setUp();
    const id = await createScheduledLaunchPlan(admin, "tenmin", "v1", rate(10, 0));
    await activate(admin, id);
    expect(await rowOf(app, id)).toMatchObject({
      cronExpression: null,
      fixedRateValue: 10,
      unit: 0,
      activatedAt: new Date("2024-05-06T10:03:27.000Z"),
      nextFireAt: new Date("2024-05-06T10:13:27.000Z"),
    });
  });

  it("keeps the cursor when the active version is activated again, and starts a new one after a deactivation", async () => {
    const { admin, app, clock } = await setUp();
    const id = await createScheduledLaunchPlan(admin, "tenmin", "v1", rate(10, 0));
    await activate(admin, id);
    const before = await rowOf(app, id);
    clock.now = new Date("2024-05-06T10:07:00.000Z");
    await activate(admin, id);
    expect(await rowOf(app, id)).toEqual(before);
    // Deactivated at 10:07, reactivated at 11:02:05: the anchor moves, nothing between is caught up.
    await deactivate(admin, id);
    clock.now = new Date("2024-05-06T11:02:05.000Z");
    await activate(admin, id);
    expect(await rowOf(app, id)).toMatchObject({ active: true, activatedAt: clock.now, nextFireAt: new Date("2024-05-06T11:12:05.000Z") });
  });

  it("moves the schedule to a newly activated version at the same instant (scenario 6)", async () => {
    const { admin, app, clock } = await setUp();
    const v1 = await createScheduledLaunchPlan(admin, "hourly", "v1", cron("*/5 * * * *"));
    const v2 = await createScheduledLaunchPlan(admin, "hourly", "v2", cron("*/5 * * * *"));
    await activate(admin, v1);
    clock.now = new Date("2024-05-06T10:07:00.000Z");
    await activate(admin, v2);
    expect(await rowOf(app, v1)).toMatchObject({ active: false, nextFireAt: null });
    expect(await rowOf(app, v2)).toMatchObject({ active: true, nextFireAt: new Date("2024-05-06T10:10:00.000Z") });
    expect((await admin.getLaunchPlan({ id: v1 })).closure?.state).toBe(LaunchPlanState.INACTIVE);
  });

  it("deactivates the old version's schedule when the new version has none", async () => {
    const { admin, app } = await setUp();
    const v1 = await createScheduledLaunchPlan(admin, "lp", "v1", cron("@hourly"));
    const v2 = await createScheduledLaunchPlan(admin, "lp", "v2", undefined);
    await activate(admin, v1);
    await activate(admin, v2);
    expect(await rowOf(app, v1)).toMatchObject({ active: false, nextFireAt: null });
    expect(await rowOf(app, v2)).toBeUndefined();
  });

  it("treats the deprecated cron_expression like cron_schedule (D9, scenario 14)", async () => {
    const { admin, app, clock } = await setUp();
    const id = await createScheduledLaunchPlan(admin, "old", "v1", deprecatedCron("0 * * * *"));
    await activate(admin, id);
    expect(await rowOf(app, id)).toMatchObject({ active: true, cronExpression: "0 * * * *", nextFireAt: new Date("2024-05-06T11:00:00.000Z") });
    clock.now = new Date("2024-05-06T11:00:00.000Z");
    expect(await app.scheduler.runOnce()).toMatchObject({ handled: 1 });
    const listed = await admin.listExecutions({ id: { project: P, domain: "development" }, limit: 10 });
    expect(listed.executions.map((e) => e.spec?.metadata?.scheduledAt?.seconds)).toEqual([BigInt(clock.now.getTime() / 1000)]);
  });

  it("activates an impossible date idle, with the reason, without failing the call (D13)", async () => {
    const { admin, app } = await setUp();
    const id = await createScheduledLaunchPlan(admin, "never", "v1", cron("0 0 31 2 *"));
    await activate(admin, id);
    expect(await rowOf(app, id)).toMatchObject({ active: true, nextFireAt: null, lastError: "schedule has no future run" });
    expect((await admin.getLaunchPlan({ id })).closure?.state).toBe(LaunchPlanState.ACTIVE);
  });

  it("honours CRON_TZ= and the configured zone", async () => {
    const { admin, app } = await setUp({ schedulerTimezone: "Asia/Tokyo" });
    const local = await createScheduledLaunchPlan(admin, "tokyo", "v1", cron("0 20 * * *"));
    const berlin = await createScheduledLaunchPlan(admin, "berlin", "v1", cron("CRON_TZ=Europe/Berlin 0 13 * * *"));
    await activate(admin, local);
    await activate(admin, berlin);
    // 20:00 in Tokyo is 11:00Z; 13:00 in Berlin (summer time) is 11:00Z.
    expect((await rowOf(app, local))?.nextFireAt).toEqual(new Date("2024-05-06T11:00:00.000Z"));
    expect((await rowOf(app, berlin))?.nextFireAt).toEqual(new Date("2024-05-06T11:00:00.000Z"));
  });
});

describe("activation is one transaction with the launch plan states", () => {
  it("leaves launch plans and schedules unchanged when a write inside it fails", async () => {
    const dir = mkdtempSync(join(tmpdir(), "flyteadmin-activation-"));
    const file = join(dir, "admin.db");
    const { admin, app } = await setUp({}, createSqlStore(openSqlite(file)));
    const v1 = await createScheduledLaunchPlan(admin, "lp", "v1", cron("*/5 * * * *"));
    const v2 = await createScheduledLaunchPlan(admin, "lp", "v2", cron("*/10 * * * *"));
    await activate(admin, v1);
    const before = await rowOf(app, v1);
    // A fault inside the transaction, after both launch plan states were written: the new version's row cannot be inserted.
    const raw = new Database(file);
    raw.exec("CREATE TRIGGER fail_schedule BEFORE INSERT ON schedulable_entities BEGIN SELECT RAISE(ABORT, 'injected'); END");
    const failed = await failure(activate(admin, v2));
    expect(failed.code).toBe("Internal");
    expect((await admin.getLaunchPlan({ id: v1 })).closure?.state).toBe(LaunchPlanState.ACTIVE);
    expect((await admin.getLaunchPlan({ id: v2 })).closure?.state).toBe(LaunchPlanState.INACTIVE);
    expect(await rowOf(app, v1)).toEqual(before);
    expect(await rowOf(app, v2)).toBeUndefined();
    raw.exec("DROP TRIGGER fail_schedule");
    raw.close();
    await activate(admin, v2);
    expect(await rowOf(app, v1)).toMatchObject({ active: false });
    expect(await rowOf(app, v2)).toMatchObject({ active: true });
  });
});
