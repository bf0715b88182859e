// Which tasks and launch plans a workflow needs (flytepropeller requirements.go).
//
// FlyteAdmin calls this before compiling so it can load every referenced task
// and launch plan from its database; the compiler itself then re-walks the
// graph to check that everything it was given is complete.
import { create } from "@bufbuild/protobuf";
import type { Identifier } from "../../../gen/flyteidl/core/identifier_pb.js";
import type { Node, WorkflowTemplate } from "../../../gen/flyteidl/core/workflow_pb.js";
import { type CompiledWorkflow, CompiledWorkflowSchema } from "../../../gen/flyteidl/core/compiler_pb.js";
import { CompilationFailed, type CompileError, ErrorScope } from "./compile-errors.js";
import { compileErrors } from "./error-constructors.js";
import { IdentifierSet, identifierKey } from "./identifier-set.js";

export interface Requirements {
  tasks: Identifier[];
  launchPlans: Identifier[];
}

/**
 * Tasks and launch plans referenced by `template` and, through
 * sub_workflow_ref, by the sub-workflows it uses; de-duplicated and sorted.
 *
 * Like flytepropeller's GetRequirements this fails (throws CompilationFailed)
 * only when the sub-workflow list itself is unusable (a template without id,
 * duplicate ids). A sub_workflow_ref that matches no sub-workflow is returned
 * in `errors` (WorkflowReferenceNotFound) but does not fail the call: FlyteAdmin
 * goes on loading dependencies, and compileWorkflow reports the same error.
 */
export function workflowRequirements(
  template: WorkflowTemplate,
  subWorkflows: WorkflowTemplate[],
): Requirements & { errors: CompileError[] } {
  const errs = ErrorScope.root();
  const index = buildWorkflowIndex(
    subWorkflows.map((t) => create(CompiledWorkflowSchema, { template: t })),
    errs,
  );
  if (!index) throw new CompilationFailed(errs.list());
  const reqs = collectRequirements(template, index, true, errs);
  return { ...reqs, errors: errs.list() };
}

/**
 * Sub-workflows by id text. A template without id makes the whole index unusable
 * (Go returns "not ok" without an error entry); a repeated id is a DuplicateId.
 */
export function buildWorkflowIndex(
  workflows: readonly CompiledWorkflow[],
  errs: ErrorScope,
): Map<string, CompiledWorkflow> | undefined {
  const index = new Map<string, CompiledWorkflow>();
  let ok = true;
  for (const wf of workflows) {
    const id = wf.template?.id;
    if (!id) return undefined;
    const key = identifierKey(id);
    if (index.has(key)) {
      errs.collect(compileErrors.duplicateId(key));
      ok = false;
    } else {
      index.set(key, wf);
    }
  }
  return ok ? index : undefined;
}

export function collectRequirements(
  template: WorkflowTemplate | undefined,
  subWorkflows: ReadonlyMap<string, CompiledWorkflow>,
  followSubWorkflows: boolean,
  errs: ErrorScope,
): Requirements {
  const tasks = new IdentifierSet();
  const launchPlans = new IdentifierSet();
  // Guards against a sub-workflow that (indirectly) references itself, which
  // would make flytepropeller recurse forever; the graph check reports it later.
  const walking = new Set<string>();

  const visitWorkflow = (wf: WorkflowTemplate | undefined): void => {
    for (const node of wf?.nodes ?? []) visitNode(node);
    if (wf?.failureNode) visitNode(wf.failureNode);
  };

  const visitNode = (node: Node | undefined): void => {
    const target = node?.target;
    if (!node || !target) return;
    switch (target.case) {
      case "taskNode":
        if (target.value.reference.case === "referenceId") tasks.insert(target.value.reference.value);
        return;
      case "workflowNode": {
        const ref = target.value.reference;
        if (ref.case === "launchplanRef") launchPlans.insert(ref.value);
        else if (ref.case === "subWorkflowRef" && followSubWorkflows) {
          const key = identifierKey(ref.value);
          const sub = subWorkflows.get(key);
          if (!sub) errs.collect(compileErrors.workflowReferenceNotFound(node.id, key));
          else if (!walking.has(key)) {
            walking.add(key);
            visitWorkflow(sub.template);
            walking.delete(key);
          }
        }
        return;
      }
      case "branchNode": {
        const ifElse = target.value.ifElse;
        visitNode(ifElse?.case?.thenNode);
        for (const other of ifElse?.other ?? []) visitNode(other.thenNode);
        if (ifElse?.default.case === "elseNode") visitNode(ifElse.default.value);
        return;
      }
      case "arrayNode":
        visitNode(target.value.node);
        return;
      default:
        return;
    }
  };

  visitWorkflow(template);
  return { tasks: tasks.list(), launchPlans: launchPlans.list() };
}
