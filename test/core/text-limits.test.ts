import { describe, expect, it } from "vitest";
import { AdminError } from "../../src/core/errors.js";
import { checkIdentifierText, checkKeyText, checkMaxLength, checkNodeId, checkPathKeyText, checkText } from "../../src/core/text-limits.js";

const refusal = (fn: () => void): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(AdminError);
    expect((e as AdminError).kind).toBe("InvalidArgument");
    return (e as AdminError).message;
  }
};

describe("text limits", () => {
  it("count UTF-8 bytes, as FlyteAdmin's Go len() does", () => {
    expect(refusal(() => checkMaxLength("a".repeat(255), "name", 255))).toBeUndefined();
    expect(refusal(() => checkMaxLength("a".repeat(256), "name", 255))).toBe("name cannot exceed 255 characters");
    // 128 characters, 256 bytes.
    expect(refusal(() => checkMaxLength("é".repeat(128), "name", 255))).toBe("name cannot exceed 255 characters");
    expect(refusal(() => checkMaxLength("😀".repeat(63), "name", 255))).toBeUndefined();
    expect(refusal(() => checkMaxLength("😀".repeat(64), "name", 255))).toBe("name cannot exceed 255 characters");
  });

  it("refuse NUL anywhere in free text but keep newlines and tabs", () => {
    expect(refusal(() => checkText("line one\n\tline two", "description", 300))).toBeUndefined();
    expect(refusal(() => checkText("\u0000", "description", 300))).toBe("description cannot contain a NUL character");
    expect(refusal(() => checkText("x\u0000".repeat(200), "description", 300))).toBe("description cannot exceed 300 characters");
  });

  it("refuse control characters in keys", () => {
    expect(refusal(() => checkKeyText("approve-me", "signal_id"))).toBeUndefined();
    expect(refusal(() => checkKeyText("a\tb", "signal_id"))).toBe("signal_id cannot contain control characters");
    expect(refusal(() => checkKeyText("a\u007fb", "signal_id"))).toBe("signal_id cannot contain control characters");
  });

  it("refuse '.' and '..' path segments in blob-naming keys, nothing else about dots or slashes", () => {
    for (const ok of ["workflows.hello.say_hello", "a..b", "...", "v1/2", "a/b", ".hidden", "v1.0"]) expect(refusal(() => checkPathKeyText(ok, "name")), ok).toBeUndefined();
    for (const bad of ["..", ".", "../x", "a/..", "a/./b", "a/../../b"]) {
      expect(refusal(() => checkPathKeyText(bad, "name"))).toBe(`name [${bad}] cannot have "." or ".." as a path segment`);
    }
  });

  it("check every identifier field that is set, in order", () => {
    expect(refusal(() => checkIdentifierText({ project: "p", domain: "d", name: "n", version: "v", org: "" }))).toBeUndefined();
    expect(refusal(() => checkIdentifierText({ project: "p\u0000", version: ".." }))).toBe("project cannot contain a NUL character");
    expect(refusal(() => checkIdentifierText({ project: "p", org: "o".repeat(256) }))).toBe("org cannot exceed 255 characters");
  });

  it("keep every node id flytepropeller sends and refuse path-like ones", () => {
    for (const ok of ["start-node", "end-node", "n0", "n1-0-n2", "n0-0-dn3", "n1-n0", "fuaa3aji", "n2-0-n1-0-n0", "dn0", "x".repeat(255)]) {
      expect(refusal(() => checkNodeId(ok)), ok).toBeUndefined();
    }
    expect(refusal(() => checkNodeId(""))).toBe("missing node_id");
    for (const bad of [".", "..", "../x", "a/../b", "a/b", "a\\b"]) {
      expect(refusal(() => checkNodeId(bad))).toBe(`node_id [${bad}] cannot be "." or ".." or contain "/" or "\\"`);
    }
    expect(refusal(() => checkNodeId("n".repeat(5000)))).toBe("node_id cannot exceed 255 characters");
    expect(refusal(() => checkNodeId("n\u00000"))).toBe("node_id cannot contain a NUL character");
  });
});
