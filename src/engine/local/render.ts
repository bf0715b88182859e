/** Rendering of container command and args (engine-spec §4.2). Body in progress. */
import type { Literal, LiteralMap } from "../../../gen/flyteidl/core/literals_pb.js";

export interface RenderValues {
  input: string;
  inputPrefix: string;
  outputPrefix: string;
  rawOutputDataPrefix: string;
  checkpointOutputPrefix: string;
  prevCheckpointPrefix: string;
  perRetryUniqueKey: string;
  taskTemplatePath?: string;
  namespace: string;
  inputs?: LiteralMap;
}

export class RenderError extends Error {
  override name = "RenderError";
}

export function renderArgs(args: readonly string[], values: RenderValues): string[] {
  void values;
  return [...args];
}

export function literalArgText(literal: Literal): string {
  void literal;
  throw new RenderError("not implemented");
}
