import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { WorkflowExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import { notificationsCommand } from "../../src/notifications-command.js";
import { packageRoot } from "../../src/paths.js";
import { emailOn, launch, NOTIFY, notifyingApp, registerNotifyingLaunchPlan, run, scriptedChannel } from "../notifications/outbox-helpers.js";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A SQLite database holding one dead and one sent delivery, as a server leaves them. */
async function seeded() {
  const dir = mkdtempSync(join(tmpdir(), "flyteadmin-notifications-cli-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const database = join(dir, "flyteadmin.db");
  const mail = scriptedChannel((_n, d) => (d.payload.kind === "email" && d.payload.to[0] === "nobody@x" ? { ok: false, retryable: false, error: "550 5.1.1 no such\nuser" } : { ok: true }));
  const { app, admin } = await notifyingApp({ ...NOTIFY, database }, { notifications: { channels: { email: mail.channel } } });
  const lp = await registerNotifyingLaunchPlan(admin, "notify_lp", [emailOn([Phase.FAILED], ["nobody@x"]), emailOn([Phase.FAILED], ["a@x"])]);
  await launch(admin, lp, "e1");
  await run(admin, "e1", Phase.FAILED);
  await app.notifications.worker!.drain();
  const ids = Object.fromEntries((await app.store.notifications.list({ limit: 10 })).map((r) => [r.target, r.id]));
  await app.close();
  return { args: ["--database", database, "--data-dir", dir], ids };
}

const cli = async (argv: string[]) => {
  const out = { stdout: "", stderr: "" };
  const code = await notificationsCommand(argv, { stdout: (t) => void (out.stdout += t), stderr: (t) => void (out.stderr += t), env: {} });
  return { code, ...out };
};

describe("flyteadmin-ts notifications", () => {
  it("lists deliveries by status and sends a dead one again", async () => {
    const { args, ids } = await seeded();
    const dead = await cli(["list", "--status", "dead", ...args]);
    expect(dead.code).toBe(0);
    const lines = dead.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ID\s+STATUS\s+CHANNEL\s+ATTEMPTS\s+EXECUTION\s+PHASE\s+TARGET\s+WHEN\s+LAST ERROR$/);
    expect(lines.slice(1)).toHaveLength(1);
    expect(lines[1]).toMatch(new RegExp(`^${ids["nobody@x"]}\\s+dead\\s+email\\s+1\\s+flytesnacks/development/e1\\s+FAILED\\s+nobody@x\\s+gave up \\S+Z\\s+550 5\\.1\\.1 no such user$`));
    expect((await cli(["list", ...args])).stdout.trimEnd().split("\n")).toHaveLength(3);
    // Newest first, one page at a time.
    const [oldest, newest] = [ids["nobody@x"]!, ids["a@x"]!].sort((x, y) => x - y);
    const page = await cli(["list", "--limit", "1", ...args]);
    expect(page.stdout).toContain(`more: --before ${newest}`);
    const rest = await cli(["list", "--before", String(newest), ...args]);
    expect(rest.stdout.trimEnd().split("\n").slice(1).map((l) => Number(l.split(/\s+/)[0]))).toEqual([oldest]);

    expect(await cli(["retry", String(ids["nobody@x"]), ...args])).toMatchObject({ code: 0, stdout: expect.stringContaining("is pending again") });
    expect((await cli(["list", "--status", "pending", ...args])).stdout).toMatch(/\bnobody@x\b/);
    expect(await cli(["retry", String(ids["a@x"]), ...args])).toMatchObject({ code: 1, stderr: `delivery ${ids["a@x"]} was sent already\n` });
    expect(await cli(["retry", "99999", ...args])).toMatchObject({ code: 1, stderr: "no delivery 99999\n" });
  });

  it("refuses bad arguments with its usage", async () => {
    for (const argv of [["list", "--status", "lost"], ["list", "--limit", "0"], ["list", "--before", "x"], ["retry"], ["retry", "1", "2"], ["retry", "-3"], ["purge"], []]) {
      const r = await cli(argv);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.stderr).toContain("flyteadmin-ts notifications list");
    }
    expect((await cli(["--help"])).stdout).toContain("notifications retry ID");
  });

  it("is a verb of the installed command", async () => {
    const { args } = await seeded();
    const r = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = spawn(process.execPath, [join(packageRoot(), "bin/flyteadmin-ts.js"), "notifications", "list", "--status", "sent", ...args], { stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.once("exit", (code) => resolve({ code, stdout }));
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\bsent\s+email\s+1\s+flytesnacks\/development\/e1\s+FAILED\s+a@x\s+sent /);
  }, 60_000);
});
