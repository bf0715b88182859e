// One constructor per flytepropeller compile error (errors/compiler_errors.go).
// Codes and description texts are part of the API: FlyteAdmin returns them
// verbatim inside INVALID_ARGUMENT messages and clients (and people) grep them,
// so the wording, brackets and even the double spaces are kept exactly.
import type { CompileError } from "./compile-errors.js";

const err = (code: string, description: string, nodeId: string): CompileError => ({ code, nodeId, description });

export const compileErrors = {
  branchNodeNotSpecified: (branchNodeId: string) =>
    err("BranchNodeIdNotFound", "BranchNode not assigned", branchNodeId),
  branchNodeHasNoCondition: (branchNodeId: string) =>
    err("BranchNodeHasNoCondition", "One of the branches on the node doesn't have a condition.", branchNodeId),
  branchNodeHasNoDefault: (branchNodeId: string) =>
    err("BranchNodeHasNoDefault", "Branch Node must have either the else case set or a default error.", branchNodeId),
  valueRequired: (nodeId: string, paramName: string) => err("ValueRequired", `Value required [${paramName}].`, nodeId),
  invalidValue: (nodeId: string, paramName: string) => err("InvalidValue", `Invalid value [${paramName}].`, nodeId),
  parameterNotBound: (nodeId: string, paramName: string) =>
    err("ParameterNotBound", `Parameter not bound [${paramName}].`, nodeId),
  nodeReferenceNotFound: (nodeId: string, referenceId: string) =>
    err("NodeReferenceNotFound", `Referenced node [${referenceId}] not found.`, nodeId),
  workflowReferenceNotFound: (nodeId: string, referenceId: string) =>
    err("WorkflowReferenceNotFound", `Referenced Workflow [${referenceId}] not found.`, nodeId),
  taskReferenceNotFound: (nodeId: string, referenceId: string) =>
    err("TaskReferenceNotFound", `Referenced Task [${referenceId}] not found.`, nodeId),
  variableNameNotFound: (nodeId: string, referenceId: string, variableName: string) =>
    err("VariableNameNotFound", `Variable [${variableName}] not found on node [${referenceId}].`, nodeId),
  parameterBoundMoreThanOnce: (nodeId: string, paramName: string) =>
    err("ParameterBoundMoreThanOnce", `Input [${paramName}] is bound more than once.`, nodeId),
  duplicateAlias: (nodeId: string, alias: string) =>
    err(
      "DuplicateAlias",
      `Duplicate alias [${alias}] found. An output alias can only be used once in the Workflow.`,
      nodeId,
    ),
  duplicateId: (nodeId: string) => err("DuplicateId", "Trying to insert two nodes with the same id.", nodeId),
  mismatchingTypes: (nodeId: string, fromVar: string, fromType: string, toType: string) =>
    err("MismatchingTypes", `Variable [${fromVar}] (type [${fromType}]) doesn't match expected type [${toType}].`, nodeId),
  mismatchingVariables: (nodeId: string, fromVar: string, fromType: string, toVar: string, toType: string) =>
    err(
      "MismatchingTypes",
      `The output variable '${fromVar}' has type [${fromType}], but it's assigned to the input variable '${toVar}' which has type type [${toType}].`,
      nodeId,
    ),
  mismatchingBindings: (nodeId: string, sinkParam: string, expectedType: string, receivedType: string) =>
    err(
      "MismatchingBindings",
      `Input [${sinkParam}] on node [${nodeId}] expects bindings of type [${expectedType}].  Received [${receivedType}]`,
      nodeId,
    ),
  fieldNotFound: (nodeId: string, fromVar: string, fromType: string, key: string) =>
    err("FieldNotFound", `Variable [${fromVar}] (type [${fromType}]) doesn't have field [${key}].`, nodeId),
  // Go prints the []string with %v inside brackets, hence "[[a b c]]".
  illegalEnumValue: (nodeId: string, sinkParam: string, receivedVal: string, expectedVals: readonly string[]) =>
    err(
      "IllegalEnumValue",
      `Input [${sinkParam}] on node [${nodeId}] is an Enum and expects value to be one of [[${expectedVals.join(" ")}]].  Received [${receivedVal}]`,
      nodeId,
    ),
  cycleDetected: (nodeId: string, cycle: string) =>
    err("CycleDetected", `A cycle has been detected while traversing the Workflow [${cycle}].`, nodeId),
  unreachableNodes: (nodeId: string, nodes: string) =>
    err("UnreachableNodes", `The Workflow contain unreachable nodes [${nodes}].`, nodeId),
  unrecognizedValue: (nodeId: string, value: string) => err("UnrecognizedValue", `Unrecognized value [${value}].`, nodeId),
  syntaxError: (nodeId: string, element: string) => err("SyntaxError", `Failed to parse element [${element}].`, nodeId),
  noNodesFound: (graphId: string) => err("NoNodesFound", `Can't find any nodes in workflow [${graphId}].`, graphId),
  ambiguousBindingUnionValue: (
    nodeId: string,
    sinkParam: string,
    expectedType: string,
    binding: string,
    match1: string,
    match2: string,
  ) =>
    err(
      "AmbiguousBindingUnionValue",
      `Input [${sinkParam}] on node [${nodeId}] expects bindings of union type [${expectedType}].  Received [${binding}] which is ambiguous as both variants [${match1}] and [${match2}] match.`,
      nodeId,
    ),
  incompatibleBindingUnionValue: (nodeId: string, sinkParam: string, expectedType: string, binding: string) =>
    err(
      "IncompatibleBindingUnionValue",
      `Input [${sinkParam}] on node [${nodeId}] expects bindings of union type [${expectedType}].  Received [${binding}] which does not match any of the variants.`,
      nodeId,
    ),
  noConditionFound: (nodeId: string) =>
    err("NoConditionFound", `Can't find any condition in gate node [${nodeId}].`, nodeId),
};
