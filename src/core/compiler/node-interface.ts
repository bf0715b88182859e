// The typed interface of each node kind (flytepropeller validators/interface.go).
//
// Bindings and output references are checked against these interfaces, so each
// node kind has to say what it consumes and produces:
//   task       → the task template's interface
//   launch plan→ its required inputs (plus defaulted inputs the node overrides) and outputs
//   sub-wf     → the sub-workflow template's interface
//   branch     → inputs from its bindings, outputs common to all branches (branch.ts)
//   gate       → approve passes its inputs through; signal yields one output; sleep nothing
//   array      → the inner node's interface as is: flytekit already serialises the
//                mapped (list-typed) interface, so nothing is lifted here.
import { create } from "@bufbuild/protobuf";
import {
  type TypedInterface,
  TypedInterfaceSchema,
  type Variable,
  type VariableMap,
  VariableMapSchema,
  VariableSchema,
} from "../../../gen/flyteidl/core/interface_pb.js";
import { NodeSchema } from "../../../gen/flyteidl/core/workflow_pb.js";
import type { ErrorScope } from "./compile-errors.js";
import { compileErrors } from "./error-constructors.js";
import { identifierText } from "./proto-text.js";
import { validateBindings } from "./bindings.js";
import { validateBranchInterface } from "./branch.js";
import type { NodeBuilder, WorkflowBuilder } from "./workflow-builder.js";

/** Fills in absent input/output maps and checks every variable has a name and a type. */
export function validateInterface(
  nodeId: string,
  iface: TypedInterface | undefined,
  errs: ErrorScope,
): [TypedInterface, boolean] {
  const result = iface ?? create(TypedInterfaceSchema);
  if (result.inputs) validateVariables(nodeId, result.inputs, errs.newScope());
  else result.inputs = create(VariableMapSchema);
  if (result.outputs) validateVariables(nodeId, result.outputs, errs.newScope());
  else result.outputs = create(VariableMapSchema);
  return [result, !errs.hasErrors()];
}

function validateVariables(nodeId: string, vars: VariableMap, errs: ErrorScope): void {
  for (const [name, v] of Object.entries(vars.variables)) {
    if (name.length === 0) errs.collect(compileErrors.valueRequired(nodeId, "paramName"));
    if (!v.type) errs.collect(compileErrors.valueRequired(nodeId, "param.Type"));
  }
}

const emptyInterface = (): TypedInterface =>
  create(TypedInterfaceSchema, { inputs: create(VariableMapSchema), outputs: create(VariableMapSchema) });

/** Computes (once) and records the node's interface; undefined when it cannot be known. */
export function validateUnderlyingInterface(
  w: WorkflowBuilder,
  n: NodeBuilder,
  errs: ErrorScope,
): [TypedInterface | undefined, boolean] {
  if (n.iface) return [n.iface, true];
  const id = n.node.id;
  const target = n.node.target;
  let iface: TypedInterface | undefined;

  switch (target.case) {
    case "taskNode": {
      const ref = target.value.reference.case === "referenceId" ? target.value.reference.value : undefined;
      const task = ref ? w.getTask(ref) : undefined;
      if (!ref) errs.collect(compileErrors.valueRequired(id, "TaskNode.ReferenceId"));
      // The task's own interface object is used (and normalised in place), as in Go.
      else if (task) iface = task.interface ?? emptyInterface();
      else errs.collect(compileErrors.taskReferenceNotFound(id, identifierText(ref)));
      break;
    }
    case "workflowNode": {
      const ref = target.value.reference;
      const lpRef = ref.case === "launchplanRef" ? ref.value : undefined;
      if (identifierText(lpRef) === identifierText(w.template.id)) {
        // A launch plan of the workflow being compiled: use its own interface.
        iface = w.template.interface;
        if (!iface) errs.collect(compileErrors.valueRequired(id, "WorkflowNode.Interface"));
      } else if (lpRef) {
        iface = launchPlanInterface(w, n, lpRef, errs);
      } else if (ref.case === "subWorkflowRef") {
        const sub = w.getSubWorkflow(ref.value);
        if (!sub) errs.collect(compileErrors.workflowReferenceNotFound(id, identifierText(ref.value)));
        else if (!sub.template) errs.collect(compileErrors.valueRequired(id, "WorkflowNode.Template"));
        else {
          iface = sub.template.interface;
          if (!iface) errs.collect(compileErrors.valueRequired(id, "WorkflowNode.Template.Interface"));
        }
      } else {
        errs.collect(compileErrors.workflowReferenceNotFound(id, "<nil>/<nil>"));
      }
      break;
    }
    case "branchNode":
      [iface] = validateBranchInterface(w, n, errs.newScope());
      break;
    case "gateNode": {
      const cond = target.value.condition;
      if (cond.case === "approve") {
        // Approval copies its inputs to its outputs, so both are what is bound.
        const [fromBindings] = validateBindings(w, n, n.node.inputs, create(VariableMapSchema), false, "upstream", errs.newScope());
        iface = create(TypedInterfaceSchema, { inputs: fromBindings, outputs: fromBindings });
      } else if (cond.case === "signal") {
        if (!cond.value.type) errs.collect(compileErrors.valueRequired(id, "GateNode.Signal.Type"));
        else if (cond.value.outputVariableName.length === 0)
          errs.collect(compileErrors.valueRequired(id, "GateNode.Signal.OutputVariableName"));
        else
          iface = create(TypedInterfaceSchema, {
            inputs: create(VariableMapSchema),
            outputs: { variables: { [cond.value.outputVariableName]: create(VariableSchema, { type: cond.value.type }) } },
          });
      } else if (cond.case === "sleep") {
        iface = emptyInterface();
      } else {
        errs.collect(compileErrors.noConditionFound(id));
      }
      break;
    }
    case "arrayNode": {
      const inner = w.getOrCreateNodeBuilder(target.value.node ?? create(NodeSchema));
      const [innerIface, ok] = validateUnderlyingInterface(w, inner, errs.newScope());
      if (ok) iface = innerIface;
      break;
    }
    default:
      errs.collect(compileErrors.valueRequired(id, "Target"));
  }

  if (iface) validateInterface(id, iface, errs.newScope());
  if (!errs.hasErrors()) n.iface = iface;
  return [iface, !errs.hasErrors()];
}

// A launch-plan node must bind the plan's required inputs and may override the
// defaulted ones; an input with a default that the node leaves alone is not
// part of the node's interface at all.
function launchPlanInterface(
  w: WorkflowBuilder,
  n: NodeBuilder,
  ref: Parameters<WorkflowBuilder["getLaunchPlan"]>[0],
  errs: ErrorScope,
): TypedInterface | undefined {
  const id = n.node.id;
  const lp = w.getLaunchPlan(ref);
  if (!lp) {
    errs.collect(compileErrors.workflowReferenceNotFound(id, identifierText(ref)));
    return undefined;
  }
  if (!lp.expectedInputs) errs.collect(compileErrors.valueRequired(id, "WorkflowNode.ExpectedInputs"));
  if (!lp.expectedOutputs) errs.collect(compileErrors.valueRequired(id, "WorkflowNode.ExpectedOutputs"));
  const exposed: Record<string, Variable> = {};
  for (const [name, p] of Object.entries(lp.expectedInputs?.parameters ?? {})) {
    const required = p.behavior.case === "required" && p.behavior.value;
    if (required || n.node.inputs.some((b) => b.var === name)) exposed[name] = p.var ?? create(VariableSchema);
  }
  return create(TypedInterfaceSchema, { inputs: { variables: exposed }, outputs: lp.expectedOutputs });
}
