/**
 * The engine's global CPU slots (engine-spec §6.4 [LOCAL]): the CPUs of the
 * attempts holding a slot add up to at most `capacity`, except that an
 * attempt asking for more than everything runs alone, and attempts resumed
 * after a restart take theirs back even when that briefly exceeds it.
 * Waiting attempts are served first come, first served across executions:
 * nobody acquires while an earlier waiter is still queued, and a release wakes
 * the executions of the waiters that now fit.
 */
export interface Slots {
  /** Takes `cpus` for `holder` if they fit and nobody queued earlier waits; otherwise queues it (once) and returns false. */
  tryAcquire(holder: string, cpus: number, wake: () => void): boolean;
  /** Takes `cpus` for `holder` whatever the capacity (an attempt that already holds them, after a restart). */
  ensure(holder: string, cpus: number): void;
  /** Gives back what `holder` holds and drops it from the queue. */
  release(holder: string): void;
  readonly used: number;
  readonly capacity: number;
}

interface Waiter {
  holder: string;
  cpus: number;
  wake: () => void;
  /** When the holder last asked; waiters nobody asks for any more are dropped. */
  seenAt: number;
}

export function createSlots(capacity: number, options: { staleAfterMs?: number; now?: () => number } = {}): Slots {
  // No capacity (0, negative, NaN) still runs one attempt at a time.
  const cap = capacity > 0 ? capacity : Number.MIN_VALUE;
  const staleAfter = options.staleAfterMs ?? 120_000;
  const now = options.now ?? Date.now;
  const held = new Map<string, number>();
  let waiters: Waiter[] = [];
  let used = 0;

  const effective = (cpus: number) => Math.min(Math.max(cpus, 0), cap);
  const fits = (cpus: number) => used === 0 || used + effective(cpus) <= cap + 1e-9;
  const take = (holder: string, cpus: number) => {
    held.set(holder, effective(cpus));
    used += effective(cpus);
  };
  const dropStale = () => {
    const limit = now() - staleAfter;
    if (waiters.some((w) => w.seenAt < limit)) waiters = waiters.filter((w) => w.seenAt >= limit);
  };
  /** Wakes, in order, the waiters that would fit if each took its slot. */
  const wakeFitting = () => {
    let free = cap - used;
    for (const w of waiters) {
      const need = effective(w.cpus);
      if (need > free + 1e-9 && !(free === cap)) break;
      free -= need;
      w.wake();
    }
  };

  return {
    tryAcquire(holder, cpus, wake) {
      if (held.has(holder)) return true;
      dropStale();
      const i = waiters.findIndex((w) => w.holder === holder);
      if (i > 0 || (i < 0 && waiters.length > 0) || !fits(cpus)) {
        if (i < 0) waiters.push({ holder, cpus, wake, seenAt: now() });
        else Object.assign(waiters[i]!, { wake, seenAt: now() });
        return false;
      }
      if (i === 0) waiters.shift();
      take(holder, cpus);
      // The next waiter may fit too (several small attempts after a big one).
      if (waiters.length > 0) wakeFitting();
      return true;
    },
    ensure(holder, cpus) {
      if (held.has(holder)) return;
      waiters = waiters.filter((w) => w.holder !== holder);
      take(holder, cpus);
    },
    release(holder) {
      waiters = waiters.filter((w) => w.holder !== holder);
      const cpus = held.get(holder);
      if (cpus === undefined) return;
      held.delete(holder);
      used = Math.max(0, used - cpus);
      if (held.size === 0) used = 0;
      wakeFitting();
    },
    get used() {
      return used;
    },
    get capacity() {
      return capacity;
    },
  };
}
