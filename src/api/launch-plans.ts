import { clone, create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  type LaunchPlanCreateRequest,
  LaunchPlanSchema,
  LaunchPlanSpecSchema,
  LaunchPlanState,
} from "../../gen/flyteidl/admin/launch_plan_pb.js";
import type { Schedule } from "../../gen/flyteidl/admin/schedule_pb.js";
import { ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import type { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import { structureDigest } from "../core/digest.js";
import { LAUNCH_PLAN_COLUMNS, WORKFLOW_COLUMNS } from "../core/entity-columns.js";
import { invalidArgument, missingField, notFound } from "../core/errors.js";
import { identifierText, missingEntityMessage, validateIdentifier } from "../core/identifier.js";
import { validateLaunchPlanSpec } from "../core/launch-plan-validation.js";
import { parseListRequest } from "../core/list-query.js";
import { parseIdList, parseVersionList } from "../core/named-lists.js";
import { nextToken } from "../core/pagination.js";
import { validateProjectAndDomain } from "../core/project-gate.js";
import { checkIdentifierText } from "../core/text-limits.js";
import type { ApiDeps } from "./deps.js";
import { refuseExisting } from "./registration.js";
import { withDefaultType } from "./tasks.js";

type Impl = Pick<
  ServiceImpl<typeof AdminService>,
  | "createLaunchPlan"
  | "getLaunchPlan"
  | "updateLaunchPlan"
  | "getActiveLaunchPlan"
  | "listActiveLaunchPlans"
  | "listLaunchPlans"
  | "listLaunchPlanIds"
>;

/** NONE, CRON or RATE, as FlyteAdmin records which schedule a launch plan has. */
function scheduleType(schedule: Schedule | undefined): string {
  const expr = schedule?.ScheduleExpression;
  if ((expr?.case === "cronExpression" && expr.value !== "") || expr?.case === "cronSchedule") return "CRON";
  if (expr?.case === "rate") return "RATE";
  return "NONE";
}

/** CreateLaunchPlan: validate against the workflow, store INACTIVE (the identical/different rule when the id is taken). */
export async function createLaunchPlanVersion({ store, domains }: ApiDeps, req: LaunchPlanCreateRequest): Promise<void> {
  // FlyteAdmin checks the workflow before the launch plan's own id.
  const workflowId = validateIdentifier(req.spec?.workflowId, ResourceType.WORKFLOW);
  const workflow = await store.workflows.getInterface(workflowId);
  if (!workflow) throw notFound(missingEntityMessage(workflowId));
  const id = validateIdentifier(req.id, ResourceType.LAUNCH_PLAN);
  await validateProjectAndDomain(store.projects, domains, id.project, id.domain);
  const spec = clone(LaunchPlanSpecSchema, req.spec!);
  const expectedInputs = validateLaunchPlanSpec(spec, workflow.typedInterface);
  // The stored spec carries the expected inputs as its default inputs.
  spec.defaultInputs = expectedInputs;
  const launchPlan = create(LaunchPlanSchema, {
    id,
    spec,
    closure: { expectedInputs, expectedOutputs: workflow.typedInterface?.outputs ?? {} },
  });
  const digest = structureDigest(LaunchPlanSchema, launchPlan);
  const existing = await store.launchPlans.create(launchPlan, digest, scheduleType(spec.entityMetadata?.schedule));
  if (!existing) return;
  refuseExisting({ kind: "launch plan", id, existing, digest, schema: LaunchPlanSpecSchema, before: existing.value.spec!, after: spec });
}

/** Launch plans (FlyteAdmin's LaunchPlanManager): validated against their workflow, created inactive, activated explicitly. */
export function launchPlanHandlers(deps: ApiDeps): Impl {
  const { store, schedules } = deps;
  const requireName = (id: { project: string; domain: string; name: string } | undefined) => {
    if (!id || id.project === "") throw missingField("project");
    if (id.domain === "") throw missingField("domain");
    if (id.name === "") throw missingField("name");
    checkIdentifierText(id);
    return id;
  };

  return {
    async createLaunchPlan(req) {
      await createLaunchPlanVersion(deps, req);
      return {};
    },

    async getLaunchPlan(req) {
      const id = validateIdentifier(withDefaultType(req.id, ResourceType.LAUNCH_PLAN), ResourceType.LAUNCH_PLAN);
      const launchPlan = await store.launchPlans.get(id);
      if (!launchPlan) throw notFound(missingEntityMessage(id));
      return launchPlan;
    },

    async updateLaunchPlan(req) {
      const id = validateIdentifier(withDefaultType(req.id, ResourceType.LAUNCH_PLAN), ResourceType.LAUNCH_PLAN);
      switch (req.state) {
        case LaunchPlanState.INACTIVE:
          if (!(await store.launchPlans.deactivate(id, schedules.now()))) throw notFound(missingEntityMessage(id));
          schedules.changed();
          return {};
        case LaunchPlanState.ACTIVE:
          if ((await store.launchPlans.activate(id, { now: schedules.now(), schedule: schedules.plan })) === "missing") throw notFound(missingEntityMessage(id));
          // Committed: the scheduler follows now, not at its next wake-up.
          schedules.changed();
          return {};
        default:
          throw invalidArgument(`Unrecognized launch plan state ${req.state} for update for launch plan [${identifierText(id)}]`);
      }
    },

    async getActiveLaunchPlan(req) {
      const { project, domain, name } = requireName(req.id);
      const launchPlan = await store.launchPlans.getActive({ project, domain, name });
      if (!launchPlan) throw notFound(`No active launch plan could be found: ${project}:${domain}:${name}`);
      return launchPlan;
    },

    async listActiveLaunchPlans(req) {
      if (req.project === "") throw missingField("project");
      if (req.domain === "") throw missingField("domain");
      checkIdentifierText({ project: req.project, domain: req.domain });
      const query = parseListRequest({ ...req, filters: "" }, { scope: [LAUNCH_PLAN_COLUMNS], op: "ListActiveLaunchPlans", maxPageSize: deps.limits.maxPageSize });
      const launchPlans = await store.launchPlans.listActive({ project: req.project, domain: req.domain }, query);
      return { launchPlans, token: nextToken(query.offset, launchPlans.length, req.limit) };
    },

    async listLaunchPlans(req) {
      const { project, domain, name, query } = parseVersionList(req, [LAUNCH_PLAN_COLUMNS, WORKFLOW_COLUMNS], "ListLaunchPlans", deps.limits.maxPageSize);
      const launchPlans = await store.launchPlans.list({ project, domain, name }, query);
      return { launchPlans, token: nextToken(query.offset, launchPlans.length, req.limit) };
    },

    async listLaunchPlanIds(req) {
      // Validated like ListTaskIds / ListWorkflowIds (`missing project`, `invalid value for limit`):
      // FlyteAdmin skips its own validation here and answers with repository texts
      // (`missing and/or invalid parameters: limit`). Its bad-token message names no operation.
      const query = parseIdList(req, LAUNCH_PLAN_COLUMNS, "", deps.limits.maxPageSize);
      const entities = await store.launchPlans.listIds({ project: req.project, domain: req.domain }, query);
      return { entities, token: nextToken(query.offset, entities.length, req.limit) };
    },
  };
}
