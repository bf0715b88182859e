// Scenarios 1, 2, 5, 6, 13 and 14 of the notification spec (§3.6) at the API:
// which events enqueue what, in the phase's own transaction.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { afterEach, describe, expect, it } from "vitest";
import { NodeExecution_Phase as NodePhase, TaskExecution_Phase as TaskPhase, WorkflowExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import { LiteralMapSchema } from "../../gen/flyteidl/core/literals_pb.js";
import type { App } from "../../src/app.js";
import { openBlobStore } from "../../src/blob/open-blob-store.js";
import { loadFlytekitPackage } from "../fixtures/flytekit.js";
import { failure } from "../helpers/rpc-failure.js";
import {
  D,
  emailOn,
  fakeClock,
  launch,
  NOTIFY,
  notifyingApp,
  P,
  registerNotifyingLaunchPlan,
  run,
  scriptedChannel,
  workflowEvent,
} from "./outbox-helpers.js";

const apps: App[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

async function start(over = NOTIFY, options: Parameters<typeof notifyingApp>[1] = {}) {
  const email = scriptedChannel();
  const made = await notifyingApp(over, { notifications: { channels: { email: email.channel } }, ...options });
  apps.push(made.app);
  return { ...made, email };
}

const rows = (app: App) => app.store.notifications.list({ limit: 100 });

describe("enqueueing notifications on terminal workflow events", () => {
  it("sends one email for the phase a notification names, nothing for other phases or node and task events (scenario 1)", async () => {
    const { app, admin, email } = await start();
    const lp = await registerNotifyingLaunchPlan(admin, "notify_lp", [emailOn([Phase.SUCCEEDED], ["a@x"])]);
    await launch(admin, lp, "ok");
    await workflowEvent(admin, "ok", Phase.RUNNING, 0);
    expect(await rows(app)).toEqual([]);
    await workflowEvent(admin, "ok", Phase.SUCCEEDED, 60);
    const [row, ...others] = await rows(app);
    expect(others).toEqual([]);
    expect(row).toMatchObject({ channel: "email", target: "a@x", status: "pending", phase: "SUCCEEDED", executionName: "ok" });

    // A FAILED run of the same launch plan notifies nobody.
    await launch(admin, lp, "bad");
    await run(admin, "bad", Phase.FAILED, { outputResult: { case: "error", value: { code: "E", message: "boom" } } });
    // Node and task events, terminal ones included, never do.
    await launch(admin, lp, "nodes");
    await workflowEvent(admin, "nodes", Phase.RUNNING, 0);
    const exec = { project: P, domain: D, name: "nodes" };
    const occurredAt = { seconds: 1_800_000_000n, nanos: 0 };
    await admin.createNodeEvent({ event: { id: { nodeId: "n0", executionId: exec }, phase: NodePhase.RUNNING, occurredAt, producerId: "propeller", specNodeId: "n0" } });
    await admin.createNodeEvent({ event: { id: { nodeId: "n0", executionId: exec }, phase: NodePhase.SUCCEEDED, occurredAt, producerId: "propeller", specNodeId: "n0" } });
    const task = loadFlytekitPackage("hello", P, D, "v1").tasks[0]!.id;
    await admin.createTaskEvent({ event: { taskId: task, parentNodeExecutionId: { nodeId: "n0", executionId: exec }, retryAttempt: 0, phase: TaskPhase.SUCCEEDED, occurredAt, producerId: "propeller" } });
    expect((await rows(app)).map((r) => r.executionName)).toEqual(["ok"]);

    expect(await app.notifications.worker!.drain()).toBe(1);
    expect(email.sent.map((s) => s.payload)).toEqual([expect.objectContaining({ kind: "email", to: ["a@x"], from: "flyte@example.com" })]);
    expect(await rows(app)).toEqual([expect.objectContaining({ status: "sent", attempts: 1 })]);
  });

  it("uses the request's notifications over the launch plan's, none with disable_all, and the original ones on relaunch (scenario 2)", async () => {
    const { app, admin } = await start();
    const lp = await registerNotifyingLaunchPlan(admin, "notify_lp", [emailOn([Phase.SUCCEEDED], ["lp@x"])]);
    await launch(admin, lp, "override", { notificationOverrides: { case: "notifications", value: { notifications: [emailOn([Phase.SUCCEEDED], ["req@x"])] } } });
    await launch(admin, lp, "disabled", { notificationOverrides: { case: "disableAll", value: true } });
    await launch(admin, lp, "empty", { notificationOverrides: { case: "notifications", value: { notifications: [] } } });
    for (const name of ["override", "disabled", "empty"]) await run(admin, name, Phase.SUCCEEDED);
    await admin.relaunchExecution({ id: { project: P, domain: D, name: "override" }, name: "again" });
    await admin.relaunchExecution({ id: { project: P, domain: D, name: "disabled" }, name: "again-disabled" });
    for (const name of ["again", "again-disabled"]) await run(admin, name, Phase.SUCCEEDED);
    const targets = Object.fromEntries((await rows(app)).map((r) => [r.executionName, r.target]));
    // An empty override list keeps the launch plan's, as in FlyteAdmin.
    expect(targets).toEqual({ override: "req@x", empty: "lp@x", again: "req@x" });
  });

  it("stores neither the phase nor a delivery when the event's transaction fails, and keeps both once it committed (scenario 5)", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "flyteadmin-outbox-"));
    const blobs = openBlobStore(join(dataDir, "blobs"));
    let failWrites = true;
    const putMessage = blobs.putMessage.bind(blobs);
    // The outputs offload runs inside the event's transaction, after the phase update: failing it fails the commit.
    blobs.putMessage = (async (...args: Parameters<typeof putMessage>) => {
      if (failWrites) throw new Error("disk full");
      return putMessage(...args);
    }) as typeof blobs.putMessage;
    const database = join(dataDir, "admin.db");
    const first = await start({ ...NOTIFY, database }, { blobs });
    const lp = await registerNotifyingLaunchPlan(first.admin, "notify_lp", [emailOn([Phase.SUCCEEDED], ["a@x"])]);
    await launch(first.admin, lp, "e1");
    await workflowEvent(first.admin, "e1", Phase.RUNNING, 0);
    const outputs = { case: "outputData", value: create(LiteralMapSchema, {}) };
    expect((await failure(workflowEvent(first.admin, "e1", Phase.SUCCEEDED, 60, { outputResult: outputs }))).code).toBe("Internal");
    expect((await first.admin.getExecution({ id: { project: P, domain: D, name: "e1" } })).closure?.phase).toBe(Phase.RUNNING);
    expect(await rows(first.app)).toEqual([]);

    // Committed, then the process ends before any worker ran: the row survives and a new process sends it.
    failWrites = false;
    await workflowEvent(first.admin, "e1", Phase.SUCCEEDED, 60, { outputResult: outputs });
    await first.app.close();
    apps.splice(apps.indexOf(first.app), 1);
    const second = await start({ ...NOTIFY, database });
    expect(await second.app.notifications.worker!.drain()).toBe(1);
    expect(second.email.sent).toHaveLength(1);
    expect(await rows(second.app)).toEqual([expect.objectContaining({ status: "sent" })]);
  });

  it("refuses a replayed terminal event and keeps one delivery (scenario 6)", async () => {
    const { app, admin } = await start();
    const lp = await registerNotifyingLaunchPlan(admin, "notify_lp", [emailOn([Phase.FAILED], ["a@x", "b@x"])]);
    await launch(admin, lp, "e1");
    await run(admin, "e1", Phase.FAILED);
    expect((await failure(workflowEvent(admin, "e1", Phase.FAILED, 61))).code).toBe("AlreadyExists");
    expect((await failure(workflowEvent(admin, "e1", Phase.SUCCEEDED, 62))).code).toBe("FailedPrecondition");
    // All recipients of one notification share one message, as in FlyteAdmin.
    expect((await rows(app)).map((r) => r.target)).toEqual(["a@x,b@x"]);
  });

  it("enqueues nothing with notifications off, and the events API answers the same (scenario 13)", async () => {
    const { app, admin } = await start({});
    expect(app.notifications.outbox).toBeUndefined();
    const lp = await registerNotifyingLaunchPlan(admin, "notify_lp", [emailOn([Phase.SUCCEEDED], ["a@x"])]);
    await launch(admin, lp, "e1");
    await run(admin, "e1", Phase.SUCCEEDED);
    expect((await admin.getExecution({ id: { project: P, domain: D, name: "e1" } })).closure?.notifications).toHaveLength(1);
    expect(await rows(app)).toEqual([]);
  });

  it("notifies on the ABORTED event, never on TerminateExecution's ABORTING alone (scenario 14, outside engine)", async () => {
    const { app, admin } = await start();
    const lp = await registerNotifyingLaunchPlan(admin, "notify_lp", [emailOn([Phase.ABORTED, Phase.SUCCEEDED], ["a@x"])]);
    await launch(admin, lp, "stays");
    await launch(admin, lp, "ends");
    for (const name of ["stays", "ends"]) {
      await workflowEvent(admin, name, Phase.RUNNING, 0);
      await admin.terminateExecution({ id: { project: P, domain: D, name }, cause: "stop" });
    }
    expect(await rows(app)).toEqual([]);
    await workflowEvent(admin, "ends", Phase.ABORTED, 5);
    const [row, ...others] = await rows(app);
    expect(others).toEqual([]);
    expect(row).toMatchObject({ executionName: "ends", phase: "ABORTED" });
    expect(row!.payload.kind === "email" && row!.payload.subject).toContain("aborted");
  });

  it("enqueues at the injected clock's time", async () => {
    const clock = fakeClock();
    const { app, admin } = await start(NOTIFY, { clock: clock.now });
    const lp = await registerNotifyingLaunchPlan(admin, "notify_lp", [emailOn([Phase.SUCCEEDED], ["a@x"])]);
    await launch(admin, lp, "e1");
    await run(admin, "e1", Phase.SUCCEEDED);
    expect((await rows(app))[0]).toMatchObject({ createdAt: clock.now(), nextAttemptAt: clock.now() });
  });
});
