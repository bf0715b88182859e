/** Waits `ms` on some clock; rejects with the signal's reason when it aborts first. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

/** Real time: a timer that an abort clears. */
export const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });

export interface RateLimiterOptions {
  /** Tokens added per second; 0 means no limit. */
  perSecond: number;
  /** Most tokens held at once (the burst taken without waiting). */
  burst: number;
  clock: () => Date;
  sleep: Sleep;
}

export interface RateLimiter {
  /** Resolves once a token is taken; callers are served in the order they asked. */
  take(signal: AbortSignal): Promise<void>;
}

/**
 * A token bucket over an injected clock, as FlyteAdmin's scheduler limits its
 * CreateExecution calls (100 per second, burst 10 by default). Takers queue
 * one behind the other, so concurrent workers share the one rate.
 */
export function createRateLimiter(o: RateLimiterOptions): RateLimiter {
  if (o.perSecond <= 0) return { take: async () => undefined };
  const burst = Math.max(1, o.burst);
  let tokens = burst;
  let last = o.clock().getTime();
  let queue: Promise<void> = Promise.resolve();

  const refill = () => {
    const now = o.clock().getTime();
    // A clock that steps back adds nothing rather than taking tokens away.
    tokens = Math.min(burst, tokens + (Math.max(0, now - last) * o.perSecond) / 1000);
    last = Math.max(last, now);
  };

  const takeOne = async (signal: AbortSignal) => {
    for (;;) {
      signal.throwIfAborted();
      refill();
      if (tokens >= 1) {
        tokens -= 1;
        return;
      }
      await o.sleep(Math.ceil(((1 - tokens) * 1000) / o.perSecond), signal);
    }
  };

  return {
    take(signal) {
      const mine = queue.then(() => takeOne(signal));
      // The next taker waits for this one, whether it got its token or was aborted.
      queue = mine.catch(() => undefined);
      return mine;
    },
  };
}
