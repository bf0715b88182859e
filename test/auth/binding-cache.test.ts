import { describe, expect, it } from "vitest";
import { createBindingCache } from "../../src/auth/binding-cache.js";
import type { Principal, RoleBinding, RoleBindingStore } from "../../src/storage/access-store.js";

/** A store that counts reads and can be held or made to fail. */
function countingStore() {
  const bindings: RoleBinding[] = [];
  let reads = 0;
  let failNext = false;
  let gate: Promise<void> | undefined;
  const store: RoleBindingStore = {
    async grant(b) {
      bindings.push(b);
      return true;
    },
    async revoke(k) {
      const i = bindings.findIndex((b) => b.subject === k.subject && b.role === k.role);
      if (i >= 0) bindings.splice(i, 1);
      return i >= 0;
    },
    async forPrincipals(ps: readonly Principal[]) {
      reads++;
      // Read as of the start: a held read answers what was there before whatever happens meanwhile.
      const found = bindings.filter((b) => ps.some((p) => p.kind === b.subjectKind && p.subject === b.subject));
      if (gate) await gate;
      if (failNext) {
        failNext = false;
        throw new Error("database unavailable");
      }
      return found;
    },
    async list() {
      return bindings;
    },
  };
  return {
    store,
    bindings,
    reads: () => reads,
    failNext: () => void (failNext = true),
    hold: () => {
      let release!: () => void;
      gate = new Promise((r) => (release = r));
      return () => {
        gate = undefined;
        release();
      };
    },
  };
}

const alice: Principal[] = [{ kind: "user", subject: "alice" }, { kind: "group", subject: "ml" }];
const viewer = (subject: string): RoleBinding => ({ subjectKind: "user", subject, project: "p", domain: "*", role: "viewer", createdAt: new Date(0), createdBy: "t" });

describe("bindings cache", () => {
  it("reads a caller's bindings once per time to live, whatever order its principals come in", async () => {
    let now = 0;
    const s = countingStore();
    const cache = createBindingCache({ store: s.store, ttlMs: 1000, now: () => now });
    await cache.forPrincipals(alice);
    await cache.forPrincipals([...alice].reverse());
    expect(s.reads()).toBe(1);
    now = 999;
    await cache.forPrincipals(alice);
    expect(s.reads()).toBe(1);
    now = 1000;
    await cache.forPrincipals(alice);
    expect(s.reads()).toBe(2);
  });

  it("shares one read between concurrent misses", async () => {
    const s = countingStore();
    const cache = createBindingCache({ store: s.store, ttlMs: 1000 });
    const release = s.hold();
    const reads = [cache.forPrincipals(alice), cache.forPrincipals(alice), cache.forPrincipals(alice)];
    release();
    await Promise.all(reads);
    expect(s.reads()).toBe(1);
  });

  it("does not keep a failed read", async () => {
    const s = countingStore();
    const cache = createBindingCache({ store: s.store, ttlMs: 1000 });
    s.failNext();
    await expect(cache.forPrincipals(alice)).rejects.toThrow("database unavailable");
    expect(await cache.forPrincipals(alice)).toEqual([]);
    expect(s.reads()).toBe(2);
  });

  it("forgets everything on a grant or revocation through it", async () => {
    const s = countingStore();
    const cache = createBindingCache({ store: s.store, ttlMs: 60_000 });
    expect(await cache.forPrincipals(alice)).toEqual([]);
    await cache.grant(viewer("alice"));
    expect(await cache.forPrincipals(alice)).toEqual([viewer("alice")]);
    await cache.revoke(viewer("alice"));
    expect(await cache.forPrincipals(alice)).toEqual([]);
    // A read that started before the grant is not kept once the grant is in.
    const release = s.hold();
    const stale = cache.forPrincipals(alice);
    const granted = cache.grant(viewer("alice"));
    release();
    expect(await stale).toEqual([]);
    await granted;
    expect(await cache.forPrincipals(alice)).toEqual([viewer("alice")]);
  });

  it("keeps at most maxEntries callers, dropping the least recently used", async () => {
    const s = countingStore();
    const cache = createBindingCache({ store: s.store, ttlMs: 60_000, maxEntries: 2 });
    const one = (subject: string) => cache.forPrincipals([{ kind: "user", subject }]);
    await one("a");
    await one("b");
    await one("a"); // a is now the most recent
    await one("c"); // drops b
    expect(s.reads()).toBe(3);
    await one("a");
    await one("c");
    expect(s.reads()).toBe(3);
    await one("b");
    expect(s.reads()).toBe(4);
  });

  it("reads every time with a time to live of 0", async () => {
    const s = countingStore();
    const cache = createBindingCache({ store: s.store, ttlMs: 0 });
    await cache.forPrincipals(alice);
    await cache.forPrincipals(alice);
    expect(s.reads()).toBe(2);
  });
});
