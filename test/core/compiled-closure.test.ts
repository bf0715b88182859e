// A compiled closure encoded from its task templates' encodings must be the
// very bytes toBinary gives and the very digest structureDigest gives: stored
// workflows are compared by that digest on re-registration.
import { createHash } from "node:crypto";
import { create, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  type CompiledWorkflowClosure,
  CompiledWorkflowClosureSchema,
  CompiledLaunchPlanSchema,
  CompiledTaskSchema,
} from "../../gen/flyteidl/core/compiler_pb.js";
import { ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import { SecurityContextSchema } from "../../gen/flyteidl/core/security_pb.js";
import { type TaskTemplate, TaskTemplateSchema } from "../../gen/flyteidl/core/tasks_pb.js";
import type { WorkflowTemplate } from "../../gen/flyteidl/core/workflow_pb.js";
import { type EncodedTemplate, encodeCompiledClosure, encodeTemplate } from "../../src/core/compiled-closure.js";
import { compileWorkflow, formatCompileErrors, type LaunchPlanInterface, workflowRequirements } from "../../src/core/compiler/index.js";
import { identifierText } from "../../src/core/compiler/proto-text.js";
import { canonicalJson, structureDigest } from "../../src/core/digest.js";
import {
  DOMAIN, PROJECT, T, VERSION, approveNode, arrayNode, branchNode, launchPlanId, launchPlanInterface, launchPlanNode, promise,
  pythonTask, signalNode, subWorkflowNode, taskNode, workflow,
} from "../fixtures/flyte-builders.js";
import { loadFlytekitPackage } from "../fixtures/flytekit.js";
import { seededRandom } from "../helpers/seeded-random.js";

/** How the digests already stored were made: SHA-256 of the canonical JSON's text. */
const storedWay = (c: CompiledWorkflowClosure) => createHash("sha256").update(JSON.stringify(canonicalJson(CompiledWorkflowClosureSchema, c))).digest();

function expectSame(closure: CompiledWorkflowClosure, known: ReadonlyMap<TaskTemplate, EncodedTemplate>) {
  const { bytes, digest } = encodeCompiledClosure(closure, known);
  expect(Buffer.from(bytes).equals(Buffer.from(toBinary(CompiledWorkflowClosureSchema, closure)))).toBe(true);
  expect(digest.equals(structureDigest(CompiledWorkflowClosureSchema, closure))).toBe(true);
  expect(digest.equals(storedWay(closure))).toBe(true);
}

const encodedAll = (tasks: TaskTemplate[]) => new Map(tasks.map((t) => [t, encodeTemplate(t)]));

function compiled(primary: WorkflowTemplate, tasks: TaskTemplate[], subWorkflows: WorkflowTemplate[] = [], launchPlans: LaunchPlanInterface[] = []) {
  const result = compileWorkflow({ primary, subWorkflows, tasks, launchPlans });
  if ("errors" in result) throw new Error(formatCompileErrors(result.errors));
  return result.closure;
}

/** Text that exercises the encoders: escapes, non-ASCII, astral characters, integer-like map keys. */
const odd = ["", "a", "10", "2", "0", "é", "naïve café", "雪", "😀 emoji", 'quote " \\ \n \t', "\u0001 control", "k".repeat(300)];

function randomTask(rand: () => number, n: number): TaskTemplate {
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]!;
  const t = pythonTask(`mod.task_${n}_${pick(["x", "é", "雪"])}`, { x: T.int(), ...(rand() < 0.5 ? { s: T.optional(T.str()) } : {}) }, { o0: T.int() });
  const config: Record<string, string> = {};
  for (let i = Math.floor(rand() * 5); i > 0; i--) config[pick(odd)] = pick(odd);
  t.config = config;
  if (rand() < 0.5) t.custom = create(TaskTemplateSchema, { custom: { a: pick(odd), n: rand() * 1000, nested: { list: [1, "two", null, true] } } }).custom;
  if (rand() < 0.3) t.securityContext = create(SecurityContextSchema, { runAs: { k8sServiceAccount: pick(odd) }, secrets: [{ group: pick(odd), key: pick(odd) }] });
  if (t.target.case === "container") t.target.value.env = [{ $typeName: "flyteidl.core.KeyValuePair", key: pick(odd), value: pick(odd) }];
  return t;
}

describe("encodeCompiledClosure", () => {
  it("gives toBinary's bytes and structureDigest's digest for compiled chains and fan-outs of random tasks", () => {
    for (let seed = 1; seed <= 40; seed++) {
      const rand = seededRandom(seed);
      const tasks = Array.from({ length: 1 + Math.floor(rand() * 12) }, (_, n) => randomTask(rand, n));
      const fanOut = rand() < 0.5;
      const nodes = tasks.map((t, n) =>
        taskNode(`n${n}`, t, fanOut || n === 0 ? { inputs: { x: promise("", "x") } } : { inputs: { x: promise(`n${n - 1}`, "o0") }, upstream: [`n${n - 1}`] }),
      );
      const wf = workflow(`wf.random_${seed}`, { inputs: { x: T.int() }, outputs: { o0: T.int() }, nodes, outputBindings: { o0: promise(`n${tasks.length - 1}`, "o0") } });
      const closure = compiled(wf, tasks);
      expectSame(closure, encodedAll(tasks));
      // Some templates known, others not: each is put in from wherever it comes.
      expectSame(closure, new Map([...encodedAll(tasks)].filter(() => rand() < 0.5)));
    }
  });

  it("does so for branches, sub-workflows, launch plans, map and gate nodes", () => {
    const inc = pythonTask("wf.inc", { x: T.int() }, { o0: T.int() });
    const show = pythonTask("wf.show", { x: T.int() }, { o0: T.str() });
    const many = pythonTask("wf.many", { x: T.list(T.int()) }, { o0: T.list(T.int()) });
    const sub = workflow("wf.sub", { inputs: { a: T.int() }, outputs: { o0: T.int() }, nodes: [taskNode("s0", inc, { inputs: { x: promise("", "a") } })], outputBindings: { o0: promise("s0", "o0") } });
    const lp = launchPlanId("wf.other");
    const wf = workflow("wf.all", {
      inputs: { x: T.int(), xs: T.list(T.int()) },
      outputs: { out: T.str() },
      nodes: [
        taskNode("n0", inc, { inputs: { x: promise("", "x") } }),
        branchNode("b", { var: "x", equals: 1 }, taskNode("b-then", inc, { inputs: { x: promise("n0", "o0") } }), taskNode("b-else", inc, { inputs: { x: promise("n0", "o0") } }), { inputs: { x: promise("n0", "o0") }, upstream: ["n0"] }),
        subWorkflowNode("s", sub, { inputs: { a: promise("n0", "o0") }, upstream: ["n0"] }),
        launchPlanNode("l", lp, { inputs: { a: promise("", "x") } }),
        arrayNode("m", taskNode("m-inner", many), { inputs: { x: promise("", "xs") } }),
        signalNode("g", "sig", "answer", T.int()),
        approveNode("ok", "approve", { inputs: { x: promise("n0", "o0") }, upstream: ["n0"] }),
        taskNode("n1", show, { inputs: { x: promise("s", "o0") }, upstream: ["s"] }),
      ],
      outputBindings: { out: promise("n1", "o0") },
    });
    const tasks = [show, inc, many];
    const closure = compiled(wf, tasks, [sub], [launchPlanInterface(lp, { a: { type: T.int(), required: true } }, { o0: T.int() })]);
    expect(closure.subWorkflows).toHaveLength(1);
    expectSame(closure, encodedAll(tasks));
  });

  it("does so for the packages flytekit registers", () => {
    for (const name of ["hello", "typed_dag", "launch_types"] as const) {
      const pkg = loadFlytekitPackage(name, PROJECT, DOMAIN, VERSION);
      const byId = new Map(pkg.tasks.map((t) => [identifierText(t.spec.template!.id), t.spec.template!]));
      for (const wf of pkg.workflows) {
        const reqs = workflowRequirements(wf.spec.template!, wf.spec.subWorkflows);
        const tasks = reqs.tasks.map((id) => byId.get(identifierText(id))!);
        const lps = reqs.launchPlans.map((id) => {
          const lp = pkg.launchPlans.find((l) => identifierText(l.id) === identifierText(id))!;
          return { id, expectedInputs: lp.spec.defaultInputs, expectedOutputs: wf.spec.template!.interface?.outputs };
        });
        expectSame(compiled(wf.spec.template!, tasks, wf.spec.subWorkflows, lps), encodedAll(tasks));
      }
    }
  });

  it("puts in a task normalised while compiling as compiled, not as registered", () => {
    // An interface without outputs gets an empty output map while compiling; the closure carries that.
    const bare = pythonTask("wf.bare", { x: T.int() }, {});
    bare.interface!.outputs = undefined;
    const registered = encodeTemplate(bare);
    const wf = workflow("wf.uses_bare", { inputs: { x: T.int() }, nodes: [taskNode("n0", bare, { inputs: { x: promise("", "x") } })] });
    const closure = compiled(wf, [bare]);
    expect(bare.interface!.outputs).toBeUndefined();
    expect(closure.tasks[0]!.template!.interface!.outputs).toBeDefined();
    expectSame(closure, new Map([[bare, registered]]));
  });

  it("does so for closures the compiler does not make: no primary, launch plans, empty or unknown parts", () => {
    const t1 = randomTask(seededRandom(7), 1);
    const t2 = randomTask(seededRandom(8), 2);
    const known = encodedAll([t1, t2]);
    const shapes: MessageInitShape<typeof CompiledWorkflowClosureSchema>[] = [
      {},
      { tasks: [{ template: t1 }] },
      { tasks: [create(CompiledTaskSchema), { template: t2 }, { template: t1 }, { template: t1 }] },
      { primary: { template: workflow("wf.p", { nodes: [] }) }, launchPlans: [create(CompiledLaunchPlanSchema, { template: { id: { resourceType: ResourceType.LAUNCH_PLAN, name: "lp" } } })], tasks: [{ template: t2 }] },
      { subWorkflows: [{ template: workflow("wf.s1", { nodes: [] }) }, { template: workflow("wf.s2", { nodes: [] }) }], tasks: [{ template: t1 }] },
    ];
    for (const shape of shapes) expectSame(create(CompiledWorkflowClosureSchema, shape), known);

    // Unknown fields: on the closure, on a compiled task, inside a template.
    const unknown = { no: 99, wireType: 2, data: new Uint8Array([3, 97, 98, 99]) };
    const onClosure = create(CompiledWorkflowClosureSchema, { tasks: [{ template: t1 }] });
    onClosure.$unknown = [unknown];
    expectSame(onClosure, known);
    const onTask = create(CompiledWorkflowClosureSchema, { tasks: [{ template: t1 }, { template: t2 }] });
    onTask.tasks[1]!.$unknown = [unknown];
    expectSame(onTask, known);
    const inTemplate = create(TaskTemplateSchema, t2);
    const withUnknown = { ...inTemplate, $unknown: [unknown] } as TaskTemplate;
    expectSame(create(CompiledWorkflowClosureSchema, { tasks: [{ template: withUnknown }] }), encodedAll([withUnknown]));
  });
});
