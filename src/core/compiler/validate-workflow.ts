// Compiling one workflow template into a graph (flytepropeller
// workflowBuilder.ValidateWorkflow). Used for the primary workflow and,
// recursively, for each referenced sub-workflow.
//
// Shape of the result (rewritten in place in `fg`):
//   nodes       = [start-node, end-node, ...user nodes in their original order]
//   start-node  = { id } whose outputs are the workflow inputs
//   end-node    = { id, inputs: <workflow output bindings> } whose inputs are the workflow outputs
//   connections = upstream/downstream adjacency, every id list sorted
// Nodes nothing depends on are tied to end-node and nodes that depend on
// nothing hang off start-node, so that execution starts and ends in one place.
import { create } from "@bufbuild/protobuf";
import { TypedInterfaceSchema } from "../../../gen/flyteidl/core/interface_pb.js";
import { type Node, NodeSchema } from "../../../gen/flyteidl/core/workflow_pb.js";
import type { CompiledWorkflow } from "../../../gen/flyteidl/core/compiler_pb.js";
import type { ErrorScope } from "./compile-errors.js";
import { compileErrors } from "./error-constructors.js";
import { validateBindings } from "./bindings.js";
import { addEdges } from "./edges.js";
import { detectCycle } from "./graph.js";
import { validateInterface } from "./node-interface.js";
import { validateNode } from "./node.js";
import { identifierText } from "./proto-text.js";
import { END_NODE_ID, START_NODE_ID, WorkflowBuilder } from "./workflow-builder.js";

export function validateWorkflow(
  parent: WorkflowBuilder,
  fg: CompiledWorkflow,
  errs: ErrorScope,
): [WorkflowBuilder | undefined, boolean] {
  const template = fg.template;
  if (!template || template.nodes.length === 0) {
    errs.collect(compileErrors.noNodesFound(identifierText(template?.id)));
    return [undefined, false];
  }
  const wf = parent.derive(fg);
  wf.updateRequiredReferences();

  const [iface, ifaceOk] = validateInterface(START_NODE_ID, template.interface, errs.newScope());
  template.interface = iface;
  if (!ifaceOk) return [undefined, false];

  const userNodes: Node[] = [...template.nodes];
  template.nodes = [];

  const start = wf.addNode(wf.getOrCreateNodeBuilder(create(NodeSchema, { id: START_NODE_ID })));
  start.iface = create(TypedInterfaceSchema, { outputs: iface.inputs });
  const end = wf.addNode(wf.getOrCreateNodeBuilder(create(NodeSchema, { id: END_NODE_ID })));
  end.iface = create(TypedInterfaceSchema, { inputs: iface.outputs });
  end.node.inputs = template.outputs;

  // Top-level nodes (not branch sub-nodes) are the ones tied to start/end below.
  const topLevel = new Set<string>();
  for (const n of userNodes) {
    topLevel.add(n.id);
    // A duplicate id is not added to the graph, but is still validated (as in Go).
    validateNode(wf, wf.addNode(wf.getOrCreateNodeBuilder(n)), false, errs.newScope());
  }

  // Sorted for determinism (the edge insertion order must not matter).
  const ids = [...wf.nodes.keys()].sort();
  for (const id of ids) {
    const b = wf.nodes.get(id);
    if (id !== START_NODE_ID && b) addEdges(wf, b, "both", errs.newScope());
  }

  if (template.failureNode) {
    // The failure node runs outside the graph; it only records what it reads.
    const failure = wf.getOrCreateNodeBuilder(template.failureNode);
    validateNode(wf, failure, false, errs.newScope());
    addEdges(wf, failure, "upstream", errs.newScope());
  }

  for (const id of ids) {
    if (id === START_NODE_ID || id === END_NODE_ID || !topLevel.has(id)) continue;
    if (!wf.upstream.has(id)) wf.addExecutionEdge(START_NODE_ID, id);
    if (!wf.downstream.has(id)) wf.addExecutionEdge(id, END_NODE_ID);
  }

  // The workflow outputs are the end node's inputs: all must be bound, correctly typed.
  const [, endIfaceOk] = validateInterface(END_NODE_ID, end.iface, errs.newScope());
  if (endIfaceOk) validateBindings(wf, end, end.node.inputs, end.iface.inputs, true, "both", errs.newScope());

  validateReachable(wf, errs.newScope());
  wf.writeConnections();
  return [wf, !errs.hasErrors()];
}

/** Everything must be reachable from start-node, and nothing may loop. */
function validateReachable(wf: WorkflowBuilder, errs: ErrorScope): void {
  const result = detectCycle(START_NODE_ID, (id) => wf.downstream.get(id) ?? new Set<string>());
  if (result.cycle) {
    errs.collect(compileErrors.cycleDetected(START_NODE_ID, result.cycle.join(">")));
    return;
  }
  const unreachable = [...wf.nodes.keys()].filter((id) => !result.visited.has(id) && id !== END_NODE_ID).sort();
  if (unreachable.length > 0) errs.collect(compileErrors.unreachableNodes(START_NODE_ID, unreachable.join(",")));
}
