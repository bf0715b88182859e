import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { MatchableResource, MatchingAttributesSchema } from "../../gen/flyteidl/admin/matchable_resource_pb.js";
import { ATTRIBUTE_KINDS, attributesText, parseAttributes } from "../../console/src/lib/matchable.js";

describe("project and domain settings as JSON", () => {
  it("covers every matchable resource kind, and each example is a valid value", () => {
    const kinds = Object.values(MatchableResource).filter((v) => typeof v === "number");
    expect(ATTRIBUTE_KINDS.map((k) => k.resource).sort()).toEqual(kinds.sort());
    for (const kind of ATTRIBUTE_KINDS) {
      const parsed = parseAttributes(kind, JSON.stringify(kind.example));
      expect(typeof parsed, kind.title).toBe("object");
      expect(JSON.parse(attributesText(kind, parsed as never))).toEqual(kind.example);
    }
  });

  it("reads back what the server stores, and only the kind asked for", () => {
    const stored = create(MatchingAttributesSchema, { target: { case: "executionQueueAttributes", value: { tags: ["a", "b"] } } });
    const queues = ATTRIBUTE_KINDS.find((k) => k.resource === MatchableResource.EXECUTION_QUEUE)!;
    const labels = ATTRIBUTE_KINDS.find((k) => k.resource === MatchableResource.EXECUTION_CLUSTER_LABEL)!;
    expect(attributesText(queues, stored)).toBe('{\n  "tags": [\n    "a",\n    "b"\n  ]\n}');
    expect(attributesText(labels, stored)).toBe("");
    expect(attributesText(labels, undefined)).toBe("");
  });

  it("says what is wrong with a value", () => {
    const wec = ATTRIBUTE_KINDS.find((k) => k.resource === MatchableResource.WORKFLOW_EXECUTION_CONFIG)!;
    expect(parseAttributes(wec, "{")).toMatch(/^Not valid JSON/);
    expect(parseAttributes(wec, "[]")).toBe("Enter a JSON object");
    expect(parseAttributes(wec, '{"maxParallelism": "many"}')).toMatch(/maxParallelism|max_parallelism/);
    expect(parseAttributes(wec, '{"noSuchField": 1}')).toMatch(/noSuchField/);
  });
});
