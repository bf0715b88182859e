import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { Sort_Direction, SortSchema } from "../../gen/flyteidl/admin/common_pb.js";
import { PROJECT_COLUMNS } from "../../src/core/entity-columns.js";
import { parseListRequest } from "../../src/core/list-query.js";
import { nextToken, parseToken } from "../../src/core/pagination.js";
import { parseSort } from "../../src/core/sorting.js";

const rules = { scope: [PROJECT_COLUMNS] as const, op: "ListTasks" };
const request = (over: Partial<{ limit: number; token: string; filters: string }> = {}) => ({
  limit: 10,
  token: "",
  filters: "",
  ...over,
});

describe("page tokens", () => {
  it("are decimal offsets with Go's Atoi rules", () => {
    expect(parseToken("")).toBe(0);
    expect(parseToken("20")).toBe(20);
    expect(parseToken("+7")).toBe(7);
    expect(parseToken("007")).toBe(7);
    expect(parseToken("9223372036854775807")).toBe(Number.MAX_SAFE_INTEGER);
    for (const bad of ["abc", " 1", "1.5", "-1", "9223372036854775808", "1_000"]) {
      expect(() => parseToken(bad, "ListTasks")).toThrow(`invalid pagination token ${bad} for ListTasks`);
    }
    expect(() => parseToken("x")).toThrow(/^invalid pagination token x$/);
  });

  it("point past a full page only", () => {
    expect(nextToken(0, 2, 2)).toBe("2");
    expect(nextToken(2, 1, 2)).toBe("");
    // ListProjects with limit 0 on an empty result keeps FlyteAdmin's "0".
    expect(nextToken(0, 0, 0)).toBe("0");
  });
});

describe("sort_by", () => {
  it("maps the direction enum, DESCENDING being the default", () => {
    expect(parseSort(undefined, PROJECT_COLUMNS)).toBeUndefined();
    expect(parseSort(create(SortSchema, { key: "name" }), PROJECT_COLUMNS)).toEqual({ column: "name", direction: "desc" });
    expect(parseSort(create(SortSchema, { key: "name", direction: Sort_Direction.ASCENDING }), PROJECT_COLUMNS)).toEqual({
      column: "name",
      direction: "asc",
    });
  });

  it("rejects unknown keys and directions", () => {
    expect(() => parseSort(create(SortSchema, { key: "bogus" }), PROJECT_COLUMNS)).toThrow("invalid sort key 'bogus'");
    expect(() => parseSort(create(SortSchema, { key: "" }), PROJECT_COLUMNS)).toThrow("invalid sort key ''");
    expect(() => parseSort(create(SortSchema, { key: "name", direction: 5 as Sort_Direction }), PROJECT_COLUMNS)).toThrow(
      'invalid sort order specified: key:"name" direction:5',
    );
  });
});

describe("list requests", () => {
  it("check the limit first, then filters, sort and token", () => {
    const everythingWrong = { ...request({ limit: 0, token: "x", filters: "bogus" }), sortBy: create(SortSchema, { key: "x" }) };
    expect(() => parseListRequest(everythingWrong, rules)).toThrow("invalid value for limit");
    expect(() => parseListRequest({ ...everythingWrong, limit: 1 }, rules)).toThrow("invalid value for filters");
    expect(() => parseListRequest({ ...everythingWrong, limit: 1, filters: "" }, rules)).toThrow("invalid sort key 'x'");
    expect(() => parseListRequest({ ...everythingWrong, limit: 1, filters: "", sortBy: undefined }, rules)).toThrow(
      "invalid pagination token x for ListTasks",
    );
  });

  it("treats limit 0 as all where the list allows it", () => {
    expect(parseListRequest(request({ limit: 0 }), { ...rules, zeroLimitMeansAll: true }).limit).toBeUndefined();
    expect(parseListRequest(request({ token: "5" }), rules)).toEqual({ filters: [], sort: undefined, limit: 10, offset: 5 });
  });
});
