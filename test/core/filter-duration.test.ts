import { describe, expect, it } from "vitest";
import { parseFilterDuration, plainDecimal } from "../../src/core/filter-duration.js";
import { parseGoDurationNanos } from "../../src/core/go-duration.js";

describe("parseGoDurationNanos (Go's time.ParseDuration)", () => {
  it.each([
    ["0", 0n],
    ["-0", 0n],
    ["1h30m", 5_400_000_000_000n],
    ["1.5s", 1_500_000_000n],
    [".5s", 500_000_000n],
    ["1.s", 1_000_000_000n],
    ["-300ms", -300_000_000n],
    ["+2m", 120_000_000_000n],
    ["1h1m1s1ms1us1\u00b5s1\u03bcs1ns", 3_661_001_003_001n],
    ["1.1h", 3_960_000_000_000n],
    ["2562047h47m16.854775807s", 9_223_372_036_854_775_807n],
    ["-2562047h47m16.854775808s", -9_223_372_036_854_775_808n],
    ["0.1234567890123456789012345s", 123_456_789n],
  ])("%s", (text, nanos) => expect(parseGoDurationNanos(text)).toBe(nanos));

  it.each(["", "-", "5", "abc", "1d", "1h 30m", ".s", "s", "1e3s", "2562047h47m16.854775808s", "9223372036854775808ns", "99999999999999999999h"])(
    "refuses %j",
    (text) => expect(parseGoDurationNanos(text)).toBeUndefined(),
  );
});

describe("parseFilterDuration (FlyteAdmin's duration filter values)", () => {
  it.each([
    ["3600", 3.6e12],
    ["1.5", 1.5e9],
    ["-5", -5e9],
    ["+2e3", 2e12],
    ["0.00001", 10_000],
    ["1000000", 1e15],
    ["1h30m", 5.4e12],
    ["250ms", 2.5e8],
    ["2562047h47m16.854775807s", 2 ** 63 - 1024],
  ])("%s", (text, nanos) => expect(parseFilterDuration(text)).toBe(nanos));

  it.each(["abc", "", " 5", "0x10", "Infinity", "NaN", "1e400", "9223372037", "1_000", "5 minutes"])("refuses %j", (text) =>
    expect(parseFilterDuration(text)).toBeUndefined(),
  );

  it("writes numbers with Go's shortest digits and no exponent", () => {
    expect([1e-7, 1.5e-10, 1e21, 1.25e22, 123.5, -4e-5].map(plainDecimal)).toEqual([
      "0.0000001",
      "0.00000000015",
      "1000000000000000000000",
      "12500000000000000000000",
      "123.5",
      "-0.00004",
    ]);
  });
});
