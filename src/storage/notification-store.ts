import type { DeliveryPayload, PlannedDelivery } from "../core/notification-plan.js";

/** Where a delivery is: waiting for its next attempt, held by a worker, done, or given up. */
export type DeliveryStatus = "pending" | "sending" | "sent" | "dead";
export const DELIVERY_STATUSES: readonly DeliveryStatus[] = ["pending", "sending", "sent", "dead"];

/** One row of the notification outbox. */
export interface Delivery {
  readonly id: number;
  readonly dedupeKey: string;
  readonly project: string;
  readonly domain: string;
  readonly executionName: string;
  /** The terminal phase it reports (stored phase name, e.g. SUCCEEDED). */
  readonly phase: string;
  readonly channel: PlannedDelivery["channel"];
  /** Email: the recipients joined by ","; webhook: the alias name or URL. */
  readonly target: string;
  /** The message as rendered at enqueue. */
  readonly payload: DeliveryPayload;
  readonly status: DeliveryStatus;
  /** Attempts started (a claim counts one); also the fencing token of the current claim. */
  readonly attempts: number;
  readonly nextAttemptAt: Date;
  readonly leaseOwner: string | undefined;
  readonly leaseUntil: Date | undefined;
  readonly lastError: string | undefined;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly sentAt: Date | undefined;
}

/** What a fenced outcome update names: the row and the claim it was made under. */
export interface Claimed {
  readonly id: number;
  readonly owner: string;
  /** `attempts` as the claim returned it. */
  readonly attempts: number;
}

/** What `requeue` found: done, no such row, or a row that cannot be sent again (in flight or sent). */
export type RequeueResult = "requeued" | "missing" | "sending" | "sent";

/**
 * The notification outbox (notification_deliveries). Rows are inserted by
 * ExecutionStore.updateClosure in the terminal phase's transaction; workers
 * claim them with a lease and record the outcome. Every outcome update is
 * fenced on the claim (owner and attempt), so a worker whose lease expired
 * and was taken over changes nothing.
 */
export interface NotificationStore {
  /**
   * Takes up to `limit` rows that are due (pending, next attempt reached) or
   * abandoned (sending, lease expired), oldest due first: they become
   * `sending`, owned by `owner` until now + leaseMs, with one more attempt.
   * Concurrent claimers never get the same row.
   */
  claim(owner: string, now: Date, leaseMs: number, limit: number): Promise<Delivery[]>;
  /** Marks a claimed row sent; false when the claim was lost. */
  markSent(claim: Claimed, now: Date): Promise<boolean>;
  /** Puts a claimed row back to pending until `nextAttemptAt`, with the error; false when the claim was lost. */
  markRetry(claim: Claimed, now: Date, nextAttemptAt: Date, error: string): Promise<boolean>;
  /** Gives a claimed row up (dead) with the error; false when the claim was lost. */
  markDead(claim: Claimed, now: Date, error: string): Promise<boolean>;
  get(id: number): Promise<Delivery | undefined>;
  /** Rows of one status (any when omitted), newest first, after the cursor id when given. */
  list(query: { status?: DeliveryStatus | undefined; limit: number; beforeId?: number | undefined }): Promise<Delivery[]>;
  /** Sends a dead or pending row again now, with a fresh attempt count. */
  requeue(id: number, now: Date): Promise<RequeueResult>;
  /** Deletes up to `limit` sent rows sent before `before`; how many went. */
  purgeSent(before: Date, limit: number): Promise<number>;
}
