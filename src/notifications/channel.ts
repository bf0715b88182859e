// STAND-IN for the channel seam that lands separately; replaced at merge.
import type { DeliveryPayload } from "../core/notification-plan.js";

export type SendOutcome = { ok: true } | { ok: false; retryable: boolean; error: string; retryAfterMs?: number };

export interface DeliveryChannel {
  send(d: { dedupeKey: string; payload: DeliveryPayload }): Promise<SendOutcome>;
  close(): Promise<void>;
}
