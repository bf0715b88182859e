// One test per compile error kind: code, node id and the exact description.
import { describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { BindingDataSchema, type BindingData } from "../../../gen/flyteidl/core/literals_pb.js";
import { LiteralTypeSchema, SimpleType } from "../../../gen/flyteidl/core/types_pb.js";
import type { Node, WorkflowTemplate } from "../../../gen/flyteidl/core/workflow_pb.js";
import type { TaskTemplate } from "../../../gen/flyteidl/core/tasks_pb.js";
import { compileWorkflow, type CompileError, type LaunchPlanInterface } from "../../../src/core/compiler/index.js";
import {
  T, approveNode, branchNode, intValue, launchPlanId, launchPlanNode, listOf, promise, pythonTask, strValue,
  subWorkflowNode, taskNode, workflow, workflowId,
} from "../../fixtures/flyte-builders.js";

const idText = (kind: "TASK" | "WORKFLOW" | "LAUNCH_PLAN", name: string) =>
  `resource_type:${kind} project:"flytesnacks" domain:"development" name:"${name}" version:"v1"`;

function errorsOf(
  primary: WorkflowTemplate,
  tasks: TaskTemplate[],
  opts: { subWorkflows?: WorkflowTemplate[]; launchPlans?: LaunchPlanInterface[] } = {},
): CompileError[] {
  const result = compileWorkflow({ primary, tasks, subWorkflows: opts.subWorkflows ?? [], launchPlans: opts.launchPlans ?? [] });
  if (!("errors" in result)) throw new Error("expected compile errors");
  return result.errors;
}

const intTask = pythonTask("wf.inc", { x: T.int() }, { o0: T.int() });
const strTask = pythonTask("wf.greet", { name: T.str() }, { o0: T.str() });
const noIoTask = pythonTask("wf.noop", {}, {});

/** int input `a`, int output bound to n0.o0 */
const wfWith = (nodes: Node[], extra: Partial<Parameters<typeof workflow>[1]> = {}) =>
  workflow("wf", { inputs: { a: T.int() }, outputs: {}, nodes, ...extra });

describe("compile error kinds", () => {
  it("NoNodesFound", () => {
    expect(errorsOf(workflow("wf", { nodes: [] }), [])).toEqual([
      { code: "NoNodesFound", nodeId: idText("WORKFLOW", "wf"), description: `Can't find any nodes in workflow [${idText("WORKFLOW", "wf")}].` },
    ]);
  });

  it("DuplicateId (two sub-workflows with the same id)", () => {
    const sub = workflow("sub", { nodes: [taskNode("n0", noIoTask)] });
    const errs = errorsOf(wfWith([subWorkflowNode("n0", sub)]), [noIoTask], { subWorkflows: [sub, sub] });
    expect(errs).toEqual([
      { code: "DuplicateId", nodeId: idText("WORKFLOW", "sub"), description: "Trying to insert two nodes with the same id." },
    ]);
  });

  it("TaskReferenceNotFound", () => {
    const errs = errorsOf(wfWith([taskNode("n0", intTask, { inputs: { x: promise("", "a") } })]), []);
    expect(errs).toEqual([
      { code: "TaskReferenceNotFound", nodeId: "start-node", description: `Referenced Task [${idText("TASK", "wf.inc")}] not found.` },
    ]);
  });

  it("WorkflowReferenceNotFound (launch plan)", () => {
    const errs = errorsOf(wfWith([launchPlanNode("n0", launchPlanId("lp"))]), []);
    expect(errs).toEqual([
      { code: "WorkflowReferenceNotFound", nodeId: "start-node", description: `Referenced Workflow [${idText("LAUNCH_PLAN", "lp")}] not found.` },
    ]);
  });

  it("WorkflowReferenceNotFound (sub-workflow)", () => {
    const sub = workflow("sub", { nodes: [taskNode("n0", noIoTask)] });
    const errs = errorsOf(wfWith([subWorkflowNode("n0", sub)]), [noIoTask]);
    expect(errs).toEqual([
      { code: "WorkflowReferenceNotFound", nodeId: "n0", description: `Referenced Workflow [${idText("WORKFLOW", "sub")}] not found.` },
    ]);
  });

  it("CycleDetected", () => {
    const a = taskNode("a", intTask, { inputs: { x: promise("", "a") }, upstream: ["b"] });
    const b = taskNode("b", intTask, { inputs: { x: promise("a", "o0") } });
    expect(errorsOf(wfWith([a, b]), [intTask])).toEqual([
      { code: "CycleDetected", nodeId: "start-node", description: "A cycle has been detected while traversing the Workflow [start-node>a>b>a]." },
    ]);
  });

  it("UnreachableNodes", () => {
    const n = taskNode("n1", noIoTask, { upstream: ["ghost"] });
    expect(errorsOf(wfWith([n]), [noIoTask])).toEqual([
      { code: "UnreachableNodes", nodeId: "start-node", description: "The Workflow contain unreachable nodes [n1]." },
    ]);
  });

  it("ParameterNotBound (node input)", () => {
    expect(errorsOf(wfWith([taskNode("n0", intTask)]), [intTask])).toEqual([
      { code: "ParameterNotBound", nodeId: "n0", description: "Parameter not bound [x]." },
    ]);
  });

  it("ParameterNotBound (workflow output)", () => {
    const wf = workflow("wf", { outputs: { o0: T.int() }, nodes: [taskNode("n0", noIoTask)] });
    expect(errorsOf(wf, [noIoTask])).toEqual([
      { code: "ParameterNotBound", nodeId: "end-node", description: "Parameter not bound [o0]." },
    ]);
  });

  it("MismatchingTypes (promise)", () => {
    const n0 = taskNode("n0", strTask, { inputs: { name: strValue("x") } });
    const n1 = taskNode("n1", intTask, { inputs: { x: promise("n0", "o0") } });
    expect(errorsOf(wfWith([n0, n1]), [intTask, strTask])).toEqual([
      {
        code: "MismatchingTypes",
        nodeId: "n1",
        description:
          "The output variable 'n0.o0' has type [simple:STRING], but it's assigned to the input variable 'n1.x' which has type type [simple:INTEGER].",
      },
    ]);
  });

  it("MismatchingTypes (constant)", () => {
    const n0 = taskNode("n0", intTask, { inputs: { x: strValue("seven") } });
    expect(errorsOf(wfWith([n0]), [intTask])).toEqual([
      { code: "MismatchingTypes", nodeId: "n0", description: "Variable [x] (type [simple:STRING]) doesn't match expected type [simple:INTEGER]." },
    ]);
  });

  it("VariableNameNotFound (unknown input)", () => {
    const n0 = taskNode("n0", intTask, { inputs: { x: intValue(1), nope: intValue(2) } });
    expect(errorsOf(wfWith([n0]), [intTask])).toEqual([
      { code: "VariableNameNotFound", nodeId: "n0", description: "Variable [nope] not found on node [n0]." },
    ]);
  });

  it("VariableNameNotFound + ParameterNotBound (unknown output)", () => {
    const n0 = taskNode("n0", intTask, { inputs: { x: promise("", "missing") } });
    expect(errorsOf(wfWith([n0]), [intTask])).toEqual([
      { code: "ParameterNotBound", nodeId: "n0", description: "Parameter not bound [x]." },
      { code: "VariableNameNotFound", nodeId: "start-node", description: "Variable [missing] not found on node [start-node]." },
    ]);
  });

  it("ParameterBoundMoreThanOnce", () => {
    const n0 = taskNode("n0", intTask, { inputs: { x: intValue(1) } });
    n0.inputs.push(...taskNode("tmp", intTask, { inputs: { x: intValue(2) } }).inputs);
    expect(errorsOf(wfWith([n0]), [intTask])).toEqual([
      { code: "ParameterBoundMoreThanOnce", nodeId: "n0", description: "Input [x] is bound more than once." },
    ]);
  });

  it("NodeReferenceNotFound", () => {
    const n0 = taskNode("n0", intTask, { inputs: { x: promise("ghost", "o0") } });
    expect(errorsOf(wfWith([n0]), [intTask])).toEqual([
      { code: "NodeReferenceNotFound", nodeId: "ghost", description: "Referenced node [ghost] not found." },
      { code: "ParameterNotBound", nodeId: "n0", description: "Parameter not bound [x]." },
    ]);
  });

  it("MismatchingBindings", () => {
    const n0 = taskNode("n0", intTask, { inputs: { x: listOf(intValue(1)) } });
    expect(errorsOf(wfWith([n0]), [intTask])).toEqual([
      {
        code: "MismatchingBindings",
        nodeId: "n0",
        description: "Input [x] on node [n0] expects bindings of type [simple:INTEGER].  Received [bindings:{scalar:{primitive:{integer:1}}}]",
      },
    ]);
  });

  it("IllegalEnumValue", () => {
    const t = pythonTask("wf.paint", { color: T.enum("red", "green") }, {});
    const n0 = taskNode("n0", t, { inputs: { color: strValue("blue") } });
    expect(errorsOf(wfWith([n0]), [t])).toEqual([
      {
        code: "IllegalEnumValue",
        nodeId: "n0",
        description: "Input [color] on node [n0] is an Enum and expects value to be one of [[red green]].  Received [blue]",
      },
    ]);
  });

  it("AmbiguousBindingUnionValue", () => {
    const t = pythonTask("wf.u", { x: T.union(T.list(T.int()), T.list(T.float())) }, {});
    const n0 = taskNode("n0", t, { inputs: { x: listOf() } });
    expect(errorsOf(wfWith([n0]), [t])).toEqual([
      {
        code: "AmbiguousBindingUnionValue",
        nodeId: "n0",
        description:
          "Input [x] on node [n0] expects bindings of union type [union_type:{variants:{collection_type:{simple:INTEGER}} variants:{collection_type:{simple:FLOAT}}}].  Received [collection:{}] which is ambiguous as both variants [collection_type:{simple:INTEGER}] and [collection_type:{simple:FLOAT}] match.",
      },
    ]);
  });

  it("IncompatibleBindingUnionValue", () => {
    const t = pythonTask("wf.u", { x: T.union(T.int(), T.str()) }, {});
    const n0 = taskNode("n0", t, { inputs: { x: listOf(intValue(1)) } });
    expect(errorsOf(wfWith([n0]), [t])).toEqual([
      {
        code: "IncompatibleBindingUnionValue",
        nodeId: "n0",
        description:
          "Input [x] on node [n0] expects bindings of union type [union_type:{variants:{simple:INTEGER} variants:{simple:STRING}}].  Received [collection:{bindings:{scalar:{primitive:{integer:1}}}}] which does not match any of the variants.",
      },
    ]);
  });

  it("ValueRequired (variable without type)", () => {
    const wf = wfWith([taskNode("n0", noIoTask)]);
    wf.interface!.inputs!.variables.a!.type = undefined;
    expect(errorsOf(wf, [noIoTask])).toEqual([
      { code: "ValueRequired", nodeId: "start-node", description: "Value required [param.Type]." },
    ]);
  });

  it("DuplicateAlias", () => {
    const n0 = taskNode("n0", intTask, { inputs: { x: intValue(1) } });
    n0.outputAliases = [
      { $typeName: "flyteidl.core.Alias", var: "o0", alias: "first" },
      { $typeName: "flyteidl.core.Alias", var: "o0", alias: "second" },
    ];
    expect(errorsOf(wfWith([n0]), [intTask])).toContainEqual({
      code: "DuplicateAlias",
      nodeId: "n0",
      description: "Duplicate alias [second] found. An output alias can only be used once in the Workflow.",
    });
  });

  it("SyntaxError (promise variable)", () => {
    const n0 = taskNode("n0", intTask, { inputs: { x: promise("", "a.b") } });
    expect(errorsOf(wfWith([n0]), [intTask])).toEqual([
      { code: "SyntaxError", nodeId: "n0", description: "Failed to parse element [a.b]." },
    ]);
  });

  it("FieldNotFound (attribute path into a dataclass)", () => {
    const dc = create(LiteralTypeSchema, { type: { case: "simple", value: SimpleType.STRUCT }, structure: { dataclassType: { a: T.int() } } });
    const producer = pythonTask("wf.make", {}, { o0: dc });
    const n0 = taskNode("n0", producer);
    const n1 = taskNode("n1", intTask, { inputs: { x: promise("n0", "o0") } });
    const p = n1.inputs[0]!.binding!.value;
    if (p.case === "promise") p.value.attrPath = [{ $typeName: "flyteidl.core.PromiseAttribute", value: { case: "stringValue", value: "b" } }];
    expect(errorsOf(wfWith([n0, n1]), [producer, intTask])).toEqual([
      {
        code: "FieldNotFound",
        nodeId: "n1",
        description: "Variable [o0] (type [simple:STRUCT structure:{dataclass_type:{key:\"a\" value:{simple:INTEGER}}}]) doesn't have field [b].",
      },
    ]);
  });

  it("UnrecognizedValue (blob constant without metadata)", () => {
    const t = pythonTask("wf.read", { f: T.blob() }, {});
    const blob: BindingData = create(BindingDataSchema, {
      value: { case: "scalar", value: { value: { case: "blob", value: { uri: "s3://b/k" } } } },
    });
    const n0 = taskNode("n0", t, { inputs: { f: blob } });
    expect(errorsOf(wfWith([n0]), [t])).toEqual([
      { code: "UnrecognizedValue", nodeId: "n0", description: "Unrecognized value [*core.Scalar_Blob]." },
    ]);
  });

  it("NoConditionFound (gate without condition)", () => {
    const gate = approveNode("g", "sig");
    if (gate.target.case === "gateNode") gate.target.value.condition = { case: undefined };
    expect(errorsOf(wfWith([gate]), [])).toEqual([
      { code: "NoConditionFound", nodeId: "g", description: "Can't find any condition in gate node [g]." },
    ]);
  });

  it("BranchNodeHasNoDefault", () => {
    const b = branchNode("b", { var: "a", equals: 1 }, taskNode("t", noIoTask), undefined, { inputs: { a: promise("", "a") } });
    if (b.target.case === "branchNode") b.target.value.ifElse!.default = { case: undefined };
    expect(errorsOf(wfWith([b]), [noIoTask])).toEqual([
      { code: "BranchNodeHasNoDefault", nodeId: "b", description: "Branch Node must have either the else case set or a default error." },
    ]);
  });

  it("BranchNodeHasNoCondition", () => {
    const b = branchNode("b", { var: "a", equals: 1 }, taskNode("t", noIoTask), undefined, { inputs: { a: promise("", "a") } });
    if (b.target.case === "branchNode") b.target.value.ifElse!.case!.condition = undefined;
    expect(errorsOf(wfWith([b]), [noIoTask])).toEqual([
      { code: "BranchNodeHasNoCondition", nodeId: "b", description: "One of the branches on the node doesn't have a condition." },
    ]);
  });

  it("MismatchingTypes (branch condition compares different types)", () => {
    const b = branchNode("b", { var: "s", equals: 1 }, taskNode("t", noIoTask), undefined, { inputs: { s: promise("", "s") } });
    const wf = workflow("wf", { inputs: { s: T.str() }, nodes: [b] });
    expect(errorsOf(wf, [noIoTask])).toEqual([
      { code: "MismatchingTypes", nodeId: "b", description: "Variable [RightValue] (type [simple:INTEGER]) doesn't match expected type [simple:STRING]." },
    ]);
  });

  it("MismatchingTypes (branches produce the same output with different types)", () => {
    const b = branchNode("b", { var: "a", equals: 1 }, taskNode("t1", intTask, { inputs: { x: promise("", "a") } }),
      taskNode("t2", strTask, { inputs: { name: strValue("x") } }), { inputs: { a: promise("", "a") } });
    // As in flytepropeller the failure cascades: without an interface the branch
    // cannot resolve its condition variable and gets no edge from start-node.
    expect(errorsOf(wfWith([b]), [intTask, strTask])).toEqual([
      { code: "MismatchingTypes", nodeId: "b-t2", description: "Variable [o0] (type [simple:INTEGER]) doesn't match expected type [simple:STRING]." },
      { code: "UnreachableNodes", nodeId: "start-node", description: "The Workflow contain unreachable nodes [b]." },
      { code: "ValueRequired", nodeId: "b", description: "Value required [a]." },
    ]);
  });

  it("ValueRequired (launch plan without expected outputs)", () => {
    const lp: LaunchPlanInterface = { id: launchPlanId("lp"), expectedInputs: undefined, expectedOutputs: undefined };
    const errs = errorsOf(wfWith([launchPlanNode("n0", lp.id)]), [], { launchPlans: [lp] });
    expect(errs).toEqual([
      { code: "ValueRequired", nodeId: "n0", description: "Value required [WorkflowNode.ExpectedInputs]." },
      { code: "ValueRequired", nodeId: "n0", description: "Value required [WorkflowNode.ExpectedOutputs]." },
    ]);
  });

  it("collects several errors instead of stopping at the first", () => {
    const n0 = taskNode("n0", intTask);
    const n1 = taskNode("n1", intTask, { inputs: { x: strValue("s") } });
    const errs = errorsOf(wfWith([n0, n1]), [intTask]);
    expect(errs.map((e) => `${e.code}@${e.nodeId}`)).toEqual(["MismatchingTypes@n1", "ParameterNotBound@n0"]);
  });

  it("does not confuse ids: same name, other version is a different task", () => {
    const v2 = pythonTask("wf.inc", { x: T.int() }, { o0: T.int() });
    v2.id!.version = "v2";
    const errs = errorsOf(wfWith([taskNode("n0", intTask, { inputs: { x: intValue(1) } })]), [v2]);
    expect(errs.map((e) => e.code)).toEqual(["TaskReferenceNotFound"]);
    expect(workflowId("wf").resourceType).toBe(2);
  });
});
