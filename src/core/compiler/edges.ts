// Edges of a node (flytepropeller workflowBuilder.AddEdges).
//
// A node depends on (a) the nodes listed in upstream_node_ids — explicit
// ordering the SDK asked for — and (b) every node whose output one of its
// bindings reads. Validating the bindings is what discovers (b).
import type { ErrorScope } from "./compile-errors.js";
import { validateBindings } from "./bindings.js";
import type { EdgeDirection, NodeBuilder, WorkflowBuilder } from "./workflow-builder.js";

export function addEdges(w: WorkflowBuilder, n: NodeBuilder, dir: EdgeDirection, errs: ErrorScope): boolean {
  // Without an interface the node already failed; its bindings cannot be judged.
  if (!n.iface) return false;
  // Explicit ids are recorded as given, even ids of nodes that do not exist: such
  // a node then hangs off a phantom and is reported as unreachable.
  if (dir !== "upstream") for (const up of n.node.upstreamNodeIds) w.addExecutionEdge(up, n.node.id);
  const [, ok] = validateBindings(w, n, n.node.inputs, n.iface.inputs, true, dir, errs.newScope());
  return ok;
}
