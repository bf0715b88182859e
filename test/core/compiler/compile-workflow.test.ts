// Compiling builder-made workflows: the closure's shape and each node kind.
import { describe, expect, it } from "vitest";
import { clone, create, equals, fromBinary, toBinary } from "@bufbuild/protobuf";
import { type CompiledWorkflowClosure, CompiledWorkflowClosureSchema, type ConnectionSet } from "../../../gen/flyteidl/core/compiler_pb.js";
import { NodeSchema, type WorkflowTemplate, WorkflowTemplateSchema } from "../../../gen/flyteidl/core/workflow_pb.js";
import { type TaskTemplate, TaskTemplateSchema } from "../../../gen/flyteidl/core/tasks_pb.js";
import { VariableMapSchema } from "../../../gen/flyteidl/core/interface_pb.js";
import { compileWorkflow, formatCompileErrors, type LaunchPlanInterface } from "../../../src/core/compiler/index.js";
import {
  T, approveNode, arrayNode, branchNode, intValue, launchPlanId, launchPlanInterface, launchPlanNode, listOf, promise,
  pythonTask, signalNode, strValue, subWorkflowNode, taskNode, workflow,
} from "../../fixtures/flyte-builders.js";

function compile(
  primary: WorkflowTemplate,
  tasks: TaskTemplate[],
  opts: { subWorkflows?: WorkflowTemplate[]; launchPlans?: LaunchPlanInterface[] } = {},
): CompiledWorkflowClosure {
  const result = compileWorkflow({ primary, tasks, subWorkflows: opts.subWorkflows ?? [], launchPlans: opts.launchPlans ?? [] });
  if ("errors" in result) throw new Error(formatCompileErrors(result.errors));
  return result.closure;
}

const conn = (c: { connections?: ConnectionSet }) => {
  const m = (x: Record<string, { ids: string[] }>) => Object.fromEntries(Object.entries(x).map(([k, v]) => [k, v.ids]));
  return { upstream: m(c.connections?.upstream ?? {}), downstream: m(c.connections?.downstream ?? {}) };
};

const inc = pythonTask("wf.inc", { x: T.int() }, { o0: T.int() });
const double = pythonTask("wf.double", { x: T.int() }, { o0: T.int() });
const show = pythonTask("wf.show", { x: T.int() }, { o0: T.str() });
const noop = pythonTask("wf.noop", {}, {});

describe("compileWorkflow: closure shape", () => {
  const wf = workflow("wf.chain", {
    inputs: { a: T.int() },
    outputs: { out: T.str() },
    nodes: [
      taskNode("n1", show, { inputs: { x: promise("n0", "o0") }, upstream: ["n0"] }),
      taskNode("n0", inc, { inputs: { x: promise("", "a") } }),
    ],
    outputBindings: { out: promise("n1", "o0") },
  });
  const original = clone(WorkflowTemplateSchema, wf);
  const closure = compile(wf, [show, inc, inc]);
  const tpl = closure.primary!.template!;

  it("rebuilds nodes as start-node, end-node, then user nodes in their order", () => {
    expect(tpl.nodes.map((n) => n.id)).toEqual(["start-node", "end-node", "n1", "n0"]);
    expect(equals(NodeSchema, tpl.nodes[0]!, create(NodeSchema, { id: "start-node" }))).toBe(true);
  });

  it("end-node's inputs are the workflow output bindings", () => {
    const end = tpl.nodes[1]!;
    expect(end.inputs.map((b) => b.var)).toEqual(["out"]);
    expect(end.inputs[0]!.binding!.value).toEqual(tpl.outputs[0]!.binding!.value);
    expect(end.target.case).toBeUndefined();
  });

  it("rewrites empty promise node ids to start-node", () => {
    const n0 = tpl.nodes.find((n) => n.id === "n0")!;
    expect(n0.inputs[0]!.binding!.value).toMatchObject({ case: "promise", value: { nodeId: "start-node", var: "a" } });
  });

  it("records connections both ways, lists sorted", () => {
    expect(conn(closure.primary!)).toEqual({
      upstream: { n0: ["start-node"], n1: ["n0"], "end-node": ["n1"] },
      downstream: { "start-node": ["n0"], n0: ["n1"], n1: ["end-node"] },
    });
  });

  it("stores each distinct task once, sorted by identifier", () => {
    expect(closure.tasks.map((t) => t.template!.id!.name)).toEqual(["wf.inc", "wf.show"]);
  });

  it("does not modify its inputs and round-trips through binary", () => {
    expect(equals(WorkflowTemplateSchema, wf, original)).toBe(true);
    const bytes = toBinary(CompiledWorkflowClosureSchema, closure);
    expect(equals(CompiledWorkflowClosureSchema, fromBinary(CompiledWorkflowClosureSchema, bytes), closure)).toBe(true);
  });

  it("holds the given task templates, or copies of those whose interface it fills in", () => {
    expect(closure.tasks.map((t) => t.template)).toEqual([inc, show]);
    expect(closure.tasks[0]!.template).toBe(inc);
    const partial = pythonTask("wf.partial", { x: T.int() }, {});
    partial.interface!.outputs = undefined;
    const given = clone(TaskTemplateSchema, partial);
    const c = compile(workflow("wf.partial", { inputs: { x: T.int() }, nodes: [taskNode("n0", partial, { inputs: { x: promise("", "x") } })] }), [partial]);
    expect(equals(TaskTemplateSchema, partial, given)).toBe(true);
    expect(c.tasks[0]!.template).not.toBe(partial);
    expect(c.tasks[0]!.template!.interface!.outputs).toEqual(create(VariableMapSchema));
  });

  it("normalises a missing interface to empty input/output maps", () => {
    const bare = workflow("wf.bare", { nodes: [taskNode("n0", noop)] });
    bare.interface = undefined;
    const c = compile(bare, [noop]);
    expect(c.primary!.template!.interface!.inputs).toBeDefined();
    expect(c.primary!.template!.interface!.outputs).toBeDefined();
    expect(conn(c.primary!)).toEqual({
      upstream: { n0: ["start-node"], "end-node": ["n0"] },
      downstream: { "start-node": ["n0"], n0: ["end-node"] },
    });
  });

  it("sorts upstream_node_ids and keeps explicit-only ordering edges", () => {
    const c = compile(
      workflow("wf.order", { nodes: [taskNode("z", noop), taskNode("a", noop), taskNode("m", noop, { upstream: ["z", "a"] })] }),
      [noop],
    );
    expect(c.primary!.template!.nodes.find((n) => n.id === "m")!.upstreamNodeIds).toEqual(["a", "z"]);
    expect(conn(c.primary!).downstream).toEqual({ "start-node": ["a", "z"], a: ["m"], z: ["m"], m: ["end-node"] });
  });

  it("fan-out and fan-in", () => {
    const add = pythonTask("wf.add", { x: T.int(), y: T.int() }, { o0: T.int() });
    const c = compile(
      workflow("wf.diamond", {
        inputs: { a: T.int() },
        outputs: { o: T.int() },
        nodes: [
          taskNode("l", inc, { inputs: { x: promise("", "a") } }),
          taskNode("r", double, { inputs: { x: promise("", "a") } }),
          taskNode("j", add, { inputs: { x: promise("l", "o0"), y: promise("r", "o0") } }),
        ],
        outputBindings: { o: promise("j", "o0") },
      }),
      [inc, double, add],
    );
    expect(conn(c.primary!)).toEqual({
      upstream: { l: ["start-node"], r: ["start-node"], j: ["l", "r"], "end-node": ["j"] },
      downstream: { "start-node": ["l", "r"], l: ["j"], r: ["j"], j: ["end-node"] },
    });
  });

  it("drops a second node with an already used id", () => {
    const c = compile(workflow("wf.dup", { nodes: [taskNode("n0", noop), taskNode("n0", inc, { inputs: { x: intValue(1) } })] }), [noop, inc]);
    expect(c.primary!.template!.nodes.map((n) => n.id)).toEqual(["start-node", "end-node", "n0"]);
    expect(c.primary!.template!.nodes[2]!.target.value).toMatchObject({ reference: { value: { name: "wf.noop" } } });
  });

  it("lets optional inputs stay unbound and accepts constants of the right type", () => {
    const t = pythonTask("wf.opt", { maybe: T.optional(T.int()), xs: T.list(T.int()), s: T.enum("a", "b") }, {});
    const c = compile(workflow("wf.o", { nodes: [taskNode("n0", t, { inputs: { xs: listOf(intValue(1), intValue(2)), s: strValue("a") } })] }), [t]);
    expect(c.primary!.template!.nodes).toHaveLength(3);
  });

  it("a failure node records only what it reads", () => {
    const wf2 = workflow("wf.fail", {
      inputs: { a: T.int() },
      nodes: [taskNode("n0", inc, { inputs: { x: promise("", "a") } })],
      failureNode: taskNode("on-fail", inc, { inputs: { x: promise("n0", "o0") } }),
    });
    const c = compile(wf2, [inc]);
    expect(conn(c.primary!)).toEqual({
      upstream: { n0: ["start-node"], "end-node": ["n0"], "on-fail": ["n0"] },
      downstream: { "start-node": ["n0"], n0: ["end-node"] },
    });
  });
});

describe("compileWorkflow: node kinds", () => {
  it("conditional: sub-node ids get the branch id prefix; outputs common to all branches", () => {
    const b = branchNode(
      "b",
      { var: "x", equals: 1 },
      taskNode("then", inc, { inputs: { x: promise("n0", "o0") } }),
      taskNode("else", double, { inputs: { x: promise("n0", "o0") } }),
      { inputs: { x: promise("n0", "o0") }, upstream: ["n0"] },
    );
    const c = compile(
      workflow("wf.cond", {
        inputs: { a: T.int() },
        outputs: { o: T.int() },
        nodes: [taskNode("n0", inc, { inputs: { x: promise("", "a") } }), b],
        outputBindings: { o: promise("b", "o0") },
      }),
      [inc, double],
    );
    const branch = c.primary!.template!.nodes.find((n) => n.id === "b")!;
    const ifElse = branch.target.case === "branchNode" ? branch.target.value.ifElse! : undefined;
    expect(ifElse!.case!.thenNode!.id).toBe("b-then");
    expect(ifElse!.default.value).toMatchObject({ id: "b-else" });
    expect(conn(c.primary!)).toEqual({
      upstream: { n0: ["start-node"], b: ["n0"], "b-then": ["n0"], "b-else": ["n0"], "end-node": ["b"] },
      downstream: { "start-node": ["n0"], n0: ["b"], b: ["end-node"] },
    });
  });

  it("sub-workflow: compiled in place and its interface is the node's", () => {
    const sub = workflow("wf.sub", {
      inputs: { x: T.int() },
      outputs: { y: T.int() },
      nodes: [taskNode("s0", inc, { inputs: { x: promise("", "x") } })],
      outputBindings: { y: promise("s0", "o0") },
    });
    const unused = workflow("wf.unused", { nodes: [taskNode("u0", noop)] });
    const c = compile(
      workflow("wf.parent", {
        inputs: { a: T.int() },
        outputs: { o: T.int() },
        nodes: [subWorkflowNode("p0", sub, { inputs: { x: promise("", "a") } })],
        outputBindings: { o: promise("p0", "y") },
      }),
      [inc, noop],
      { subWorkflows: [sub, unused] },
    );
    expect(c.subWorkflows.map((s) => s.template!.id!.name)).toEqual(["wf.sub", "wf.unused"]);
    const compiledSub = c.subWorkflows[0]!;
    expect(compiledSub.template!.nodes.map((n) => n.id)).toEqual(["start-node", "end-node", "s0"]);
    expect(conn(compiledSub).downstream).toEqual({ "start-node": ["s0"], s0: ["end-node"] });
    expect(c.subWorkflows[1]!.template!.nodes.map((n) => n.id)).toEqual(["u0"]);
    expect(c.subWorkflows[1]!.connections).toBeUndefined();
    expect(c.tasks.map((t) => t.template!.id!.name)).toEqual(["wf.inc", "wf.noop"]);

    // Binding the sub-workflow node with the wrong type fails against its interface.
    const bad = compileWorkflow({
      primary: workflow("wf.parent", { nodes: [subWorkflowNode("p0", sub, { inputs: { x: strValue("no") } })] }),
      subWorkflows: [sub],
      tasks: [inc],
      launchPlans: [],
    });
    expect("errors" in bad && bad.errors.map((e) => e.code)).toEqual(["MismatchingTypes"]);
  });

  it("launch plan node: required inputs must be bound, defaulted ones may be", () => {
    const lp = launchPlanInterface(launchPlanId("lp.child"), { req: { type: T.int(), required: true }, opt: { type: T.str(), required: false } }, { r: T.str() });
    const ok = compile(
      workflow("wf.lp", {
        inputs: { a: T.int() },
        outputs: { o: T.str() },
        nodes: [launchPlanNode("l0", lp.id, { inputs: { req: promise("", "a") } })],
        outputBindings: { o: promise("l0", "r") },
      }),
      [],
      { launchPlans: [lp] },
    );
    expect(conn(ok.primary!).upstream).toEqual({ l0: ["start-node"], "end-node": ["l0"] });
    expect(ok.tasks).toEqual([]);

    const missing = compileWorkflow({
      primary: workflow("wf.lp", { nodes: [launchPlanNode("l0", lp.id, { inputs: { opt: strValue("x") } })] }),
      subWorkflows: [],
      tasks: [],
      launchPlans: [lp],
    });
    expect("errors" in missing && missing.errors).toEqual([{ code: "ParameterNotBound", nodeId: "l0", description: "Parameter not bound [req]." }]);
  });

  it("array (map) node: uses the inner node's interface as serialised", () => {
    const mapped = pythonTask("wf.mapped", { x: T.list(T.int()) }, { o0: T.list(T.str()) });
    const inner = taskNode("n0-inner", mapped);
    const c = compile(
      workflow("wf.map", {
        inputs: { xs: T.list(T.int()) },
        outputs: { o: T.list(T.str()) },
        nodes: [arrayNode("n0", inner, { inputs: { x: promise("", "xs") } })],
        outputBindings: { o: promise("n0", "o0") },
      }),
      [mapped],
    );
    expect(conn(c.primary!).downstream).toEqual({ "start-node": ["n0"], n0: ["end-node"] });
    expect(c.tasks.map((t) => t.template!.id!.name)).toEqual(["wf.mapped"]);
  });

  it("gate nodes: a signal's output feeds downstream, sleep and approve fit in the graph", () => {
    const sleep = create(NodeSchema, { id: "nap", target: { case: "gateNode", value: { condition: { case: "sleep", value: { duration: { seconds: 5n } } } } } });
    const c = compile(
      workflow("wf.gate", {
        inputs: { a: T.int() },
        outputs: { o: T.int() },
        nodes: [
          signalNode("sig", "approve-me", "n", T.int()),
          taskNode("use", inc, { inputs: { x: promise("sig", "n") } }),
          approveNode("ok", "looks-good", { inputs: { v: promise("use", "o0") } }),
          sleep,
        ],
        outputBindings: { o: promise("ok", "v") },
      }),
      [inc],
    );
    expect(conn(c.primary!)).toEqual({
      upstream: { sig: ["start-node"], use: ["sig"], ok: ["use"], nap: ["start-node"], "end-node": ["nap", "ok"] },
      downstream: { "start-node": ["nap", "sig"], sig: ["use"], use: ["ok"], ok: ["end-node"], nap: ["end-node"] },
    });
  });

  it("a branch may only read nodes declared before it", () => {
    const b = branchNode("b", { var: "x", equals: 1 }, taskNode("t", noop), undefined, { inputs: { x: promise("later", "o0") } });
    const result = compileWorkflow({
      primary: workflow("wf.fwd", { nodes: [b, taskNode("later", inc, { inputs: { x: intValue(1) } })] }),
      subWorkflows: [],
      tasks: [inc, noop],
      launchPlans: [],
    });
    expect("errors" in result && result.errors.map((e) => e.code)).toContain("NodeReferenceNotFound");
  });

  it("a sub-workflow that contains itself is reported instead of recursing forever", () => {
    const self = workflow("wf.self", { nodes: [] });
    self.nodes.push(subWorkflowNode("again", self));
    const result = compileWorkflow({
      primary: workflow("wf.top", { nodes: [subWorkflowNode("s", self)] }),
      subWorkflows: [self],
      tasks: [],
      launchPlans: [],
    });
    expect("errors" in result && result.errors.map((e) => e.code)).toContain("CycleDetected");
  });
});
