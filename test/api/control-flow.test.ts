import { create } from "@bufbuild/protobuf";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TaskSpecSchema } from "../../gen/flyteidl/admin/task_pb.js";
import { WorkflowSpecSchema } from "../../gen/flyteidl/admin/workflow_pb.js";
import type { WorkflowTemplate } from "../../gen/flyteidl/core/workflow_pb.js";
import type { App } from "../../src/app.js";
import { inMemoryAdmin } from "../helpers/app.js";
import { failure } from "../helpers/rpc-failure.js";
import {
  approveNode,
  arrayNode,
  branchNode,

  intValue,
  launchPlanId,
  launchPlanNode,
  PROJECT,
  promise,
  pythonTask,
  signalNode,
  subWorkflowNode,
  T,
  taskNode,
  workflow,
  workflowId,
} from "../fixtures/flyte-builders.js";

type Admin = Awaited<ReturnType<typeof inMemoryAdmin>>["admin"];

/**
 * Workflows using every control-flow construct flytekit produces, registered
 * through the RPCs: each one compiles against registered tasks and launch
 * plans, and the compiled graph reads back with the right edges.
 */
let app: App;
let admin: Admin;
const square = pythonTask("wf.square", { x: T.int() }, { o0: T.int() });
const squareAll = pythonTask("wf.square_all", { x: T.list(T.int()) }, { o0: T.list(T.int()) });

beforeEach(async () => {
  ({ app, admin } = await inMemoryAdmin());
  await admin.registerProject({ project: { id: PROJECT, name: PROJECT } });
  for (const t of [square, squareAll]) await admin.createTask({ id: t.id, spec: create(TaskSpecSchema, { template: t }) });
});
afterEach(() => app.close());

const registerWorkflow = (template: WorkflowTemplate, subWorkflows: WorkflowTemplate[] = []) =>
  admin.createWorkflow({ id: template.id, spec: create(WorkflowSpecSchema, { template, subWorkflows }) });
const connections = async (name: string) => {
  const wf = await admin.getWorkflow({ id: workflowId(name) });
  return wf.closure?.compiledWorkflow?.primary?.connections;
};
const ids = (set: { ids: string[] } | undefined) => set?.ids ?? [];

describe("control flow through CreateWorkflow", () => {
  it("compiles a conditional branch", async () => {
    await registerWorkflow(
      workflow("wf.cond", {
        inputs: { x: T.int() },
        outputs: { o: T.int() },
        nodes: [
          taskNode("n0", square, { inputs: { x: promise("", "x") } }),
          branchNode("n1", { var: ".x", equals: 4 }, taskNode("n1-n0", square, { inputs: { x: promise("n0", "o0") } }), taskNode("n1-n1", square, { inputs: { x: intValue(0) } }), {
            inputs: { ".x": promise("n0", "o0") },
          }),
        ],
        outputBindings: { o: promise("n1", "o0") },
      }),
    );
    const c = await connections("wf.cond");
    expect(ids(c?.upstream.n1)).toEqual(["n0"]);
    expect(ids(c?.upstream["end-node"])).toEqual(["n1"]);
  });

  it("compiles a sub-workflow and a launch plan node", async () => {
    const inner = workflow("wf.inner", {
      inputs: { x: T.int() },
      outputs: { o: T.int() },
      nodes: [taskNode("n0", square, { inputs: { x: promise("", "x") } })],
      outputBindings: { o: promise("n0", "o0") },
    });
    await registerWorkflow(inner);
    await admin.createLaunchPlan({ id: launchPlanId("wf.inner"), spec: { workflowId: workflowId("wf.inner") } });
    await registerWorkflow(
      workflow("wf.outer", {
        inputs: { x: T.int() },
        outputs: { a: T.int(), b: T.int() },
        nodes: [
          subWorkflowNode("n0", inner, { inputs: { x: promise("", "x") } }),
          launchPlanNode("n1", launchPlanId("wf.inner"), { inputs: { x: promise("n0", "o") } }),
        ],
        outputBindings: { a: promise("n0", "o"), b: promise("n1", "o") },
      }),
      [inner],
    );
    const wf = await admin.getWorkflow({ id: workflowId("wf.outer") });
    expect(wf.closure?.compiledWorkflow?.subWorkflows.map((s) => s.template?.id?.name)).toEqual(["wf.inner"]);
    expect(ids(wf.closure?.compiledWorkflow?.primary?.connections?.upstream.n1)).toEqual(["n0"]);
    // The launch plan must exist: a missing one is a compile failure, not NOT_FOUND.
    const missing = workflow("wf.lp_missing", { nodes: [launchPlanNode("n0", launchPlanId("wf.nope"), { inputs: { x: intValue(1) } })] });
    const err = await failure(registerWorkflow(missing));
    expect(err.code).toBe("InvalidArgument");
    expect(err.message).toContain('missing entity of type LAUNCH_PLAN with identifier project:"flytesnacks" domain:"development" name:"wf.nope"');
  });

  it("compiles a map (array) node and gate nodes", async () => {
    await registerWorkflow(
      workflow("wf.mapped", {
        inputs: { xs: T.list(T.int()) },
        outputs: { o: T.list(T.int()) },
        nodes: [
          approveNode("approve", "ok", { inputs: { xs: promise("", "xs") } }),
          arrayNode("map", taskNode("map-n0", squareAll, {}), { inputs: { x: promise("approve", "xs") } }),
          signalNode("wait", "go", "confirmed", T.bool(), { upstream: ["map"] }),
        ],
        outputBindings: { o: promise("map", "o0") },
      }),
    );
    const c = await connections("wf.mapped");
    expect(ids(c?.upstream.map)).toEqual(["approve"]);
    expect(ids(c?.upstream.wait)).toEqual(["map"]);
    expect(ids(c?.downstream["start-node"])).toEqual(["approve"]);
  });

  it("reports an unbound input and a cycle cut off from the start node with flytepropeller's codes", async () => {
    const err = await failure(
      registerWorkflow(
        workflow("wf.bad", {
          nodes: [taskNode("a", square, { inputs: { x: promise("b", "o0") } }), taskNode("b", square, { inputs: { x: promise("a", "o0") } }), taskNode("c", square)],
        }),
      ),
    );
    expect(err.code).toBe("InvalidArgument");
    expect(err.message).toMatch(/^failed to compile workflow for \[resource_type:WORKFLOW project:"flytesnacks" domain:"development" name:"wf\.bad" version:"v1"\] with err: Collected Errors: \d+\n/);
    expect(err.message).toContain("Code: ParameterNotBound, Node Id: c, Description: Parameter not bound [x].");
    // a and b only feed each other, so nothing reaches them from start-node.
    expect(err.message).toContain("Code: UnreachableNodes, Node Id: start-node, Description: The Workflow contain unreachable nodes [a,b].");
  });
});

