/**
 * A FIFO async mutex: each call runs after every earlier one has settled.
 * Returns a function that runs `fn` under the lock.
 */
export function createMutex() {
  let tail: Promise<unknown> = Promise.resolve();
  return function withLock<T>(fn: () => Promise<T>): Promise<T> {
    const next = tail.then(fn, fn);
    tail = next.catch(() => undefined);
    return next;
  };
}
