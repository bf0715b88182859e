import { create } from "@bufbuild/protobuf";
import { type Literal, type LiteralMap, LiteralMapSchema } from "../../gen/flyteidl/core/literals_pb.js";
import type { ParameterMap } from "../../gen/flyteidl/core/interface_pb.js";
import { isCastable, literalTypeOf, literalTypeText } from "./compiler/index.js";
import { invalidArgument } from "./errors.js";

/**
 * FlyteAdmin's CheckAndFetchInputsForExecution: user inputs must be expected
 * inputs of the launch plan, typed to fit; missing required ones fail; the
 * rest take their defaults; fixed inputs are added last. Returns the
 * execution's full inputs (the user's map is kept separately by the caller).
 */
export function mergeExecutionInputs(user: LiteralMap | undefined, expected: ParameterMap | undefined, fixed: LiteralMap | undefined): LiteralMap {
  const given = user?.literals ?? {};
  const parameters = expected?.parameters ?? {};
  for (const key of Object.keys(given)) {
    if (!(key in parameters)) throw invalidArgument(`invalid input ${key}`);
  }
  const literals: Record<string, Literal> = {};
  for (const [key, p] of Object.entries(parameters)) {
    const value = given[key];
    if (value === undefined) {
      if (p.behavior.case === "required" && p.behavior.value) throw invalidArgument(`expected_inputs ${key} missing`);
      if (p.behavior.case === "default") literals[key] = p.behavior.value;
      continue;
    }
    const inferred = literalTypeOf(value);
    if (!inferred) throw invalidArgument(`Failed to validate literal type for [${key}] with err: literal has no recognisable type`);
    const declared = p.var?.type;
    if (declared && !isCastable(inferred, declared)) {
      throw invalidArgument(`invalid ${key} input wrong type. Expected ${literalTypeText(declared)}, but got ${literalTypeText(inferred)}`);
    }
    literals[key] = value;
  }
  for (const [key, value] of Object.entries(fixed?.literals ?? {})) literals[key] = value;
  return create(LiteralMapSchema, { literals });
}
