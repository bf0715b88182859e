import { and, asc, desc, eq, inArray, lt, lte, sql } from "drizzle-orm";
import type { PlannedDelivery } from "../core/notification-plan.js";
import type { Db, Dialect } from "./dialect.js";
import type { Claimed, Delivery, DeliveryStatus, NotificationStore } from "./notification-store.js";

/** A claim's lock clause on PostgreSQL: rows another claimer holds are skipped, not waited for. */
interface Lockable {
  for(strength: "update", config: { skipLocked: true }): unknown;
}

/**
 * Inserts the deliveries of one terminal phase (inside the caller's
 * transaction). A dedupe key already present is skipped, so a retried or
 * replayed transaction never enqueues twice. Deliveries planned dead (a
 * target refused at enqueue) are stored dead with their reason.
 */
export async function insertDeliveries(
  d: Dialect,
  tx: Db,
  execution: { project: string; domain: string; name: string },
  phase: string,
  deliveries: readonly PlannedDelivery[],
  now: Date,
): Promise<void> {
  if (deliveries.length === 0) return;
  const t = d.schema.notificationDeliveries;
  await tx
    .insert(t)
    .values(
      deliveries.map((p) => ({
        dedupeKey: p.dedupeKey,
        project: execution.project,
        domain: execution.domain,
        executionName: execution.name,
        phase,
        channel: p.channel,
        target: p.target,
        payload: JSON.stringify(p.payload),
        status: p.dead === undefined ? "pending" : "dead",
        attempts: 0,
        nextAttemptAt: now,
        lastError: p.dead ?? null,
        createdAt: now,
        updatedAt: now,
      })),
    )
    .onConflictDoNothing({ target: t.dedupeKey });
}

/**
 * The outbox over either dialect. A claim is one UPDATE of the rows a
 * sub-select picks: SQLite runs writers one at a time, and on PostgreSQL the
 * sub-select locks what it picks and skips what a concurrent claim has
 * locked, so two claimers never get the same row and neither waits. A
 * worker's late outcome after its row was released or taken over matches no
 * row (the fence), so of two sends of one row only one is recorded.
 */
export function createSqlNotifications(d: Dialect): NotificationStore {
  const t = d.schema.notificationDeliveries;
  type Row = typeof t.$inferSelect;
  const toDelivery = (r: Row): Delivery => ({
    id: Number(r.id),
    dedupeKey: r.dedupeKey,
    project: r.project,
    domain: r.domain,
    executionName: r.executionName,
    phase: r.phase,
    channel: r.channel as Delivery["channel"],
    target: r.target,
    payload: JSON.parse(r.payload) as Delivery["payload"],
    status: r.status as DeliveryStatus,
    attempts: r.attempts,
    nextAttemptAt: r.nextAttemptAt,
    leaseOwner: r.leaseOwner ?? undefined,
    leaseUntil: r.leaseUntil ?? undefined,
    lastError: r.lastError ?? undefined,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    sentAt: r.sentAt ?? undefined,
  });
  // The claim's fence: the row is still held by this claim (nobody took it over after its lease expired).
  const fenced = (c: Claimed) => and(eq(t.id, c.id), eq(t.status, "sending"), eq(t.leaseOwner, c.owner), eq(t.attempts, c.attempts));
  const finish = async (c: Claimed, set: Partial<typeof t.$inferInsert>) => {
    const rows = await d.write((db) =>
      db
        .update(t)
        .set({ ...set, leaseOwner: null, leaseUntil: null })
        .where(fenced(c))
        .returning({ id: t.id }),
    );
    return rows.length > 0;
  };

  async function get(id: number): Promise<Delivery | undefined> {
    if (!Number.isSafeInteger(id)) return undefined;
    const [row] = await d.run((db) => db.select().from(t).where(eq(t.id, id)).limit(1));
    return row ? toDelivery(row) : undefined;
  }

  return {
    async claim(owner, now, leaseMs, limit) {
      if (limit <= 0) return [];
      const until = new Date(now.getTime() + leaseMs);
      // Rows whose worker stopped mid-send are pending again once their lease ends (a held row's
      // next_attempt_at is its lease end). Kept apart from the claim, the claim reads pending rows
      // in the index's own order, however long the backlog, without sorting it.
      await d.write((db) =>
        db
          .update(t)
          .set({ status: "pending", leaseOwner: null, leaseUntil: null })
          .where(and(eq(t.status, "sending"), lte(t.nextAttemptAt, now))),
      );
      const rows = await d.run((db) => {
        const pick = db
          .select({ id: t.id })
          .from(t)
          .where(and(eq(t.status, "pending"), lte(t.nextAttemptAt, now)))
          .orderBy(asc(t.nextAttemptAt), asc(t.id))
          .limit(limit);
        const picked = d.name === "postgres" ? ((pick as unknown as Lockable).for("update", { skipLocked: true }) as typeof pick) : pick;
        return db
          .update(t)
          .set({ status: "sending", leaseOwner: owner, leaseUntil: until, nextAttemptAt: until, attempts: sql`${t.attempts} + 1`, updatedAt: now })
          .where(inArray(t.id, picked))
          .returning();
      });
      return rows.map(toDelivery).sort((a, b) => a.id - b.id);
    },

    // next_attempt_at becomes the send time: purging old sent rows is then a range of the status index.
    markSent: (c, now) => finish(c, { status: "sent", sentAt: now, nextAttemptAt: now, updatedAt: now, lastError: null }),

    markRetry: (c, now, nextAttemptAt, error) => finish(c, { status: "pending", nextAttemptAt, lastError: error, updatedAt: now }),

    markDead: (c, now, error) => finish(c, { status: "dead", lastError: error, updatedAt: now }),

    get,

    async list({ status, limit, beforeId }) {
      const rows = await d.run((db) =>
        db
          .select()
          .from(t)
          .where(and(status ? eq(t.status, status) : undefined, beforeId !== undefined ? lt(t.id, beforeId) : undefined))
          .orderBy(desc(t.id))
          .limit(limit),
      );
      return rows.map(toDelivery);
    },

    async requeue(id, now) {
      if (!Number.isSafeInteger(id)) return "missing";
      const rows = await d.write((db) =>
        db
          .update(t)
          .set({ status: "pending", attempts: 0, nextAttemptAt: now, leaseOwner: null, leaseUntil: null, updatedAt: now })
          .where(and(eq(t.id, id), inArray(t.status, ["dead", "pending"])))
          .returning({ id: t.id }),
      );
      if (rows.length > 0) return "requeued";
      const row = await get(id);
      return row ? (row.status as "sending" | "sent") : "missing";
    },

    async purgeSent(before, limit) {
      if (limit <= 0) return 0;
      const rows = await d.run((db) => {
        const old = db
          .select({ id: t.id })
          .from(t)
          .where(and(eq(t.status, "sent"), lt(t.nextAttemptAt, before)))
          .limit(limit);
        return db.delete(t).where(inArray(t.id, old)).returning({ id: t.id });
      });
      return rows.length;
    },
  };
}
