/** Element statuses a mid-step write holds per element ask it may stand for (see coalescedPersist). */
export const STATUSES_PER_ASK = 16;

/**
 * The mid-round writes array elements ask for, coalesced. A plugin that
 * launched work asks for the status to be written before anything else can
 * fail (`RoundContext.persist`); that write is the whole execution status,
 * every element holding a status included, so a write per launching element
 * costs the square of the elements in flight (a map of 1,000 echo elements
 * with the CPU slots lifted spent most of its time writing its status). One
 * write instead stands for up to ⌈k / STATUSES_PER_ASK⌉ asks, k the element
 * statuses the last write held: the writes of n launches cost about
 * STATUSES_PER_ASK · n element statuses in all, and at most k /
 * STATUSES_PER_ASK launches are unrecorded at a time. What was asked for is
 * also written when the elements' step ends and before an error leaves it.
 */
export interface CoalescedPersist {
  /** An element's `persist`: counted, written by `due` or `flush`. */
  request(): Promise<void>;
  /** Writes what was asked for once enough asks wait. */
  due(): Promise<void>;
  /** Writes what was asked for now. */
  flush(): Promise<void>;
}

/** `held`: how many element statuses the status holds now. */
export function coalescedPersist(persist: () => Promise<void>, held: () => number): CoalescedPersist {
  let asked = 0;
  let every = 1;
  const write = async () => {
    if (asked === 0) return;
    // Cleared first: a write that throws is not tried again by the error path it is part of.
    asked = 0;
    await persist();
    every = Math.max(1, Math.ceil(held() / STATUSES_PER_ASK));
  };
  return {
    async request() {
      asked++;
    },
    async due() {
      if (asked >= every) await write();
    },
    flush: write,
  };
}
