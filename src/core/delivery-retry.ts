/**
 * What happens to a notification delivery after a failed attempt, pure: tried
 * again later with exponential backoff, or given up (dead).
 */

export interface RetryPolicy {
  maxAttempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** No attempt is made later than this after the delivery was enqueued. */
  maxAgeMs: number;
}

export interface FailedAttempt {
  /** Attempts made so far, this one included. */
  attempts: number;
  createdAt: Date;
  retryable: boolean;
  error: string;
  /** The receiver asked to wait at least this long (HTTP Retry-After). */
  retryAfterMs?: number | undefined;
}

export type RetryDecision =
  | { kind: "retry"; at: Date; reason: "retry_after" | "error" }
  | { kind: "dead"; reason: string };

/** Largest jitter either way: ±20 % spreads retries of one outage without reordering the backoff steps. */
export const JITTER = 0.2;

/** initialBackoff·2^(attempts−1), at most maxBackoff (exact for any attempt count: no overflow to Infinity). */
export function backoffMs(policy: Pick<RetryPolicy, "initialBackoffMs" | "maxBackoffMs">, attempts: number): number {
  const doublings = Math.max(0, attempts - 1);
  // 2^53 exceeds every backoff a configuration can hold; past it the cap applies anyway.
  if (doublings >= 53) return policy.maxBackoffMs;
  return Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** doublings);
}

/**
 * `jitter` is a factor in [1 − JITTER, 1 + JITTER] (1: none). A receiver's
 * Retry-After is honoured even when it is longer than the backoff; a retry
 * that would fall past maxAge, or past maxAttempts, is not made.
 */
export function decideRetry(policy: RetryPolicy, failed: FailedAttempt, now: Date, jitter = 1): RetryDecision {
  if (!failed.retryable) return { kind: "dead", reason: failed.error };
  if (failed.attempts >= policy.maxAttempts) return { kind: "dead", reason: `gave up after ${failed.attempts} attempts: ${failed.error}` };
  const factor = Math.min(1 + JITTER, Math.max(1 - JITTER, jitter));
  const backoff = Math.round(backoffMs(policy, failed.attempts) * factor);
  const asked = failed.retryAfterMs !== undefined && failed.retryAfterMs > backoff ? failed.retryAfterMs : undefined;
  const at = new Date(now.getTime() + (asked ?? backoff));
  if (at.getTime() - failed.createdAt.getTime() > policy.maxAgeMs) {
    return { kind: "dead", reason: `gave up after ${failed.attempts} attempts (the next would be more than ${ageText(policy.maxAgeMs)} after it was enqueued): ${failed.error}` };
  }
  return { kind: "retry", at, reason: asked !== undefined ? "retry_after" : "error" };
}

function ageText(ms: number): string {
  for (const [unit, size] of [["d", 86_400_000], ["h", 3_600_000], ["m", 60_000]] as const) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${Math.round(ms / 1000)}s`;
}
