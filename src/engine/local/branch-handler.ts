import { LiteralMapSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import type { IfElseBlock } from "../../../gen/flyteidl/core/workflow_pb.js";
import { keyOfUri, readMessage } from "./blob-uris.js";
import { branchNodesOf, evaluateBranch } from "./branch-eval.js";
import { type DagScope, type Graph, scopeHolding } from "./dag-scope.js";
import { ErrorKind, errorText, executionError } from "./execution-error.js";
import type { NodeExecutor } from "./node-executor.js";
import { outputDir, outputsPath } from "./paths.js";
import { type HandlerResult, type NodeContext, type NodeHandler, result } from "./round-context.js";

const ifElseOf = (n: NodeContext): IfElseBlock | undefined => (n.node.target.case === "branchNode" ? n.node.target.value.ifElse : undefined);

const failure = (n: NodeContext, kind: ErrorKind, code: string, message: string): HandlerResult =>
  result("Failure", n.round.now(), message, executionError(kind, code, message));

/**
 * The graph a branch node runs its chosen node in: every node it may take,
 * with no edges between them, each keeping the upstream nodes the compiler
 * recorded for it (nodes next to the branch node, found through the child
 * scope's `outer`). The whole upstream map is kept so that a branch nested
 * in this one finds its own then-nodes' upstream nodes too.
 */
function branchGraph(scope: DagScope, branchId: string, ifElse: IfElseBlock | undefined): Graph {
  const nodes = new Map(branchNodesOf(ifElse).map((node) => [node.id, node] as const));
  const upstream = new Map(scope.upstream);
  // The branch node itself is the chosen node's parent, never a node it waits for.
  for (const id of nodes.keys()) upstream.set(id, (scope.upstream.get(id) ?? []).filter((up) => up !== branchId));
  return {
    nodes,
    upstream,
    downstream: new Map(),
    failAfterExecutableNodes: false,
    failureNodeId: undefined,
  };
}

/**
 * Branch nodes (engine-spec §2.4.4, §5.1; propeller's branch/handler.go). The
 * first step decides from the branch node's inputs (the condition variables)
 * and records the choice; every step then steps the chosen node as a child
 * of the branch, and the branch ends as it does: succeeded with its outputs
 * copied, or failed with its error. Untaken nodes are never started.
 */
export function createBranchHandler(nodes: NodeExecutor): NodeHandler {
  const childOf = (n: NodeContext) => nodes.childScope(n, branchGraph(n.scope, n.specId, ifElseOf(n)), { bindsOuter: true });

  /** Steps the chosen node once and says what that means for the branch (propeller's recurseDownstream). */
  const stepChosen = async (n: NodeContext, taken: string): Promise<HandlerResult> => {
    const ctx = n.round;
    const child = childOf(n);
    if (!child.nodes.has(taken)) return failure(n, ErrorKind.SYSTEM, "DownstreamNodeNotFound", `Downstream node [${taken}] not found`);
    const outcome = await nodes.handle(ctx, child, taken);
    if (outcome.kind === "complete") {
      const chosen = child.statuses[taken];
      const from = outputsPath(chosen?.outputDir ?? outputDir(child.dataDirOf(taken), chosen?.attempts ?? 0));
      const to = outputsPath(n.outputDir);
      try {
        await copyRaw(n, from, to);
      } catch (e) {
        ctx.services.logger.warn("engine: could not copy a branch's outputs", { execution: ctx.key.name, node: n.uniqueId, error: errorText(e) });
        return failure(n, ErrorKind.SYSTEM, "OutputsNotFoundError", `Failed to copy child node outputs from [${from}] to [${to}]`);
      }
      return result("Success", ctx.now(), "", undefined, { outputUri: to });
    }
    if (outcome.kind === "failed") return result("Failure", ctx.now(), outcome.error.message, outcome.error);
    // A timed-out child carries no error of its own (propeller's PhaseInfoFailureErr(nil)).
    if (outcome.kind === "timedOut") return failure(n, ErrorKind.UNKNOWN, "Unknown", "Unknown error message");
    return result("Running", ctx.now());
  };

  return {
    finalizeRequired: false,
    async handle(n) {
      const taken = n.status.branch?.taken;
      if (taken !== undefined) return stepChosen(n, taken);
      const ctx = n.round;
      let inputs;
      try {
        inputs = await readMessage(ctx.services.blobs, n.inputsUri, LiteralMapSchema);
        if (!inputs) throw new Error(`${n.inputsUri} not found`);
      } catch (e) {
        return failure(n, ErrorKind.SYSTEM, "RuntimeExecutionError", `Failed to read input. Error [${errorText(e)}]`);
      }
      const decision = evaluateBranch(ifElseOf(n), inputs);
      if ("error" in decision) return result("Failure", ctx.now(), decision.error.message, decision.error);
      const missing = (n.scope.upstream.get(decision.taken) ?? []).filter((up) => up !== n.specId && !scopeHolding(n.scope, up));
      if (missing.length > 0) {
        return failure(n, ErrorKind.SYSTEM, "BadSpecificationError", `upstream node(s) [${missing.join(", ")}] of branch node [${decision.taken}] not found`);
      }
      // The choice is recorded before the chosen node starts: a replayed step decides the same way anyway.
      n.status.branch = { taken: decision.taken };
      return stepChosen(n, decision.taken);
    },
    async abort(n, reason) {
      const taken = n.status.branch?.taken;
      if (taken === undefined) return;
      const child = childOf(n);
      if (child.nodes.has(taken)) await nodes.abort(n.round, child, taken, reason);
    },
    // The chosen node is finalized by its own handler when it ends or is aborted.
    finalize: async () => {},
  };
}

/** propeller's CopyRaw of the chosen node's outputs.pb; a missing file is no error (a node without outputs). */
async function copyRaw(n: NodeContext, from: string, to: string): Promise<void> {
  const blobs = n.round.services.blobs;
  const bytes = await blobs.get(keyOfUri(blobs, from));
  if (bytes === undefined) return;
  await blobs.put(keyOfUri(blobs, to), bytes);
}
