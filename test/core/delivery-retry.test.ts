import { describe, expect, it } from "vitest";
import { backoffMs, decideRetry, type RetryPolicy } from "../../src/core/delivery-retry.js";

const policy: RetryPolicy = { maxAttempts: 12, initialBackoffMs: 30_000, maxBackoffMs: 3_600_000, maxAgeMs: 86_400_000 };
const T0 = new Date("2026-05-01T00:00:00Z");
const at = (ms: number) => new Date(T0.getTime() + ms);
const failed = (attempts: number, over: Partial<Parameters<typeof decideRetry>[1]> = {}) => ({ attempts, createdAt: T0, retryable: true, error: "451", ...over });

describe("delivery retries", () => {
  it("doubles from the initial backoff up to the maximum, without overflowing", () => {
    expect([1, 2, 3, 4, 7, 8, 9, 1000].map((n) => backoffMs(policy, n))).toEqual([30_000, 60_000, 120_000, 240_000, 1_920_000, 3_600_000, 3_600_000, 3_600_000]);
    expect(backoffMs(policy, 0)).toBe(30_000);
  });

  it("retries after the backoff, jittered within ±20 %", () => {
    expect(decideRetry(policy, failed(2), at(0))).toEqual({ kind: "retry", at: at(60_000), reason: "error" });
    expect(decideRetry(policy, failed(2), at(0), 1.2)).toEqual({ kind: "retry", at: at(72_000), reason: "error" });
    expect(decideRetry(policy, failed(2), at(0), 0.8)).toEqual({ kind: "retry", at: at(48_000), reason: "error" });
    // A factor out of range is clamped, never a negative or huge wait.
    expect(decideRetry(policy, failed(2), at(0), -5)).toEqual({ kind: "retry", at: at(48_000), reason: "error" });
    expect(decideRetry(policy, failed(2), at(0), 9)).toEqual({ kind: "retry", at: at(72_000), reason: "error" });
  });

  it("waits as long as the receiver asks when that is longer than the backoff", () => {
    expect(decideRetry(policy, failed(2, { retryAfterMs: 120_000 }), at(0))).toEqual({ kind: "retry", at: at(120_000), reason: "retry_after" });
    expect(decideRetry(policy, failed(2, { retryAfterMs: 1_000 }), at(0))).toEqual({ kind: "retry", at: at(60_000), reason: "error" });
  });

  it("gives up on a permanent failure, after maxAttempts, and when the next attempt would be past maxAge", () => {
    expect(decideRetry(policy, failed(1, { retryable: false, error: "550 no such user" }), at(0))).toEqual({ kind: "dead", reason: "550 no such user" });
    expect(decideRetry(policy, failed(12), at(0))).toEqual({ kind: "dead", reason: "gave up after 12 attempts: 451" });
    expect(decideRetry(policy, failed(11), at(0)).kind).toBe("retry");
    const late = decideRetry(policy, failed(3), at(86_400_000 - 100_000));
    expect(late).toEqual({ kind: "dead", reason: "gave up after 3 attempts (the next would be more than 1d after it was enqueued): 451" });
    expect(decideRetry(policy, failed(3), at(86_400_000 - 120_000)).kind).toBe("retry");
  });
});
