import { create } from "@bufbuild/protobuf";
import type { ExecutionError } from "../../../gen/flyteidl/core/execution_pb.js";
import { type Literal, type LiteralMap, LiteralMapSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import { ErrorKind, executionError } from "./execution-error.js";

/**
 * The most elements one array node may have. Propeller has no limit of its
 * own; the engine keeps one so a runaway list cannot make a status or a task
 * event (one external resource per element) unbounded.
 */
export const MAX_ARRAY_SIZE = 10_000;

const invalidLength = (message: string) => executionError(ErrorKind.USER, "InvalidArrayLength", message);

/**
 * How many elements an array node has (propeller's ArrayNode handler, phase
 * None; engine-spec §5.3): every input not in `boundInputs` that is a
 * collection must have the same length; with no such collection the node has
 * one element if every input is bound, otherwise it fails. Inputs that are
 * neither bound nor collections go to every element as they are.
 * Inputs are looked at in name order, so the error names lengths deterministically.
 */
export function arraySize(inputs: LiteralMap, boundInputs: readonly string[]): { size: number } | { error: ExecutionError } {
  const bound = new Set(boundInputs);
  let size = -1;
  const names = Object.keys(inputs.literals).sort();
  for (const name of names) {
    if (bound.has(name)) continue;
    const literal = inputs.literals[name]!;
    if (literal.value.case !== "collection") continue;
    const length = literal.value.value.literals.length;
    if (size === -1) size = length;
    else if (size !== length) return { error: invalidLength(`input arrays have different lengths: expecting '${size}' found '${length}'`) };
  }
  if (size === -1) {
    // propeller compares counts, not names: all inputs bound (or none at all) is one element.
    if (boundInputs.length === names.length) return { size: 1 };
    return { error: invalidLength("no input array provided") };
  }
  if (size > MAX_ARRAY_SIZE) {
    return { error: executionError(ErrorKind.USER, "ArrayTooLarge", `the array node has ${size} elements, more than the ${MAX_ARRAY_SIZE} the local engine runs`) };
  }
  return { size };
}

/**
 * The inputs of element `index` (propeller's constructLiteralMap): each
 * collection that is not bound is replaced by its element `index`; bound
 * inputs and other values are passed whole.
 */
export function elementInputs(inputs: LiteralMap, index: number, boundInputs: readonly string[]): LiteralMap {
  const bound = new Set(boundInputs);
  const literals: Record<string, Literal> = {};
  for (const [name, literal] of Object.entries(inputs.literals)) {
    if (literal.value.case === "collection" && !bound.has(name)) {
      const element = literal.value.value.literals[index];
      if (!element) throw new Error(`index ${index} out of bounds for literal collection ${name}`);
      literals[name] = element;
    } else {
      literals[name] = literal;
    }
  }
  return create(LiteralMapSchema, { literals });
}
