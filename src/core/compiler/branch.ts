// Branch nodes (flytepropeller validators/branch.go, node.go, condition.go).
//
// A branch node's sub-nodes are not graph members: only one of them runs, inside
// the branch node. Their ids are prefixed with the branch node's id (so they are
// unique in the execution), their inputs only record upstream edges, and the
// branch node's interface is: inputs = what its own bindings provide (the
// variables conditions may use), outputs = the outputs every branch produces
// with the same type.
import { create } from "@bufbuild/protobuf";
import { type TypedInterface, TypedInterfaceSchema, type Variable, VariableMapSchema } from "../../../gen/flyteidl/core/interface_pb.js";
import type { BooleanExpression, Operand } from "../../../gen/flyteidl/core/condition_pb.js";
import type { LiteralType } from "../../../gen/flyteidl/core/types_pb.js";
import type { IfBlock, Node } from "../../../gen/flyteidl/core/workflow_pb.js";
import type { ErrorScope } from "./compile-errors.js";
import { compileErrors } from "./error-constructors.js";
import { findVariable, validateBindings } from "./bindings.js";
import { literalTypeOfPrimitive } from "./literal-type-of.js";
import { validateUnderlyingInterface } from "./node-interface.js";
import { validateNode } from "./node.js";
import { literalTypeText, literalTypeToStr } from "./proto-text.js";
import type { NodeBuilder, WorkflowBuilder } from "./workflow-builder.js";

const ifElseOf = (n: NodeBuilder) => (n.node.target.case === "branchNode" ? n.node.target.value.ifElse : undefined);

export function validateBranchInterface(
  w: WorkflowBuilder,
  n: NodeBuilder,
  errs: ErrorScope,
): [TypedInterface | undefined, boolean] {
  if (n.iface) return [n.iface, true];
  const id = n.node.id;
  const ifElse = ifElseOf(n);
  if (!ifElse) return fail(errs, id, "Branch.IfElse");
  if (!ifElse.case) return fail(errs, id, "Branch.IfElse.Case");
  if (!ifElse.case.thenNode) return fail(errs, id, "Branch.IfElse.Case.ThenNode");

  const blocks: Node[] = [ifElse.case.thenNode];
  for (const other of ifElse.other) {
    if (other.thenNode) blocks.push(other.thenNode);
    else errs.collect(compileErrors.valueRequired(id, "IfElse.Case.ThenNode"));
  }
  if (ifElse.default.case === "elseNode") blocks.push(ifElse.default.value);

  let first: Record<string, Variable> | undefined;
  let common = new Set<string>();
  for (const block of blocks) {
    const sub = w.getOrCreateNodeBuilder(block);
    sub.node.id = `${id}-${sub.node.id}`;
    const [subIface, ok] = validateUnderlyingInterface(w, sub, errs.newScope());
    if (!ok || !subIface) continue;
    // Only outputs matter: each branch pulls its own inputs at run time.
    const outputs = subIface.outputs?.variables ?? {};
    if (!first) {
      first = outputs;
      common = new Set(Object.keys(outputs));
      continue;
    }
    common = new Set([...common].filter((name) => Object.hasOwn(outputs, name)));
    for (const name of common) {
      // Outputs present in several branches must have exactly the same type.
      const a = first[name];
      const b = outputs[name];
      if (sameType(sub.node.id, name, a?.type, b?.type, errs)) sameType(sub.node.id, name, b?.type, a?.type, errs);
    }
  }

  // Inputs are whatever the bindings provide; conditions are checked against them later.
  const [inputs] = validateBindings(w, n, n.node.inputs, create(VariableMapSchema), false, "upstream", errs.newScope());
  if (errs.hasErrors() || !first) return [undefined, !errs.hasErrors()];
  const outputs = create(VariableMapSchema);
  for (const name of common) {
    const v = first[name];
    if (v) outputs.variables[name] = v;
  }
  return [create(TypedInterfaceSchema, { inputs, outputs }), true];
}

function fail(errs: ErrorScope, id: string, what: string): [undefined, false] {
  errs.collect(compileErrors.valueRequired(id, what));
  return [undefined, false];
}

function sameType(nodeId: string, name: string, actual: LiteralType | undefined, expected: LiteralType | undefined, errs: ErrorScope): boolean {
  if (literalTypeText(actual) === literalTypeText(expected)) return true;
  errs.collect(compileErrors.mismatchingTypes(nodeId, name, literalTypeToStr(actual), literalTypeToStr(expected)));
  return false;
}

/** Checks conditions and the then/else nodes; returns the sub-nodes that validated. */
export function validateBranchNode(
  w: WorkflowBuilder,
  n: NodeBuilder,
  requireParamType: boolean,
  errs: ErrorScope,
): [NodeBuilder[], boolean] {
  const ifElse = ifElseOf(n);
  const blocks: IfBlock[] = [];
  if (!ifElse?.case) errs.collect(compileErrors.branchNodeHasNoCondition(n.node.id));
  else blocks.push(ifElse.case);
  blocks.push(...(ifElse?.other ?? []));

  const subNodes: NodeBuilder[] = [];
  for (const block of blocks) {
    validateBooleanExpression(n, block.condition, requireParamType, errs.newScope());
    if (block.thenNode) subNodes.push(w.getOrCreateNodeBuilder(block.thenNode));
    else errs.collect(compileErrors.branchNodeNotSpecified(n.node.id));
  }
  if (ifElse?.default.case === "elseNode") subNodes.push(w.getOrCreateNodeBuilder(ifElse.default.value));
  else if (ifElse?.default.case !== "error") errs.collect(compileErrors.branchNodeHasNoDefault(n.node.id));

  const discovered = subNodes.filter((sub) => validateNode(w, sub, requireParamType, errs.newScope()));
  return [discovered, !errs.hasErrors()];
}

// Comparisons must compare equal types (exact type text); conjunctions recurse.
function validateBooleanExpression(n: NodeBuilder, expr: BooleanExpression | undefined, requireParamType: boolean, errs: ErrorScope): void {
  const e = expr?.expr;
  if (!expr) errs.collect(compileErrors.branchNodeHasNoCondition(n.node.id));
  else if (e?.case === "comparison") {
    const [right, rightOk] = validateOperand(n, "RightValue", e.value.rightValue, requireParamType, errs.newScope());
    const [left, leftOk] = validateOperand(n, "LeftValue", e.value.leftValue, requireParamType, errs.newScope());
    if (rightOk && leftOk && right && left && literalTypeText(right) !== literalTypeText(left))
      errs.collect(compileErrors.mismatchingTypes(n.node.id, "RightValue", literalTypeToStr(right), literalTypeToStr(left)));
  } else if (e?.case === "conjunction") {
    validateBooleanExpression(n, e.value.leftExpression, requireParamType, errs.newScope());
    validateBooleanExpression(n, e.value.rightExpression, requireParamType, errs.newScope());
  } else {
    errs.collect(compileErrors.valueRequired(n.node.id, "Expr"));
  }
}

// Only primitive constants and variables are understood (flytepropeller
// v1.16.8 does not look at the newer scalar operand).
function validateOperand(
  n: NodeBuilder,
  paramName: string,
  operand: Operand | undefined,
  requireParamType: boolean,
  errs: ErrorScope,
): [LiteralType | undefined, boolean] {
  const id = n.node.id;
  const val = operand?.val;
  let type: LiteralType | undefined;
  if (!operand) errs.collect(compileErrors.valueRequired(id, paramName));
  else if (val?.case === "primitive") type = literalTypeOfPrimitive(val.value);
  else if (val?.case === "var" && val.value.length > 0) {
    if (!n.iface) errs.collect(compileErrors.valueRequired(id, val.value));
    else {
      const param = findVariable(n.iface.inputs, val.value);
      if (param) type = param.type;
      // A variable that is bound but not typed is tolerated when types are not required.
      else if (requireParamType || !n.node.inputs.some((b) => b.var === val.value))
        errs.collect(compileErrors.variableNameNotFound(id, id, val.value));
    }
  } else errs.collect(compileErrors.valueRequired(id, `${paramName}.Val`));
  return [type, !errs.hasErrors()];
}
