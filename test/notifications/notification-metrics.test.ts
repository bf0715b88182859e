import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, expect, it } from "vitest";
import { WorkflowExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import type { App } from "../../src/app.js";
import { emailOn, fakeClock, launch, NOTIFY, notifyingApp, registerNotifyingLaunchPlan, run, scriptedChannel, slackOn } from "./outbox-helpers.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** GET /metrics of the app's own handler; the samples whose name starts with `prefix`. */
async function scrape(app: App, prefix: string): Promise<string[]> {
  const server = createServer(app.handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  try {
    const text = await (await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`)).text();
    return text.split("\n").filter((l) => l.startsWith(prefix));
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

it("counts deliveries enqueued, retried, sent and given up, and times them from enqueue to send", async () => {
  const clock = fakeClock();
  const email = scriptedChannel((n) => (n === 1 ? { ok: false, retryable: true, error: "421 busy" } : { ok: true }));
  const { app, admin } = await notifyingApp(NOTIFY, { clock: clock.now, notifications: { channels: { email: email.channel }, jitter: () => 1 } });
  cleanups.push(() => app.close());
  expect(await scrape(app, "flyteadmin_notifications_sent_total")).toEqual(['flyteadmin_notifications_sent_total{channel="email"} 0', 'flyteadmin_notifications_sent_total{channel="webhook"} 0']);
  const lp = await registerNotifyingLaunchPlan(admin, "notify_lp", [emailOn([Phase.SUCCEEDED], ["a@x"]), slackOn([Phase.SUCCEEDED], ["https://hooks.example.com/x"])]);
  await launch(admin, lp, "e1");
  await run(admin, "e1", Phase.SUCCEEDED);
  await app.notifications.worker!.drain();
  clock.advance(30_000);
  await app.notifications.worker!.drain();
  expect(await scrape(app, "flyteadmin_notifications_")).toEqual([
    'flyteadmin_notifications_enqueued_total{channel="email"} 1',
    'flyteadmin_notifications_enqueued_total{channel="webhook"} 1',
    'flyteadmin_notifications_sent_total{channel="email"} 1',
    'flyteadmin_notifications_sent_total{channel="webhook"} 0',
    'flyteadmin_notifications_retry_total{channel="email",reason="error"} 1',
    'flyteadmin_notifications_dead_total{channel="email"} 0',
    'flyteadmin_notifications_dead_total{channel="webhook"} 1',
  ]);
  const latency = await scrape(app, "flyteadmin_notification_delivery_seconds");
  expect(latency).toContain('flyteadmin_notification_delivery_seconds_count{channel="email"} 1');
  expect(latency).toContain('flyteadmin_notification_delivery_seconds_sum{channel="email"} 30');
});
