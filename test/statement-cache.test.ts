import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { cacheStatements } from "../src/storage/statement-cache.js";

describe("the SQLite statement cache", () => {
  it("reuses a compiled statement, back in its default row mode", () => {
    const db = new Database(":memory:");
    cacheStatements(db, 2);
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
});
