import { create } from "@bufbuild/protobuf";
import { LaunchPlanSpecSchema } from "../../gen/flyteidl/admin/launch_plan_pb.js";
import type { Schedule } from "../../gen/flyteidl/admin/schedule_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { ScheduleSchema } from "../../gen/flyteidl/admin/schedule_pb.js";
import { TaskSpecSchema } from "../../gen/flyteidl/admin/task_pb.js";
import { WorkflowSpecSchema } from "../../gen/flyteidl/admin/workflow_pb.js";
import type { Identifier } from "../../gen/flyteidl/core/identifier_pb.js";
import { DOMAIN, launchPlanId, PROJECT, promise, pythonTask, T, taskNode, workflow } from "../fixtures/flyte-builders.js";

type Admin = {
  createTask(req: unknown): Promise<unknown>;
  createWorkflow(req: unknown): Promise<unknown>;
  createLaunchPlan(req: unknown): Promise<unknown>;
};

export const P = PROJECT;
export const D = DOMAIN;

const task = pythonTask("sched.report", { kickoff: T.datetime(), name: T.str() }, {});
const wf = workflow("sched.report_wf", {
  inputs: { kickoff: T.datetime(), name: T.str() },
  nodes: [taskNode("n0", task, { inputs: { kickoff: promise("", "kickoff"), name: promise("", "name") } })],
});

/** Registers the task and workflow every scheduled launch plan here launches (a datetime `kickoff` and a string `name`). */
export async function registerWorkflow(admin: Admin): Promise<void> {
  await admin.createTask({ id: task.id, spec: create(TaskSpecSchema, { template: task }) });
  await admin.createWorkflow({ id: wf.id, spec: create(WorkflowSpecSchema, { template: wf }) });
}

export const cron = (expression: string, kickoff = "kickoff"): MessageInitShape<typeof ScheduleSchema> => ({
  ScheduleExpression: { case: "cronSchedule", value: { schedule: expression } },
  kickoffTimeInputArg: kickoff,
});
export const deprecatedCron = (expression: string, kickoff = "kickoff"): MessageInitShape<typeof ScheduleSchema> => ({
  ScheduleExpression: { case: "cronExpression", value: expression },
  kickoffTimeInputArg: kickoff,
});
/** unit: MINUTE=0, HOUR=1, DAY=2. */
export const rate = (value: number, unit = 0, kickoff = "kickoff"): MessageInitShape<typeof ScheduleSchema> => ({
  ScheduleExpression: { case: "rate", value: { value, unit } },
  kickoffTimeInputArg: kickoff,
});

/**
 * Creates launch plan `name@version` of the workflow with a schedule: `name` has a
 * default; `kickoff` is required (the kickoff argument fills it) unless `kickoffDefault`.
 */
export async function createScheduledLaunchPlan(
  admin: Admin,
  name: string,
  version: string,
  schedule: MessageInitShape<typeof ScheduleSchema> | undefined,
): Promise<Identifier> {
  const id = launchPlanId(name, version);
  const spec = create(LaunchPlanSpecSchema, {
    workflowId: wf.id,
    defaultInputs: {
      parameters: {
        kickoff: { var: { type: T.datetime(), description: "kickoff" }, behavior: { case: "required", value: true } },
        name: {
          var: { type: T.str(), description: "name" },
          behavior: { case: "default", value: { value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "stringValue", value: "ada" } } } } } } },
        },
      },
    },
    entityMetadata: { schedule: schedule ? (create(ScheduleSchema, schedule) as Schedule) : undefined },
  });
  await admin.createLaunchPlan({ id, spec });
  return id;
}
