import { create } from "@bufbuild/protobuf";
import { afterEach, describe, expect, it } from "vitest";
import { ExecutionClosureSchema, ExecutionSchema } from "../../gen/flyteidl/admin/execution_pb.js";
import { WorkflowExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import { IdentifierSchema, ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import type { PlannedDelivery } from "../../src/core/notification-plan.js";
import { createSqlStore } from "../../src/storage/sql-store.js";
import type { Store, StoredExecution } from "../../src/storage/store.js";
import { backends } from "../helpers/backends.js";

const P = "p";
const D = "d";
const T0 = new Date("2026-03-01T00:00:00Z");
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

const execution = (name: string): StoredExecution => ({
  execution: create(ExecutionSchema, {
    id: { project: P, domain: D, name },
    spec: {},
    closure: create(ExecutionClosureSchema, { phase: Phase.RUNNING }),
  }),
  workflow: create(IdentifierSchema, { resourceType: ResourceType.WORKFLOW, project: P, domain: D, name: "wf", version: "v1" }),
  launchEntity: "launch_plan",
  inputsUri: "",
  userInputsUri: "",
  user: "",
  cluster: "",
});

export const email = (key: string, to = "a@x", dead?: string): PlannedDelivery => ({
  dedupeKey: key,
  channel: "email",
  target: to,
  payload: { kind: "email", from: "flyte@x", to: [to], bcc: false, subject: `s ${key}`, html: "<p>h</p>", text: "h", messageId: `<${key}@x>` },
  ...(dead ? { dead } : {}),
});

/** Ends execution `name` as SUCCEEDED with these deliveries; whether the phase update applied. */
async function finish(store: Store, name: string, items: PlannedDelivery[], beforeCommit?: () => Promise<void>) {
  const key = { project: P, domain: D, name };
  return store.executions.updateClosure(key, Phase.RUNNING, create(ExecutionClosureSchema, { phase: Phase.SUCCEEDED }), {
    deliveries: { items, enqueuedAt: at(0) },
    ...(beforeCommit ? { beforeCommit } : {}),
  });
}

describe.each(backends)("Notification outbox on $name", ({ open }) => {
  let store: Store;
  afterEach(async () => store?.close());

  it("enqueues with the terminal phase, once per dedupe key, dead targets as dead", async () => {
    store = createSqlStore(await open());
    await store.executions.create(execution("e1"), []);
    await store.executions.create(execution("e2"), []);
    expect(await finish(store, "e1", [email("k1"), email("k2", "raw", "raw URLs disabled")])).toBe(true);
    // Another transaction carrying a key already stored (a replay) adds only what is new.
    expect(await finish(store, "e2", [email("k1"), email("k3")])).toBe(true);
    const rows = await store.notifications.list({ limit: 10 });
    expect(rows.map((r) => [r.dedupeKey, r.status, r.executionName, r.phase, r.attempts, r.lastError])).toEqual([
      ["k3", "pending", "e2", "SUCCEEDED", 0, undefined],
      ["k2", "dead", "e1", "SUCCEEDED", 0, "raw URLs disabled"],
      ["k1", "pending", "e1", "SUCCEEDED", 0, undefined],
    ]);
    expect(rows[2]!.payload).toEqual(email("k1").payload);
    expect(rows[2]!.createdAt).toEqual(at(0));
  });

  it("writes neither phase nor deliveries when the transaction fails before commit", async () => {
    store = createSqlStore(await open());
    await store.executions.create(execution("e1"), []);
    await expect(finish(store, "e1", [email("k1")], async () => Promise.reject(new Error("blob write failed")))).rejects.toThrow("blob write failed");
    expect((await store.executions.get({ project: P, domain: D, name: "e1" }))?.execution.closure?.phase).toBe(Phase.RUNNING);
    expect(await store.notifications.list({ limit: 10 })).toEqual([]);
    // A lost compare-and-set writes no deliveries either.
    const stale = await store.executions.updateClosure({ project: P, domain: D, name: "e1" }, Phase.QUEUED, create(ExecutionClosureSchema, { phase: Phase.FAILED }), {
      deliveries: { items: [email("k9")], enqueuedAt: at(0) },
    });
    expect(stale).toBe(false);
    expect(await store.notifications.list({ limit: 10 })).toEqual([]);
  });

  it("claims due rows once, fences outcomes on the claim, and takes abandoned rows over after their lease", async () => {
    store = createSqlStore(await open());
    await store.executions.create(execution("e1"), []);
    await finish(store, "e1", [email("k1"), email("k2"), email("k3")]);
    const n = store.notifications;
    const first = await n.claim("A", at(1), 60_000, 2);
    expect(first.map((r) => [r.dedupeKey, r.status, r.attempts, r.leaseOwner, r.leaseUntil])).toEqual([
      ["k1", "sending", 1, "A", at(61)],
      ["k2", "sending", 1, "A", at(61)],
    ]);
    const second = await n.claim("B", at(1), 60_000, 5);
    expect(second.map((r) => r.dedupeKey)).toEqual(["k3"]);
    expect(await n.claim("C", at(30), 60_000, 5)).toEqual([]);

    // k1 sent by its claim; a wrong owner or an old attempt changes nothing.
    expect(await n.markSent({ id: first[0]!.id, owner: "B", attempts: 1 }, at(2))).toBe(false);
    expect(await n.markSent({ id: first[0]!.id, owner: "A", attempts: 1 }, at(2))).toBe(true);
    expect(await n.markSent({ id: first[0]!.id, owner: "A", attempts: 1 }, at(3))).toBe(false);
    // k3 back to pending with a backoff; not due before it.
    expect(await n.markRetry({ id: second[0]!.id, owner: "B", attempts: 1 }, at(2), at(32), "451 try later")).toBe(true);
    expect(await n.claim("C", at(31), 60_000, 5)).toEqual([]);

    // A crashed worker's k2: after its lease runs out C takes it over, and A's late outcome is refused.
    const takeover = await n.claim("C", at(62), 60_000, 5);
    expect(takeover.map((r) => [r.dedupeKey, r.attempts, r.leaseOwner])).toEqual([
      ["k3", 2, "C"],
      ["k2", 2, "C"],
    ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))));
    expect(await n.markSent({ id: first[1]!.id, owner: "A", attempts: 1 }, at(63))).toBe(false);
    expect(await n.markSent({ id: first[1]!.id, owner: "C", attempts: 2 }, at(63))).toBe(true);
    expect(await n.markDead({ id: second[0]!.id, owner: "C", attempts: 2 }, at(63), "550 no such user")).toBe(true);

    const byKey = Object.fromEntries((await n.list({ limit: 10 })).map((r) => [r.dedupeKey, r]));
    expect(byKey.k1).toMatchObject({ status: "sent", sentAt: at(2), leaseOwner: undefined, attempts: 1 });
    expect(byKey.k2).toMatchObject({ status: "sent", sentAt: at(63), attempts: 2 });
    expect(byKey.k3).toMatchObject({ status: "dead", lastError: "550 no such user", attempts: 2 });
    expect(await n.claim("D", at(10_000), 60_000, 5)).toEqual([]);
  });

  it("never hands one row to two concurrent claimers", async () => {
    store = createSqlStore(await open());
    const names = Array.from({ length: 20 }, (_, i) => `e${i}`);
    for (const name of names) {
      await store.executions.create(execution(name), []);
      await finish(store, name, [email(`k-${name}`)]);
    }
    const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => store.notifications.claim(`w${i}`, at(1), 60_000, 3)));
    const ids = claims.flat().map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(20);
  });

  it("lists by status in pages, requeues dead rows and purges old sent ones", async () => {
    store = createSqlStore(await open());
    await store.executions.create(execution("e1"), []);
    await finish(store, "e1", [email("k1"), email("k2"), email("k3"), email("k4", "x", "raw URLs disabled")]);
    const n = store.notifications;
    const claimed = await n.claim("A", at(1), 60_000, 3);
    await n.markSent({ id: claimed[0]!.id, owner: "A", attempts: 1 }, at(2));
    await n.markDead({ id: claimed[1]!.id, owner: "A", attempts: 1 }, at(2), "550");
    expect((await n.list({ status: "dead", limit: 10 })).map((r) => r.dedupeKey)).toEqual(["k4", "k2"]);
    const page1 = await n.list({ limit: 2 });
    const page2 = await n.list({ limit: 2, beforeId: page1[1]!.id });
    expect([...page1, ...page2].map((r) => r.dedupeKey)).toEqual(["k4", "k3", "k2", "k1"]);

    expect(await n.requeue(claimed[1]!.id, at(5))).toBe("requeued");
    expect(await n.requeue(claimed[0]!.id, at(5))).toBe("sent");
    expect(await n.requeue(claimed[2]!.id, at(5))).toBe("sending");
    expect(await n.requeue(999_999, at(5))).toBe("missing");
    expect(await n.get(claimed[1]!.id)).toMatchObject({ status: "pending", attempts: 0, nextAttemptAt: at(5), lastError: "550" });
    expect((await n.claim("B", at(5), 60_000, 5)).map((r) => r.dedupeKey)).toEqual(["k2"]);

    expect(await n.purgeSent(at(2), 100)).toBe(0);
    expect(await n.purgeSent(at(3), 100)).toBe(1);
    expect(await n.get(claimed[0]!.id)).toBeUndefined();
    expect((await n.list({ limit: 10 })).length).toBe(3);
  });
});
