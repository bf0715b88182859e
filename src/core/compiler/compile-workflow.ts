// Entry point: compile a workflow and its dependencies into a
// CompiledWorkflowClosure (flytepropeller compiler.CompileWorkflow), as
// FlyteAdmin's CreateWorkflow does before storing a workflow.
import { clone, create } from "@bufbuild/protobuf";
import {
  type CompiledWorkflowClosure,
  CompiledWorkflowClosureSchema,
  CompiledWorkflowSchema,
  CompiledTaskSchema,
} from "../../../gen/flyteidl/core/compiler_pb.js";
import { type TaskTemplate, TaskTemplateSchema } from "../../../gen/flyteidl/core/tasks_pb.js";
import { type WorkflowTemplate, WorkflowTemplateSchema } from "../../../gen/flyteidl/core/workflow_pb.js";
import { type CompileError, ErrorScope } from "./compile-errors.js";
import { compileErrors } from "./error-constructors.js";
import { compareIdentifiers, identifierKey } from "./identifier-set.js";
import { buildWorkflowIndex, collectRequirements } from "./requirements.js";
import { validateWorkflow } from "./validate-workflow.js";
import { type LaunchPlanInterface, START_NODE_ID, WorkflowBuilder } from "./workflow-builder.js";

export interface CompileWorkflowInput {
  primary: WorkflowTemplate;
  subWorkflows: WorkflowTemplate[];
  /** Templates of the tasks the workflow uses (FlyteAdmin passes exactly workflowRequirements().tasks). */
  tasks: TaskTemplate[];
  launchPlans: LaunchPlanInterface[];
}

export type CompileResult = { closure: CompiledWorkflowClosure } | { errors: CompileError[] };

/**
 * Validates the workflow and returns its compiled closure, or every error found
 * (see formatCompileErrors for the text FlyteAdmin reports). Inputs are not
 * modified: the compiler works on clones.
 *
 * The closure holds: `primary` (the compiled template with connections),
 * `tasks` (each distinct given task once, sorted by identifier — the order in
 * which FlyteAdmin loads them) and `sub_workflows` (all given sub-workflows in
 * the given order; the ones referenced are compiled in place).
 */
export function compileWorkflow(input: CompileWorkflowInput): CompileResult {
  const errs = ErrorScope.root();
  if (!input.primary) {
    errs.collect(compileErrors.valueRequired("root", "wf"));
    return { errors: errs.list() };
  }
  const primary = clone(WorkflowTemplateSchema, input.primary);

  // Tasks are matched by full identifier text; later duplicates are ignored.
  const tasks = new Map<string, TaskTemplate>();
  for (const task of input.tasks) {
    if (!task.id) {
      errs.collect(compileErrors.valueRequired("task", "Template.Id"));
      return { errors: errs.list() };
    }
    const key = identifierKey(task.id);
    if (!tasks.has(key)) tasks.set(key, clone(TaskTemplateSchema, task));
  }

  const subWorkflows = input.subWorkflows.map((t) =>
    create(CompiledWorkflowSchema, { template: clone(WorkflowTemplateSchema, t) }),
  );
  const index = buildWorkflowIndex(subWorkflows, errs.newScope());
  if (!index) return { errors: errs.list() };

  const core = create(CompiledWorkflowSchema, { template: primary });
  const builder = new WorkflowBuilder(core, {
    tasks,
    launchPlans: new Map(input.launchPlans.map((lp) => [identifierKey(lp.id), lp])),
    subWorkflows: index,
    compiling: new Set(),
  });
  // Missing dependencies make everything else noise: stop here if any.
  if (!validateAllRequirements(builder, errs.newScope())) return { errors: errs.list() };

  const [compiled, ok] = validateWorkflow(builder, core, errs.newScope());
  if (!ok || !compiled) return { errors: errs.list() };

  const closure = create(CompiledWorkflowClosureSchema, {
    primary: compiled.core,
    tasks: [...tasks.values()]
      .sort((a, b) => (a.id && b.id ? compareIdentifiers(a.id, b.id) : 0))
      .map((template) => create(CompiledTaskSchema, { template })),
    subWorkflows,
  });
  // The compiler shares objects between places (the end node's inputs are the
  // template outputs); a clone gives callers an independent tree.
  return { closure: clone(CompiledWorkflowClosureSchema, closure) };
}

/** Every task and launch plan referenced anywhere (sub-workflows included) was given. */
function validateAllRequirements(w: WorkflowBuilder, errs: ErrorScope): boolean {
  const reqs = collectRequirements(w.core.template, w.ctx.subWorkflows, true, errs);
  for (const lp of reqs.launchPlans) {
    if (!w.ctx.launchPlans.has(identifierKey(lp)))
      errs.collect(compileErrors.workflowReferenceNotFound(START_NODE_ID, identifierKey(lp)));
  }
  for (const task of reqs.tasks) {
    if (!w.ctx.tasks.has(identifierKey(task)))
      errs.collect(compileErrors.taskReferenceNotFound(START_NODE_ID, identifierKey(task)));
  }
  return !errs.hasErrors();
}
