/** Resolution of a node's input bindings (engine-spec §3.3). Body in progress. */
import type { Binding, LiteralMap } from "../../../gen/flyteidl/core/literals_pb.js";

/** The node's final outputs.pb, or undefined if the file is missing. */
export type OutputReader = (nodeId: string) => Promise<LiteralMap | undefined>;

/** Its message becomes the node's SYSTEM "BindingResolutionFailure" error. */
export class BindingResolutionError extends Error {
  override name = "BindingResolutionError";
}

export async function resolveBindings(bindings: readonly Binding[], read: OutputReader): Promise<LiteralMap> {
  void bindings;
  void read;
  throw new BindingResolutionError("not implemented");
}
