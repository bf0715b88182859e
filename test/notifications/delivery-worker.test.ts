// The delivery workers over a real store with scripted channels and a fake
// clock: retries, exhaustion, crash recovery, takeover, shutdown (§3.6
// scenarios 6, 10 and 11).
import { create } from "@bufbuild/protobuf";
import { afterEach, describe, expect, it } from "vitest";
import { ExecutionClosureSchema, ExecutionSchema } from "../../gen/flyteidl/admin/execution_pb.js";
import { WorkflowExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import { IdentifierSchema, ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import type { PlannedDelivery } from "../../src/core/notification-plan.js";
import { createLogger } from "../../src/logger.js";
import { defaultNotifications, type DeliveryPolicy } from "../../src/notification-config.js";
import type { SendOutcome } from "../../src/notifications/channel.js";
import { createDeliveryWorker, type DeliveryWorkerOptions } from "../../src/notifications/delivery-worker.js";
import type { NotificationMetrics } from "../../src/notifications/notification-metrics.js";
import { createSqlStore } from "../../src/storage/sql-store.js";
import { openSqlite } from "../../src/storage/sqlite.js";
import type { Store } from "../../src/storage/store.js";
import { fakeClock, scriptedChannel } from "./outbox-helpers.js";

const SECOND = 1000;
let store: Store;
afterEach(async () => store?.close());

/** A store holding one SUCCEEDED execution per delivery, enqueued at `at`. */
async function seeded(deliveries: PlannedDelivery[], at: Date): Promise<Store> {
  store = createSqlStore(openSqlite(":memory:"));
  for (const [i, d] of deliveries.entries()) {
    const name = `e${i}`;
    await store.executions.create(
      {
        execution: create(ExecutionSchema, { id: { project: "p", domain: "d", name }, spec: {}, closure: create(ExecutionClosureSchema, { phase: Phase.RUNNING }) }),
        workflow: create(IdentifierSchema, { resourceType: ResourceType.WORKFLOW, project: "p", domain: "d", name: "wf", version: "v1" }),
        launchEntity: "launch_plan",
        inputsUri: "",
        userInputsUri: "",
        user: "",
        cluster: "",
      },
      [],
    );
    await store.executions.updateClosure({ project: "p", domain: "d", name }, Phase.RUNNING, create(ExecutionClosureSchema, { phase: Phase.SUCCEEDED }), {
      deliveries: { items: [d], enqueuedAt: at },
    });
  }
  return store;
}

const webhook = (key: string): PlannedDelivery => ({ dedupeKey: key, channel: "webhook", target: "ops", payload: { kind: "webhook", format: "json", alias: "ops", body: `{"k":"${key}"}` } });
const email = (key: string): PlannedDelivery => ({
  dedupeKey: key,
  channel: "email",
  target: "a@x",
  payload: { kind: "email", from: "f@x", to: ["a@x"], bcc: false, subject: "s", html: "h", text: "h", messageId: `<${key}@x>` },
});

function countingMetrics() {
  const seen: string[] = [];
  const metrics: NotificationMetrics = {
    enqueued: (c) => seen.push(`enqueued ${c}`),
    sent: (c) => seen.push(`sent ${c}`),
    retried: (c, r) => seen.push(`retried ${c} ${r}`),
    dead: (c) => seen.push(`dead ${c}`),
  };
  return { seen, metrics };
}

const policy = (over: Partial<DeliveryPolicy> = {}): DeliveryPolicy => ({ ...defaultNotifications().delivery, ...over });
const worker = (o: Partial<DeliveryWorkerOptions> & Pick<DeliveryWorkerOptions, "channels">) =>
  createDeliveryWorker({ store: store.notifications, policy: policy(), logger: createLogger("silent"), jitter: () => 1, ...o });

describe("delivery workers", () => {
  it("retries with doubling backoff and Retry-After, then records the send (scenarios 7, 8 in miniature)", async () => {
    const clock = fakeClock();
    await seeded([webhook("k1")], clock.now());
    const answers: SendOutcome[] = [
      { ok: false, retryable: true, error: "HTTP 500" },
      { ok: false, retryable: true, error: "HTTP 429", retryAfterMs: 120 * SECOND },
      { ok: false, retryable: true, error: "HTTP 503" },
      { ok: true },
    ];
    const hook = scriptedChannel((n) => answers[n - 1]!);
    const { seen, metrics } = countingMetrics();
    const w = worker({ channels: { webhook: hook.channel }, clock: clock.now, metrics });
    const next = async () => (await store.notifications.list({ limit: 1 }))[0]!;
    const t0 = clock.now().getTime();

    expect(await w.drain()).toBe(1);
    expect(await next()).toMatchObject({ status: "pending", attempts: 1, lastError: "HTTP 500", nextAttemptAt: new Date(t0 + 30 * SECOND) });
    clock.advance(29 * SECOND);
    expect(await w.drain()).toBe(0);
    clock.advance(1 * SECOND);
    expect(await w.drain()).toBe(1);
    // The backoff would be 60 s; the receiver asked for 120 s.
    expect(await next()).toMatchObject({ status: "pending", attempts: 2, nextAttemptAt: new Date(t0 + 150 * SECOND) });
    clock.set(t0 + 150 * SECOND);
    await w.drain();
    expect(await next()).toMatchObject({ attempts: 3, nextAttemptAt: new Date(t0 + 270 * SECOND) });
    clock.set(t0 + 270 * SECOND);
    await w.drain();
    expect(await next()).toMatchObject({ status: "sent", attempts: 4, sentAt: new Date(t0 + 270 * SECOND), lastError: undefined });
    // Every attempt sent the bytes stored at enqueue under the same key.
    expect(new Set(hook.sent.map((s) => JSON.stringify(s)))).toEqual(new Set([JSON.stringify({ dedupeKey: "k1", payload: webhook("k1").payload })]));
    expect(seen).toEqual(["retried webhook error", "retried webhook retry_after", "retried webhook error", "sent webhook"]);
  });

  it("gives a delivery up after maxAttempts, counts it and never tries it again (scenario 10)", async () => {
    const clock = fakeClock();
    await seeded([webhook("k1")], clock.now());
    const hook = scriptedChannel(() => ({ ok: false, retryable: true, error: "HTTP 503" }));
    const { seen, metrics } = countingMetrics();
    const w = worker({ channels: { webhook: hook.channel }, clock: clock.now, metrics, policy: policy({ maxAttempts: 4 }) });
    for (let i = 0; i < 10; i++) {
      await w.drain();
      clock.advance(3600 * SECOND);
    }
    expect(hook.sent).toHaveLength(4);
    const [row] = await store.notifications.list({ limit: 1 });
    expect(row).toMatchObject({ status: "dead", attempts: 4, lastError: "gave up after 4 attempts: HTTP 503" });
    expect(seen.filter((s) => s.startsWith("dead"))).toEqual(["dead webhook"]);
  });

  it("gives a delivery up when the next attempt would be past maxAge", async () => {
    const clock = fakeClock();
    await seeded([webhook("k1")], clock.now());
    const hook = scriptedChannel(() => ({ ok: false, retryable: true, error: "HTTP 503" }));
    const w = worker({ channels: { webhook: hook.channel }, clock: clock.now, policy: policy({ maxAgeMs: 100 * SECOND }) });
    await w.drain(); // next at +30 s
    clock.advance(30 * SECOND);
    await w.drain(); // next would be +90 s
    clock.advance(60 * SECOND);
    await w.drain(); // next would be +210 s: past 100 s
    expect(hook.sent).toHaveLength(3);
    expect((await store.notifications.list({ limit: 1 }))[0]).toMatchObject({ status: "dead" });
    expect((await store.notifications.list({ limit: 1 }))[0]!.lastError).toMatch(/^gave up after 3 attempts \(the next would be more than 100s after it was enqueued\): HTTP 503$/);
  });

  it("gives a permanent refusal up at once, and a delivery whose channel is missing", async () => {
    const clock = fakeClock();
    await seeded([email("k1"), webhook("k2")], clock.now());
    const mail = scriptedChannel(() => ({ ok: false, retryable: false, error: "550 5.1.1 no such user" }));
    const w = worker({ channels: { email: mail.channel }, clock: clock.now });
    expect(await w.drain()).toBe(2);
    const rows = Object.fromEntries((await store.notifications.list({ limit: 5 })).map((r) => [r.dedupeKey, r]));
    expect(rows.k1).toMatchObject({ status: "dead", attempts: 1, lastError: "550 5.1.1 no such user" });
    expect(rows.k2).toMatchObject({ status: "dead", lastError: "no webhook channel is configured" });
  });

  it("sends a crashed worker's claim again after its lease, and never leaves a row in sending (scenario 11)", async () => {
    const clock = fakeClock();
    await seeded([email("k1")], clock.now());
    // The crashed worker: it claimed and never came back.
    const [claimed] = await store.notifications.claim("crashed", clock.now(), 120 * SECOND, 1);
    expect(claimed).toMatchObject({ status: "sending", attempts: 1 });
    const mail = scriptedChannel();
    const w = worker({ channels: { email: mail.channel }, clock: clock.now });
    clock.advance(119 * SECOND);
    expect(await w.drain()).toBe(0);
    clock.advance(1 * SECOND);
    expect(await w.drain()).toBe(1);
    expect(mail.sent).toHaveLength(1);
    expect((await store.notifications.list({ limit: 1 }))[0]).toMatchObject({ status: "sent", attempts: 2 });
  });

  it("sends at most twice when a lease expires mid-send, and records one send (scenario 6)", async () => {
    const clock = fakeClock();
    await seeded([email("k1")], clock.now());
    let release!: () => void;
    let sending!: () => void;
    const started = new Promise<void>((resolve) => (sending = resolve));
    const slow = scriptedChannel(() => {
      sending();
      return new Promise<SendOutcome>((resolve) => (release = () => resolve({ ok: true })));
    });
    const fast = scriptedChannel();
    const a = worker({ channels: { email: slow.channel }, clock: clock.now, owner: "A" });
    const b = worker({ channels: { email: fast.channel }, clock: clock.now, owner: "B" });
    const first = a.runOnce();
    // A's send hangs past its lease; B takes the row over and sends it.
    await started;
    clock.advance(121 * SECOND);
    expect(await b.drain()).toBe(1);
    release();
    await first;
    expect(slow.sent.length + fast.sent.length).toBe(2);
    expect((await store.notifications.list({ limit: 1 }))[0]).toMatchObject({ status: "sent", attempts: 2, leaseOwner: undefined });
  });

  it("shares a backlog across workers with at most `concurrency` sends in flight each", async () => {
    const clock = fakeClock();
    await seeded(Array.from({ length: 12 }, (_, i) => email(`k${i}`)), clock.now());
    let inFlight = 0;
    let most = 0;
    const mail = scriptedChannel(async () => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return { ok: true };
    });
    const w = worker({ channels: { email: mail.channel }, clock: clock.now, policy: policy({ concurrency: 3 }) });
    expect(await w.drain()).toBe(12);
    expect(most).toBe(3);
    expect(new Set(mail.sent.map((s) => s.dedupeKey)).size).toBe(12);
  });

  it("sends on its own once started, and stops claiming when stopped", async () => {
    const clock = fakeClock();
    await seeded([email("k1")], clock.now());
    const mail = scriptedChannel();
    const w = worker({ channels: { email: mail.channel }, clock: clock.now, pollMs: 3_600_000 });
    w.poke();
    await new Promise((r) => setTimeout(r, 20));
    // Not started: a poke does nothing (tests and tools drive it).
    expect(mail.sent).toHaveLength(0);
    w.start();
    for (let i = 0; i < 100 && (await store.notifications.list({ status: "sent", limit: 1 })).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(mail.sent).toHaveLength(1);
    await w.stop();
    expect(await w.runOnce()).toBe(0);
  });

  it("purges sent rows older than keepSentFor and keeps dead ones", async () => {
    const clock = fakeClock();
    await seeded([email("k1"), webhook("k2")], clock.now());
    const mail = scriptedChannel();
    const w = worker({ channels: { email: mail.channel }, clock: clock.now, policy: policy({ keepSentForMs: 3600 * SECOND }) });
    await w.drain();
    clock.advance(3599 * SECOND);
    expect(await w.purge()).toBe(0);
    clock.advance(2 * SECOND);
    expect(await w.purge()).toBe(1);
    expect((await store.notifications.list({ limit: 5 })).map((r) => [r.dedupeKey, r.status])).toEqual([["k2", "dead"]]);
  });
});
