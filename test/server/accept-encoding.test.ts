import { describe, expect, it } from "vitest";
import { preferredCoding } from "../../src/server/accept-encoding.js";

describe("preferredCoding", () => {
  it.each([
    [undefined, "identity"],
    ["", "identity"],
    ["identity", "identity"],
    ["gzip, deflate, br, zstd", "br"],
    ["gzip, deflate", "gzip"],
    ["x-gzip", "gzip"],
    ["br;q=0, gzip", "gzip"],
    ["br;q=0.5, gzip;q=0.8", "gzip"],
    ["BR;Q=0.9, GZIP;q=0.9", "br"],
    ["*", "br"],
    ["*;q=0.1, br;q=0", "gzip"],
    ["gzip;q=0, br;q=0, *", "identity"],
    ["deflate", "identity"],
    ["br;q=nonsense", "br"],
    [["gzip", "br;q=0"], "gzip"],
  ] as const)("%j -> %s", (header, want) => {
    expect(preferredCoding(header as string | string[] | undefined)).toBe(want);
  });

  it("reads only the first entries of a huge header", () => {
    expect(preferredCoding(`${"x, ".repeat(5000)}br`)).toBe("identity");
  });
});
