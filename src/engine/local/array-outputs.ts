import { create } from "@bufbuild/protobuf";
import { type Literal, type LiteralMap, LiteralMapSchema, LiteralSchema } from "../../../gen/flyteidl/core/literals_pb.js";

/** `Scalar.none_type`: what an element that did not succeed contributes to each output (why flytekit types them `List[Optional[T]]`). */
export const noneLiteral = (): Literal => create(LiteralSchema, { value: { case: "scalar", value: { value: { case: "noneType", value: {} } } } });

/**
 * The array node's outputs (engine-spec §5.3 Succeeding): one collection per
 * output variable of the sub-task, in index order, holding each element's
 * value, or none where the element did not succeed (`undefined` outputs) or
 * did not produce that variable.
 */
export function gatherOutputs(names: readonly string[], elements: readonly (LiteralMap | undefined)[]): LiteralMap {
  const literals: Record<string, Literal> = {};
  for (const name of names) {
    const items = elements.map((e) => e?.literals[name] ?? noneLiteral());
    literals[name] = create(LiteralSchema, { value: { case: "collection", value: { literals: items } } });
  }
  return create(LiteralMapSchema, { literals });
}
