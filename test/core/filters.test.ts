import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { SortSchema } from "../../gen/flyteidl/admin/common_pb.js";
import { PROJECT_COLUMNS, type EntityColumns } from "../../src/core/entity-columns.js";
import { AdminError } from "../../src/core/errors.js";
import { MAX_FILTER_EXPRESSIONS, MAX_FILTER_VALUES, MAX_FILTERS_LENGTH, parseFilters, type FilterScope } from "../../src/core/filters.js";
import { parseRfc3339 } from "../../src/core/rfc3339.js";
import { parseSort } from "../../src/core/sorting.js";

const TASK: EntityColumns = { code: "t", prefix: "task", columns: { name: "text", version: "text", created_at: "timestamp" } };
const WORKFLOW: EntityColumns = { code: "w", prefix: "workflow", columns: { name: "text" } };
const tasks: FilterScope = [TASK];
const launchPlans: FilterScope = [{ code: "l", prefix: "launch_plan", columns: { state: "int" } }, WORKFLOW];

function failure(text: string, scope: FilterScope = tasks): { kind: string; message: string } {
  try {
    parseFilters(text, scope);
  } catch (e) {
    if (e instanceof AdminError) return { kind: e.kind, message: e.message };
    throw e;
  }
  throw new Error(`expected ${text} to be rejected`);
}

describe("filter language", () => {
  it("knows only the entities' own columns and prefixes, not the properties every object has", () => {
    expect(failure("eq(constructor,1)")).toEqual({ kind: "InvalidArgument", message: "'t.constructor' is invalid filter" });
    expect(failure("eq(__proto__,1)")).toEqual({ kind: "InvalidArgument", message: "'t.__proto__' is invalid filter" });
    expect(failure("eq(task.toString,1)")).toEqual({ kind: "InvalidArgument", message: "'t.toString' is invalid filter" });
    expect(failure("eq(constructor.name,x)")).toEqual({ kind: "InvalidArgument", message: "'t.constructor.name' is invalid filter" });
    for (const key of ["constructor", "__proto__", "valueOf"]) {
      expect(() => parseSort(create(SortSchema, { key }), TASK)).toThrow(`invalid sort key '${key}'`);
    }
  });

  it("parses expressions joined by + into typed filters", () => {
    expect(parseFilters("eq(version,v1)+eq(name,my.task)", tasks)).toEqual([
      { entity: "t", column: "version", type: "text", op: "eq", values: ["v1"] },
      { entity: "t", column: "name", type: "text", op: "eq", values: ["my.task"] },
    ]);
    expect(parseFilters("", tasks)).toEqual([]);
  });

  it("splits list values on ; and types integers and timestamps", () => {
    expect(parseFilters("value_in(state,0;2)", launchPlans)[0]?.values).toEqual([0, 2]);
    expect(parseFilters("value_in(state,1)", launchPlans)[0]?.values).toEqual([1]);
    expect(parseFilters("gt(created_at,2024-01-01T00:00:00Z)", tasks)[0]?.values).toEqual([new Date("2024-01-01T00:00:00Z")]);
    expect(parseFilters("lte(created_at,2024-01-01T10:00:00.123456789-02:00)", tasks)[0]?.values[0]).toBeInstanceOf(Date);
  });

  it("resolves entity prefixes and checks they are allowed", () => {
    expect(parseFilters("eq(workflow.name,wf)", launchPlans)[0]).toMatchObject({ entity: "w", column: "name" });
    expect(failure("eq(workflow.name,x)")).toEqual({ kind: "InvalidArgument", message: "'w' entity is not allowed in filters" });
    expect(failure("eq(project.name,x)")).toEqual({ kind: "InvalidArgument", message: "'p' entity is not allowed in filters" });
    // An unknown prefix is part of the column name, as in FlyteAdmin.
    expect(failure("eq(foo.bar,x)").message).toBe("'t.foo.bar' is invalid filter");
  });

  it("uses FlyteAdmin's messages for malformed expressions", () => {
    expect(failure("eq(foo,1)")).toEqual({ kind: "InvalidArgument", message: "'t.foo' is invalid filter" });
    for (const bad of ["bogus", "eq(name,)", "eq(,x)", "eq(name x)"]) {
      expect(failure(bad)).toEqual({ kind: "InvalidArgument", message: "invalid value for filters" });
    }
    expect(failure("foo(name,x)").message).toBe("unrecognized filter function: foo");
    // Leading text belongs to the function name.
    expect(failure("  eq(name,x)").message).toBe("unrecognized filter function:   eq");
    // A REST client that did not escape + sends one expression.
    expect(failure("eq(version,v1) eq(name,my.task)").message).toBe("unrecognized filter function: eq(version,v1) eq");
    // The greedy field group swallows extra commas.
    expect(failure("eq(name,a,b)").message).toBe("'t.name,a' is invalid filter");
  });

  it("keeps FlyteAdmin's whitespace rule: one optional space after the comma", () => {
    expect(parseFilters("eq(name, foo)", tasks)[0]?.values).toEqual(["foo"]);
    expect(parseFilters("eq(name,  foo)", tasks)[0]?.values).toEqual([" foo"]);
    // Text after the closing parenthesis is ignored.
    expect(parseFilters("eq(name,foo)trailing", tasks)[0]?.values).toEqual(["foo"]);
  });

  it("rejects values of the wrong type instead of failing in the database", () => {
    expect(failure("eq(state,abc)", launchPlans)).toEqual({
      kind: "InvalidArgument",
      message: "invalid value for filters: 'state' takes an integer, got 'abc'",
    });
    expect(failure("gt(created_at,yesterday)").message).toBe("Timestamp yesterday must conform to RFC3339 Nano spec");
    expect(failure("eq(version,a;b)").message).toMatch(/^invalid single value filter expression: equal/);
    expect(failure("contains(state,1)", launchPlans).message).toMatch(/contains applies to text fields only/);
  });

  it("accepts every function on the project entity", () => {
    const ops = ["eq", "ne", "gt", "gte", "lt", "lte", "contains", "not_like", "value_in", "value_not_in"];
    for (const op of ops) expect(parseFilters(`${op}(name,x)`, [PROJECT_COLUMNS])[0]?.op).toBe(op);
  });

  // FlyteAdmin's backtracking pattern takes 32 s on 1,000 bytes of "(," and minutes on 4 KB.
  it("answers at once on adversarial expressions", { timeout: 5000 }, () => {
    expect(failure("(,".repeat(500)).message).toBe("invalid value for filters");
    expect(failure("eq(name,x)+" + "(,".repeat(30_000)).message).toBe("invalid value for filters");
    expect(failure("eq(" + "a,".repeat(30_000) + "b)").message).toMatch(/^'t\.a,a,a,.*' is invalid filter$/);
  });

  it("bounds the filter string, its expressions and its values", () => {
    expect(failure("eq(name," + "x".repeat(MAX_FILTERS_LENGTH) + ")")).toEqual({
      kind: "InvalidArgument",
      message: `filters are too long: ${MAX_FILTERS_LENGTH + 9} characters, at most 65536 are allowed`,
    });
    const many = (n: number) => Array.from({ length: n }, (_, i) => `ne(name,n${i})`).join("+");
    expect(parseFilters(many(MAX_FILTER_EXPRESSIONS), tasks)).toHaveLength(100);
    expect(failure(many(3000))).toEqual({ kind: "InvalidArgument", message: "too many filter expressions: 3000, at most 100 are allowed" });
    const values = (n: number) => Array.from({ length: n }, (_, i) => `v${i}`).join(";");
    expect(parseFilters(`value_in(name,${values(MAX_FILTER_VALUES)})`, tasks)[0]?.values).toHaveLength(1000);
    const tooMany = { kind: "InvalidArgument", message: "too many filter values: value_in and value_not_in may list at most 1000 values in all" };
    expect(failure(`value_in(name,${values(5000)})`)).toEqual(tooMany);
    // The bound is on the whole string, so bound parameters stay under both databases' limits.
    expect(failure(`value_in(name,${values(600)})+value_not_in(version,${values(600)})`)).toEqual(tooMany);
  });

  it("bounds contains and not_like patterns below SQLite's LIKE limit", () => {
    expect(parseFilters(`contains(name,${"é".repeat(10_000)})`, tasks)[0]?.values[0]).toHaveLength(10_000);
    expect(failure(`contains(name,${"x".repeat(10_001)})`).message).toBe("invalid value for filters: contains takes at most 10000 characters, got 10001");
    expect(failure(`not_like(name,${"%".repeat(50_000)})`).message).toBe("invalid value for filters: not like takes at most 10000 characters, got 50000");
  });

  it("refuses NUL in values, which PostgreSQL cannot store and SQLite can", () => {
    expect(failure("eq(name,a\u0000b)")).toEqual({ kind: "InvalidArgument", message: "invalid value for filters: 'name' values may not contain NUL characters" });
    expect(failure("value_in(name,a;\u0000)").message).toMatch(/NUL/);
  });

  it("refuses integers wider than the integer columns they are compared with", () => {
    expect(parseFilters("value_in(state,-2147483648;2147483647;007)", launchPlans)[0]?.values).toEqual([-2147483648, 2147483647, 7]);
    for (const wide of ["2147483648", "-2147483649", "9007199254740991", "99999999999999999999999"]) {
      expect(failure(`eq(state,${wide})`, launchPlans)).toEqual({
        kind: "InvalidArgument",
        message: `invalid value for filters: 'state' takes a 32-bit integer (-2147483648 to 2147483647), got '${wide}'`,
      });
    }
  });

  it("reads timestamps as Go's time.Parse(RFC3339Nano) does, refusing impossible dates", () => {
    const ok: [string, string][] = [
      ["2024-02-29T00:00:00Z", "2024-02-29T00:00:00.000Z"],
      ["2000-02-29T23:59:59Z", "2000-02-29T23:59:59.000Z"],
      ["2024-01-01T10:00:00.123456789-02:00", "2024-01-01T12:00:00.123Z"],
      ["2024-01-01T00:00:00,5Z", "2024-01-01T00:00:00.500Z"],
      ["2024-01-01T00:00:00.1234567891234Z", "2024-01-01T00:00:00.123Z"],
      ["2024-01-01T1:02:03Z", "2024-01-01T01:02:03.000Z"],
      ["2024-01-01T00:00:00+24:00", "2023-12-31T00:00:00.000Z"],
      ["2024-01-01T00:00:00-00:60", "2024-01-01T01:00:00.000Z"],
      ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000Z"],
    ];
    for (const [text, iso] of ok) expect([text, parseRfc3339(text)?.toISOString()]).toEqual([text, iso]);
    const bad = [
      "2026-02-30T00:00:00Z",
      "2023-02-29T00:00:00Z",
      "1900-02-29T00:00:00Z",
      "2024-04-31T00:00:00Z",
      "2024-13-01T00:00:00Z",
      "2024-00-01T00:00:00Z",
      "2024-01-00T00:00:00Z",
      "2024-01-01T24:00:00Z",
      "2024-01-01T00:60:00Z",
      "2024-01-01T00:00:60Z",
      "2024-01-01T00:00:00+25:00",
      "2024-01-01T00:00:00+00:61",
      "2024-01-01t00:00:00Z",
      "2024-01-01T00:00:00z",
      "2024-01-01T00:00:00",
      "2024-01-01T00:00:00+0500",
      "2024-01-01T00:00:00.Z",
      "2024-1-01T00:00:00Z",
      "2024-01-01T00:0:00Z",
      "2024-01-01T123:00:00Z",
      " 2024-01-01T00:00:00Z",
      "2024-01-01T00:00:00Z ",
    ];
    for (const text of bad) expect([text, parseRfc3339(text)]).toEqual([text, undefined]);
    expect(failure("gt(created_at,2026-02-30T00:00:00Z)").message).toBe("Timestamp 2026-02-30T00:00:00Z must conform to RFC3339 Nano spec");
  });
});
