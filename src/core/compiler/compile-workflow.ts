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
 * modified: the compiler rewrites workflow templates in place, so it works on
 * clones of those. The closure is read-only to callers: it holds the given
 * task templates themselves (see ownTask), and places in it may share objects
 * (the end node's inputs are the template's outputs).
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
    if (!tasks.has(key)) tasks.set(key, ownTask(task));
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

  // Nothing is changed once compiled: no copy is made for callers (copying
  // every task template was the larger part of a compile).
  const closure = create(CompiledWorkflowClosureSchema, {
    primary: compiled.core,
    tasks: [...tasks.values()]
      .sort((a, b) => (a.id && b.id ? compareIdentifiers(a.id, b.id) : 0))
      .map((template) => create(CompiledTaskSchema, { template })),
    subWorkflows,
  });
  return { closure };
}

/**
 * The task template the compile uses: the given one, unless the compiler may
 * write into it. The only write into a task is validateInterface filling in an
 * interface's absent inputs or outputs (a node's interface is its task's
 * interface object, normalised in place as in Go), and the closure carries the
 * normalised template; such a task is cloned, every other one is shared
 * (registered templates are shared between compiles, see api/task-templates).
 */
function ownTask(task: TaskTemplate): TaskTemplate {
  const iface = task.interface;
  return iface && (!iface.inputs || !iface.outputs) ? clone(TaskTemplateSchema, task) : task;
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
