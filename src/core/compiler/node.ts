// Validation of a single node (flytepropeller validators/node.go).
//
// Works out the node's interface, normalises what the compiled output shows
// (upstream ids sorted, never absent), and descends into what the node refers
// to: a branch's sub-nodes, a sub-workflow (compiled once per parent builder),
// or a task.
import { compileErrors } from "./error-constructors.js";
import type { ErrorScope } from "./compile-errors.js";
import { validateBranchNode } from "./branch.js";
import { addEdges } from "./edges.js";
import { identifierKey } from "./identifier-set.js";
import { validateUnderlyingInterface } from "./node-interface.js";
import { effectiveOutputs } from "./promise-binding.js";
import { identifierText } from "./proto-text.js";
import { validateWorkflow } from "./validate-workflow.js";
import { END_NODE_ID, START_NODE_ID, type NodeBuilder, type WorkflowBuilder } from "./workflow-builder.js";

export function validateNode(w: WorkflowBuilder, n: NodeBuilder, validateConditionTypes: boolean, errs: ErrorScope): boolean {
  const id = n.node.id;
  if (id === "") errs.collect(compileErrors.valueRequired("<node>", "Id"));
  if (id === START_NODE_ID || id === END_NODE_ID) return true;

  const [, ifaceOk] = validateUnderlyingInterface(w, n, errs.newScope());
  if (ifaceOk) effectiveOutputs(n, errs.newScope());

  // Sorted so the compiled output does not depend on the client's ordering.
  n.node.upstreamNodeIds.sort();

  const target = n.node.target;
  if (target.case === "branchNode") {
    const [subNodes, ok] = validateBranchNode(w, n, validateConditionTypes, errs.newScope());
    if (ok) for (const sub of subNodes) addEdges(w, sub, "upstream", errs.newScope());
  } else if (target.case === "workflowNode" && target.value.reference.case === "subWorkflowRef") {
    validateSubWorkflowNode(w, n, target.value.reference.value, errs);
  } else if (target.case === "taskNode" && target.value.reference.case === "referenceId") {
    const ref = target.value.reference.value;
    const task = w.getTask(ref);
    if (task) n.task = task;
    else errs.collect(compileErrors.taskReferenceNotFound(id, identifierText(ref)));
  }
  return !errs.hasErrors();
}

function validateSubWorkflowNode(
  w: WorkflowBuilder,
  n: NodeBuilder,
  ref: Parameters<WorkflowBuilder["getSubWorkflow"]>[0],
  errs: ErrorScope,
): void {
  const key = identifierKey(ref);
  if (w.compiledSubWorkflows.has(key)) return;
  const sub = w.getSubWorkflow(ref);
  if (!sub) {
    errs.collect(compileErrors.workflowReferenceNotFound(n.node.id, identifierText(ref)));
    return;
  }
  if (n.subWorkflow) return;
  // flytepropeller would recurse forever on a sub-workflow that contains itself;
  // report the loop instead.
  if (w.ctx.compiling.has(key)) {
    errs.collect(compileErrors.cycleDetected(n.node.id, [...w.ctx.compiling, key].join(">")));
    return;
  }
  w.ctx.compiling.add(key);
  try {
    const [compiled, ok] = validateWorkflow(w, sub, errs.newScope());
    if (ok && compiled) {
      n.subWorkflow = compiled;
      w.compiledSubWorkflows.set(key, sub);
    }
  } finally {
    w.ctx.compiling.delete(key);
  }
}
