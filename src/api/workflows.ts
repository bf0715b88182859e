import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { CreateWorkflowFailureReasonSchema, type WorkflowCreateRequest, WorkflowSchema } from "../../gen/flyteidl/admin/workflow_pb.js";
import { CompiledWorkflowClosureSchema } from "../../gen/flyteidl/core/compiler_pb.js";
import { type Identifier, ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import type { TaskTemplate } from "../../gen/flyteidl/core/tasks_pb.js";
import type { WorkflowTemplate } from "../../gen/flyteidl/core/workflow_pb.js";
import type { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import { compileWorkflow, formatCompileErrors, type LaunchPlanInterface, workflowRequirements } from "../core/compiler/index.js";
import { type EncodedTemplate, encodeCompiledClosure } from "../core/compiled-closure.js";
import { WORKFLOW_COLUMNS } from "../core/entity-columns.js";
import { type ErrorDetail, invalidArgument, missingField, notFound } from "../core/errors.js";
import { identifierText, missingEntityMessage, validateIdentifier } from "../core/identifier.js";
import { parseIdList, parseVersionList } from "../core/named-lists.js";
import { nextToken } from "../core/pagination.js";
import { validateProjectAndDomain } from "../core/project-gate.js";
import { checkIdentifierText } from "../core/text-limits.js";
import { immutableAnswers, versionCacheKey } from "./answer-cache.js";
import type { ApiDeps } from "./deps.js";
import { descriptionEntityOf, refuseExisting } from "./registration.js";
import { withDefaultType } from "./tasks.js";

type Impl = Pick<ServiceImpl<typeof AdminService>, "createWorkflow" | "getWorkflow" | "listWorkflows" | "listWorkflowIds">;

const failureReason = (id: Identifier, kind: "existsIdenticalStructure" | "existsDifferentStructure"): ErrorDetail[] => [
  { desc: CreateWorkflowFailureReasonSchema, value: create(CreateWorkflowFailureReasonSchema, { reason: { case: kind, value: { id } } }) },
];

/**
 * CreateWorkflow: compile against the registered tasks and launch plans, then
 * store the version (the identical/different rule when its id is taken).
 */
export async function createWorkflowVersion({ store, domains, limits, taskTemplates }: ApiDeps, req: WorkflowCreateRequest): Promise<void> {
  const id = validateIdentifier(req.id, ResourceType.WORKFLOW);
  await validateProjectAndDomain(store.projects, domains, id.project, id.domain);
  if (!req.spec?.template) throw missingField("spec");
  // The compiler works on a copy of its own: this one only carries the checked id.
  const template: WorkflowTemplate = { ...req.spec.template, id };
  // Every failure while compiling, a missing dependency included, is INVALID_ARGUMENT.
  const compileFailure = (reason: string) => invalidArgument(`failed to compile workflow for [${identifierText(id)}] with err: ${reason}`);
  const requirements = workflowRequirements(template, req.spec.subWorkflows);
  if (requirements.errors.length > 0) throw compileFailure(formatCompileErrors(requirements.errors));
  // Each registered template with its encoding, which the compiled closure's encoding reuses.
  const tasks = new Map<TaskTemplate, EncodedTemplate>();
  for (const taskId of requirements.tasks) {
    checkIdentifierText(taskId);
    const task = await taskTemplates.get(taskId);
    if (!task) throw compileFailure(missingEntityMessage(taskId, ResourceType.TASK));
    tasks.set(task.template, task);
  }
  const launchPlans: LaunchPlanInterface[] = [];
  for (const lpId of requirements.launchPlans) {
    checkIdentifierText(lpId);
    const lp = await store.launchPlans.get(lpId);
    if (!lp) throw compileFailure(missingEntityMessage(lpId, ResourceType.LAUNCH_PLAN));
    launchPlans.push({ id: lpId, expectedInputs: lp.closure?.expectedInputs, expectedOutputs: lp.closure?.expectedOutputs });
  }
  const compiled = compileWorkflow({ primary: template, subWorkflows: req.spec.subWorkflows, tasks: [...tasks.keys()], launchPlans });
  if ("errors" in compiled) throw compileFailure(formatCompileErrors(compiled.errors));
  const userNodes = (compiled.closure.primary?.template?.nodes.length ?? 2) - 2;
  if (limits.maxWorkflowNodes > 0 && userNodes > limits.maxWorkflowNodes) {
    throw invalidArgument(`number of nodes in workflow [${identifierText(id)}] exceeds limit (${userNodes} > ${limits.maxWorkflowNodes})`);
  }
  const { bytes, digest } = encodeCompiledClosure(compiled.closure, tasks);
  const description = req.spec.description;
  const workflow = { id, compiled: bytes, shortDescription: description?.shortDescription ?? "" };
  const existing = await store.workflows.create(workflow, req.spec.template.interface, digest, descriptionEntityOf(id, description));
  if (!existing) return;
  refuseExisting({
    kind: "workflow",
    id,
    existing,
    digest,
    schema: CompiledWorkflowClosureSchema,
    before: existing.value.closure!.compiledWorkflow!,
    after: compiled.closure,
    identicalDetails: failureReason(id, "existsIdenticalStructure"),
    differentDetails: failureReason(id, "existsDifferentStructure"),
  });
}

/** Workflows (FlyteAdmin's WorkflowManager): compiled at registration against the registered tasks and launch plans. */
export function workflowHandlers(deps: ApiDeps): Impl {
  const { store } = deps;
  // A workflow version never changes once registered.
  const answers = immutableAnswers(WorkflowSchema);
  return {
    async createWorkflow(req) {
      await createWorkflowVersion(deps, req);
      return {};
    },

    async getWorkflow(req, ctx) {
      const id = validateIdentifier(withDefaultType(req.id, ResourceType.WORKFLOW), ResourceType.WORKFLOW);
      return answers(ctx, versionCacheKey(id), async () => {
        const workflow = await store.workflows.get(id);
        if (!workflow) throw notFound(missingEntityMessage(id));
        return workflow;
      });
    },

    async listWorkflows(req) {
      const { project, domain, name, query } = parseVersionList(req, [WORKFLOW_COLUMNS], "ListWorkflows", deps.limits.maxPageSize);
      const workflows = await store.workflows.list({ project, domain, name }, query);
      return { workflows, token: nextToken(query.offset, workflows.length, req.limit) };
    },

    async listWorkflowIds(req) {
      const query = parseIdList(req, WORKFLOW_COLUMNS, "ListWorkflowIdentifiers", deps.limits.maxPageSize);
      const entities = await store.workflows.listIds({ project: req.project, domain: req.domain }, query);
      return { entities, token: nextToken(query.offset, entities.length, req.limit) };
    },
  };
}
