import { describe, expect, it } from "vitest";
import { formatGoDuration, formatGoFloat, formatGoFloat32, formatGoMsgpack, formatRfc3339 } from "../../../src/engine/local/go-format.js";
import { decodeMsgpack, encodeMsgpack, MsgpackFloat } from "../../../src/engine/local/msgpack-value.js";

describe("formatGoFloat = strconv.FormatFloat(v, 'g', -1, 64)", () => {
  it.each([
    [123456, "123456"],
    [1234567, "1.234567e+06"],
    [0.00001, "1e-05"],
    [0.0001, "0.0001"],
    [0.5, "0.5"],
    [2.0, "2"],
    [100000, "100000"],
    [1e6, "1e+06"],
    [1e21, "1e+21"],
    [1e-7, "1e-07"],
    [0.1 + 0.2, "0.30000000000000004"],
    [-1.5e-5, "-1.5e-05"],
    [123.456, "123.456"],
    [1e100, "1e+100"],
    [5e-324, "5e-324"],
    [1.7976931348623157e308, "1.7976931348623157e+308"],
    [-42, "-42"],
    [3.14, "3.14"],
    [NaN, "NaN"],
    [Infinity, "+Inf"],
    [-Infinity, "-Inf"],
    [0, "0"],
    [-0, "-0"],
  ])("%s → %s", (v, text) => {
    expect(formatGoFloat(v)).toBe(text);
  });
});

describe("formatGoFloat32 = strconv.FormatFloat(v, 'g', -1, 32)", () => {
  it.each([
    [0.1, "0.1"],
    [1e10, "1e+10"],
    [3.4028234663852886e38, "3.4028235e+38"],
    [16777216, "1.6777216e+07"],
    [1.5, "1.5"],
    [-0.25, "-0.25"],
  ])("%s → %s", (v, text) => {
    expect(formatGoFloat32(v)).toBe(text);
  });
});

describe("formatGoDuration = time.Duration.String()", () => {
  it.each([
    [0n, 0, "0s"],
    [1n, 500_000_000, "1.5s"],
    [90n, 0, "1m30s"],
    [3600n, 0, "1h0m0s"],
    [600n, 0, "10m0s"],
    [30n, 0, "30s"],
    [0n, 500_000_000, "500ms"],
    [0n, 1000, "1µs"],
    [0n, 1500, "1.5µs"],
    [0n, 1, "1ns"],
    [0n, 999, "999ns"],
    [3661n, 500_000_000, "1h1m1.5s"],
    [-90n, 0, "-1m30s"],
    [0n, -1500, "-1.5µs"],
    [-1n, -500_000_000, "-1.5s"],
    [86400n, 0, "24h0m0s"],
    [0n, 1_234_567, "1.234567ms"],
  ])("%s s %s ns → %s", (s, n, text) => {
    expect(formatGoDuration(s, n)).toBe(text);
  });
  it("accepts number seconds", () => {
    expect(formatGoDuration(10, 0)).toBe("10s");
  });
});

describe("formatRfc3339", () => {
  it("prints UTC with the fraction's trailing zeros dropped", () => {
    expect(formatRfc3339({ seconds: 1704164645n, nanos: 0 })).toBe("2024-01-02T03:04:05Z");
    expect(formatRfc3339({ seconds: 1704164645n, nanos: 500_000_000 })).toBe("2024-01-02T03:04:05.5Z");
    expect(formatRfc3339({ seconds: 1704164645n, nanos: 123_456_789 })).toBe("2024-01-02T03:04:05.123456789Z");
    expect(formatRfc3339({ seconds: 0n, nanos: 1000 })).toBe("1970-01-01T00:00:00.000001Z");
    expect(formatRfc3339({ seconds: -62135596800n, nanos: 0 })).toBe("0001-01-01T00:00:00Z");
    expect(formatRfc3339({ seconds: 253402300799n, nanos: 999_999_999 })).toBe("9999-12-31T23:59:59.999999999Z");
  });
  it("refuses what a protobuf Timestamp cannot hold", () => {
    expect(() => formatRfc3339({ seconds: 253402300800n, nanos: 0 })).toThrow(RangeError);
    expect(() => formatRfc3339({ seconds: -62135596801n, nanos: 0 })).toThrow(RangeError);
    expect(() => formatRfc3339({ seconds: 0n, nanos: 1e9 })).toThrow(RangeError);
    expect(() => formatRfc3339({ seconds: 0n, nanos: -1 })).toThrow(RangeError);
  });
});

describe("formatGoMsgpack = fmt %v of the decoded value", () => {
  const text = (v: unknown) => formatGoMsgpack(decodeMsgpack(encodeMsgpack(v)));
  it("prints scalars", () => {
    expect(text(null)).toBe("<nil>");
    expect(text(true)).toBe("true");
    expect(text(-7)).toBe("-7");
    expect(text(18446744073709551615n)).toBe("18446744073709551615");
    expect(text(new MsgpackFloat(2))).toBe("2");
    expect(text(1234567.5)).toBe("1.2345675e+06");
    expect(text("hello world")).toBe("hello world");
    expect(text(new Uint8Array([1, 2, 255]))).toBe("[1 2 255]");
  });
  it("prints slices and maps with sorted keys", () => {
    expect(text([1, "a", [2, 3]])).toBe("[1 a [2 3]]");
    expect(text({ b: 2, a: 1.5, c: { z: null, y: [true] } })).toBe("map[a:1.5 b:2 c:map[y:[true] z:<nil>]]");
    expect(text(new Map<unknown, unknown>([[3, "x"], [1, "y"], [2, "z"]]))).toBe("map[1:y 2:z 3:x]");
    expect(text({})).toBe("map[]");
    expect(text([])).toBe("[]");
  });
  it("prints float32 with float32 precision", () => {
    expect(formatGoMsgpack(decodeMsgpack(Uint8Array.from([0xca, 0x3d, 0xcc, 0xcc, 0xcd])))).toBe("0.1");
  });
  it("prints timestamps as Go's time.Time in UTC", () => {
    // timestamp 32: 2024-01-02T03:04:05Z
    const ts32 = Uint8Array.from([0xd6, 0xff, 0x65, 0x93, 0x7d, 0x25]);
    expect(formatGoMsgpack(decodeMsgpack(ts32))).toBe("2024-01-02 03:04:05 +0000 UTC");
    // timestamp 64 with 500ms
    const v = (500_000_000n << 34n) | 1704164645n;
    const bytes = [0xd7, 0xff];
    for (let i = 7; i >= 0; i--) bytes.push(Number((v >> BigInt(8 * i)) & 0xffn));
    expect(formatGoMsgpack(decodeMsgpack(Uint8Array.from(bytes)))).toBe("2024-01-02 03:04:05.5 +0000 UTC");
  });
  it("refuses other extension types", () => {
    expect(() => formatGoMsgpack(decodeMsgpack(Uint8Array.from([0xd4, 0x05, 0x00])))).toThrow(/extension type 5/);
  });
});
