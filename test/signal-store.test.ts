import { create } from "@bufbuild/protobuf";
import { afterEach, describe, expect, it } from "vitest";
import { Sort_Direction } from "../gen/flyteidl/admin/common_pb.js";
import { type Literal, LiteralSchema } from "../gen/flyteidl/core/literals_pb.js";
import { type LiteralType, LiteralTypeSchema, SimpleType } from "../gen/flyteidl/core/types_pb.js";
import { parseListRequest } from "../src/core/list-query.js";
import { SIGNAL_COLUMNS, type SignalKey } from "../src/core/signals.js";
import type { Dialect } from "../src/storage/dialect.js";
import type { SignalStore } from "../src/storage/signal-store.js";
import { createSqlSignals } from "../src/storage/sql-signals.js";
import { backends } from "./helpers/backends.js";

const simple = (s: SimpleType): LiteralType => create(LiteralTypeSchema, { type: { case: "simple", value: s } });
const BOOL = simple(SimpleType.BOOLEAN);
const INT = simple(SimpleType.INTEGER);
const bool = (b: boolean): Literal =>
  create(LiteralSchema, { value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "boolean", value: b } } } } } });

const EXEC = { project: "p", domain: "d", name: "e1" };
const key = (signalId: string, name = "e1"): SignalKey => ({ ...EXEC, name, signalId });
const query = (over: { filters?: string; limit?: number; token?: string; sort?: [string, Sort_Direction] } = {}) =>
  parseListRequest(
    {
      filters: over.filters ?? "",
      limit: over.limit ?? 100,
      token: over.token ?? "",
      sortBy: over.sort ? ({ key: over.sort[0], direction: over.sort[1] } as never) : undefined,
    },
    { scope: [SIGNAL_COLUMNS], op: "ListSignals" },
  );

describe.each(backends)("Signal store on $name", ({ open }) => {
  let d: Dialect | undefined;
  let signals: SignalStore;
  const start = async () => {
    d = await open();
    signals = createSqlSignals(d);
  };
  afterEach(async () => {
    await d?.close();
    d = undefined;
  });

  it("creates without a value, then returns the stored row (with its value) for the same type", async () => {
    await start();
    const created = await signals.getOrCreate(key("approve"), BOOL);
    expect(created.id?.signalId).toBe("approve");
    expect(created.id?.executionId).toMatchObject(EXEC);
    expect(created.type).toEqual(BOOL);
    expect(created.value).toBeUndefined();

    await signals.setValue(key("approve"), bool(true));
    const again = await signals.getOrCreate(key("approve"), BOOL);
    expect(again.value).toEqual(bool(true));
    expect((await signals.get(key("approve")))?.value).toEqual(bool(true));
  });

  it("refuses the same key with another type as a duplicate key", async () => {
    await start();
    await signals.getOrCreate(key("s"), BOOL);
    await expect(signals.getOrCreate(key("s"), INT)).rejects.toMatchObject({
      kind: "AlreadyExists",
      message: 'value with matching already exists (duplicate key value violates unique constraint "signals_pkey")',
    });
    expect((await signals.get(key("s")))?.type).toEqual(BOOL);
  });

  it("gives every concurrent creator of one signal the same row", async () => {
    await start();
    const results = await Promise.all(Array.from({ length: 10 }, () => signals.getOrCreate(key("race"), BOOL)));
    for (const r of results) expect(r).toEqual(results[0]);
    expect(await signals.list(EXEC, query())).toHaveLength(1);
  });

  it("lets exactly one type win a concurrent create race", async () => {
    await start();
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => signals.getOrCreate(key("mixed"), i % 2 ? INT : BOOL)));
    const won = (await signals.get(key("mixed")))?.type;
    for (const r of results) {
      if (r.status === "fulfilled") expect(r.value.type).toEqual(won);
      else expect((r.reason as { kind: string }).kind).toBe("AlreadyExists");
    }
    expect(results.filter((r) => r.status === "fulfilled").length).toBeGreaterThanOrEqual(1);
  });

  it("overwrites values and reports a missing signal as not found", async () => {
    await start();
    await signals.getOrCreate(key("s"), BOOL);
    await signals.setValue(key("s"), bool(true));
    await signals.setValue(key("s"), bool(false));
    expect((await signals.get(key("s")))?.value).toEqual(bool(false));
    await expect(signals.setValue(key("nope"), bool(true))).rejects.toMatchObject({ kind: "NotFound", message: "signal does not exist" });
    expect(await signals.get(key("nope"))).toBeUndefined();
  });

  it("lists one execution's signals with filters, sort and pages", async () => {
    await start();
    for (const id of ["b", "a", "c"]) await signals.getOrCreate(key(id), BOOL);
    await signals.getOrCreate(key("other", "e2"), BOOL);
    const ids = async (q: ReturnType<typeof query>) => (await signals.list(EXEC, q)).map((s) => s.id?.signalId);

    expect((await ids(query())).sort()).toEqual(["a", "b", "c"]);
    expect(await ids(query({ sort: ["signal_id", Sort_Direction.ASCENDING] }))).toEqual(["a", "b", "c"]);
    expect(await ids(query({ sort: ["signal_id", Sort_Direction.DESCENDING] }))).toEqual(["c", "b", "a"]);
    expect(await ids(query({ sort: ["signal_id", Sort_Direction.ASCENDING], limit: 2 }))).toEqual(["a", "b"]);
    expect(await ids(query({ sort: ["signal_id", Sort_Direction.ASCENDING], limit: 2, token: "2" }))).toEqual(["c"]);
    expect(await ids(query({ filters: "value_in(signal_id,a;c)", sort: ["signal_id", Sort_Direction.ASCENDING] }))).toEqual(["a", "c"]);
    expect(await ids(query({ filters: "eq(execution_name,e2)" }))).toEqual([]);
    expect(await ids(query({ filters: "gt(created_at,2000-01-01T00:00:00Z)" }))).toHaveLength(3);

    // The default order is deterministic: pages never repeat or skip a signal.
    const paged = [...(await ids(query({ limit: 2 }))), ...(await ids(query({ limit: 2, token: "2" })))];
    expect(paged.sort()).toEqual(["a", "b", "c"]);
    expect(await signals.list({ ...EXEC, name: "e2" }, query())).toHaveLength(1);
  });
});
