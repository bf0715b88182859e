import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { cacheStatements, createStatementCache, STATEMENT_CACHE_LIMITS, statementCost } from "../src/storage/statement-cache.js";

const limits = { ...STATEMENT_CACHE_LIMITS, maxStatements: 2 };
const valueIn = (n: number) => `select a from t where b in (${Array.from({ length: n }, () => "?").join(", ")})`;

describe("the SQLite statement cache", () => {
  it("reuses a compiled statement, back in its default row mode", () => {
    const db = new Database(":memory:");
    cacheStatements(db, limits);
    db.exec("create table t (a integer, b text); insert into t values (1, 'x')");
    const first = db.prepare("select a, b from t");
    expect(first.raw().all()).toEqual([[1, "x"]]);
    const again = db.prepare("select a, b from t");
    expect(again).toBe(first);
    expect(again.all()).toEqual([{ a: 1, b: "x" }]);
    // Writers have no row mode and are reused as they are.
    expect(db.prepare("insert into t values (?, ?)").run(2, "y").changes).toBe(1);
    expect(db.prepare("insert into t values (?, ?)").run(3, "z").changes).toBe(1);
    // Beyond the limit, the least recently used statement is compiled again.
    db.prepare("select count(*) as n from t");
    expect(db.prepare("select a, b from t")).not.toBe(first);
    db.close();
  });

  it("compiles statements with many parameters for each use and keeps none of them", () => {
    const db = new Database(":memory:");
    const cache = cacheStatements(db);
    db.exec("create table t (a integer, b text)");
    const small = db.prepare(valueIn(64));
    expect(db.prepare(valueIn(64))).toBe(small);
    // 1,000 list calls each with its own count of values used to keep 1,000 such statements.
    for (let n = 65; n < 1065; n++) expect(db.prepare(valueIn(n)).all(...Array.from({ length: n }, String))).toEqual([]);
    const large = db.prepare(valueIn(5000));
    expect(db.prepare(valueIn(5000))).not.toBe(large);
    expect(cache.size).toBe(1);
    db.close();
  });

  it("keeps statements by count and by estimated size, least recently used out first", () => {
    const cache = createStatementCache<string>({ maxStatements: 3, maxBytes: 3 * statementCost("x".repeat(1000)), maxParameters: 64, maxSqlLength: 16 * 1024 });
    const sql = (c: string, n = 1000) => c.repeat(n);
    expect(cache.set(sql("a"), "a")).toBe(true);
    expect(cache.set(sql("b"), "b")).toBe(true);
    expect(cache.set(sql("c"), "c")).toBe(true);
    expect(cache.get(sql("a"))).toBe("a");
    // A fourth statement evicts the least recently used, b.
    expect(cache.set(sql("d"), "d")).toBe(true);
    expect([cache.get(sql("b")), cache.size]).toEqual([undefined, 3]);
    // One twice as large evicts two, however few statements are kept.
    expect(cache.set(sql("e", 2000), "e")).toBe(true);
    expect([sql("a"), sql("c"), sql("d")].map((s) => cache.get(s))).toEqual([undefined, undefined, "d"]);
    expect(cache.bytes).toBe(statementCost(sql("d")) + statementCost(sql("e", 2000)));
    // Too long, too many parameters, or larger than the whole budget: never kept.
    expect(cache.set("x".repeat(16 * 1024 + 1), "long")).toBe(false);
    expect(cache.set("?".repeat(65), "params")).toBe(false);
    expect(cache.set(sql("f", 3100), "big")).toBe(false);
    expect(cache.size).toBe(2);
    // Setting a kept statement again replaces it without counting it twice.
    cache.set(sql("d"), "d2");
    expect([cache.get(sql("d")), cache.size, cache.bytes]).toEqual(["d2", 2, statementCost(sql("d")) + statementCost(sql("e", 2000))]);
  });

  it("estimates a statement's cost from its SQL length and its parameters", () => {
    expect(statementCost("select 1")).toBeLessThan(2 * 1024);
    // A 1,000-value list is ~180 KB compiled, a 30,000-value one ~5 MB.
    expect(statementCost(valueIn(1000))).toBeGreaterThan(150_000);
    expect(statementCost(valueIn(30_000))).toBeGreaterThan(4_000_000);
  });
});
