import { create, fromBinary } from "@bufbuild/protobuf";
import { DurationSchema, TimestampSchema } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { PrimitiveSchema, type Primitive } from "../../../gen/flyteidl/core/literals_pb.js";
import { SimpleType } from "../../../gen/flyteidl/core/types_pb.js";
import { formatGoFloatFixed, goJson, goYaml, primitiveText, structNative, type NativeValue } from "../../../src/engine/local/process/copilot-format.js";
import { blobLiteral, simpleLiteral } from "../../../src/engine/local/process/copilot-literals.js";
import { parseGoBool, parseGoDuration, parseGoFloat, parseGoInt, parseRfc3339 } from "../../../src/engine/local/process/copilot-parse.js";

const bytes = (s: string) => new TextEncoder().encode(s);
const prim = (value: Primitive["value"]) => create(PrimitiveSchema, { value });

describe("Go parsers (strconv, time) as copilot applies them to output files", () => {
  it("ParseInt: sign, decimal digits only, int64 range", () => {
    expect(parseGoInt("42")).toBe(42n);
    expect(parseGoInt("-0")).toBe(0n);
    expect(parseGoInt("+7")).toBe(7n);
    expect(parseGoInt("9223372036854775807")).toBe(9223372036854775807n);
    expect(parseGoInt("-9223372036854775808")).toBe(-9223372036854775808n);
    expect(() => parseGoInt("9223372036854775808")).toThrow('strconv.ParseInt: parsing "9223372036854775808": value out of range');
    for (const bad of ["", "1.0", "0x10", "1_000", " 1", "1e3", "--1"]) {
      expect(() => parseGoInt(bad), bad).toThrow("invalid syntax");
    }
  });

  it("ParseFloat: decimal, exponent, hex, inf/nan spellings; overflow refused", () => {
    expect(parseGoFloat("1.5")).toBe(1.5);
    expect(parseGoFloat(".5")).toBe(0.5);
    expect(parseGoFloat("5.")).toBe(5);
    expect(parseGoFloat("-2e-3")).toBe(-0.002);
    expect(parseGoFloat("1E6")).toBe(1e6);
    expect(parseGoFloat("0x1p-2")).toBe(0.25);
    expect(parseGoFloat("0x1.8p1")).toBe(3);
    expect(parseGoFloat("-0X_1FFFP-16")).toBe(-0x1fff / 65536);
    expect(parseGoFloat("inf")).toBe(Infinity);
    expect(parseGoFloat("-Infinity")).toBe(-Infinity);
    expect(parseGoFloat("+INF")).toBe(Infinity);
    expect(Number.isNaN(parseGoFloat("NaN"))).toBe(true);
    expect(Object.is(parseGoFloat("-0"), -0)).toBe(true);
    expect(() => parseGoFloat("1e400")).toThrow("value out of range");
    for (const bad of ["", ".", "e5", "1e", "0x1", "0x1.8", "1_0", "+nan", "1.5f", "infinit", "0x.p1"]) {
      expect(() => parseGoFloat(bad), bad).toThrow("invalid syntax");
    }
  });

  it("ParseBool: exactly Go's twelve spellings", () => {
    for (const t of ["1", "t", "T", "TRUE", "true", "True"]) expect(parseGoBool(t)).toBe(true);
    for (const f of ["0", "f", "F", "FALSE", "false", "False"]) expect(parseGoBool(f)).toBe(false);
    for (const bad of ["yes", "tRUE", "", "2", "on"]) expect(() => parseGoBool(bad), bad).toThrow("invalid syntax");
  });

  it("ParseDuration: units, fractions with Go's float arithmetic, signs, range", () => {
    expect(parseGoDuration("0")).toEqual({ seconds: 0n, nanos: 0 });
    expect(parseGoDuration("1.5s")).toEqual({ seconds: 1n, nanos: 500_000_000 });
    expect(parseGoDuration("1m30s")).toEqual({ seconds: 90n, nanos: 0 });
    expect(parseGoDuration("2h45m")).toEqual({ seconds: 9900n, nanos: 0 });
    expect(parseGoDuration("300ms")).toEqual({ seconds: 0n, nanos: 300_000_000 });
    expect(parseGoDuration("-1.5h")).toEqual({ seconds: -5400n, nanos: 0 });
    expect(parseGoDuration("-1.5s")).toEqual({ seconds: -1n, nanos: -500_000_000 });
    expect(parseGoDuration("1us")).toEqual({ seconds: 0n, nanos: 1000 });
    expect(parseGoDuration("1µs")).toEqual({ seconds: 0n, nanos: 1000 });
    expect(parseGoDuration("1μs")).toEqual({ seconds: 0n, nanos: 1000 });
    expect(parseGoDuration(".5m")).toEqual({ seconds: 30n, nanos: 0 });
    expect(parseGoDuration("1.0000000001s")).toEqual({ seconds: 1n, nanos: 0 });
    expect(parseGoDuration("2562047h47m16.854775807s")).toEqual({ seconds: 9223372036n, nanos: 854775807 });
    expect(parseGoDuration("-2562047h47m16.854775808s")).toEqual({ seconds: -9223372036n, nanos: -854775808 });
    expect(() => parseGoDuration("2562047h47m16.854775808s")).toThrow("time: invalid duration");
    expect(() => parseGoDuration("")).toThrow('time: invalid duration ""');
    expect(() => parseGoDuration("5")).toThrow('time: missing unit in duration "5"');
    expect(() => parseGoDuration("5d")).toThrow('time: unknown unit "d" in duration "5d"');
    expect(() => parseGoDuration(".s")).toThrow("time: invalid duration");
    expect(() => parseGoDuration("1s ")).toThrow('unknown unit "s "');
  });

  it("RFC 3339: fraction, offsets, calendar checks, Timestamp range", () => {
    expect(parseRfc3339("2024-01-02T03:04:05Z")).toEqual({ seconds: 1704164645n, nanos: 0 });
    expect(parseRfc3339("2024-01-02T03:04:05.5Z")).toEqual({ seconds: 1704164645n, nanos: 500_000_000 });
    expect(parseRfc3339("2024-01-02T04:04:05.123456789123+01:00")).toEqual({ seconds: 1704164645n, nanos: 123456789 });
    expect(parseRfc3339("2024-01-01T22:04:05-05:00")).toEqual({ seconds: 1704164645n, nanos: 0 });
    expect(parseRfc3339("1969-12-31T23:59:59Z")).toEqual({ seconds: -1n, nanos: 0 });
    expect(parseRfc3339("0001-01-01T00:00:00Z")).toEqual({ seconds: -62135596800n, nanos: 0 });
    expect(parseRfc3339("2024-02-29T00:00:00Z").seconds).toBe(1709164800n);
    expect(() => parseRfc3339("2023-02-29T00:00:00Z")).toThrow("day out of range");
    expect(() => parseRfc3339("2024-13-01T00:00:00Z")).toThrow("month out of range");
    expect(() => parseRfc3339("2024-01-02 03:04:05Z")).toThrow("cannot parse");
    expect(() => parseRfc3339("2024-01-02T03:04:05")).toThrow("cannot parse");
    expect(() => parseRfc3339("2024-01-02T24:00:00Z")).toThrow("out of range");
    expect(() => parseRfc3339("0000-12-31T00:00:00Z")).toThrow("out of range");
  });
});

describe("input values as copilot writes them", () => {
  it("formats floats like strconv.FormatFloat(v, 'f', -1, 64)", () => {
    expect(formatGoFloatFixed(1.5)).toBe("1.5");
    expect(formatGoFloatFixed(2)).toBe("2");
    expect(formatGoFloatFixed(1e21)).toBe("1000000000000000000000");
    expect(formatGoFloatFixed(1234567)).toBe("1234567");
    expect(formatGoFloatFixed(1e-7)).toBe("0.0000001");
    expect(formatGoFloatFixed(0.1 + 0.2)).toBe("0.30000000000000004");
    expect(formatGoFloatFixed(-0)).toBe("-0");
    expect(formatGoFloatFixed(-123.456)).toBe("-123.456");
    expect(formatGoFloatFixed(NaN)).toBe("NaN");
    expect(formatGoFloatFixed(-Infinity)).toBe("-Inf");
  });

  it("writes each primitive's text and keeps its native value for inputs.json", () => {
    expect(primitiveText(prim({ case: "integer", value: -42n }))).toEqual({ text: "-42", native: -42n });
    expect(primitiveText(prim({ case: "floatValue", value: 0.00001 }))).toEqual({ text: "0.00001", native: 0.00001 });
    expect(primitiveText(prim({ case: "boolean", value: false }))).toEqual({ text: "false", native: false });
    expect(primitiveText(prim({ case: "stringValue", value: " a b\n" }))).toEqual({ text: " a b\n", native: " a b\n" });
    const dt = create(TimestampSchema, { seconds: 1704164645n, nanos: 500_000_000 });
    expect(primitiveText(prim({ case: "datetime", value: dt }))).toEqual({ text: "2024-01-02T03:04:05.5Z", native: "2024-01-02T03:04:05.5Z" });
    // Copilot's Go code loses the duration's native value (a shadowed variable), so inputs.json has null.
    expect(primitiveText(prim({ case: "duration", value: create(DurationSchema, { seconds: 90n }) }))).toEqual({ text: "1m30s", native: null });
    expect(primitiveText(prim({ case: undefined }))).toEqual({ text: "null", native: null });
    expect(() => primitiveText(prim({ case: "duration", value: create(DurationSchema, { seconds: 1n, nanos: -1 }) }))).toThrow("different signs");
    expect(() => primitiveText(prim({ case: "duration", value: create(DurationSchema, { seconds: 315576000000n }) }))).toThrow("out of range for time.Duration");
  });

  it("encodes native values like Go's json.Marshal", () => {
    const v: NativeValue = new Map<string, NativeValue>([
      ["s", 'a<b>&"\\\n\u2028'],
      ["i", 9007199254740993n],
      ["f", 1e-7],
      ["g", 1e21],
      ["z", -0],
      ["b", true],
      ["n", null],
      ["bin", bytes("hi")],
      ["list", []],
      ["m", new Map()],
    ]);
    expect(goJson(v)).toBe(
      '{"b":true,"bin":"aGk=","f":1e-7,"g":1e+21,"i":9007199254740993,"list":[],"m":{},"n":null,' +
        '"s":"a\\u003cb\\u003e\\u0026\\"\\\\\\n\\u2028","z":-0}',
    );
    expect(() => goJson(NaN)).toThrow("json: unsupported value: NaN");
    expect(goJson(structNative({ b: [1, "x", null, { c: false }], a: 1.5 }))).toBe('{"a":1.5,"b":[1,"x",null,{"c":false}]}');
  });

  it("writes YAML like ghodss/yaml (yaml.v2): sorted, unindented sequences, 1.1 look-alikes quoted", () => {
    const v: NativeValue = new Map<string, NativeValue>([
      ["s", "yes"],
      ["dt", "2024-01-02T03:04:05Z"],
      ["i", 42n],
      ["f", 2],
      ["l", ["a", 1.5]],
      ["d", null],
    ]);
    expect(goYaml(v)).toBe('d: null\ndt: "2024-01-02T03:04:05Z"\nf: 2\ni: 42\nl:\n- a\n- 1.5\ns: "yes"\n');
  });
});

describe("output literals (MakeLiteralForSimpleType)", () => {
  const value = (t: SimpleType, text: string) => {
    const l = simpleLiteral(t, bytes(text));
    if (l.value.case !== "scalar") throw new Error("not a scalar");
    return l.value.value.value;
  };

  it("trims spaces, newlines and tabs (not carriage returns) and parses per type", () => {
    expect(value(SimpleType.INTEGER, " 42\n")).toMatchObject({ case: "primitive", value: { value: { case: "integer", value: 42n } } });
    expect(value(SimpleType.FLOAT, "\t1.5\n")).toMatchObject({ case: "primitive", value: { value: { case: "floatValue", value: 1.5 } } });
    expect(value(SimpleType.BOOLEAN, "T\n")).toMatchObject({ case: "primitive", value: { value: { case: "boolean", value: true } } });
    expect(value(SimpleType.STRING, "  hello world \n\n")).toMatchObject({ case: "primitive", value: { value: { case: "stringValue", value: "hello world" } } });
    expect(value(SimpleType.STRING, "crlf\r\n")).toMatchObject({ case: "primitive", value: { value: { case: "stringValue", value: "crlf\r" } } });
    expect(value(SimpleType.DURATION, "1h0m0s\n")).toMatchObject({ case: "primitive", value: { value: { case: "duration", value: { seconds: 3600n, nanos: 0 } } } });
    expect(value(SimpleType.DATETIME, "2024-01-02T03:04:05Z\n")).toMatchObject({
      case: "primitive",
      value: { value: { case: "datetime", value: { seconds: 1704164645n, nanos: 0 } } },
    });
    expect(value(SimpleType.STRUCT, '{"a": [1, {"b": null}]}')).toMatchObject({ case: "generic", value: { a: [1, { b: null }] } });
    expect(value(SimpleType.BINARY, " \x01\x02 ")).toMatchObject({ case: "binary", value: { tag: "msgpack", value: new Uint8Array([1, 2]) } });
    expect(value(SimpleType.ERROR, "bad\n")).toMatchObject({ case: "error", value: { message: "bad" } });
    expect(value(SimpleType.NONE, "anything")).toMatchObject({ case: "noneType" });
  });

  it("refuses what Go refuses, with Go's messages", () => {
    expect(() => simpleLiteral(SimpleType.INTEGER, bytes("4.2"))).toThrow('failed to parse integer value: strconv.ParseInt: parsing "4.2": invalid syntax');
    expect(() => simpleLiteral(SimpleType.BOOLEAN, bytes("yes"))).toThrow("failed to parse Bool value");
    expect(() => simpleLiteral(SimpleType.DURATION, bytes("10"))).toThrow("failed to parse Duration, valid formats: e.g. 300ms, -1.5h, 2h45m");
    expect(() => simpleLiteral(SimpleType.DATETIME, bytes("2024-01-02"))).toThrow("failed to parse Datetime in RFC3339 format");
    expect(() => simpleLiteral(SimpleType.STRUCT, bytes("[1]"))).toThrow("failed to load generic type as json.");
    expect(() => simpleLiteral(SimpleType.STRING, new Uint8Array([0xff, 0xfe]))).toThrow("invalid UTF-8");
  });

  it("builds blob literals with no format, as copilot does", () => {
    const l = blobLiteral("file:///x/y", 1);
    expect(l.value.case === "scalar" && l.value.value.value.case === "blob" && l.value.value.value.value.metadata?.type).toMatchObject({ dimensionality: 1, format: "" });
    expect(fromBinary(PrimitiveSchema, new Uint8Array()).value.case).toBeUndefined();
  });
});
