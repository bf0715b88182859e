import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  BindingDataSchema,
  BindingSchema,
  LiteralMapSchema,
  LiteralSchema,
  type Binding,
  type Literal,
  type LiteralMap,
  type PrimitiveSchema,
} from "../../../gen/flyteidl/core/literals_pb.js";
import { BindingResolutionError, resolveBindings, type OutputReader } from "../../../src/engine/local/resolve.js";
import { decodeMsgpack, encodeMsgpack, MsgpackFloat } from "../../../src/engine/local/msgpack-value.js";

type DataInit = MessageInitShape<typeof BindingDataSchema>;
type AttrInit = { value: { case: "stringValue"; value: string } | { case: "intValue"; value: number } };

const lit = (init: MessageInitShape<typeof LiteralSchema>): Literal => create(LiteralSchema, init);
const prim = (value: MessageInitShape<typeof PrimitiveSchema>["value"]): Literal =>
  lit({ value: { case: "scalar", value: { value: { case: "primitive", value: { value } } } } });
const int = (v: bigint) => prim({ case: "integer", value: v });
const str = (v: string) => prim({ case: "stringValue", value: v });
const float = (v: number) => prim({ case: "floatValue", value: v });
const collection = (...literals: Literal[]) => lit({ value: { case: "collection", value: { literals } } });
const map = (literals: Record<string, Literal>) => lit({ value: { case: "map", value: { literals } } });
const msgpackLit = (v: unknown) => lit({ value: { case: "scalar", value: { value: { case: "binary", value: { value: encodeMsgpack(v), tag: "msgpack" } } } } });
const generic = (v: Record<string, unknown>) => lit({ value: { case: "scalar", value: { value: { case: "generic", value: v as never } } } });
const outputs = (literals: Record<string, Literal>): LiteralMap => create(LiteralMapSchema, { literals });

const scalarData = (v: bigint): DataInit => ({ value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "integer", value: v } } } } } });
const promiseData = (nodeId: string, varName: string, attrPath: AttrInit[] = []): DataInit => ({ value: { case: "promise", value: { nodeId, var: varName, attrPath } } });
const key = (value: string): AttrInit => ({ value: { case: "stringValue", value } });
const idx = (value: number): AttrInit => ({ value: { case: "intValue", value } });
const bind = (v: string, data?: DataInit): Binding => create(BindingSchema, { var: v, binding: data });

function reader(byNode: Record<string, LiteralMap | undefined>): OutputReader & { calls: string[] } {
  const calls: string[] = [];
  const fn = async (nodeId: string) => {
    calls.push(nodeId);
    return byNode[nodeId];
  };
  return Object.assign(fn, { calls });
}

async function failure(p: Promise<unknown>): Promise<BindingResolutionError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(BindingResolutionError);
    return err as BindingResolutionError;
  }
  throw new Error("expected a BindingResolutionError");
}

describe("resolveBindings: binding kinds", () => {
  it("resolves no bindings to an empty map", async () => {
    const out = await resolveBindings([], reader({}));
    expect(out.literals).toEqual({});
  });

  it("resolves scalars, collections (order kept) and maps", async () => {
    const out = await resolveBindings(
      [
        bind("a", scalarData(1n)),
        bind("l", { value: { case: "collection", value: { bindings: [scalarData(3n), scalarData(1n), scalarData(2n)] } } }),
        bind("m", { value: { case: "map", value: { bindings: { x: scalarData(7n), y: { value: { case: "collection", value: { bindings: [] } } } } } } }),
      ],
      reader({}),
    );
    expect(out.literals.a).toEqual(int(1n));
    expect(out.literals.l).toEqual(collection(int(3n), int(1n), int(2n)));
    expect(out.literals.m).toEqual(map({ x: int(7n), y: collection() }));
  });

  it("resolves promises, nested in collections and maps, reading each node once", async () => {
    const read = reader({ n0: outputs({ o0: int(5n), o1: str("s") }), "start-node": outputs({ x: float(1.5) }) });
    const out = await resolveBindings(
      [
        bind("a", promiseData("n0", "o0")),
        bind("b", { value: { case: "collection", value: { bindings: [promiseData("n0", "o1"), promiseData("n0", "o0")] } } }),
        bind("c", { value: { case: "map", value: { bindings: { k: promiseData("start-node", "x") } } } }),
        bind("d", promiseData("", "x")),
      ],
      read,
    );
    expect(out.literals.a).toEqual(int(5n));
    expect(out.literals.b).toEqual(collection(str("s"), int(5n)));
    expect(out.literals.c).toEqual(map({ k: float(1.5) }));
    expect(out.literals.d).toEqual(float(1.5));
    expect(read.calls.sort()).toEqual(["n0", "start-node"]);
  });

  it("keeps the last binding of a repeated variable", async () => {
    const out = await resolveBindings([bind("a", scalarData(1n)), bind("a", scalarData(2n))], reader({}));
    expect(out.literals).toEqual({ a: int(2n) });
  });

  it("takes element i of a collection for legacy `[i].name` vars", async () => {
    const read = reader({ n1: outputs({ array: collection(int(10n), int(11n), int(12n)) }) });
    const out = await resolveBindings([bind("x", promiseData("n1", "[2].array"))], read);
    expect(out.literals.x).toEqual(int(12n));
    const outOfRange = await failure(resolveBindings([bind("x", promiseData("n1", "[3].array"))], read));
    expect(outOfRange.message).toContain("OutputsNotFoundError: Failed to find [n1[3].array]");
    const missing = await failure(resolveBindings([bind("x", promiseData("n1", "[0].other"))], read));
    expect(missing.message).toContain("BadSpecificationError");
    const notList = await failure(resolveBindings([bind("x", promiseData("n2", "[0].o0"))], reader({ n2: outputs({ o0: int(1n) }) })));
    expect(notList.message).toContain("is of type [scalar]. LiteralCollection is expected.");
  });

  it("applies output aliases", async () => {
    const out = await resolveBindings([bind("x", promiseData("n0", "alias"))], reader({ n0: outputs({ o0: int(3n) }) }), {
      aliasesOf: (id) => (id === "n0" ? { alias: "o0" } : undefined),
    });
    expect(out.literals.x).toEqual(int(3n));
  });

  it("passes offloaded binding data on and resolves an empty binding to an empty literal", async () => {
    const out = await resolveBindings([bind("o", { value: { case: "offloadedMetadata", value: { uri: "s3://x/lit.pb" } } }), bind("e"), bind("f", {})], reader({}));
    expect(out.literals.o).toEqual(lit({ value: { case: "offloadedMetadata", value: { uri: "s3://x/lit.pb" } } }));
    expect(out.literals.e).toEqual(lit({}));
    expect(out.literals.f).toEqual(lit({}));
  });
});

describe("resolveBindings: errors", () => {
  it("names the node and the variable when outputs are missing, empty or lack the var", async () => {
    const missingFile = await failure(resolveBindings([bind("x", promiseData("n0", "o0"))], reader({}), { nodeId: "n1" }));
    expect(missingFile.message).toMatch(/^failed at Node\[n1\]\. BindingResolutionError: Error binding Var \[wf\]\.\[x\], caused by: failed at Node\[n0\]\. OutputsNotFoundError: .*\[n0\]\.\[o0\]/);
    const empty = await failure(resolveBindings([bind("x", promiseData("n0", "o0"))], reader({ n0: outputs({}) })));
    expect(empty.message).toContain("OutputsNotFoundError");
    expect(empty.message).toContain("[n0].[o0]");
    const noKey = await failure(resolveBindings([bind("x", promiseData("n0", "o1"))], reader({ n0: outputs({ o0: int(1n) }) })));
    expect(noKey.message).toContain("OutputsNotFoundError: Failed to find [n0].[o1]");
  });
  it("wraps a failing reader", async () => {
    const err = await failure(resolveBindings([bind("x", promiseData("n0", "o0"))], async () => Promise.reject(new Error("disk on fire"))));
    expect(err.message).toContain("CausedByError");
    expect(err.message).toContain("disk on fire");
  });
  it("refuses malformed var names", async () => {
    const err = await failure(resolveBindings([bind("x", promiseData("n0", "a.b"))], reader({ n0: outputs({ a: int(1n) }) })));
    expect(err.message).toContain("unexpected number of matches [2]");
    expect((await failure(resolveBindings([bind("x", promiseData("n0", ""))], reader({})))).message).toContain("unexpected number of matches [0]");
  });
  it("bounds binding nesting", async () => {
    let data: DataInit = scalarData(1n);
    for (let i = 0; i < 300; i++) data = { value: { case: "collection", value: { bindings: [data] } } };
    const err = await failure(resolveBindings([bind("x", data)], reader({})));
    expect(err.message).toContain("nested deeper than 256");
  });
});

describe("resolveBindings: attribute paths", () => {
  const dataclass = { a: 1, b: "two", c: new MsgpackFloat(3), d: [1, 2, 3], e: { inner: [{ x: true }] }, n: null, big: 2n ** 64n - 1n, bytes: new Uint8Array([1, 2]) };
  const read = reader({
    n0: outputs({
      o0: msgpackLit(dataclass),
      lits: map({ k: collection(int(1n), msgpackLit({ deep: "yes" })), plain: int(4n) }),
      st: generic({ a: 1, s: "x", l: [1, "y", { z: null }], o: { p: true }, n: null }),
    }),
  });
  const resolve = async (varName: string, path: AttrInit[]) => (await resolveBindings([bind("v", promiseData("n0", varName, path))], read)).literals.v!;

  it("turns primitives inside msgpack into primitive literals", async () => {
    expect(await resolve("o0", [key("a")])).toEqual(int(1n));
    expect(await resolve("o0", [key("b")])).toEqual(str("two"));
    expect(await resolve("o0", [key("c")])).toEqual(float(3));
    expect(await resolve("o0", [key("d"), idx(2)])).toEqual(int(3n));
    expect(await resolve("o0", [key("e"), key("inner"), idx(0), key("x")])).toEqual(prim({ case: "boolean", value: true }));
  });
  it("turns lists into collections of msgpack binaries and anything else into msgpack binary", async () => {
    const list = await resolve("o0", [key("d")]);
    expect(list).toEqual(collection(msgpackLit(1), msgpackLit(2), msgpackLit(3)));
    const obj = await resolve("o0", [key("e")]);
    expect(obj.value.case).toBe("scalar");
    const bin = obj.value.case === "scalar" && obj.value.value.value.case === "binary" ? obj.value.value.value.value : undefined;
    expect(bin?.tag).toBe("msgpack");
    expect(bin?.value).toEqual(encodeMsgpack({ inner: [{ x: true }] }));
    expect(await resolve("o0", [key("n")])).toEqual(msgpackLit(null));
    expect(await resolve("o0", [key("bytes")])).toEqual(msgpackLit(new Uint8Array([1, 2])));
  });
  it("walks literal maps and collections first, then into msgpack", async () => {
    expect(await resolve("lits", [key("k"), idx(0)])).toEqual(int(1n));
    expect(await resolve("lits", [key("k"), idx(1), key("deep")])).toEqual(str("yes"));
    // a msgpack binary reached with the path used up is still normalised: here it stays a map
    const m = await resolve("lits", [key("k"), idx(1)]);
    expect(m.value.case === "scalar" && m.value.value.value.case === "binary" && decodeMsgpack(m.value.value.value.value.value).kind).toBe("map");
  });
  it("walks Struct values: objects stay Structs, lists become collections, numbers floats", async () => {
    expect(await resolve("st", [key("a")])).toEqual(float(1));
    expect(await resolve("st", [key("s")])).toEqual(str("x"));
    expect(await resolve("st", [key("l")])).toEqual(collection(float(1), str("y"), generic({ z: null })));
    expect(await resolve("st", [key("o")])).toEqual(generic({ p: true }));
    expect(await resolve("st", [key("l"), idx(2), key("z")])).toEqual(lit({ value: { case: "scalar", value: { value: { case: "noneType", value: {} } } } }));
  });
  it("reads offloaded literals met on the way", async () => {
    const offloaded = lit({ value: { case: "offloadedMetadata", value: { uri: "file:///big.pb" } } });
    const r = reader({ n0: outputs({ big: offloaded }) });
    const out = await resolveBindings([bind("v", promiseData("n0", "big", [key("a")]))], r, {
      readOffloaded: async (uri) => (uri === "file:///big.pb" ? map({ a: int(9n) }) : lit({})),
    });
    expect(out.literals.v).toEqual(int(9n));
    const noReader = await failure(resolveBindings([bind("v", promiseData("n0", "big", [key("a")]))], r));
    expect(noReader.message).toContain("PromiseAttributeResolveError: failed to read offloaded metadata for promise");
  });
  it("fails with PromiseAttributeResolveError on bad paths", async () => {
    const cases: Array<[string, AttrInit[], RegExp]> = [
      ["o0", [key("zzz")], /key \[zzz\] does not exist/],
      ["o0", [key("d"), idx(3)], /index \[3\] is out of range/],
      ["o0", [key("d"), idx(-1)], /index \[-1\] is out of range/],
      ["o0", [key("a"), key("x")], /unexpected type \[int\]/],
      ["o0", [idx(0)], /a key name is needed/],
      ["o0", [key("d"), key("x")], /an index is needed/],
      ["lits", [key("nope")], /key \[nope\] does not exist/],
      ["lits", [key("k"), idx(5)], /index \[5\] is out of range/],
      ["lits", [key("plain"), key("x")], /cannot be applied to a primitive literal/],
      ["st", [key("q")], /key \[q\] does not exist/],
      ["st", [key("s"), key("x")], /unexpected type \[string\]/],
    ];
    for (const [v, path, re] of cases) {
      const err = await failure(resolveBindings([bind("v", promiseData("n0", v, path))], read));
      expect(err.message).toContain("PromiseAttributeResolveError");
      expect(err.message).toMatch(re);
    }
    const tooBig = await failure(resolveBindings([bind("v", promiseData("n0", "o0", [key("big")]))], read));
    expect(tooBig.message).toContain("InvalidPrimitiveType: uint64 value is too large to be converted to int64");
  });
  it("refuses binaries that are not msgpack and corrupt msgpack", async () => {
    const r = reader({
      n0: outputs({
        js: lit({ value: { case: "scalar", value: { value: { case: "binary", value: { value: new Uint8Array([1]), tag: "json" } } } } }),
        bad: lit({ value: { case: "scalar", value: { value: { case: "binary", value: { value: new Uint8Array([0x92, 0x01]), tag: "msgpack" } } } } }),
      }),
    });
    expect((await failure(resolveBindings([bind("v", promiseData("n0", "js", [key("a")]))], r))).message).toContain("Unsupported format 'json'");
    expect((await failure(resolveBindings([bind("v", promiseData("n0", "bad", [idx(0)]))], r))).message).toContain("end of data");
  });
});
