import { describe, expect, it } from "vitest";
import { PROJECT_COLUMNS, type EntityColumns } from "../../src/core/entity-columns.js";
import { AdminError } from "../../src/core/errors.js";
import { parseFilters, type FilterScope } from "../../src/core/filters.js";

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
});
