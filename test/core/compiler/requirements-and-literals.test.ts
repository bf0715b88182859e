import { describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { type Literal, LiteralSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import { NodeSchema } from "../../../gen/flyteidl/core/workflow_pb.js";
import {
  CompilationFailed,
  literalMatchesType,
  literalTypeOf,
  literalTypeText,
  workflowRequirements,
} from "../../../src/core/compiler/index.js";
import {
  T, arrayNode, branchNode, launchPlanId, launchPlanNode, pythonTask, subWorkflowNode, taskNode, workflow,
} from "../../fixtures/flyte-builders.js";

const a = pythonTask("wf.a", {}, {});
const b = pythonTask("wf.b", {}, {});
const c = pythonTask("wf.c", {}, {});
const d = pythonTask("wf.d", {}, {});

describe("workflowRequirements", () => {
  it("walks branches, array nodes, sub-workflows and the failure node; de-duplicates and sorts", () => {
    const sub = workflow("wf.sub", { nodes: [taskNode("s0", c), launchPlanNode("s1", launchPlanId("lp.z"))] });
    const wf = workflow("wf.main", {
      nodes: [
        taskNode("n0", b),
        branchNode("br", { var: "x", equals: 1 }, taskNode("t", a), taskNode("e", b)),
        arrayNode("arr", taskNode("inner", c)),
        subWorkflowNode("sw", sub),
        launchPlanNode("l0", launchPlanId("lp.a")),
      ],
      failureNode: taskNode("f", d),
    });
    const reqs = workflowRequirements(wf, [sub]);
    expect(reqs.tasks.map((t) => t.name)).toEqual(["wf.a", "wf.b", "wf.c", "wf.d"]);
    expect(reqs.launchPlans.map((l) => l.name)).toEqual(["lp.a", "lp.z"]);
    expect(reqs.errors).toEqual([]);
  });

  it("reports a missing sub-workflow without failing (the compiler fails on it later)", () => {
    const sub = workflow("wf.sub", { nodes: [taskNode("s0", c)] });
    const reqs = workflowRequirements(workflow("wf.main", { nodes: [taskNode("n0", a), subWorkflowNode("sw", sub)] }), []);
    expect(reqs.tasks.map((t) => t.name)).toEqual(["wf.a"]);
    expect(reqs.errors).toEqual([
      {
        code: "WorkflowReferenceNotFound",
        nodeId: "sw",
        description: 'Referenced Workflow [resource_type:WORKFLOW project:"flytesnacks" domain:"development" name:"wf.sub" version:"v1"] not found.',
      },
    ]);
  });

  it("throws CompilationFailed for duplicate sub-workflow ids", () => {
    const sub = workflow("wf.sub", { nodes: [taskNode("s0", c)] });
    expect(() => workflowRequirements(workflow("wf.main", { nodes: [subWorkflowNode("sw", sub)] }), [sub, sub])).toThrow(CompilationFailed);
  });

  it("ignores nodes without a target", () => {
    expect(workflowRequirements(workflow("wf.main", { nodes: [create(NodeSchema, { id: "x" })] }), [])).toEqual({
      tasks: [],
      launchPlans: [],
      errors: [],
    });
  });
});

const lit = (init: Parameters<typeof create<typeof LiteralSchema>>[1]): Literal => create(LiteralSchema, init);
const int = (n: number) => lit({ value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "integer", value: BigInt(n) } } } } } });
const str = (s: string) => lit({ value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "stringValue", value: s } } } } } });
const coll = (...literals: Literal[]) => lit({ value: { case: "collection", value: { literals } } });
const map = (m: Record<string, Literal>) => lit({ value: { case: "map", value: { literals: m } } });

describe("literalTypeOf", () => {
  it.each([
    ["integer", int(1), "simple:INTEGER"],
    ["string", str("x"), "simple:STRING"],
    ["list of ints", coll(int(1), int(2)), "collection_type:{simple:INTEGER}"],
    ["empty list", coll(), "collection_type:{simple:NONE}"],
    ["mixed list → union sorted by type text", coll(str("x"), int(1)), "collection_type:{union_type:{variants:{simple:INTEGER} variants:{simple:STRING}}}"],
    ["map of strings", map({ k: str("v") }), "map_value_type:{simple:STRING}"],
    ["list of lists with an empty one", coll(coll(), coll(int(1))), "collection_type:{collection_type:{simple:INTEGER}}"],
    ["none", lit({ value: { case: "scalar", value: { value: { case: "noneType", value: {} } } } }), "simple:NONE"],
    ["msgpack binary is a struct", lit({ value: { case: "scalar", value: { value: { case: "binary", value: { tag: "msgpack" } } } } }), "simple:STRUCT"],
  ])("%s", (_n, l, expected) => {
    expect(literalTypeText(literalTypeOf(l))).toBe(expected);
  });

  it("is undefined for an unset literal", () => {
    expect(literalTypeOf(lit({}))).toBeUndefined();
  });

  it("literalMatchesType applies castability", () => {
    expect(literalMatchesType(coll(), T.list(T.str()))).toBe(true);
    expect(literalMatchesType(coll(int(1)), T.list(T.str()))).toBe(false);
    expect(literalMatchesType(str("red"), T.enum("red"))).toBe(true);
    expect(literalMatchesType(int(3), T.optional(T.int()))).toBe(true);
  });
});
