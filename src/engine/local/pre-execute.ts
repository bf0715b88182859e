import { create } from "@bufbuild/protobuf";
import { type Literal, LiteralMapSchema, LiteralSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import { SimpleType } from "../../../gen/flyteidl/core/types_pb.js";
import { readMessage, writeMessage } from "./blob-uris.js";
import { type DagScope, scopeHolding, uniqueIdIn } from "./dag-scope.js";
import { ErrorKind, errorText, executionError } from "./execution-error.js";
import { withLocalBlobPaths } from "./local-blob-paths.js";
import { START_NODE } from "./node-events.js";
import { blobSize, MAX_OUTPUTS_BYTES } from "./output-check.js";
import { outputsPath } from "./paths.js";
import { resolveBindings } from "./resolve.js";
import { type HandlerResult, type NodeContext, result, type RoundContext } from "./round-context.js";

/** The failure node's `err` input: a union holding the workflow's error (engine-spec §3.3, propeller's ResolveErrorInputLiteralData). */
function errorInput(failedNodeId: string, message: string): Literal {
  return create(LiteralSchema, {
    value: {
      case: "scalar",
      value: {
        value: {
          case: "union",
          value: {
            value: { value: { case: "scalar", value: { value: { case: "error", value: { failedNodeId, message } } } } },
            type: { type: { case: "simple", value: SimpleType.ERROR }, structure: { tag: "FlyteError" } },
          },
        },
      },
    },
  });
}

/**
 * propeller's CanExecute: ready once every upstream node succeeded (or was
 * recovered); skipped when one was skipped, failed or timed out; otherwise,
 * or while an upstream node moved this very round, not yet.
 */
export function canExecute(ctx: RoundContext, scope: DagScope, nodeId: string): "ready" | "skip" | "notReady" {
  if (nodeId === START_NODE) return "ready";
  let skipped = false;
  for (const up of scope.upstream.get(nodeId) ?? []) {
    // A branch's chosen node waits for the nodes next to the branch node that it reads from.
    const holder = scopeHolding(scope, up) ?? scope;
    if (ctx.dirty.has(uniqueIdIn(holder, up))) return "notReady";
    const phase = holder.statuses[up]?.phase ?? "NotYetStarted";
    if (phase === "Skipped" || phase === "Failed" || phase === "TimedOut") skipped = true;
    else if (phase !== "Succeeded" && phase !== "Recovered") return "notReady";
  }
  return skipped ? "skip" : "ready";
}

/** An upstream node's final outputs (the output dir of its last attempt); undefined when there are none. */
const readOutputs = (ctx: RoundContext, scope: DagScope) => async (nodeId: string) => {
  const id = nodeId === "" ? START_NODE : nodeId;
  const ns = scopeHolding(scope, id)?.statuses[id];
  if (!ns?.outputDir) return undefined;
  const uri = outputsPath(ns.outputDir);
  const size = await blobSize(ctx.services.blobs, uri);
  if (size !== undefined && size > MAX_OUTPUTS_BYTES) throw new Error(`outputs ${uri} of node [${nodeId}] are ${size} bytes, more than the ${MAX_OUTPUTS_BYTES} bytes allowed`);
  return readMessage(ctx.services.blobs, uri, LiteralMapSchema);
};

/**
 * propeller's preExecute (engine-spec §2.3 step 1): checks readiness, resolves
 * the input bindings and always writes `D/inputs.pb`. A resolution error fails
 * the node with SYSTEM BindingResolutionFailure, without a QUEUED event.
 */
export async function preExecute(n: NodeContext): Promise<HandlerResult> {
  const ctx = n.round;
  const readiness = canExecute(ctx, n.scope, n.specId);
  if (readiness === "skip") return result("Skip", ctx.now(), "Node Skipped as parent node was skipped");
  if (readiness === "notReady") return result("NotReady", ctx.now(), "predecessor node not yet complete");
  let inputs;
  try {
    // An array element has no bindings: its inputs are its slice of the array node's.
    inputs = n.scope.element ? await n.scope.element.inputs() : await resolveBindings(n.node.inputs, readOutputs(ctx, n.scope), {
      nodeId: n.specId,
      readOffloaded: async (uri) => {
        const literal = await readMessage(ctx.services.blobs, uri, LiteralSchema);
        if (!literal) throw new Error(`offloaded literal ${uri} not found`);
        return literal;
      },
    });
  } catch (e) {
    ctx.services.logger.warn("engine: failed to resolve node inputs", { execution: ctx.key.name, node: n.specId, error: errorText(e) });
    return result("Failure", ctx.now(), "", executionError(ErrorKind.SYSTEM, "BindingResolutionFailure", errorText(e)));
  }
  if (n.specId === n.scope.failureNodeId && inputs.literals["err"]) {
    inputs.literals["err"] = errorInput(n.specId, n.scope.failureError()?.message ?? "");
  }
  // Task processes read these inputs (an array node's: its elements' processes); other nodes keep the URIs as they were bound.
  if (n.node.target.case === "taskNode" || n.node.target.case === "arrayNode") inputs = withLocalBlobPaths(inputs, ctx.services.blobs.localPath?.bind(ctx.services.blobs));
  await writeMessage(ctx.services.blobs, n.inputsUri, LiteralMapSchema, inputs);
  return result("Queued", ctx.now(), "node queued");
}
