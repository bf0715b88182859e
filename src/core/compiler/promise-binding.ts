// Promise bindings: an input fed by another node's output (bindings.go, vars.go).
//
// The referenced node must exist *at this point of the compilation* (top-level
// nodes are all known when edges are added; branch and gate inputs are resolved
// while nodes are still being added, so they can only see earlier nodes), the
// output must exist (after output aliases), and its type — narrowed by an
// "[i]." index or an attribute path — must be castable to the input's type.
import { create } from "@bufbuild/protobuf";
import { type Variable, type VariableMap, VariableMapSchema } from "../../../gen/flyteidl/core/interface_pb.js";
import type { LiteralType, OutputReference } from "../../../gen/flyteidl/core/types_pb.js";
import type { ErrorScope } from "./compile-errors.js";
import { compileErrors } from "./error-constructors.js";
import { literalTypeText, literalTypeToStr } from "./proto-text.js";
import { isCastable } from "./type-castable.js";
import type { BindingResult } from "./bindings.js";
import { findVariable } from "./bindings.js";
import { START_NODE_ID, type NodeBuilder, type WorkflowBuilder } from "./workflow-builder.js";

export function validatePromise(
  w: WorkflowBuilder,
  n: NodeBuilder,
  param: string,
  promise: OutputReference,
  expected: LiteralType | undefined,
  errs: ErrorScope,
  validateParamTypes: boolean,
): BindingResult {
  const id = n.node.id;
  const upNode = findNode(w, promise.nodeId, errs.newScope());
  if (upNode) {
    const v = parseVarName(promise.var);
    if (!v) {
      errs.collect(compileErrors.syntaxError(id, promise.var));
      return [undefined, [], !errs.hasErrors()];
    }
    // Descriptions name variables after the nodes' metadata names when present.
    const inputVar = n.node.metadata ? `${n.node.metadata.name}.${param}` : param;
    const outputVar = upNode.node.metadata ? `${upNode.node.metadata.name}.${promise.var}` : promise.var;
    const out = validateOutputVar(upNode, v.name, errs.newScope());
    if (out) {
      let source = out.type;
      if (v.index !== undefined) {
        if (source?.type.case === "collectionType") source = source.type.value;
        else
          errs.collect(
            compileErrors.mismatchingVariables(id, outputVar, literalTypeToStr(out.type), inputVar, literalTypeToStr(expected)),
          );
      }
      for (const attr of promise.attrPath) {
        const t = source?.type;
        if (t?.case === "collectionType" || t?.case === "mapValueType") source = t.value;
        else if (source && Object.keys(source.structure?.dataclassType ?? {}).length > 0) {
          // Attribute of a dataclass / pydantic model: its field type.
          const key = attr.value.case === "stringValue" ? attr.value.value : "";
          const fields = source.structure?.dataclassType ?? {};
          if (!Object.hasOwn(fields, key)) {
            errs.collect(compileErrors.fieldNotFound(id, promise.var, literalTypeText(source), key));
            return [undefined, [], !errs.hasErrors()];
          }
          source = fields[key];
        }
      }
      if (!validateParamTypes || (source && expected && isCastable(source, expected))) {
        // An empty node id means the workflow inputs; the output says so explicitly.
        promise.nodeId = upNode.node.id;
        return [out.type, [promise.nodeId], true];
      }
      errs.collect(compileErrors.mismatchingVariables(id, outputVar, literalTypeToStr(source), inputVar, literalTypeToStr(expected)));
      return [undefined, [], !errs.hasErrors()];
    }
  }
  errs.collect(compileErrors.parameterNotBound(id, param));
  return [undefined, [], !errs.hasErrors()];
}

function findNode(w: WorkflowBuilder, nodeId: string, errs: ErrorScope): NodeBuilder | undefined {
  if (nodeId === "") return w.getNode(START_NODE_ID);
  const node = w.getNode(nodeId);
  if (!node) errs.collect(compileErrors.nodeReferenceNotFound(nodeId, nodeId));
  return node;
}

/**
 * typing.ParseVarName: "[<index>].<name>" or "<name>", where the pattern must
 * occur exactly once in the text (Go's regexp is not anchored, so "x!" is "x").
 */
export function parseVarName(text: string): { name: string; index: number | undefined } | undefined {
  const matches = [...text.matchAll(/(\[(\d+)\]\.)?(\w+)/g)];
  const m = matches[0];
  if (matches.length !== 1 || !m) return undefined;
  const index = m[2] !== undefined && m[2] !== "" ? Number(m[2]) : undefined;
  if (index !== undefined && !Number.isSafeInteger(index)) return undefined;
  return { name: m[3] ?? "", index };
}

function validateOutputVar(n: NodeBuilder, name: string, errs: ErrorScope): Variable | undefined {
  const [outputs, ok] = effectiveOutputs(n, errs.newScope());
  let param: Variable | undefined;
  if (ok) {
    param = findVariable(outputs, name);
    if (!param) errs.collect(compileErrors.variableNameNotFound(n.node.id, n.node.id, name));
  }
  return errs.hasErrors() ? undefined : param;
}

/**
 * The node's outputs as other nodes see them: output aliases rename variables.
 * An alias for a variable the node does not have is a ParameterNotBound; a
 * variable aliased twice is a DuplicateAlias.
 */
export function effectiveOutputs(n: NodeBuilder, errs: ErrorScope): [VariableMap | undefined, boolean] {
  const aliases = new Map<string, string>();
  for (const a of n.node.outputAliases) {
    if (aliases.has(a.var)) errs.collect(compileErrors.duplicateAlias(n.node.id, a.alias));
    else aliases.set(a.var, a.alias);
  }
  let params: VariableMap | undefined;
  if (n.iface) {
    params = create(VariableMapSchema);
    for (const [name, v] of Object.entries(n.iface.outputs?.variables ?? {})) {
      const alias = aliases.get(name);
      if (alias !== undefined) {
        params.variables[alias] = v;
        aliases.delete(name);
      } else {
        params.variables[name] = v;
      }
    }
    for (const alias of aliases.values()) errs.collect(compileErrors.parameterNotBound(n.node.id, alias));
  }
  return [params, !errs.hasErrors()];
}
