import type { DeliveryPayload } from "../core/notification-plan.js";

/**
 * What one send attempt came to. `retryable: false` means the target refused
 * this message for good (the delivery goes dead at once); `retryAfterMs` is
 * the target's own wait (HTTP Retry-After), capped by the channel.
 */
export type SendOutcome = { ok: true } | { ok: false; retryable: boolean; error: string; retryAfterMs?: number };

/** One way out (SMTP, HTTP). `send` never throws: every failure is an outcome. */
export interface DeliveryChannel {
  send(d: { dedupeKey: string; payload: DeliveryPayload }): Promise<SendOutcome>;
  close(): Promise<void>;
}

/** The longest error text kept in an outcome (it ends up in `last_error`). */
export const MAX_ERROR_CHARS = 500;

export const retryable = (error: string, retryAfterMs?: number): SendOutcome => ({
  ok: false,
  retryable: true,
  error: error.slice(0, MAX_ERROR_CHARS),
  ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
});

export const permanent = (error: string): SendOutcome => ({ ok: false, retryable: false, error: error.slice(0, MAX_ERROR_CHARS) });
