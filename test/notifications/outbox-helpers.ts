// An app with notifications on, channels the test scripts (or real ones), a
// clock the test moves, and a launch plan that notifies.
import { clone, create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type Client, createClient, createRouterTransport } from "@connectrpc/connect";
import { type Notification, NotificationSchema } from "../../gen/flyteidl/admin/common_pb.js";
import type { ExecutionSpecSchema } from "../../gen/flyteidl/admin/execution_pb.js";
import { LaunchPlanMetadataSchema, LaunchPlanSpecSchema } from "../../gen/flyteidl/admin/launch_plan_pb.js";
import { WorkflowExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import { type Identifier, ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import { type App, type BuildOptions, buildApp } from "../../src/app.js";
import type { Config } from "../../src/config.js";
import type { DeliveryPayload } from "../../src/core/notification-plan.js";
import { createLogger } from "../../src/logger.js";
import type { DeliveryChannel, SendOutcome } from "../../src/notifications/channel.js";
import { loadFlytekitPackage, registerPackage } from "../fixtures/flytekit.js";
import { testConfig } from "../helpers/app.js";

export const P = "flytesnacks";
export const D = "development";
export type Admin = Client<typeof AdminService>;

/** The options that turn notifications on (the SMTP URL is never dialled when channels are scripted). */
export const NOTIFY: Partial<Record<keyof Config, string>> = { notifications: "true", smtpUrl: "smtp://127.0.0.1:1", emailFrom: "flyte@example.com" };

/** A channel that records each send and answers from `script` (default: delivered). */
export function scriptedChannel(script: (call: number, d: { dedupeKey: string; payload: DeliveryPayload }) => SendOutcome | Promise<SendOutcome> = () => ({ ok: true })) {
  const sent: { dedupeKey: string; payload: DeliveryPayload }[] = [];
  const channel: DeliveryChannel = {
    async send(d) {
      sent.push(d);
      return script(sent.length, d);
    },
    close: async () => undefined,
  };
  return { sent, channel };
}

/** A clock that moves only when told. */
export function fakeClock(start = Date.parse("2026-05-01T00:00:00Z")) {
  let now = start;
  return { now: () => new Date(now), advance: (ms: number) => void (now += ms), set: (ms: number) => void (now = ms) };
}

/** An app on `over` (a throw-away SQLite unless it names a database) served in memory. */
export async function notifyingApp(over: Partial<Record<keyof Config, string>> = NOTIFY, options: BuildOptions = {}): Promise<{ app: App; admin: Admin }> {
  const app = await buildApp(testConfig(over), createLogger("silent"), options);
  const admin = createClient(AdminService, createRouterTransport(app.routes, { router: { interceptors: app.interceptors } }));
  return { app, admin };
}

export const emailOn = (phases: Phase[], recipients: string[]): Notification =>
  create(NotificationSchema, { phases, type: { case: "email", value: { recipientsEmail: recipients } } });
export const slackOn = (phases: Phase[], recipients: string[]): Notification =>
  create(NotificationSchema, { phases, type: { case: "slack", value: { recipientsEmail: recipients } } });

/**
 * Registers the project and flytekit's "hello" package, then a launch plan
 * `name` of its workflow with these notifications; returns its id.
 */
export async function registerNotifyingLaunchPlan(admin: Admin, name: string, notifications: Notification[], register = true): Promise<Identifier> {
  const pkg = loadFlytekitPackage("hello", P, D, "v1");
  if (register) {
    await admin.registerProject({ project: { id: P, name: P } });
    await registerPackage(admin, pkg);
  }
  const base = pkg.launchPlans[0]!;
  const id = { ...base.id, name, resourceType: ResourceType.LAUNCH_PLAN };
  const spec = clone(LaunchPlanSpecSchema, base.spec);
  spec.entityMetadata = create(LaunchPlanMetadataSchema, { notifications });
  await admin.createLaunchPlan({ id, spec });
  return id as Identifier;
}

/** Starts execution `name` of the launch plan; `spec` adds overrides (notifications, disable_all). */
export async function launch(admin: Admin, lp: Identifier, name: string, spec: Omit<MessageInitShape<typeof ExecutionSpecSchema>, "$typeName"> = {}) {
  await admin.createExecution({ project: P, domain: D, name, spec: { launchPlan: lp, ...spec }, inputs: {} });
  return { project: P, domain: D, name };
}

const T0 = Date.parse("2026-05-01T00:00:00Z");
/** A workflow event from propeller at T0 + seconds. */
export const workflowEvent = (admin: Admin, name: string, phase: Phase, seconds: number, extra: Record<string, unknown> = {}) =>
  admin.createWorkflowEvent({
    event: { executionId: { project: P, domain: D, name }, phase, occurredAt: timestampFromDate(new Date(T0 + seconds * 1000)), producerId: "propeller", ...extra },
  });

/** Runs an execution to `phase` (RUNNING first). */
export async function run(admin: Admin, name: string, phase: Phase, extra: Record<string, unknown> = {}) {
  await workflowEvent(admin, name, Phase.RUNNING, 0);
  await workflowEvent(admin, name, phase, 60, extra);
}
