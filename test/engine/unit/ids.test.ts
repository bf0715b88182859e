import { describe, expect, it } from "vitest";
import {
  arrayExternalId,
  childExecutionName,
  fixedLength,
  fnv32a,
  generatedName,
  joinParts,
  nodeUniqueId,
  rawOutputShard,
  retryUniqueKey,
} from "../../../src/engine/local/ids.js";

const utf8 = (s: string) => new TextEncoder().encode(s);

describe("joinParts", () => {
  it("inserts '-' only after non-empty text", () => {
    expect(joinParts(["", "", "n0"])).toBe("n0");
    expect(joinParts(["n0", "0", "n1"])).toBe("n0-0-n1");
    expect(joinParts(["a", "", "b"])).toBe("a--b");
    expect(joinParts([])).toBe("");
    expect(joinParts(["", "x"])).toBe("x");
  });
});

describe("fixedLength (engine-spec §1.1 vectors)", () => {
  it("keeps short ids", () => {
    expect(fixedLength(joinParts(["x", "y", "z"]), 10)).toBe("x-y-z");
    expect(fixedLength("x".repeat(20), 20)).toBe("x".repeat(20));
  });
  it("hashes long ids with fnv32a by default", () => {
    expect(fixedLength("xxxxxxxxxxxxxxxxxxxxxxxx", 20)).toBe("fuaa3aji");
    expect(fixedLength(joinParts(["x", "y", "z", "m", "n", "y", "z", "m", "n", "y", "z", "m", "n"]), 15)).toBe("fe63sz6y");
  });
  it("hashes with fnv64a when asked", () => {
    expect(fixedLength(joinParts(["x", "y", "z", "m", "n", "y", "z", "m", "n", "y", "z", "m", "n"]), 15, "fnv64a")).toBe("fwp4bky2kucex5");
  });
  it("measures bytes, not characters", () => {
    // 7 characters, 21 UTF-8 bytes
    const s = "ééééééé".replace(/é/g, "€");
    expect(utf8(s).length).toBe(21);
    expect(fixedLength(s, 20)).toMatch(/^f[a-z1-6]{7}$/);
    expect(fixedLength(s, 21)).toBe(s);
  });
  it("produces f + 7 or f + 13 characters from the custom alphabet", () => {
    for (const s of ["a".repeat(30), "some-execution-name-n0-0-n1-0-n2-1", "∑".repeat(40)]) {
      expect(fixedLength(s, 20)).toMatch(/^f[a-z1-6]{7}$/);
      expect(fixedLength(s, 20, "fnv64a")).toMatch(/^f[a-z1-6]{13}$/);
    }
  });
  it("implements FNV-1a 32 (reference values)", () => {
    expect(fnv32a(utf8(""))).toBe(0x811c9dc5);
    expect(fnv32a(utf8("a"))).toBe(0xe40c292c);
    expect(fnv32a(utf8("foobar"))).toBe(0xbf9cf968);
  });
});

describe("node unique ids (engine-spec §1.2 examples)", () => {
  it("top-level nodes keep their id", () => {
    expect(nodeUniqueId(undefined, "n0")).toBe("n0");
    expect(nodeUniqueId(undefined, "start-node")).toBe("start-node");
  });
  it("nests with the parent's id and attempt", () => {
    const n0 = nodeUniqueId(undefined, "n0");
    const n1 = nodeUniqueId({ uniqueId: n0, attempt: 0 }, "n1");
    expect(n1).toBe("n0-0-n1");
    expect(nodeUniqueId({ uniqueId: n1, attempt: 0 }, "n2")).toBe("n0-0-n1-0-n2");
    expect(nodeUniqueId({ uniqueId: "n1", attempt: 0 }, "n1-n0")).toBe("n1-0-n1-n0");
    expect(nodeUniqueId({ uniqueId: "n4", attempt: 1 }, "dn2")).toBe("n4-1-dn2");
  });
  it("hashes anything longer than 20 bytes, top level included", () => {
    const deep = nodeUniqueId({ uniqueId: "n0-0-n1-0-n2", attempt: 0 }, "n3"); // 17 bytes
    expect(deep).toBe("n0-0-n1-0-n2-0-n3");
    const deeper = nodeUniqueId({ uniqueId: deep, attempt: 0 }, "n4");
    expect(deeper).toBe(fixedLength("n0-0-n1-0-n2-0-n3-0-n4", 20));
    expect(deeper).toMatch(/^f[a-z1-6]{7}$/);
    expect(nodeUniqueId(undefined, "a-node-id-longer-than-20")).toBe(fixedLength("a-node-id-longer-than-20", 20));
  });
});

describe("generated names and derived keys", () => {
  it("generated name joins execution, node and attempt (50 bytes)", () => {
    expect(generatedName("abc123", "n0", 0)).toBe("abc123-n0-0");
    const long = generatedName("a".repeat(45), "n0-0-n1", 2);
    expect(long).toBe(fixedLength(`${"a".repeat(45)}-n0-0-n1-2`, 50));
    expect(long).toMatch(/^f[a-z1-6]{7}$/);
    expect(generatedName("a".repeat(45), "n0-0-n1", 2, 63)).toBe(`${"a".repeat(45)}-n0-0-n1-2`);
  });
  it("child execution names use fnv64a at 20 bytes", () => {
    expect(childExecutionName("abc123", "n0", 0)).toBe("abc123-n0-0");
    expect(childExecutionName("abcdefghijklmnopqrst", "n0", 0)).toBe(fixedLength("abcdefghijklmnopqrst-n0-0", 20, "fnv64a"));
    expect(childExecutionName("abcdefghijklmnopqrst", "n0", 0)).toMatch(/^f[a-z1-6]{13}$/);
  });
  it("sanitises the per-retry unique key", () => {
    expect(retryUniqueKey("abc123-n0-0")).toBe("abc123_n0_0");
    expect(retryUniqueKey("123abc-n0-0")).toBe("aabc_n0_0");
    expect(retryUniqueKey("_x--y..z")).toBe("_x_y_z");
    expect(retryUniqueKey("-.-abc")).toBe("aabc");
    expect(retryUniqueKey("fuaa3aji")).toBe("fuaa3aji");
  });
  it("shards raw outputs over the 1296 two-character prefixes", () => {
    expect(rawOutputShard("abc123-n0-0")).toBe("0l");
    // fnv32a("") is the offset basis 2166136261; 2166136261 % 1296 = 565 = 15 * 36 + 25 → "pz"
    expect(rawOutputShard("")).toBe("pz");
    for (const name of ["a", "abc123-n1-0", "x".repeat(60)]) expect(rawOutputShard(name)).toMatch(/^[a-z0-9]{2}$/);
  });
  it("names array sub-task resources", () => {
    expect(arrayExternalId("abc123-n2-0", 3, 1)).toBe("abc123-n2-0-n3-1");
  });
});
