import dagre from "@dagrejs/dagre";
import type { CompiledWorkflow, CompiledWorkflowClosure } from "../../../gen/flyteidl/core/compiler_pb.js";
import type { Identifier } from "../../../gen/flyteidl/core/identifier_pb.js";
import type { Node } from "../../../gen/flyteidl/core/workflow_pb.js";
import { END_NODE, type NodeSpec, nodeSpec, START_NODE } from "./node-specs.js";

/**
 * A workflow's graph with its structure drawn in: a sub-workflow node is a box holding the
 * sub-workflow's own graph, a branch node a box holding its cases. Each box is laid out on its own
 * (dagre, left to right) and then placed as one node of its parent's layout, so nesting never
 * needs edges into clusters (which dagre does not support).
 *
 * Positions are top-left corners relative to the parent box (React Flow's `parentId` convention);
 * parents come before their children in `nodes`.
 */
export interface DrawnNode {
  /** Unique in the drawing: the node ids from the outermost box in, joined by "/". */
  id: string;
  /** The node's id inside its own workflow. */
  nodeId: string;
  spec: NodeSpec;
  parentId?: string;
  /** A box holding a sub-workflow's or a branch's nodes. */
  group: boolean;
  /** For a branch case: "if", "elif", "else". */
  caseLabel?: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface DrawnEdge {
  id: string;
  source: string;
  target: string;
}

export interface WorkflowDrawing {
  nodes: DrawnNode[];
  edges: DrawnEdge[];
  width: number;
  height: number;
  /** Set when the graph was too large or too deep to draw whole. */
  truncated: boolean;
}

/** Beyond these the drawing stops nesting or adding boxes: the page stays responsive on any input. */
export const MAX_DRAWN_NODES = 2_000;
export const MAX_NESTING = 6;

const NODE_HEIGHT = 44;
const GROUP_PAD = 16;
const GROUP_HEADER = 28;
const nodeWidth = (label: string) => Math.min(260, Math.max(110, 24 + label.length * 7.5));

interface Item {
  nodeId: string;
  spec: NodeSpec;
  caseLabel?: string;
  inner?: Level;
}

interface Level {
  items: Item[];
  edges: [string, string][];
}

interface Budget {
  left: number;
  truncated: boolean;
}

const idKey = (id: Identifier | undefined) => (id ? `${id.project}/${id.domain}/${id.name}/${id.version}` : "");

export function drawWorkflow(closure: CompiledWorkflowClosure | undefined): WorkflowDrawing {
  const subs = new Map<string, CompiledWorkflow>();
  for (const wf of closure?.subWorkflows ?? []) subs.set(idKey(wf.template?.id), wf);
  const budget: Budget = { left: MAX_DRAWN_NODES, truncated: false };
  const top = workflowLevel(closure?.primary, subs, budget, 0, new Set());
  const nodes: DrawnNode[] = [];
  const edges: DrawnEdge[] = [];
  const size = place(top, undefined, nodes, edges);
  return { nodes, edges, width: size.width, height: size.height, truncated: budget.truncated };
}

function workflowLevel(wf: CompiledWorkflow | undefined, subs: Map<string, CompiledWorkflow>, budget: Budget, depth: number, open: Set<string>): Level {
  const nodes = wf?.template?.nodes ?? [];
  const items: Item[] = [];
  const present = new Set<string>();
  for (const node of nodes) {
    if (budget.left <= 0) {
      budget.truncated = true;
      break;
    }
    budget.left--;
    present.add(node.id);
    items.push(item(node, subs, budget, depth, open));
  }
  // Compiled templates may leave out start and end; draw them when connections mention them.
  const upstream = wf?.connections?.upstream ?? {};
  const mentioned = new Set(Object.entries(upstream).flatMap(([down, list]) => [down, ...list.ids]));
  for (const special of [START_NODE, END_NODE]) {
    if (!present.has(special) && mentioned.has(special)) {
      present.add(special);
      items.push({ nodeId: special, spec: { id: special, kind: special === START_NODE ? "start" : "end", name: special === START_NODE ? "start" : "end" } });
    }
  }
  const edges: [string, string][] = [];
  const seen = new Set<string>();
  for (const it of items) {
    const node = nodes.find((n) => n.id === it.nodeId);
    const ups = upstream[it.nodeId]?.ids ?? node?.upstreamNodeIds ?? [];
    for (const up of ups) {
      const key = `${up}->${it.nodeId}`;
      if (up === it.nodeId || !present.has(up) || seen.has(key)) continue;
      seen.add(key);
      edges.push([up, it.nodeId]);
    }
  }
  return { items, edges };
}

function item(node: Node, subs: Map<string, CompiledWorkflow>, budget: Budget, depth: number, open: Set<string>): Item {
  const spec = nodeSpec(node);
  const t = node.target;
  if (depth >= MAX_NESTING) {
    if (t.case === "branchNode" || spec.kind === "subworkflow") budget.truncated = true;
    return { nodeId: node.id, spec };
  }
  if (t.case === "workflowNode" && t.value.reference.case === "subWorkflowRef") {
    const key = idKey(t.value.reference.value);
    const sub = subs.get(key);
    // A sub-workflow that (through a bad closure) contains itself is drawn once, not forever.
    if (sub && !open.has(key)) {
      open.add(key);
      const inner = workflowLevel(sub, subs, budget, depth + 1, open);
      open.delete(key);
      return { nodeId: node.id, spec, inner };
    }
  }
  if (t.case === "branchNode") {
    const ie = t.value.ifElse;
    const cases: [string, Node | undefined][] = [
      ["if", ie?.case?.thenNode],
      ...(ie?.other ?? []).map((o): [string, Node | undefined] => ["elif", o.thenNode]),
      ["else", ie?.default.case === "elseNode" ? ie.default.value : undefined],
    ];
    const items: Item[] = [];
    for (const [label, caseNode] of cases) {
      if (!caseNode) continue;
      if (budget.left <= 0) {
        budget.truncated = true;
        break;
      }
      budget.left--;
      items.push({ ...item(caseNode, subs, budget, depth + 1, open), caseLabel: label });
    }
    return { nodeId: node.id, spec, inner: { items, edges: [] } };
  }
  // Everything else, a map task included (drawn as one node named after what it maps), is one box.
  return { nodeId: node.id, spec };
}

/** Lays out one level; appends its nodes (parents first) and edges; returns the level's size. */
function place(level: Level, parentId: string | undefined, nodes: DrawnNode[], edges: DrawnEdge[]): { width: number; height: number } {
  if (level.items.length === 0) return { width: 0, height: 0 };
  // Inner levels first: their sizes are the sizes of the boxes at this level.
  const innerNodes = new Map<string, DrawnNode[]>();
  const innerEdges = new Map<string, DrawnEdge[]>();
  const sizes = new Map<string, { width: number; height: number }>();
  for (const it of level.items) {
    const id = parentId ? `${parentId}/${it.nodeId}` : it.nodeId;
    const label = it.caseLabel ? `${it.caseLabel}: ${it.spec.name}` : it.spec.name;
    if (it.inner && it.inner.items.length > 0) {
      const n: DrawnNode[] = [];
      const e: DrawnEdge[] = [];
      const inner = place(it.inner, id, n, e);
      innerNodes.set(id, n);
      innerEdges.set(id, e);
      sizes.set(id, { width: Math.max(inner.width + 2 * GROUP_PAD, nodeWidth(label)), height: inner.height + GROUP_HEADER + GROUP_PAD });
    } else {
      sizes.set(id, { width: nodeWidth(label), height: NODE_HEIGHT });
    }
  }
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "LR", nodesep: 24, ranksep: 56, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  const idOf = (nodeId: string) => (parentId ? `${parentId}/${nodeId}` : nodeId);
  for (const it of level.items) g.setNode(idOf(it.nodeId), sizes.get(idOf(it.nodeId))!);
  for (const [from, to] of level.edges) g.setEdge(idOf(from), idOf(to));
  dagre.layout(g);
  const offsetX = parentId ? GROUP_PAD : 0;
  const offsetY = parentId ? GROUP_HEADER : 0;
  for (const it of level.items) {
    const id = idOf(it.nodeId);
    const p = g.node(id);
    const group = innerNodes.has(id);
    nodes.push({
      id,
      nodeId: it.nodeId,
      spec: it.spec,
      ...(parentId ? { parentId } : {}),
      group,
      ...(it.caseLabel ? { caseLabel: it.caseLabel } : {}),
      x: p.x - p.width / 2 + offsetX,
      y: p.y - p.height / 2 + offsetY,
      width: p.width,
      height: p.height,
    });
    if (group) {
      nodes.push(...innerNodes.get(id)!);
      edges.push(...innerEdges.get(id)!);
    }
  }
  for (const [from, to] of level.edges) edges.push({ id: `${idOf(from)}->${idOf(to)}`, source: idOf(from), target: idOf(to) });
  const graph = g.graph();
  return { width: graph.width ?? 0, height: graph.height ?? 0 };
}
