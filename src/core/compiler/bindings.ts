// Input bindings (flytepropeller validators/bindings.go).
//
// Every input of a node is fed by a binding: a constant, a promise (another
// node's output) or a list/map of those. Validation checks each binding against
// the input's type and, for promises, discovers the data edges of the graph.
import { create } from "@bufbuild/protobuf";
import { type Variable, type VariableMap, VariableMapSchema, VariableSchema } from "../../../gen/flyteidl/core/interface_pb.js";
import {
  type Binding,
  type BindingData,
  BindingDataCollectionSchema,
  BindingDataMapSchema,
  BindingDataSchema,
} from "../../../gen/flyteidl/core/literals_pb.js";
import { type LiteralType, LiteralTypeSchema, SimpleType } from "../../../gen/flyteidl/core/types_pb.js";
import { ErrorScope } from "./compile-errors.js";
import { compileErrors } from "./error-constructors.js";
import { literalTypeOfScalar } from "./literal-type-of.js";
import { literalTypeText, literalTypeToStr, protoText } from "./proto-text.js";
import { validatePromise } from "./promise-binding.js";
import { isCastable, isNoneType } from "./type-castable.js";
import type { EdgeDirection, NodeBuilder, WorkflowBuilder } from "./workflow-builder.js";

/** Result of one binding: the type it resolves to and the nodes it reads from. */
export type BindingResult = [LiteralType | undefined, string[], boolean];

/**
 * Checks `bindings` against `params` and records the implicit data edges in
 * direction `dir`. With validateParamTypes=false (branch and approve-gate nodes,
 * whose interface is *derived* from the bindings) unknown names are accepted
 * and nothing is type-checked. Returns the variables the bindings resolve to.
 */
export function validateBindings(
  w: WorkflowBuilder,
  n: NodeBuilder,
  bindings: readonly Binding[],
  params: VariableMap | undefined,
  validateParamTypes: boolean,
  dir: EdgeDirection,
  errs: ErrorScope,
): [VariableMap, boolean] {
  const id = n.node.id;
  const resolved = create(VariableMapSchema);
  const provided = new Set<string>();
  for (const b of bindings) {
    let param = findVariable(params, b.var);
    if (!param && validateParamTypes) errs.collect(compileErrors.variableNameNotFound(id, id, b.var));
    else if (!b.binding) errs.collect(compileErrors.valueRequired(id, "Binding"));
    else if (provided.has(b.var)) errs.collect(compileErrors.parameterBoundMoreThanOnce(id, b.var));
    else {
      // Without declared parameters the expected type is a placeholder (simple NONE).
      param ??= create(VariableSchema, { type: { type: { case: "simple", value: SimpleType.NONE } } });
      provided.add(b.var);
      const [type, upstream, ok] = validateBinding(w, n, b.var, b.binding, param.type, errs.newScope(), validateParamTypes);
      if (ok) {
        for (const up of upstream) {
          if (dir === "both") w.addExecutionEdge(up, id);
          else if (dir === "downstream") w.addDownstreamEdge(up, id);
          else w.addUpstreamEdge(up, id);
        }
        resolved.variables[b.var] = create(VariableSchema, { type });
      }
    }
  }
  for (const [name, v] of Object.entries(params?.variables ?? {})) {
    if (!provided.has(name) && !isOptionalType(v)) errs.collect(compileErrors.parameterNotBound(id, name));
  }
  return [resolved, !errs.hasErrors()];
}

/** Own-property lookup: a variable named e.g. "constructor" must not hit Object.prototype. */
export function findVariable(vars: VariableMap | undefined, name: string): Variable | undefined {
  return vars && Object.hasOwn(vars.variables, name) ? vars.variables[name] : undefined;
}

/** An input whose type is a union with a NONE variant may be left unbound. */
export function isOptionalType(v: Variable): boolean {
  const t = v.type?.type;
  return t?.case === "unionType" && t.value.variants.some(isNoneType);
}

export function validateBinding(
  w: WorkflowBuilder,
  n: NodeBuilder,
  param: string,
  binding: BindingData,
  expected: LiteralType | undefined,
  errs: ErrorScope,
  validateParamTypes: boolean,
): BindingResult {
  const id = n.node.id;
  const value = binding.value;
  // Lists and maps cannot be type-inferred "through" a union, so try each variant;
  // exactly one must accept the binding. (Scalars and promises use isCastable.)
  if (value.case !== "scalar" && value.case !== "promise" && expected?.type.case === "unionType") {
    let match: [LiteralType, BindingResult] | undefined;
    for (const variant of expected.type.value.variants) {
      const attempt = validateBinding(w, n, param, binding, variant, ErrorScope.root(), validateParamTypes);
      if (!attempt[2]) continue;
      if (match) {
        errs.collect(
          compileErrors.ambiguousBindingUnionValue(
            id, param, literalTypeText(expected), bindingText(binding), literalTypeText(match[0]), literalTypeText(variant),
          ),
        );
        return [undefined, [], !errs.hasErrors()];
      }
      match = [variant, attempt];
    }
    if (match) return match[1];
    errs.collect(compileErrors.incompatibleBindingUnionValue(id, param, literalTypeText(expected), bindingText(binding)));
    return [undefined, [], !errs.hasErrors()];
  }

  switch (value.case) {
    case "collection":
    case "map": {
      const inner = value.case === "collection" ? collectionElement(expected) : mapElement(expected);
      const items = value.case === "collection" ? value.value.bindings : Object.values(value.value.bindings);
      if (!inner) {
        const received =
          value.case === "collection"
            ? protoText(BindingDataCollectionSchema, value.value)
            : protoText(BindingDataMapSchema, value.value);
        errs.collect(compileErrors.mismatchingBindings(id, param, literalTypeText(expected), received));
        return [undefined, [], false];
      }
      const nodeIds: string[] = [];
      let subType: LiteralType | undefined;
      for (const item of items) {
        const [t, ids, ok] = validateBinding(w, n, param, item, inner, errs.newScope(), validateParamTypes);
        if (ok) {
          nodeIds.push(...ids);
          subType = t;
        }
      }
      const element = subType ?? create(LiteralTypeSchema);
      const type = create(LiteralTypeSchema, {
        type: value.case === "collection" ? { case: "collectionType", value: element } : { case: "mapValueType", value: element },
      });
      return [type, nodeIds, !errs.hasErrors()];
    }
    case "promise":
      return validatePromise(w, n, param, value.value, expected, errs, validateParamTypes);
    case "scalar": {
      const type = literalTypeOfScalar(value.value);
      if (!type) errs.collect(compileErrors.unrecognizedValue(id, goTypeName("Scalar", value.value.value.case)));
      else if (validateParamTypes && !(expected && isCastable(type, expected)))
        errs.collect(compileErrors.mismatchingTypes(id, param, literalTypeToStr(type), literalTypeToStr(expected)));
      if (expected?.type.case === "enumType") {
        // A constant bound to an enum input must be one of the enum's values.
        const prim = value.value.value.case === "primitive" ? value.value.value.value.value : undefined;
        const s = prim?.case === "stringValue" ? prim.value : "";
        if (!expected.type.value.values.includes(s))
          errs.collect(compileErrors.illegalEnumValue(id, param, s, expected.type.value.values));
      }
      return [type, [], !errs.hasErrors()];
    }
    default: {
      const received = value.case ? goTypeName("BindingData", value.case) : "";
      errs.collect(compileErrors.mismatchingBindings(id, param, literalTypeText(expected), received));
      return [undefined, [], false];
    }
  }
}

const collectionElement = (t: LiteralType | undefined) => (t?.type.case === "collectionType" ? t.type.value : undefined);
const mapElement = (t: LiteralType | undefined) => (t?.type.case === "mapValueType" ? t.type.value : undefined);

const bindingText = (b: BindingData): string => protoText(BindingDataSchema, b);

/** Go's reflect type name of a oneof wrapper, e.g. "*core.Scalar_Blob". */
function goTypeName(message: string, oneofCase: string | undefined): string {
  if (!oneofCase) return "<nil>";
  return `*core.${message}_${oneofCase.charAt(0).toUpperCase()}${oneofCase.slice(1)}`;
}
