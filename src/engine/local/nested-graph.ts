import { create } from "@bufbuild/protobuf";
import { type LiteralMap, LiteralMapSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import { blobExists, readMessage, writeMessage } from "./blob-uris.js";
import type { DagScope } from "./dag-scope.js";
import { END_NODE, START_NODE } from "./node-events.js";
import { outputDir, outputsPath } from "./paths.js";
import type { RoundContext } from "./round-context.js";
import { nodeStatusOf } from "./status.js";

/**
 * Writes a nested graph's inputs as its start node's outputs (`<scope start
 * dir>/0/outputs.pb`), where its nodes' bindings to `start-node` read them.
 */
export async function writeStartOutputs(ctx: RoundContext, scope: DagScope, inputs: LiteralMap | undefined): Promise<void> {
  const start = nodeStatusOf(scope.statuses, START_NODE);
  const dir = outputDir(scope.dataDirOf(START_NODE), start.attempts);
  await writeMessage(ctx.services.blobs, outputsPath(dir), LiteralMapSchema, inputs ?? create(LiteralMapSchema));
}

/** Where a nested graph's end node wrote the graph's outputs (its final attempt). */
export function endOutputsUri(scope: DagScope): string {
  const end = scope.statuses[END_NODE];
  return outputsPath(end?.outputDir ?? outputDir(scope.dataDirOf(END_NODE), end?.attempts ?? 0));
}

/**
 * Copies a completed nested graph's outputs to `target` (the parent node's
 * `O(a)/outputs.pb`); false when the end node wrote none.
 */
export async function copyEndOutputs(ctx: RoundContext, scope: DagScope, target: string): Promise<boolean> {
  const from = endOutputsUri(scope);
  const blobs = ctx.services.blobs;
  if (!(await blobExists(blobs, from))) return false;
  const outputs = await readMessage(blobs, from, LiteralMapSchema);
  await writeMessage(blobs, target, LiteralMapSchema, outputs ?? create(LiteralMapSchema));
  return true;
}
