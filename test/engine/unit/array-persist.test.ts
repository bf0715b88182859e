import { describe, expect, it } from "vitest";
import { coalescedPersist, STATUSES_PER_ASK } from "../../../src/engine/local/array-persist.js";

/** Element asks as a step makes them: each launch adds a status, asks for a write and lets one be made when due. */
async function launches(n: number, persist: () => Promise<void>, held: { count: number }) {
  const writes = coalescedPersist(persist, () => held.count);
  for (let i = 0; i < n; i++) {
    held.count++;
    await writes.request();
    await writes.due();
  }
  return writes;
}

describe("an array step's mid-step writes", () => {
  it("writes at the first ask, then once per ⌈k/16⌉ asks: what the writes hold grows linearly with the launches", async () => {
    const held = { count: 0 };
    const written: number[] = [];
    const writes = await launches(1000, async () => void written.push(held.count), held);
    // One write per launch would hold 1 + 2 + ... + 1000 = 500,500 statuses.
    const total = written.reduce((a, k) => a + k, 0);
    expect(total).toBeLessThan(3 * STATUSES_PER_ASK * 1000);
    expect(written.length).toBeLessThan(120);
    expect(written.slice(0, STATUSES_PER_ASK)).toEqual(Array.from({ length: STATUSES_PER_ASK }, (_, i) => i + 1));
    // Never more asks unwritten than a sixteenth of the statuses the last write held (rounded up).
    for (let i = 1; i < written.length; i++) expect(written[i]! - written[i - 1]!).toBeLessThanOrEqual(Math.ceil(written[i - 1]! / STATUSES_PER_ASK));
    // The rest is written when the step ends; nothing is written without an ask.
    const before = written.length;
    await writes.flush();
    expect(written.length).toBeLessThanOrEqual(before + 1);
    expect(written.at(-1)).toBe(1000);
    await writes.flush();
    await writes.due();
    expect(written.at(-1)).toBe(1000);
    expect(written.length).toBeLessThanOrEqual(before + 1);
  });

  it("writes nothing for steps that ask nothing", async () => {
    let calls = 0;
    const writes = coalescedPersist(async () => void calls++, () => 500);
    await writes.due();
    await writes.flush();
    expect(calls).toBe(0);
  });

  it("does not try a failed write again on the way out", async () => {
    let calls = 0;
    const writes = coalescedPersist(async () => {
      calls++;
      throw new Error("the engine row changed during the round");
    }, () => 1);
    await writes.request();
    await expect(writes.due()).rejects.toThrow("the engine row changed");
    await writes.flush();
    expect(calls).toBe(1);
  });
});
