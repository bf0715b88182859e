import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { groupCommit } from "../../src/storage/group-commit.js";
import { createMutex } from "../../src/storage/mutex.js";

/** A real SQLite file in WAL mode, written through a group commit the way sqlite.ts wires it. */
function setup(dir: string, options: { failCommit?: () => boolean } = {}) {
  const db = new Database(join(dir, "t.db"));
  db.pragma("journal_mode = WAL");
  db.exec("create table t (k text primary key, v integer not null check (v >= 0))");
  const mutex = createMutex();
  let transactions = 0;
  const write = groupCommit({
    lock: (fn) => mutex(fn),
    begin: () => {
      transactions++;
      db.prepare("BEGIN IMMEDIATE").run();
    },
    beforeCommit: () => {
      if (options.failCommit?.()) throw new Error("the database file is gone");
    },
    commit: () => db.prepare("COMMIT").run(),
    rollback: () => db.prepare("ROLLBACK").run(),
    inTransaction: () => db.inTransaction,
  }, 8);
  const insert = (k: string, v: number) => write(async () => db.prepare("insert into t (k, v) values (?, ?)").run(k, v).changes);
  // A compare-and-set, as event updates are: applies only from the expected value.
  const bump = (k: string, from: number) => write(async () => db.prepare("update t set v = v + 1 where k = ? and v = ?").run(k, from).changes);
  const rows = () => db.prepare("select k, v from t order by k").all() as { k: string; v: number }[];
  return { db, insert, bump, rows, transactions: () => transactions, read: (fn: () => unknown) => mutex(async () => fn()) };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "group-commit-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("group commit", () => {
  it("commits writes queued together in few transactions, each in order and seeing the ones before it", async () => {
    const s = setup(dir);
    // 20 keys, each moved 0 → 5 by a chain of compare-and-sets, all chains at once.
    const keys = Array.from({ length: 20 }, (_, i) => `k${i}`);
    await Promise.all(keys.map((k) => s.insert(k, 0)));
    const before = s.transactions();
    const applied = await Promise.all(keys.map(async (k) => {
      const out: number[] = [];
      for (let v = 0; v < 5; v++) out.push(await s.bump(k, v));
      return out;
    }));
    expect(applied.flat().every((n) => n === 1)).toBe(true);
    expect(s.rows()).toEqual(keys.sort().map((k) => ({ k, v: 5 })));
    // 100 writes, at most 8 per transaction, far fewer than one each.
    expect(s.transactions() - before).toBeGreaterThanOrEqual(100 / 8);
    expect(s.transactions() - before).toBeLessThan(50);
    // Two writes of one batch on the same row: the second sees the first.
    const [a, b] = await Promise.all([s.bump("k0", 5), s.bump("k0", 6)]);
    expect([a, b]).toEqual([1, 1]);
    s.db.close();
  });

  it("fails only the write whose statement is refused; its neighbours in the batch commit", async () => {
    const s = setup(dir);
    const results = await Promise.allSettled([s.insert("a", 1), s.insert("a", 2), s.insert("b", -1), s.insert("c", 3)]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "rejected", "fulfilled"]);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/UNIQUE/);
    expect(String((results[2] as PromiseRejectedResult).reason)).toMatch(/CHECK/);
    expect(s.rows()).toEqual([{ k: "a", v: 1 }, { k: "c", v: 3 }]);
    s.db.close();
  });

  it("fails every write of a batch whose commit fails, and nothing of it is stored; the next batch commits", async () => {
    let fail = true;
    const s = setup(dir, { failCommit: () => fail });
    const results = await Promise.allSettled([s.insert("a", 1), s.insert("b", 2), s.insert("b", 3)]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected", "rejected"]);
    // The refused statement hears its own error; the others the commit's.
    expect(String((results[0] as PromiseRejectedResult).reason)).toMatch(/file is gone/);
    expect(String((results[2] as PromiseRejectedResult).reason)).toMatch(/UNIQUE/);
    expect(s.db.inTransaction).toBe(false);
    expect(s.rows()).toEqual([]);
    fail = false;
    await s.insert("c", 1);
    expect(s.rows()).toEqual([{ k: "c", v: 1 }]);
    s.db.close();
  });

  it("fails every write of a batch when BEGIN is refused (another process holds the write lock)", async () => {
    const s = setup(dir);
    const other = new Database(join(dir, "t.db"));
    other.pragma("busy_timeout = 0");
    s.db.pragma("busy_timeout = 0");
    other.prepare("BEGIN IMMEDIATE").run();
    const results = await Promise.allSettled([s.insert("a", 1), s.insert("b", 2)]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(String((results[0] as PromiseRejectedResult).reason)).toMatch(/locked|busy/i);
    other.prepare("ROLLBACK").run();
    other.close();
    await s.insert("a", 1);
    expect(s.rows()).toEqual([{ k: "a", v: 1 }]);
    s.db.close();
  });
});
