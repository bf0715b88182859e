import { describe, expect, it } from "vitest";
import { checkKey } from "../../src/blob/blob-store.js";
import { dynamicClosureKey, executionInputsKey, executionOutputsKey, keySegment, nodeOffloadKey, taskOffloadKey } from "../../src/core/blob-keys.js";

const e = { project: "flytesnacks", domain: "development", name: "abc123" };
const task = (name: string, version: string) => ({ project: "flytesnacks", domain: "development", name, version });

describe("blob keys of the server's own data", () => {
  it("keep FlyteAdmin's layout byte for byte for ordinary ids", () => {
    expect(executionInputsKey(e, "inputs")).toBe("metadata/flytesnacks/development/abc123/inputs");
    expect(executionInputsKey(e, "user_inputs")).toBe("metadata/flytesnacks/development/abc123/user_inputs");
    expect(executionOutputsKey(e)).toBe("metadata/flytesnacks/development/abc123/offloaded_outputs");
    expect(nodeOffloadKey(e, "n0-0-dn1", "offloaded_inputs")).toBe("metadata/flytesnacks/development/abc123/n0-0-dn1/offloaded_inputs");
    expect(taskOffloadKey(e, "n0", task("wf.say_hello", "v1"), 2, "offloaded_outputs")).toBe(
      "metadata/flytesnacks/development/abc123/n0/flytesnacks/development/wf.say_hello/v1/2/offloaded_outputs",
    );
    expect(dynamicClosureKey(e, "n0", task("wf.sub", "v1"))).toBe("metadata/admin/flytesnacks/development/abc123/n0/flytesnacks_development_wf.sub_v1");
  });

  it("give ids that shift across a '/' keys of their own", () => {
    const a = taskOffloadKey(e, "n0", task("a/b", "v"), 0, "offloaded_outputs");
    const b = taskOffloadKey(e, "n0", task("a", "b/v"), 0, "offloaded_outputs");
    expect(a).not.toBe(b);
    expect(nodeOffloadKey(e, "a/b", "offloaded_inputs")).not.toBe(taskOffloadKey(e, "a", task("b", "x"), 0, "offloaded_inputs"));
    // "%" is escaped too, so an id that looks escaped stays apart from the one it would decode to.
    expect(keySegment("a%2Fb")).not.toBe(keySegment("a/b"));
    expect(decodeURIComponent(keySegment("a%2Fb"))).toBe("a%2Fb");
  });

  it("keep node folders apart from the execution's own files", () => {
    for (const nodeId of ["inputs", "user_inputs", "offloaded_outputs"]) {
      const key = nodeOffloadKey(e, nodeId, "offloaded_outputs");
      expect(key.startsWith(`${executionInputsKey(e, "inputs")}/`)).toBe(false);
      expect(key.startsWith(`${executionInputsKey(e, "user_inputs")}/`)).toBe(false);
      expect(key.startsWith(`${executionOutputsKey(e)}/`)).toBe(false);
      expect(decodeURIComponent(key.split("/")[4]!)).toBe(nodeId);
    }
  });

  it("make valid keys of any id: dots, separators, control characters", () => {
    for (const id of [".", "..", ".blob-tmp", "a\\b", "x\ny", "%", "/lead", "trail/"]) {
      expect(() => checkKey(nodeOffloadKey(e, id, "offloaded_inputs")), id).not.toThrow();
      expect(decodeURIComponent(keySegment(id))).toBe(id);
    }
  });
});
