import { describe, expect, it } from "vitest";
import { createSlots } from "../../../src/engine/local/slots.js";
import { createWorkQueue, type RunOutcome } from "../../../src/engine/local/work-queue.js";
import { createLogger } from "../../../src/logger.js";

const quiet = createLogger("silent");
const waitUntil = async (what: string, ok: () => boolean) => {
  const deadline = Date.now() + 5_000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
};

describe("work queue", () => {
  it("runs one round per key at a time, and reruns a key enqueued while it ran", async () => {
    const active = new Map<string, number>();
    let overlap = false;
    const runs: string[] = [];
    let release: (() => void) | undefined;
    const q = createWorkQueue({
      workers: 4,
      logger: quiet,
      run: async (key): Promise<RunOutcome> => {
        active.set(key, (active.get(key) ?? 0) + 1);
        if (active.get(key)! > 1) overlap = true;
        runs.push(key);
        if (key === "a" && runs.filter((k) => k === "a").length === 1) await new Promise<void>((r) => (release = r));
        active.set(key, active.get(key)! - 1);
        return { again: false };
      },
    });
    q.enqueue("a");
    q.enqueue("a"); // deduplicated while queued
    await waitUntil("a to start", () => release !== undefined);
    q.enqueue("a"); // while running: one more run afterwards
    q.enqueue("a");
    q.enqueue("b");
    await waitUntil("b", () => runs.includes("b"));
    release!();
    await waitUntil("the rerun of a", () => runs.filter((k) => k === "a").length === 2);
    await q.stop();
    expect(overlap).toBe(false);
    expect(runs.filter((k) => k === "a")).toHaveLength(2);
  });

  it("runs at most `workers` rounds at once", async () => {
    let now = 0;
    let most = 0;
    const q = createWorkQueue({
      workers: 3,
      logger: quiet,
      run: async () => {
        now++;
        most = Math.max(most, now);
        await new Promise((r) => setTimeout(r, 5));
        now--;
        return { again: false };
      },
    });
    for (let i = 0; i < 20; i++) q.enqueue(`k${i}`);
    await waitUntil("all rounds", () => q.size === 0);
    await q.stop();
    expect(most).toBe(3);
  });

  it("runs again while a round changes something, and at the wake time otherwise", async () => {
    let count = 0;
    const q = createWorkQueue({
      workers: 1,
      logger: quiet,
      run: async () => {
        count++;
        if (count < 12) return { again: true };
        if (count === 12) return { again: false, wakeAt: new Date(Date.now() + 60_000) };
        return { again: false };
      },
    });
    q.enqueue("x");
    await waitUntil("12 runs", () => count === 12);
    // Nothing changed: the key waits for its timer (still held) instead of running again.
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(count).toBe(12);
    expect(q.size).toBe(1);
    // An earlier wake-up wins over the timer.
    q.enqueue("x");
    await waitUntil("13 runs", () => count === 13);
    await q.stop();
  });

  it("keeps a failed run's backoff when the key is woken meanwhile", async () => {
    let count = 0;
    const q = createWorkQueue({
      workers: 1,
      logger: quiet,
      run: async () => {
        count++;
        return count === 1 ? { again: false, wakeAt: new Date(Date.now() + 60_000), backoff: true } : { again: false };
      },
    });
    q.enqueue("x");
    await waitUntil("the failed run", () => count === 1);
    q.enqueue("x");
    for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 1));
    expect(count).toBe(1);
    expect(q.size).toBe(1);
    await q.stop();
  });

  it("keeps a key alive when its round throws, and stop() waits for rounds in flight", async () => {
    let calls = 0;
    let finished = false;
    const q = createWorkQueue({
      workers: 1,
      logger: quiet,
      run: async () => {
        calls++;
        if (calls === 1) throw new Error("boom");
        await new Promise((r) => setTimeout(r, 20));
        finished = true;
        return { again: false };
      },
    });
    q.enqueue("k");
    await waitUntil("the failed round", () => calls === 1);
    expect(q.size).toBe(1); // a retry is scheduled
    q.enqueue("k");
    await waitUntil("the second round", () => calls === 2);
    await q.stop();
    expect(finished).toBe(true);
    q.enqueue("k"); // ignored after stop
    expect(calls).toBe(2);
  });
});

describe("CPU slots", () => {
  it("admits up to the capacity and serves waiters first come, first served", () => {
    const s = createSlots(2);
    const woken: string[] = [];
    const wake = (name: string) => () => woken.push(name);
    expect(s.tryAcquire("a", 1, wake("a"))).toBe(true);
    expect(s.tryAcquire("b", 1, wake("b"))).toBe(true);
    expect(s.tryAcquire("c", 1, wake("c"))).toBe(false);
    expect(s.tryAcquire("d", 1, wake("d"))).toBe(false);
    expect(s.tryAcquire("d", 1, wake("d"))).toBe(false); // queued once
    s.release("a");
    expect(woken).toEqual(["c"]);
    expect(s.tryAcquire("d", 1, wake("d"))).toBe(false); // c is ahead
    expect(s.tryAcquire("c", 1, wake("c"))).toBe(true);
    s.release("b");
    expect(s.tryAcquire("d", 1, wake("d"))).toBe(true);
    expect(s.used).toBe(2);
  });

  it("lets a task asking for more than everything run alone, and restarts take their slots back", () => {
    const s = createSlots(2);
    expect(s.tryAcquire("big", 8, () => {})).toBe(true);
    expect(s.tryAcquire("small", 1, () => {})).toBe(false);
    s.release("big");
    expect(s.tryAcquire("small", 0.5, () => {})).toBe(true);
    expect(s.tryAcquire("small2", 1.5, () => {})).toBe(true);
    s.ensure("resumed", 1);
    expect(s.used).toBe(3);
    s.release("resumed");
    s.release("small");
    s.release("small2");
    expect(s.used).toBe(0);
  });

  it("drops waiters nobody asks for any more", () => {
    let t = 0;
    const s = createSlots(1, { staleAfterMs: 100, now: () => t });
    expect(s.tryAcquire("a", 1, () => {})).toBe(true);
    expect(s.tryAcquire("gone", 1, () => {})).toBe(false);
    s.release("a");
    t = 1_000;
    expect(s.tryAcquire("b", 1, () => {})).toBe(true);
  });
});
