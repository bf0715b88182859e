import { create } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExecutionClosureSchema, ExecutionSchema } from "../gen/flyteidl/admin/execution_pb.js";
import { IdentifierSchema, ResourceType } from "../gen/flyteidl/core/identifier_pb.js";
import {
  EXECUTION_COLUMNS,
  EXECUTION_LAUNCH_PLAN_COLUMNS,
  EXECUTION_TAG_COLUMNS,
  EXECUTION_TASK_COLUMNS,
  EXECUTION_WORKFLOW_COLUMNS,
} from "../src/core/entity-columns.js";
import { AdminError } from "../src/core/errors.js";
import { parseListRequest } from "../src/core/list-query.js";
import { createSqlStore } from "../src/storage/sql-store.js";
import type { Store, StoredExecution } from "../src/storage/store.js";
import { backends } from "./helpers/backends.js";

const scope = [EXECUTION_COLUMNS, EXECUTION_LAUNCH_PLAN_COLUMNS, EXECUTION_WORKFLOW_COLUMNS, EXECUTION_TASK_COLUMNS, EXECUTION_TAG_COLUMNS] as const;
const lp = (name: string) => create(IdentifierSchema, { resourceType: ResourceType.LAUNCH_PLAN, project: "p", domain: "d", name, version: "v1" });
const execution = (name: string): StoredExecution => ({
  execution: create(ExecutionSchema, { id: { project: "p", domain: "d", name }, spec: { launchPlan: lp("lp") }, closure: create(ExecutionClosureSchema, {}) }),
  launchPlan: lp("lp"),
  workflow: create(IdentifierSchema, { resourceType: ResourceType.WORKFLOW, project: "p", domain: "d", name: "wf", version: "v1" }),
  launchEntity: "launch_plan",
  inputsUri: "",
  userInputsUri: "",
  user: "",
  cluster: "",
});

const many = (n: number) => Array.from({ length: n }, (_, i) => `e${i}`).join(";");

/** Requests that used to answer differently on SQLite and PostgreSQL (or fail in the database), and their one answer now. */
const CASES: [filters: string, answer: string[] | string][] = [
  // A PostgreSQL integer column overflowed where SQLite compared happily.
  ["eq(mode,9007199254740991)", "invalid value for filters: 'mode' takes a 32-bit integer (-2147483648 to 2147483647), got '9007199254740991'"],
  ["eq(mode,2147483648)", "invalid value for filters: 'mode' takes a 32-bit integer (-2147483648 to 2147483647), got '2147483648'"],
  ["value_in(mode,-2147483648;2147483647;0)", ["e1", "e2"]],
  ["eq(mode,2147483647)", []],
  // JavaScript rolled February 30th over to March 2nd; Go's time.Parse refuses it.
  ["gt(created_at,2026-02-30T00:00:00Z)", "Timestamp 2026-02-30T00:00:00Z must conform to RFC3339 Nano spec"],
  // (A `+` always separates expressions, so offsets east of UTC cannot be written: FlyteAdmin splits the same way.)
  ["gt(created_at,2000-02-29T23:59:59.999999999-00:60)", ["e1", "e2"]],
  // PostgreSQL cannot hold NUL in text; SQLite compared it.
  ["eq(execution_name,e1\u0000)", "invalid value for filters: 'execution_name' values may not contain NUL characters"],
  ["value_in(execution_name,e2;\u0000)", "invalid value for filters: 'execution_name' values may not contain NUL characters"],
  // Many values stay within both databases' parameter limits.
  [`value_in(execution_name,${many(1000)})`, ["e1", "e2"]],
  [`value_in(execution_name,${many(1001)})`, "too many filter values: value_in and value_not_in may list at most 1000 values in all"],
  // SQLite refuses LIKE patterns past 50,000 bytes; PostgreSQL takes them.
  [`contains(execution_name,${"e".repeat(60_000)})`, "invalid value for filters: contains takes at most 10000 characters, got 60000"],
  [`contains(execution_name,${"%".repeat(9_998)}1)`, ["e1"]],
  [Array.from({ length: 101 }, () => "ne(execution_name,x)").join("+"), "too many filter expressions: 101, at most 100 are allowed"],
  // Go's whole duration range: its ends, as JavaScript numbers, would round past PostgreSQL's bigint.
  ["lt(duration,2562047h47m16.854775807s)", ["e1", "e2"]],
  ["gt(duration,-2562047h47m16.854775808s)", ["e1", "e2"]],
  ["lte(duration,9223372036.854775)", ["e1", "e2"]],
  // A float64 holds this as 9223372036.854776 seconds, past the range (Go refuses it too).
  ["lte(duration,9223372036.854775807)", "Failed to parse duration [9223372036.854775807]"],
  ["lt(duration,2562047h47m16.854775808s)", "Failed to parse duration [2562047h47m16.854775808s]"],
  ["lt(duration,9223372037)", "Failed to parse duration [9223372037]"],
  // Unstarted executions have duration 0, as in FlyteAdmin; 1e6 seconds is taken (FlyteAdmin's "%vs" makes it "1e+06s").
  ["eq(duration,0)", ["e1", "e2"]],
  ["lt(duration,1000000)", ["e1", "e2"]],
];

// One SQLite backend is enough: the file and memory ones share the dialect.
describe.each(backends.filter((b) => b.name !== "sqlite file (WAL)"))("filters answer alike on $name", ({ open }) => {
  let store: Store;
  beforeAll(async () => {
    store = createSqlStore(await open());
    for (const name of ["e1", "e2"]) await store.executions.create(execution(name), []);
  });
  afterAll(async () => store?.close());

  it.each(CASES.map(([filters, answer]) => [filters.length > 60 ? `${filters.slice(0, 60)}...` : filters, filters, answer]))("%s", async (_, filters, answer) => {
    const got = await Promise.resolve()
      .then(() => parseListRequest({ filters, limit: 100, token: "" }, { scope, op: "ListExecutions", maxPageSize: 10_000 }))
      .then((query) => store.executions.list({ project: "p", domain: "d" }, query))
      .then(
        (list) => list.map((e) => e.id?.name).sort(),
        (e: unknown) => (e instanceof AdminError ? e.message : `database: ${String(e)}`),
      );
    expect(got).toEqual(answer);
  });
});
