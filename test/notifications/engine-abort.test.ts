// The embedded engine reports through the same event handler as
// flytepropeller, so its terminal events notify too: TerminateExecution moves
// to ABORTING, and the engine's ABORTED event enqueues the notification
// (§3.6 scenario 14).
import { create } from "@bufbuild/protobuf";
import { afterEach, expect, it } from "vitest";
import { NotificationSchema } from "../../gen/flyteidl/admin/common_pb.js";
import { TaskSpecSchema } from "../../gen/flyteidl/admin/task_pb.js";
import { WorkflowSpecSchema } from "../../gen/flyteidl/admin/workflow_pb.js";
import { WorkflowExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import { ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import type { App } from "../../src/app.js";
import { DOMAIN, PROJECT, strValue, taskNode, workflow } from "../fixtures/flyte-builders.js";
import { echoTask, waitForPhase } from "../engine/wiring/helpers.js";
import { NOTIFY, notifyingApp, scriptedChannel } from "./outbox-helpers.js";

let app: App | undefined;
afterEach(() => app?.close());

it("enqueues an aborted notification when the local engine reports ABORTED after TerminateExecution", async () => {
  const email = scriptedChannel();
  const made = await notifyingApp({ ...NOTIFY, engine: "local" }, { notifications: { channels: { email: email.channel } } });
  app = made.app;
  const admin = made.admin;
  await admin.registerProject({ project: { id: PROJECT, name: PROJECT } });
  // A task that runs for an hour unless aborted.
  const task = echoTask("notify.sleepy");
  task.config = { sleep_ms: String(3_600_000) };
  await admin.createTask({ id: task.id, spec: create(TaskSpecSchema, { template: task }) });
  const wf = workflow("notify.sleepy_wf", { inputs: {}, outputs: {}, nodes: [taskNode("n0", task, { inputs: { x: strValue("x") } })] });
  await admin.createWorkflow({ id: wf.id, spec: create(WorkflowSpecSchema, { template: wf }) });
  const lp = { ...wf.id!, resourceType: ResourceType.LAUNCH_PLAN };
  const notifications = [create(NotificationSchema, { phases: [Phase.ABORTED], type: { case: "email", value: { recipientsEmail: ["oncall@x"] } } })];
  await admin.createLaunchPlan({ id: lp, spec: { workflowId: wf.id, entityMetadata: { notifications } } });
  await app.start();

  const { id } = await admin.createExecution({ project: PROJECT, domain: DOMAIN, name: "sleepy", spec: { launchPlan: lp }, inputs: {} });
  await waitForPhase(admin, id!, [Phase.RUNNING]);
  await admin.terminateExecution({ id, cause: "not today" });
  // ABORTING alone notifies nobody; the engine's ABORTED event does. (Rows read first: if the execution is
  // still ABORTING after, it was when they were read, and the rows come only with ABORTED's commit.)
  const early = await app.store.notifications.list({ limit: 10 });
  if ((await admin.getExecution({ id })).closure?.phase === Phase.ABORTING) expect(early).toEqual([]);
  await waitForPhase(admin, id!, [Phase.ABORTED]);
  const rows = await app.store.notifications.list({ limit: 10 });
  expect(rows.map((r) => [r.executionName, r.phase, r.target])).toEqual([["sleepy", "ABORTED", "oncall@x"]]);
  expect(rows[0]!.payload).toMatchObject({ kind: "email", subject: 'Flyte execution "sleepy" has aborted in flytesnacks/development.' });
});
