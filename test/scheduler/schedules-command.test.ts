import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LaunchPlanState } from "../../gen/flyteidl/admin/launch_plan_pb.js";
import { schedulesCommand } from "../../src/schedules-command.js";
import { inMemoryAdmin } from "../helpers/app.js";
import { createScheduledLaunchPlan, cron, P, rate, registerWorkflow } from "./scheduled-launch-plan.js";

/** Runs the command in-process: exit code and what it wrote. */
async function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await schedulesCommand(args, { stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), env: {} });
  return { code, stdout: out.join(""), stderr: err.join("") };
}

describe("flyteadmin-ts schedules list", () => {
  it("lists active schedules with their next tick, last fire and last error; --all adds inactive ones", async () => {
    const dir = mkdtempSync(join(tmpdir(), "flyteadmin-schedules-"));
    const database = join(dir, "admin.db");
    const clock = { now: new Date("2024-05-06T10:00:00Z") };
    const { app, admin } = await inMemoryAdmin({ database, dataDir: dir, schedulerKickoffArgForFixedRate: "false" }, { clock: () => clock.now });
    try {
      await admin.registerProject({ project: { id: P, name: P } });
      await registerWorkflow(admin);
      const ids = {
        every5: await createScheduledLaunchPlan(admin, "every5", "v1", cron("*/5 * * * *")),
        never: await createScheduledLaunchPlan(admin, "never", "v1", cron("0 0 31 2 *")),
        refused: await createScheduledLaunchPlan(admin, "refused", "v1", rate(10, 0)),
        gone: await createScheduledLaunchPlan(admin, "gone", "v1", cron("@hourly")),
      };
      for (const id of Object.values(ids)) await admin.updateLaunchPlan({ id, state: LaunchPlanState.ACTIVE });
      await admin.updateLaunchPlan({ id: ids.gone, state: LaunchPlanState.INACTIVE });
      clock.now = new Date("2024-05-06T10:10:00Z");
      await app.scheduler.runOnce();
    } finally {
      await app.close();
    }

    const listed = await run(["list", "--database", database, "--data-dir", dir]);
    expect(listed).toMatchObject({ code: 0, stderr: "" });
    const lines = listed.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^LAUNCH PLAN\s+SCHEDULE\s+ACTIVE\s+NEXT TICK\s+LAST FIRED\s+ATTEMPTS\s+LAST ERROR$/);
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/))).toEqual([
      [`${P}/development/every5@v1`, "*/5 * * * *", "yes", "2024-05-06T10:15:00Z", "2024-05-06T10:10:00Z", "0", "-"],
      [`${P}/development/never@v1`, "0 0 31 2 *", "yes", "-", "-", "0", "schedule has no future run"],
      [`${P}/development/refused@v1`, "every 10 MINUTE", "yes", "2024-05-06T10:20:00Z", "-", "0", expect.stringMatching(/^the tick at 2024-05-06T10:10:00.000Z was skipped: /)],
    ]);
    const all = await run(["list", "--all", "--database", database, "--data-dir", dir]);
    expect(all.stdout).toMatch(/\/gone@v1\s+@hourly\s+no\s+-/);
    const limited = await run(["list", "--all", "--limit", "1", "--database", database, "--data-dir", dir]);
    expect(limited.stdout.trimEnd().split("\n")).toHaveLength(3);
    expect(limited.stdout).toContain("(first 1 shown; --limit shows more)");
  });

  it("answers bad arguments with the usage and exit code 2", async () => {
    expect(await run(["lst"])).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown schedules command lst") });
    expect(await run(["list", "--limit", "0"])).toMatchObject({ code: 2, stderr: expect.stringContaining("--limit: expected a positive integer") });
    expect(await run(["list", "--bogus"])).toMatchObject({ code: 2 });
    expect((await run(["--help"])).stdout).toContain("flyteadmin-ts schedules list [--all]");
  });
});
