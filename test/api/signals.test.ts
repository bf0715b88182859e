import { create } from "@bufbuild/protobuf";
import { type Client, createClient, createRouterTransport } from "@connectrpc/connect";
import { beforeEach, describe, expect, it } from "vitest";
import { Sort_Direction } from "../../gen/flyteidl/admin/common_pb.js";
import type { SignalIdentifier } from "../../gen/flyteidl/core/identifier_pb.js";
import { type Literal, LiteralSchema } from "../../gen/flyteidl/core/literals_pb.js";
import { type LiteralType, LiteralTypeSchema, SimpleType } from "../../gen/flyteidl/core/types_pb.js";
import { SignalService } from "../../gen/flyteidl/service/signal_pb.js";
import { signalService } from "../../src/api/signals.js";
import { UNKNOWN_VALUE_TYPE_MESSAGE } from "../../src/core/signals.js";
import { createLogger } from "../../src/logger.js";
import { createObservingInterceptor } from "../../src/server/interceptors.js";
import { openSqlite } from "../../src/storage/sqlite.js";
import { createSqlSignals } from "../../src/storage/sql-signals.js";
import { failure } from "../helpers/rpc-failure.js";

const simple = (s: SimpleType): LiteralType => create(LiteralTypeSchema, { type: { case: "simple", value: s } });
const BOOL = simple(SimpleType.BOOLEAN);
const INT = simple(SimpleType.INTEGER);
const STR = simple(SimpleType.STRING);
const listOf = (t: LiteralType) => create(LiteralTypeSchema, { type: { case: "collectionType", value: t } });
const unionOf = (...variants: LiteralType[]) => create(LiteralTypeSchema, { type: { case: "unionType", value: { variants } } });

const primitive = (value: { case: "boolean"; value: boolean } | { case: "integer"; value: bigint }): Literal =>
  create(LiteralSchema, { value: { case: "scalar", value: { value: { case: "primitive", value: { value } } } } });
const bool = (b: boolean) => primitive({ case: "boolean", value: b });
const int = (n: number) => primitive({ case: "integer", value: BigInt(n) });
const list = (...literals: Literal[]) => create(LiteralSchema, { value: { case: "collection", value: { literals } } });

const EXEC = { project: "p", domain: "d", name: "e1" };
const sid = (signalId: string, executionId: Partial<typeof EXEC> | null = EXEC) =>
  ({ signalId, ...(executionId ? { executionId } : {}) }) as SignalIdentifier;

describe("SignalService", () => {
  let client: Client<typeof SignalService>;
  beforeEach(() => {
    const signals = createSqlSignals(openSqlite(":memory:"));
    // The observing interceptor is what maps AdminErrors to their gRPC codes in the real server.
    const transport = createRouterTransport((router) => router.service(SignalService, signalService({ signals })), {
      router: { interceptors: [createObservingInterceptor(createLogger("silent"))] },
    });
    client = createClient(SignalService, transport);
  });

  describe("GetOrCreateSignal", () => {
    it.each([
      ["no id", {}, "missing id"],
      ["no execution id", { id: sid("s", null), type: BOOL }, "missing execution_id"],
      ["execution id checked before signal id", { id: sid("", null), type: BOOL }, "missing execution_id"],
      ["no signal id", { id: sid(""), type: BOOL }, "missing signal_id"],
      ["no project", { id: sid("s", { ...EXEC, project: "" }), type: BOOL }, "missing project"],
      ["no domain", { id: sid("s", { ...EXEC, domain: "" }), type: BOOL }, "missing domain"],
      ["no name", { id: sid("s", { ...EXEC, name: "" }) }, "missing name"],
      ["no type", { id: sid("s") }, "missing type"],
    ])("rejects %s", async (_, req, message) => {
      expect(await failure(client.getOrCreateSignal(req))).toEqual({ code: "InvalidArgument", message });
    });

    it("creates a signal without a value, for an execution that need not exist", async () => {
      const res = await client.getOrCreateSignal({ id: { signalId: "approve", executionId: { ...EXEC, org: "o" } }, type: BOOL });
      // The id is rebuilt from the stored key, which has no org.
      expect(res.id).toMatchObject({ signalId: "approve", executionId: { ...EXEC, org: "" } });
      expect(res.type).toEqual(BOOL);
      expect(res.value).toBeUndefined();
    });

    it("returns the existing signal with its value, and refuses another type", async () => {
      await client.getOrCreateSignal({ id: sid("s"), type: BOOL });
      await client.setSignal({ id: sid("s"), value: bool(true) });
      expect((await client.getOrCreateSignal({ id: sid("s"), type: BOOL })).value).toEqual(bool(true));
      expect(await failure(client.getOrCreateSignal({ id: sid("s"), type: INT }))).toEqual({
        code: "AlreadyExists",
        message: 'value with matching already exists (duplicate key value violates unique constraint "signals_pkey")',
      });
    });
  });

  describe("SetSignal", () => {
    it.each([
      ["no id", {}, "missing id"],
      ["no execution id", { id: sid("s", null), value: bool(true) }, "missing execution_id"],
      ["no signal id", { id: sid(""), value: bool(true) }, "missing signal_id"],
      ["no project", { id: sid("s", { ...EXEC, project: "" }), value: bool(true) }, "missing project"],
      ["no domain", { id: sid("s", { ...EXEC, domain: "" }), value: bool(true) }, "missing domain"],
      ["no name", { id: sid("s", { ...EXEC, name: "" }) }, "missing name"],
      ["no value", { id: sid("s") }, "missing value"],
    ])("rejects %s", async (_, req, message) => {
      expect(await failure(client.setSignal(req))).toEqual({ code: "InvalidArgument", message });
    });

    it("reports a missing signal as INVALID_ARGUMENT with Go's key text", async () => {
      expect(await failure(client.setSignal({ id: sid("nope"), value: bool(true) }))).toEqual({
        code: "InvalidArgument",
        message: "failed to validate that signal [{{p d e1} nope}] exists, err: [signal does not exist]",
      });
    });

    it("sets and overwrites a value", async () => {
      await client.getOrCreateSignal({ id: sid("s"), type: BOOL });
      expect(await client.setSignal({ id: sid("s"), value: bool(true) })).toMatchObject({});
      await client.setSignal({ id: sid("s"), value: bool(false) });
      expect((await client.getOrCreateSignal({ id: sid("s"), type: BOOL })).value).toEqual(bool(false));
    });

    it("refuses a value of another type, printing the stored type as raw bytes", async () => {
      await client.getOrCreateSignal({ id: sid("s"), type: BOOL });
      expect(await failure(client.setSignal({ id: sid("s"), value: int(1) }))).toEqual({
        code: "InvalidArgument",
        message: "requested signal value [scalar:{primitive:{integer:1}}] is not castable to existing signal type [[8 4]]",
      });
    });

    it("refuses a value whose type cannot be inferred", async () => {
      await client.getOrCreateSignal({ id: sid("s"), type: BOOL });
      expect(await failure(client.setSignal({ id: sid("s"), value: create(LiteralSchema) }))).toEqual({
        code: "InvalidArgument",
        message: UNKNOWN_VALUE_TYPE_MESSAGE,
      });
    });

    it("checks castability from the signal's type to the value's (the reverse of inputs)", async () => {
      await client.getOrCreateSignal({ id: sid("ints"), type: listOf(INT) });
      await client.setSignal({ id: sid("ints"), value: list(int(1), int(2)) });
      // An empty list infers list<none>, which would fit list<int> as an input, but not the other way round.
      expect(await failure(client.setSignal({ id: sid("ints"), value: list() }))).toEqual({
        code: "InvalidArgument",
        message: "requested signal value [collection:{}] is not castable to existing signal type [[26 2 8 1]]",
      });
      // Likewise an int value does not satisfy a union-typed signal (a union is not castable to int).
      await client.getOrCreateSignal({ id: sid("either"), type: unionOf(INT, STR) });
      expect((await failure(client.setSignal({ id: sid("either"), value: int(1) }))).message).toMatch(
        /^requested signal value \[scalar:\{primitive:\{integer:1\}\}\] is not castable to existing signal type \[\[/,
      );
    });
  });

  describe("ListSignals", () => {
    const sorted = (key: string, direction = Sort_Direction.ASCENDING) => ({ key, direction });
    beforeEach(async () => {
      for (const s of ["a", "b", "c"]) await client.getOrCreateSignal({ id: sid(s), type: BOOL });
      await client.getOrCreateSignal({ id: sid("x", { ...EXEC, name: "e2" }), type: BOOL });
    });

    it.each([
      ["no execution id", {}, "missing execution_id"],
      ["an incomplete execution id", { workflowExecutionId: { ...EXEC, name: "" }, limit: 1 }, "missing execution_id"],
      ["limit 0", { workflowExecutionId: EXEC }, "invalid value for limit"],
      ["a malformed filter", { workflowExecutionId: EXEC, limit: 1, filters: "signal_id=a" }, "invalid value for filters"],
      ["an unknown filter function", { workflowExecutionId: EXEC, limit: 1, filters: "is(signal_id,a)" }, "unrecognized filter function: is"],
      ["an unprefixed key field", { workflowExecutionId: EXEC, limit: 1, filters: "eq(project,p)" }, "'s.project' is invalid filter"],
      ["another entity", { workflowExecutionId: EXEC, limit: 1, filters: "eq(execution.phase,x)" }, "'e' entity is not allowed in filters"],
      ["a bad sort key", { workflowExecutionId: EXEC, limit: 1, sortBy: sorted("type") }, "invalid sort key 'type'"],
      ["a bad token", { workflowExecutionId: EXEC, limit: 1, token: "x" }, "invalid pagination token x for ListSignals"],
      ["a negative token", { workflowExecutionId: EXEC, limit: 1, token: "-1" }, "invalid pagination token -1 for ListSignals"],
    ])("rejects %s", async (_, req, message) => {
      expect(await failure(client.listSignals(req))).toEqual({ code: "InvalidArgument", message });
    });

    it("lists one execution's signals page by page", async () => {
      const page = (token: string) => client.listSignals({ workflowExecutionId: EXEC, limit: 2, token, sortBy: sorted("signal_id") });
      const first = await page("");
      expect(first.signals.map((s) => s.id?.signalId)).toEqual(["a", "b"]);
      expect(first.token).toBe("2");
      const second = await page(first.token);
      expect(second.signals.map((s) => s.id?.signalId)).toEqual(["c"]);
      expect(second.token).toBe("");
      // A full last page still hands out a token, leading to one empty page (FlyteAdmin's rule).
      const exact = await client.listSignals({ workflowExecutionId: EXEC, limit: 3 });
      expect(exact.token).toBe("3");
      expect(await client.listSignals({ workflowExecutionId: EXEC, limit: 3, token: "3" })).toMatchObject({ signals: [], token: "" });
    });

    it("filters and sorts on signal columns and returns values", async () => {
      await client.setSignal({ id: sid("b"), value: bool(true) });
      const res = await client.listSignals({
        workflowExecutionId: EXEC,
        limit: 10,
        filters: "value_in(signal.signal_id,a;b)+gte(created_at,2000-01-01T00:00:00Z)",
        sortBy: sorted("signal_id", Sort_Direction.DESCENDING),
      });
      expect(res.signals.map((s) => s.id?.signalId)).toEqual(["b", "a"]);
      expect(res.signals[0]?.value).toEqual(bool(true));
      expect(res.signals[0]?.type).toEqual(BOOL);
      expect(res.signals[1]?.value).toBeUndefined();
      const other = await client.listSignals({ workflowExecutionId: { ...EXEC, name: "e2" }, limit: 10 });
      expect(other.signals.map((s) => s.id?.signalId)).toEqual(["x"]);
      // Request filters narrow the execution's list; they cannot widen it to another execution.
      expect((await client.listSignals({ workflowExecutionId: EXEC, limit: 10, filters: "eq(execution_name,e2)" })).signals).toEqual([]);
    });
  });
});
