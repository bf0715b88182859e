import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { LiteralMapSchema } from "../../gen/flyteidl/core/literals_pb.js";
import { objectHash } from "../../src/core/object-hash.js";
import { protoHash } from "../../src/core/proto-hash.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("objecthash", () => {
  it("gives the library's own test vectors (lists, dicts, floats, null)", () => {
    expect(hex(objectHash(["foo", "bar"]))).toBe("32ae896c413cfdc79eec68be9139c86ded8b279238467c216cf2bec4d5f1e4a2");
    expect(hex(objectHash({ foo: "bar" }))).toBe("7ef5237c3027d6c58100afadf37796b3d351025cf28038280147d42fdc53b960");
    const floats = JSON.parse('["foo", {"bar": ["baz", null, 1.0, 1.5, 0.0001, 1000.0, 2.0, -23.1234, 2.0]}]');
    expect(hex(objectHash(floats))).toBe("783a423b094307bcb28d005bc2f026ff44204442ef3513585e7e73b66e3c2213");
    // JSON numbers are doubles whatever their spelling.
    expect(objectHash(JSON.parse('["foo", {"bar": ["baz", null, 1, 1.5, 0.0001, 1000, 2, -23.1234, 2]}]'))).toEqual(objectHash(floats));
  });

  it("ignores the order of a dict's members but not of a list's items, and tells types apart", () => {
    expect(objectHash({ a: 1, b: [true, null] })).toEqual(objectHash({ b: [true, null], a: 1 }));
    expect(objectHash([1, 2])).not.toEqual(objectHash([2, 1]));
    expect(objectHash("1")).not.toEqual(objectHash(1));
    expect(objectHash(0)).toEqual(objectHash(-0));
    expect(() => objectHash(Number.NaN)).toThrow(/cannot hash/);
  });

  it("hashes a protobuf message through its JSON, as propeller's pbhash does", () => {
    expect(Buffer.from(protoHash(LiteralMapSchema, create(LiteralMapSchema))).toString("base64url")).toBe("GKw-c0PwFokMUQ6T-TUmEWnZ4_VlQ2Qpgw-vCTT0-OQ");
  });
});
