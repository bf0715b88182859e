/**
 * The dynamic workflow builder (engine-spec §5.4) on futures files flytekit
 * wrote: the generated template, the children's tasks, and the compiler's
 * verdict, pure (no engine).
 */
import { clone, create, fromBinary } from "@bufbuild/protobuf";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { TaskSpecSchema } from "../../../gen/flyteidl/admin/task_pb.js";
import { type DynamicJobSpec, DynamicJobSpecSchema } from "../../../gen/flyteidl/core/dynamic_job_pb.js";
import { ResourceType } from "../../../gen/flyteidl/core/identifier_pb.js";
import { KeyValuePairSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import { TaskTemplateSchema } from "../../../gen/flyteidl/core/tasks_pb.js";
import { NodeSchema } from "../../../gen/flyteidl/core/workflow_pb.js";
import {
  compileDynamicWorkflow,
  type DynamicWorkflowSource,
  dynamicLaunchPlanIds,
  dynamicNodeCount,
  dynamicTaskTemplates,
  dynamicWorkflowTemplate,
} from "../../../src/engine/local/dynamic-workflow.js";
import { bindings, intValue, launchPlanInterface, listOf, promise, T } from "../../fixtures/flyte-builders.js";

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "dynamic_units");
const futures = (file: string) => fromBinary(DynamicJobSpecSchema, readFileSync(join(FIXTURES, file)));
const template = (file: string) => fromBinary(TaskSpecSchema, readFileSync(join(FIXTURES, file))).template!;

const source = (spec: DynamicJobSpec, parentFile = "squares_1.pb"): DynamicWorkflowSource => ({
  spec,
  parent: template(parentFile),
  execution: { project: "flytesnacks", domain: "development" },
  nodeId: "n0",
  version: "abcdefghij",
});

describe("the dynamic workflow of a futures file", () => {
  it("is named after the node, with the spec's nodes and the parent task's outputs only", () => {
    const s = source(futures("squares_futures.pb"));
    const wf = dynamicWorkflowTemplate(s);
    expect(wf.id).toMatchObject({ resourceType: ResourceType.WORKFLOW, project: "flytesnacks", domain: "development", name: "dynamic_n0", version: "abcdefghij" });
    expect(wf.nodes.map((n) => n.id)).toEqual(["dn0", "dn1", "dn2"]);
    expect(wf.outputs.map((o) => o.var)).toEqual(["o0"]);
    expect(Object.keys(wf.interface?.inputs?.variables ?? {})).toEqual([]);
    expect(wf.interface?.outputs?.variables.o0?.type?.type).toMatchObject({ case: "collectionType" });
  });

  it("compiles into a closure whose children start from the start node and feed the end node", () => {
    const built = compileDynamicWorkflow(source(futures("squares_futures.pb")), []);
    if (!("closure" in built)) throw new Error(built.userError);
    const primary = built.closure.primary!;
    expect(primary.template?.nodes.map((n) => n.id).sort()).toEqual(["dn0", "dn1", "dn2", "end-node", "start-node"]);
    expect(primary.connections?.upstream["dn1"]?.ids).toEqual(["start-node"]);
    expect([...(primary.connections?.upstream["end-node"]?.ids ?? [])].sort()).toEqual(["dn0", "dn1", "dn2"]);
    expect(primary.template?.interface?.outputs?.variables.o0).toBeDefined();
    // The children's task, named the way flytekit named it from FLYTE_INTERNAL_TASK_*.
    expect(built.closure.tasks.map((t) => t.template?.id)).toMatchObject([
      { resourceType: ResourceType.TASK, project: "flytesnacks", domain: "development", name: "engine_e2e.dynamic_wf.square", version: "v1" },
    ]);
    const dn2 = primary.template!.nodes.find((n) => n.id === "dn2")!;
    expect(dn2.inputs.find((b) => b.var === "x")?.binding?.value).toMatchObject({ case: "scalar" });
    expect(dn2.metadata?.name).toBe("square");
  });

  it("compiles a dynamic whose child is itself a dynamic task", () => {
    const built = compileDynamicWorkflow({ ...source(futures("nested_futures.pb"), "nested_1.pb"), nodeId: "dn0" }, []);
    if (!("closure" in built)) throw new Error(built.userError);
    expect(built.closure.primary?.template?.id?.name).toBe("dynamic_dn0");
    const squares = built.closure.tasks[0]!.template!;
    expect(squares.id?.name).toBe("engine_e2e.dynamic_wf.squares");
    // The serialisation settings the inner dynamic needs to build its own children travel with it.
    expect(squares.target.case === "container" && squares.target.value.env.map((e) => e.key)).toEqual(["_F_SS_C"]);
  });

  it("hands the parent's container config down to the children's container tasks, once per task", () => {
    const s = source(futures("squares_futures.pb"));
    const parent = clone(TaskTemplateSchema, s.parent);
    if (parent.target.case !== "container") throw new Error("not a container task");
    parent.target.value.config.push(create(KeyValuePairSchema, { key: "primary_container_name", value: "main" }));
    const spec = clone(DynamicJobSpecSchema, s.spec);
    spec.tasks.push(clone(DynamicJobSpecSchema, s.spec).tasks[0]!);
    const tasks = dynamicTaskTemplates(spec, parent);
    expect(tasks).toHaveLength(1);
    const c = tasks[0]!.target;
    expect(c.case === "container" && c.value.config.map((kv) => [kv.key, kv.value])).toEqual([["primary_container_name", "main"]]);
    // The spec itself is left as it was.
    expect(spec.tasks[0]!.target.case === "container" && spec.tasks[0]!.target.value.config).toEqual([]);
  });

  it("is the user's error when a child's task is not in the spec", () => {
    const spec = clone(DynamicJobSpecSchema, futures("squares_futures.pb"));
    spec.tasks = [];
    const built = compileDynamicWorkflow(source(spec), []);
    expect(built).toHaveProperty("userError");
    const message = (built as { userError: string }).userError;
    expect(message).toMatch(/^\[User\] malformed dynamic workflow, caused by: Collected Errors: 1\n/);
    expect(message).toContain("Code: TaskReferenceNotFound");
    expect(message).toContain('name:"engine_e2e.dynamic_wf.square"');
  });

  it("is the user's error when a child's task does not compile", () => {
    const spec = clone(DynamicJobSpecSchema, futures("squares_futures.pb"));
    const t = spec.tasks[0]!.target;
    if (t.case === "container") t.value.image = "";
    const built = compileDynamicWorkflow(source(spec), []);
    expect((built as { userError: string }).userError).toMatch(/^\[User\] failed to compile dynamic tasks, caused by: Collected Errors: 1\n/);
  });

  it("refuses more nodes than the limit, counting the subworkflows' nodes", () => {
    const spec = futures("squares_futures.pb");
    expect(dynamicNodeCount(spec)).toBe(3);
    expect((compileDynamicWorkflow(source(spec), [], 2) as { userError: string }).userError).toBe(
      'number of nodes in dynamic workflow [resource_type:WORKFLOW project:"flytesnacks" domain:"development" name:"dynamic_n0" version:"abcdefghij"] exceeds limit (3 > 2)',
    );
    expect(compileDynamicWorkflow(source(spec), [], 3)).toHaveProperty("closure");
    expect(compileDynamicWorkflow(source(spec), [], 0)).toHaveProperty("closure");
  });

  it("names the launch plans it references and compiles against their interfaces", () => {
    const lp = { $typeName: "flyteidl.core.Identifier", resourceType: ResourceType.LAUNCH_PLAN, project: "flytesnacks", domain: "development", name: "lp.child", version: "v1", org: "" } as const;
    const spec = create(DynamicJobSpecSchema, {
      nodes: [create(NodeSchema, { id: "dn0", metadata: { name: "child" }, inputs: bindings({ x: intValue(3) }), target: { case: "workflowNode", value: { reference: { case: "launchplanRef", value: lp } } } })],
      outputs: bindings({ o0: listOf(promise("dn0", "o0")) }),
    });
    const s = source(spec);
    expect(dynamicLaunchPlanIds(s)).toEqual({ launchPlans: [lp] });
    const iface = launchPlanInterface(lp, { x: { type: T.int(), required: true } }, { o0: T.int() });
    const built = compileDynamicWorkflow(s, [iface]);
    if (!("closure" in built)) throw new Error(built.userError);
    expect(built.closure.primary?.template?.nodes.find((n) => n.id === "dn0")?.target.case).toBe("workflowNode");
    // Without it the workflow does not compile.
    expect((compileDynamicWorkflow(s, []) as { userError: string }).userError).toContain("malformed dynamic workflow");
  });
});
