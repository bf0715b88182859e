import { clone, create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { LaunchPlanMetadataSchema, LaunchPlanSpecSchema, LaunchPlanState } from "../../gen/flyteidl/admin/launch_plan_pb.js";
import { WorkflowExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import { type Identifier, ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import { WorkflowSpecSchema } from "../../gen/flyteidl/admin/workflow_pb.js";
import type { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import { branchNode, DOMAIN, intValue, promise, PROJECT, pythonTask, subWorkflowNode, T, taskNode, workflow } from "../fixtures/flyte-builders.js";
import { loadFlytekitPackage, registerPackage } from "../fixtures/flytekit.js";

/**
 * What the console's browsing pages are tested against: flytekit's real `hello` and `typed_dag`
 * packages (hello in two versions, its launch plan active and a scheduled copy), a workflow with a
 * branch and a sub-workflow for the graph, and executions in every end state plus running and
 * queued ones, moved there by the same events flytepropeller sends.
 */
export interface ConsoleSeed {
  project: string;
  domain: string;
  hello: { workflow: Identifier; task: Identifier; launchPlan: Identifier };
  typedDag: { workflow: Identifier };
  control: { workflow: Identifier };
  scheduled: Identifier;
  executions: { name: string; phase: Phase }[];
}

export async function seedConsole(admin: Client<typeof AdminService>): Promise<ConsoleSeed> {
  try {
    await admin.registerProject({ project: { id: PROJECT, name: PROJECT, description: "Examples the console is tested with" } });
  } catch (err) {
    if (!(err instanceof ConnectError && err.code === Code.AlreadyExists)) throw err;
  }
  const hello1 = loadFlytekitPackage("hello", PROJECT, DOMAIN, "v1");
  await registerPackage(admin, hello1);
  await registerPackage(admin, loadFlytekitPackage("hello", PROJECT, DOMAIN, "v2"));
  const dag = loadFlytekitPackage("typed_dag", PROJECT, DOMAIN, "v1");
  await registerPackage(admin, dag);
  const helloLp = hello1.launchPlans[0]!;
  await admin.updateLaunchPlan({ id: helloLp.id, state: LaunchPlanState.ACTIVE });

  const scheduled = { ...helloLp.id, name: `${helloLp.id.name}_daily` };
  const spec = clone(LaunchPlanSpecSchema, helloLp.spec);
  spec.entityMetadata = create(LaunchPlanMetadataSchema, { schedule: { ScheduleExpression: { case: "cronSchedule", value: { schedule: "0 6 * * *" } } } });
  await admin.createLaunchPlan({ id: scheduled, spec });

  const control = await registerControlFlow(admin);

  const t0 = Date.now() - 6 * 3600_000;
  const at = (minutes: number) => timestampFromDate(new Date(t0 + minutes * 60_000));
  const runs: [string, Phase | undefined, number][] = [
    ["ok-1", Phase.SUCCEEDED, 0],
    ["ok-2", Phase.SUCCEEDED, 60],
    ["bad-1", Phase.FAILED, 120],
    ["stopped-1", Phase.ABORTED, 180],
    ["running-1", Phase.RUNNING, 240],
    ["queued-1", undefined, 300],
  ];
  for (const [name, phase, start] of runs) {
    const id = { project: PROJECT, domain: DOMAIN, name };
    await admin.createExecution({ ...id, spec: { launchPlan: helloLp.id }, inputs: {} });
    if (phase === undefined) continue;
    const event = (p: Phase, minutes: number, extra: object = {}) =>
      admin.createWorkflowEvent({ event: { executionId: id, phase: p, occurredAt: at(minutes), producerId: "propeller", ...extra } });
    await event(Phase.RUNNING, start);
    if (phase === Phase.FAILED) {
      await event(Phase.FAILED, start + 3, { outputResult: { case: "error", value: { code: "USER:ValueError", message: "name must not be empty", kind: 1 } } });
    } else if (phase === Phase.ABORTED) {
      await admin.terminateExecution({ id, cause: "stopped by a test" });
    } else if (phase !== Phase.RUNNING) {
      await event(phase, start + 2);
    }
  }
  return {
    project: PROJECT,
    domain: DOMAIN,
    hello: { workflow: hello1.workflows[0]!.id, task: hello1.tasks[0]!.id, launchPlan: helloLp.id },
    typedDag: { workflow: dag.workflows[0]!.id },
    control: { workflow: control },
    scheduled: { ...scheduled, resourceType: ResourceType.LAUNCH_PLAN },
    executions: runs.map(([name, phase]) => ({ name, phase: phase ?? Phase.QUEUED })),
  };
}

/** `double(x)`, then `if x == 1: add_one else: double`, then a sub-workflow of two steps. */
export async function registerControlFlow(admin: Client<typeof AdminService>): Promise<Identifier> {
  const double = pythonTask("ctl.tasks.double", { x: T.int() }, { o0: T.int() });
  const addOne = pythonTask("ctl.tasks.add_one", { x: T.int() }, { o0: T.int() });
  for (const t of [double, addOne]) await admin.createTask({ id: t.id, spec: { template: t } });
  const sub = workflow("ctl.flow.inner", {
    inputs: { x: T.int() },
    outputs: { o0: T.int() },
    nodes: [
      taskNode("s0", addOne, { inputs: { x: promise("", "x") } }),
      taskNode("s1", double, { inputs: { x: promise("s0", "o0") }, upstream: ["s0"] }),
    ],
    outputBindings: { o0: promise("s1", "o0") },
  });
  const main = workflow("ctl.flow.main", {
    inputs: { x: T.int() },
    outputs: { o0: T.int() },
    nodes: [
      taskNode("n0", double, { inputs: { x: promise("", "x") } }),
      branchNode(
        "n1",
        { var: "x", equals: 1 },
        taskNode("n1-then", addOne, { inputs: { x: promise("n0", "o0") } }),
        taskNode("n1-else", double, { inputs: { x: promise("n0", "o0") } }),
        { inputs: { x: promise("", "x") }, upstream: ["n0"] },
      ),
      subWorkflowNode("n2", sub, { inputs: { x: intValue(3) }, upstream: ["n1"] }),
    ],
    outputBindings: { o0: promise("n2", "o0") },
  });
  await admin.createWorkflow({ id: main.id, spec: create(WorkflowSpecSchema, { template: main, subWorkflows: [sub] }) });
  return main.id!;
}
