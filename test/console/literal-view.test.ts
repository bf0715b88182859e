import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { literalMapView, literalView } from "../../console/src/lib/literal-view.js";
import { type Literal, LiteralMapSchema, LiteralSchema } from "../../gen/flyteidl/core/literals_pb.js";
import { BlobType_BlobDimensionality, LiteralTypeSchema, SimpleType } from "../../gen/flyteidl/core/types_pb.js";
import { encodeMsgpack } from "../../src/engine/local/msgpack-value.js";

const scalar = (value: object): Literal => create(LiteralSchema, { value: { case: "scalar", value: { value } as never } });
const prim = (value: object) => scalar({ case: "primitive", value: { value } });

describe("literal view", () => {
  it("shows primitives as flytekit's users typed them", () => {
    expect(literalView(prim({ case: "integer", value: 9007199254740993n }))).toEqual({ kind: "value", type: "int", text: "9007199254740993" });
    expect(literalView(prim({ case: "floatValue", value: 1 }))).toMatchObject({ type: "float", text: "1.0" });
    expect(literalView(prim({ case: "floatValue", value: 0.25 }))).toMatchObject({ text: "0.25" });
    expect(literalView(prim({ case: "floatValue", value: NaN }))).toMatchObject({ text: "nan" });
    expect(literalView(prim({ case: "floatValue", value: -Infinity }))).toMatchObject({ text: "-inf" });
    expect(literalView(prim({ case: "stringValue", value: "héllo" }))).toMatchObject({ type: "str", text: "héllo" });
    expect(literalView(prim({ case: "boolean", value: false }))).toMatchObject({ type: "bool", text: "false" });
  });

  it("keeps a datetime's microseconds and formats durations", () => {
    const dt = prim({ case: "datetime", value: { seconds: 1_700_000_000n, nanos: 123_456_000 } });
    expect(literalView(dt)).toMatchObject({ type: "datetime", text: "2023-11-14T22:13:20.123456Z" });
    expect(literalView(prim({ case: "datetime", value: { seconds: 0n, nanos: 0 } }))).toMatchObject({ text: "1970-01-01T00:00:00Z" });
    // Past JavaScript's date range the raw value is shown rather than an invalid date.
    expect(literalView(prim({ case: "datetime", value: { seconds: 10n ** 15n, nanos: 0 } })).kind).toBe("value");
    expect(literalView(prim({ case: "duration", value: { seconds: 3723n, nanos: 500_000_000 } }))).toMatchObject({ type: "duration", text: "1h 2m 3s" });
    expect(literalView(prim({ case: "duration", value: { seconds: 90n, nanos: 0 } }))).toMatchObject({ text: "1m 30s" });
    expect(literalView(prim({ case: "duration", value: { seconds: 0n, nanos: 500 } }))).toMatchObject({ text: "500ns" });
  });

  it("shows None, files, directories, schemas and structured datasets", () => {
    expect(literalView(scalar({ case: "noneType", value: {} }))).toEqual({ kind: "value", type: "none", text: "None" });
    const file = scalar({ case: "blob", value: { uri: "s3://b/f.csv", metadata: { type: { format: "csv", dimensionality: BlobType_BlobDimensionality.SINGLE } } } });
    expect(literalView(file)).toEqual({ kind: "link", type: "file", uri: "s3://b/f.csv", detail: "csv" });
    const dir = scalar({ case: "blob", value: { uri: "s3://b/d", metadata: { type: { dimensionality: BlobType_BlobDimensionality.MULTIPART } } } });
    expect(literalView(dir)).toMatchObject({ kind: "link", type: "directory", uri: "s3://b/d" });
    const sd = scalar({
      case: "structuredDataset",
      value: { uri: "s3://b/sd", metadata: { structuredDatasetType: { format: "parquet", columns: [{ name: "a" }, { name: "b" }] } } },
    });
    expect(literalView(sd)).toEqual({ kind: "link", type: "structured dataset", uri: "s3://b/sd", detail: "parquet, columns: a, b" });
    expect(literalView(scalar({ case: "schema", value: { uri: "s3://b/s" } }))).toMatchObject({ kind: "link", type: "schema" });
  });

  it("shows unions with their variant, errors, and JSON structs", () => {
    const union = scalar({
      case: "union",
      value: { value: prim({ case: "integer", value: 3n }), type: create(LiteralTypeSchema, { type: { case: "simple", value: SimpleType.INTEGER }, structure: { tag: "int" } }) },
    });
    expect(literalView(union)).toEqual({ kind: "union", variant: "int", value: { kind: "value", type: "int", text: "3" } });
    expect(literalView(scalar({ case: "error", value: { failedNodeId: "n1", message: "boom" } }))).toEqual({ kind: "error", nodeId: "n1", message: "boom" });
    const generic = scalar({ case: "generic", value: { a: 1, b: ["x", null] } });
    const v = literalView(generic);
    expect(v.kind).toBe("json");
    expect(JSON.parse((v as { text: string }).text)).toEqual({ a: 1, b: ["x", null] });
  });

  it("decodes flytekit's MessagePack binaries and previews other bytes", () => {
    const packed = encodeMsgpack({ name: "x", values: [1, 2.5], nested: { ok: true } });
    const v = literalView(scalar({ case: "binary", value: { tag: "msgpack", value: packed } }));
    expect(v).toMatchObject({ kind: "json", type: "msgpack" });
    expect(JSON.parse((v as { text: string }).text)).toEqual({ name: "x", values: [1, 2.5], nested: { ok: true } });
    const raw = literalView(scalar({ case: "binary", value: { tag: "pickle", value: new Uint8Array([0x80, 4, 0x95]) } }));
    expect(raw).toEqual({ kind: "bytes", tag: "pickle", size: 3, preview: "80 04 95" });
    // A msgpack tag over bytes that are not MessagePack falls back to the preview instead of failing.
    expect(literalView(scalar({ case: "binary", value: { tag: "msgpack", value: new Uint8Array([0xc1]) } })).kind).toBe("bytes");
  });

  it("shows lists and maps, and offloaded literals as links", () => {
    const list = create(LiteralSchema, { value: { case: "collection", value: { literals: [prim({ case: "integer", value: 1n }), prim({ case: "integer", value: 2n })] } } });
    expect(literalView(list)).toMatchObject({ kind: "list", omitted: 0, items: [{ text: "1" }, { text: "2" }] });
    const map = create(LiteralSchema, { value: { case: "map", value: { literals: { b: prim({ case: "boolean", value: true }), a: prim({ case: "stringValue", value: "s" }) } } } });
    expect(literalView(map)).toMatchObject({ kind: "map", entries: [{ key: "a" }, { key: "b" }] });
    const off = create(LiteralSchema, { value: { case: "offloadedMetadata", value: { uri: "s3://b/o", sizeBytes: 2048n } } });
    expect(literalView(off)).toMatchObject({ kind: "link", type: "offloaded literal", uri: "s3://b/o", detail: "2.0 KB" });
    expect(literalView(create(LiteralSchema, {}))).toMatchObject({ kind: "value", type: "empty" });
  });

  it("bounds depth, items, text and the whole map", () => {
    let deep = prim({ case: "integer", value: 1n });
    for (let i = 0; i < 50; i++) deep = create(LiteralSchema, { value: { case: "collection", value: { literals: [deep] } } });
    let v = literalView(deep, { maxDepth: 5 });
    for (let i = 0; i < 5; i++) v = (v as { items: typeof v[] }).items[0]!;
    expect(v).toEqual({ kind: "cut", reason: "nested too deeply to show" });

    const many = create(LiteralSchema, { value: { case: "collection", value: { literals: Array.from({ length: 250 }, (_, i) => prim({ case: "integer", value: BigInt(i) })) } } });
    expect(literalView(many, { maxItems: 100 })).toMatchObject({ kind: "list", omitted: 150 });
    expect((literalView(prim({ case: "stringValue", value: "x".repeat(50) }), { maxText: 10 }) as { text: string }).text).toBe(`${"x".repeat(10)}… (40 more characters)`);

    const big = create(LiteralMapSchema, { literals: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${String(i).padStart(2, "0")}`, many])) });
    const entries = literalMapView(big, { maxNodes: 300 });
    expect(entries).toHaveLength(20);
    expect(entries.at(-1)!.value).toEqual({ kind: "cut", reason: "too many values to show" });
  });

});
