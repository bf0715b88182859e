import dagre from "@dagrejs/dagre";
import type { CompiledWorkflow } from "../../../gen/flyteidl/core/compiler_pb.js";
import { END_NODE, type NodeSpec, nodeSpec, START_NODE } from "./node-specs.js";

export interface GraphNode {
  id: string;
  spec: NodeSpec;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
}

export interface GraphLayout {
  nodes: GraphNode[];
  edges: GraphEdge[];
  width: number;
  height: number;
}

const NODE_HEIGHT = 44;
/** Width grows with the label, within bounds, so names stay readable without huge boxes. */
const nodeWidth = (label: string) => Math.min(260, Math.max(110, 24 + label.length * 7.5));

/** Graphs past this many nodes are not laid out (the node list and timeline still show them). */
export const MAX_GRAPH_NODES = 2_000;

/**
 * Positions for a workflow's nodes, left to right, from the compiled
 * connections (upstream lists); node ids without connections fall back to
 * the template's `upstream_node_ids`. Coordinates are top-left corners.
 */
export function layoutWorkflow(wf: CompiledWorkflow | undefined): GraphLayout {
  const nodes = wf?.template?.nodes ?? [];
  if (nodes.length === 0 || nodes.length > MAX_GRAPH_NODES) return { nodes: [], edges: [], width: 0, height: 0 };
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "LR", nodesep: 24, ranksep: 56, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  const specs = new Map<string, NodeSpec>();
  for (const n of nodes) {
    const spec = nodeSpec(n);
    specs.set(n.id, spec);
    g.setNode(n.id, { width: nodeWidth(spec.name), height: NODE_HEIGHT });
  }
  const upstream = wf?.connections?.upstream ?? {};
  const edges: GraphEdge[] = [];
  const seen = new Set<string>();
  for (const n of nodes) {
    const ups = upstream[n.id]?.ids ?? n.upstreamNodeIds;
    for (const up of ups) {
      const id = `${up}->${n.id}`;
      if (!specs.has(up) || seen.has(id) || up === n.id) continue;
      seen.add(id);
      edges.push({ id, source: up, target: n.id });
      g.setEdge(up, n.id);
    }
  }
  dagre.layout(g);
  const out: GraphNode[] = nodes.map((n) => {
    const p = g.node(n.id);
    return { id: n.id, spec: specs.get(n.id)!, x: p.x - p.width / 2, y: p.y - p.height / 2, width: p.width, height: p.height };
  });
  const graph = g.graph();
  return { nodes: out, edges, width: graph.width ?? 0, height: graph.height ?? 0 };
}

export { END_NODE, START_NODE };
