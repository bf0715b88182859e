// The real payloads flytekit 1.16 registers (see /work/shared/fixtures/flytekit/README.md).
import { describe, expect, it } from "vitest";
import { equals, fromBinary, toBinary } from "@bufbuild/protobuf";
import { type CompiledWorkflowClosure, CompiledWorkflowClosureSchema } from "../../../gen/flyteidl/core/compiler_pb.js";
import { compileWorkflow, formatCompileErrors, workflowRequirements } from "../../../src/core/compiler/index.js";
import { identifierText } from "../../../src/core/compiler/proto-text.js";
import { create } from "@bufbuild/protobuf";
import { LaunchPlanSchema } from "../../../gen/flyteidl/admin/launch_plan_pb.js";
import { DOMAIN, PROJECT, T, VERSION } from "../../fixtures/flyte-builders.js";
import { loadFlytekitPackage as loadPackage } from "../../fixtures/flytekit.js";

/** The package's specs as pyflyte register sends them. */
function loadFlytekitPackage(name: "hello" | "typed_dag") {
  const pkg = loadPackage(name, PROJECT, DOMAIN, VERSION);
  return {
    tasks: pkg.tasks.map((t) => t.spec),
    workflows: pkg.workflows.map((w) => w.spec),
    launchPlans: pkg.launchPlans.map((lp) => create(LaunchPlanSchema, { id: lp.id, spec: lp.spec })),
  };
}

function compilePackage(dir: "hello" | "typed_dag"): CompiledWorkflowClosure {
  const pkg = loadFlytekitPackage(dir);
  const spec = pkg.workflows[0]!;
  const reqs = workflowRequirements(spec.template!, spec.subWorkflows);
  // Load the required tasks the way FlyteAdmin does: by id, in requirement order.
  const byId = new Map(pkg.tasks.map((t) => [identifierText(t.template!.id), t.template!]));
  const tasks = reqs.tasks.map((id) => byId.get(identifierText(id))!);
  const result = compileWorkflow({ primary: spec.template!, subWorkflows: spec.subWorkflows, tasks, launchPlans: [] });
  if ("errors" in result) throw new Error(formatCompileErrors(result.errors));
  return result.closure;
}

const connections = (c: CompiledWorkflowClosure) => {
  const conn = c.primary!.connections!;
  const m = (x: typeof conn.upstream) => Object.fromEntries(Object.entries(x).map(([k, v]) => [k, v.ids]));
  return { upstream: m(conn.upstream), downstream: m(conn.downstream) };
};

describe("flytekit payloads: hello", () => {
  it("requires exactly its one task, with the filled-in id", () => {
    const pkg = loadFlytekitPackage("hello");
    const reqs = workflowRequirements(pkg.workflows[0]!.template!, []);
    expect(reqs.tasks.map(identifierText)).toEqual([
      'resource_type:TASK project:"flytesnacks" domain:"development" name:"cfx.hello.wf.say_hello" version:"v1"',
    ]);
    expect(reqs.launchPlans).toEqual([]);
    expect(reqs.errors).toEqual([]);
  });

  it("compiles to start → n0 → end", () => {
    const c = compilePackage("hello");
    expect(c.primary!.template!.nodes.map((n) => n.id)).toEqual(["start-node", "end-node", "n0"]);
    expect(connections(c)).toEqual({
      upstream: { n0: ["start-node"], "end-node": ["n0"] },
      downstream: { "start-node": ["n0"], n0: ["end-node"] },
    });
    expect(c.tasks.map((t) => t.template!.id!.name)).toEqual(["cfx.hello.wf.say_hello"]);
    const n0 = c.primary!.template!.nodes[2]!;
    expect(n0.inputs[0]!.binding!.value).toMatchObject({ case: "promise", value: { nodeId: "start-node", var: "name" } });
  });

  it("fails like FlyteAdmin when the task was not registered", () => {
    const pkg = loadFlytekitPackage("hello");
    const result = compileWorkflow({ primary: pkg.workflows[0]!.template!, subWorkflows: [], tasks: [], launchPlans: [] });
    expect("errors" in result && formatCompileErrors(result.errors)).toBe(
      "Collected Errors: 1\n\tError 0: Code: TaskReferenceNotFound, Node Id: start-node, Description: Referenced Task " +
        '[resource_type:TASK project:"flytesnacks" domain:"development" name:"cfx.hello.wf.say_hello" version:"v1"] not found.\n',
    );
  });
});

describe("flytekit payloads: typed_dag (fan-in)", () => {
  it("requires the four tasks, sorted by name", () => {
    const pkg = loadFlytekitPackage("typed_dag");
    const reqs = workflowRequirements(pkg.workflows[0]!.template!, []);
    expect(reqs.tasks.map((t) => t.name)).toEqual([
      "cfx.typed_dag.wf.combine",
      "cfx.typed_dag.wf.describe",
      "cfx.typed_dag.wf.scale",
      "cfx.typed_dag.wf.total",
    ]);
  });

  const c = compilePackage("typed_dag");

  it("connects the DAG: total reads scale and workflow inputs, combine fans in describe and total", () => {
    expect(connections(c)).toEqual({
      upstream: {
        n0: ["start-node"],
        n1: ["start-node"],
        n2: ["n0", "start-node"],
        n3: ["n1", "n2"],
        "end-node": ["n3"],
      },
      downstream: {
        "start-node": ["n0", "n1", "n2"],
        n0: ["n2"],
        n1: ["n3"],
        n2: ["n3"],
        n3: ["end-node"],
      },
    });
  });

  it("keeps the typed interface and binds the workflow output to combine", () => {
    const tpl = c.primary!.template!;
    expect(Object.keys(tpl.interface!.inputs!.variables).sort()).toEqual(["a", "f", "flag", "s", "weights", "when", "xs"]);
    const end = tpl.nodes[1]!;
    expect(end.id).toBe("end-node");
    expect(end.inputs[0]!.binding!.value).toMatchObject({ case: "promise", value: { nodeId: "n3", var: "o0" } });
    expect(tpl.nodes.slice(2).map((n) => n.id)).toEqual(["n0", "n1", "n2", "n3"]);
    expect(tpl.nodes.find((n) => n.id === "n3")!.upstreamNodeIds).toEqual(["n1", "n2"]);
  });

  it("stores the four tasks once each and survives a binary round trip", () => {
    expect(c.tasks.map((t) => t.template!.id!.name)).toEqual([
      "cfx.typed_dag.wf.combine",
      "cfx.typed_dag.wf.describe",
      "cfx.typed_dag.wf.scale",
      "cfx.typed_dag.wf.total",
    ]);
    const again = fromBinary(CompiledWorkflowClosureSchema, toBinary(CompiledWorkflowClosureSchema, c));
    expect(equals(CompiledWorkflowClosureSchema, again, c)).toBe(true);
  });

  it("rejects the DAG when a task's input type changes", () => {
    const pkg = loadFlytekitPackage("typed_dag");
    const tasks = pkg.tasks.map((t) => t.template!);
    const total = tasks.find((t) => t.id!.name.endsWith(".total"))!;
    // factor: float → str; scale's float output no longer fits.
    total.interface!.inputs!.variables.factor!.type = T.str();
    const result = compileWorkflow({ primary: pkg.workflows[0]!.template!, subWorkflows: [], tasks, launchPlans: [] });
    expect("errors" in result && result.errors).toEqual([
      {
        code: "MismatchingTypes",
        nodeId: "n2",
        description:
          "The output variable 'scale.o0' has type [simple:FLOAT], but it's assigned to the input variable 'total.factor' which has type type [simple:STRING].",
      },
    ]);
  });
});
