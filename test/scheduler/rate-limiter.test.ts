import { describe, expect, it } from "vitest";
import { createRateLimiter } from "../../src/scheduler/rate-limiter.js";

/** A clock that only moves when the limiter sleeps. */
function fakeTime() {
  const t = { now: 0, sleeps: 0 };
  return {
    t,
    clock: () => new Date(t.now),
    sleep: async (ms: number, signal: AbortSignal) => {
      signal.throwIfAborted();
      t.sleeps++;
      t.now += ms;
    },
  };
}

describe("the token bucket", () => {
  it("lets a burst through at once, then 100 a second: 1,000 takes need at least 9.9 s", async () => {
    const { t, clock, sleep } = fakeTime();
    const limiter = createRateLimiter({ perSecond: 100, burst: 10, clock, sleep });
    const signal = new AbortController().signal;
    for (let i = 0; i < 10; i++) await limiter.take(signal);
    expect(t.now).toBe(0);
    for (let i = 0; i < 990; i++) await limiter.take(signal);
    expect(t.now).toBeGreaterThanOrEqual(9_900);
    expect(t.now).toBeLessThan(10_000);
  });

  it("serves concurrent takers one after the other at the one rate", async () => {
    const { t, clock, sleep } = fakeTime();
    const limiter = createRateLimiter({ perSecond: 10, burst: 1, clock, sleep });
    const signal = new AbortController().signal;
    const order: number[] = [];
    await Promise.all([0, 1, 2, 3].map((i) => limiter.take(signal).then(() => order.push(i))));
    expect(order).toEqual([0, 1, 2, 3]);
    expect(t.now).toBeGreaterThanOrEqual(300);
  });

  it("stops waiting when aborted, and the next taker still gets its turn", async () => {
    const { clock } = fakeTime();
    const never = (_ms: number, signal: AbortSignal) =>
      new Promise<void>((_resolve, reject) => signal.addEventListener("abort", () => reject(signal.reason as Error), { once: true }));
    const limiter = createRateLimiter({ perSecond: 1, burst: 1, clock, sleep: never });
    const stop = new AbortController();
    await limiter.take(stop.signal);
    const waiting = limiter.take(stop.signal);
    stop.abort(new Error("stopping"));
    await expect(waiting).rejects.toThrow("stopping");
  });

  it("does not limit with a rate of 0", async () => {
    const { t, clock, sleep } = fakeTime();
    const limiter = createRateLimiter({ perSecond: 0, burst: 1, clock, sleep });
    for (let i = 0; i < 100; i++) await limiter.take(new AbortController().signal);
    expect(t.sleeps).toBe(0);
  });
});
