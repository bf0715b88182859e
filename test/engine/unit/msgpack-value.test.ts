import { describe, expect, it } from "vitest";
import { decodeMsgpack, encodeMsgpack, MsgpackError, MsgpackFloat, type MsgpackNode } from "../../../src/engine/local/msgpack-value.js";

const bytes = (...b: number[]) => Uint8Array.from(b);

describe("decodeMsgpack", () => {
  it("reads every integer format and remembers signedness", () => {
    const cases: Array<[number[], bigint, boolean]> = [
      [[0x05], 5n, true],
      [[0xff], -1n, false],
      [[0xe0], -32n, false],
      [[0xcc, 0xff], 255n, true],
      [[0xcd, 0x01, 0x00], 256n, true],
      [[0xce, 0xff, 0xff, 0xff, 0xff], 4294967295n, true],
      [[0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 18446744073709551615n, true],
      [[0xd0, 0x80], -128n, false],
      [[0xd1, 0x80, 0x00], -32768n, false],
      [[0xd2, 0x80, 0x00, 0x00, 0x00], -2147483648n, false],
      [[0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0], -9223372036854775808n, false],
    ];
    for (const [b, value, unsigned] of cases) {
      expect(decodeMsgpack(bytes(...b))).toMatchObject({ kind: "int", value, unsigned });
    }
  });
  it("tells floats from integers and keeps the width", () => {
    expect(decodeMsgpack(encodeMsgpack(new MsgpackFloat(1)))).toMatchObject({ kind: "float", value: 1, bits: 64 });
    expect(decodeMsgpack(bytes(0xca, 0x3f, 0xc0, 0x00, 0x00))).toMatchObject({ kind: "float", value: 1.5, bits: 32 });
    expect(decodeMsgpack(encodeMsgpack(1))).toMatchObject({ kind: "int", value: 1n });
  });
  it("reads strings, binaries, nil, booleans and extensions", () => {
    expect(decodeMsgpack(bytes(0xa3, 0x61, 0x62, 0x63))).toMatchObject({ kind: "str", value: "abc" });
    expect(decodeMsgpack(encodeMsgpack("x".repeat(40)))).toMatchObject({ kind: "str", value: "x".repeat(40) });
    expect(decodeMsgpack(encodeMsgpack("y".repeat(300)))).toMatchObject({ kind: "str", value: "y".repeat(300) });
    expect(decodeMsgpack(encodeMsgpack("z".repeat(70000)))).toMatchObject({ kind: "str", value: "z".repeat(70000) });
    expect(decodeMsgpack(bytes(0xc4, 0x02, 0x01, 0x02))).toMatchObject({ kind: "bin", value: bytes(1, 2) });
    expect(decodeMsgpack(bytes(0xc0)).kind).toBe("nil");
    expect(decodeMsgpack(bytes(0xc2))).toMatchObject({ kind: "bool", value: false });
    expect(decodeMsgpack(bytes(0xc3))).toMatchObject({ kind: "bool", value: true });
    expect(decodeMsgpack(bytes(0xc7, 0x01, 0x07, 0x09))).toMatchObject({ kind: "ext", type: 7, data: bytes(9) });
  });
  it("keeps the exact bytes of every sub-value", () => {
    const encoded = encodeMsgpack({ a: [1, 2.5, "s"], b: { c: null } });
    const root = decodeMsgpack(encoded) as Extract<MsgpackNode, { kind: "map" }>;
    expect(root.raw).toEqual(encoded);
    const [[, a], [, b]] = root.entries as [[MsgpackNode, MsgpackNode], [MsgpackNode, MsgpackNode]];
    expect(a.raw).toEqual(encodeMsgpack([1, 2.5, "s"]));
    expect(b.raw).toEqual(encodeMsgpack({ c: null }));
  });
  it("reads 16- and 32-bit array and map headers", () => {
    const long = Array.from({ length: 20 }, (_, i) => i);
    expect((decodeMsgpack(encodeMsgpack(long)) as Extract<MsgpackNode, { kind: "array" }>).items).toHaveLength(20);
    const big = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i]));
    expect((decodeMsgpack(encodeMsgpack(big)) as Extract<MsgpackNode, { kind: "map" }>).entries).toHaveLength(20);
    expect((decodeMsgpack(bytes(0xdd, 0, 0, 0, 1, 0x01)) as Extract<MsgpackNode, { kind: "array" }>).items).toHaveLength(1);
    expect((decodeMsgpack(bytes(0xdf, 0, 0, 0, 1, 0xa1, 0x6b, 0x01)) as Extract<MsgpackNode, { kind: "map" }>).entries).toHaveLength(1);
  });
  it("refuses malformed input without crashing", () => {
    expect(() => decodeMsgpack(bytes())).toThrow(MsgpackError);
    expect(() => decodeMsgpack(bytes(0xc1))).toThrow(/invalid code c1/);
    expect(() => decodeMsgpack(bytes(0x01, 0x02))).toThrow(/left over/);
    expect(() => decodeMsgpack(bytes(0xa5, 0x61))).toThrow(/end of data/);
    expect(() => decodeMsgpack(bytes(0xcb, 0x00))).toThrow(/end of data/);
    // claims 4 billion elements in a few bytes: refused before allocating
    expect(() => decodeMsgpack(bytes(0xdd, 0xff, 0xff, 0xff, 0xff, 0x01))).toThrow(/end of data/);
    expect(() => decodeMsgpack(bytes(0xdf, 0xff, 0xff, 0xff, 0xff, 0x01))).toThrow(/end of data/);
    // arrays, maps and byte strings cannot be keys of a Go map
    expect(() => decodeMsgpack(bytes(0x81, 0x90, 0x01))).toThrow(/cannot be a map key/);
    expect(() => decodeMsgpack(bytes(0x81, 0xc4, 0x00, 0x01))).toThrow(/cannot be a map key/);
  });
  it("bounds nesting", () => {
    const deep = new Uint8Array(10_000).fill(0x91);
    const nested = Uint8Array.from([...deep, 0x01]);
    expect(() => decodeMsgpack(nested)).toThrow(/nesting deeper than 512/);
    expect(() => decodeMsgpack(Uint8Array.from([0x91, 0x91, 0x01]), { maxDepth: 1 })).toThrow(/nesting/);
    expect(decodeMsgpack(Uint8Array.from([0x91, 0x91, 0x01]), { maxDepth: 2 }).kind).toBe("array");
  });
});

describe("encodeMsgpack", () => {
  it("writes the smallest integer form, like Python's msgpack", () => {
    expect(encodeMsgpack(0)).toEqual(bytes(0x00));
    expect(encodeMsgpack(127)).toEqual(bytes(0x7f));
    expect(encodeMsgpack(128)).toEqual(bytes(0xcc, 0x80));
    expect(encodeMsgpack(-1)).toEqual(bytes(0xff));
    expect(encodeMsgpack(-33)).toEqual(bytes(0xd0, 0xdf));
    expect(encodeMsgpack(65536)).toEqual(bytes(0xce, 0x00, 0x01, 0x00, 0x00));
    expect(encodeMsgpack(2n ** 63n)).toEqual(bytes(0xcf, 0x80, 0, 0, 0, 0, 0, 0, 0));
    expect(() => encodeMsgpack(2n ** 64n)).toThrow(MsgpackError);
  });
  it("writes floats as float64 and the rest as Python does", () => {
    expect(encodeMsgpack(1.5)).toEqual(bytes(0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0));
    expect(encodeMsgpack(new MsgpackFloat(1))).toEqual(bytes(0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0));
    expect(encodeMsgpack({ a: null, b: true })).toEqual(bytes(0x82, 0xa1, 0x61, 0xc0, 0xa1, 0x62, 0xc3));
    expect(encodeMsgpack(new Uint8Array(300)).subarray(0, 3)).toEqual(bytes(0xc5, 0x01, 0x2c));
  });
  it("copies decoded nodes verbatim", () => {
    const node = decodeMsgpack(bytes(0xca, 0x3f, 0xc0, 0x00, 0x00));
    expect(encodeMsgpack([node])).toEqual(bytes(0x91, 0xca, 0x3f, 0xc0, 0x00, 0x00));
  });
});
