import type { NodeExecution } from "../../../gen/flyteidl/admin/node_execution_pb.js";
import { timestampMs } from "./time-format.js";
import { END_NODE, type NodeKind, type NodeSpec, START_NODE, type WorkflowSpecs } from "./node-specs.js";

/** One node execution with the children the page has fetched for it. */
export interface NodeTreeItem {
  /** The node execution's id, unique within the execution ("n0-0-n1" for a child). */
  id: string;
  specNodeId: string;
  name: string;
  kind: NodeKind;
  /** The node's definition, when its workflow is known (not for a dynamic node's children). */
  spec: NodeSpec | undefined;
  execution: NodeExecution;
  /** The server says it has children (ListNodeExecutions with unique_parent_id = id lists them). */
  isParent: boolean;
  children: NodeTreeItem[];
}

/** A visible line of the node list, in display order. */
export interface NodeRow {
  item: NodeTreeItem;
  depth: number;
  expanded: boolean;
}

/** Nested child lists deeper than this are not followed (a defence against a cyclic answer). */
const MAX_DEPTH = 24;

/**
 * The tree from ListNodeExecutions answers: `top` for the execution, and
 * `children` keyed by the parent node's id (the `unique_parent_id` the
 * children were listed with). Start and end nodes are left out, as they run
 * nothing. Siblings are ordered by start, then creation, then id.
 */
export function buildNodeTree(
  top: readonly NodeExecution[],
  children: ReadonlyMap<string, readonly NodeExecution[]>,
  specs: WorkflowSpecs = { primary: new Map(), subworkflows: new Map() },
): NodeTreeItem[] {
  const seen = new Set<string>();
  const NONE = new Map<string, NodeSpec>();
  // Children are read against their own workflow's definition: a subworkflow's, or none for a
  // dynamic node (its workflow is generated at run time and not in the closure).
  const build = (list: readonly NodeExecution[], depth: number, scope: ReadonlyMap<string, NodeSpec>): NodeTreeItem[] => {
    const items: NodeTreeItem[] = [];
    for (const ne of sortNodes(list)) {
      const id = ne.id?.nodeId ?? "";
      const specNodeId = ne.metadata?.specNodeId || id;
      if (isStartOrEnd(id) || isStartOrEnd(specNodeId) || seen.has(id)) continue;
      seen.add(id);
      const kids = depth < MAX_DEPTH ? children.get(id) : undefined;
      const spec = scope.get(specNodeId);
      const kind = nodeKind(ne, spec);
      const inner = kind === "subworkflow" && spec?.ref ? specs.subworkflows.get(spec.ref.name) : undefined;
      items.push({
        id,
        specNodeId,
        name: spec?.name || specNodeId,
        kind,
        spec,
        execution: ne,
        isParent: ne.metadata?.isParentNode ?? false,
        children: kids ? build(kids, depth + 1, inner ?? NONE) : [],
      });
    }
    return items;
  };
  return build(top, 0, specs.primary);
}

/** What the execution says of itself wins over the definition: a task node can turn dynamic at run time. */
export function nodeKind(ne: NodeExecution, spec: NodeSpec | undefined): NodeKind {
  const m = ne.metadata;
  if (m?.isDynamic) return "dynamic";
  if (m?.isArray) return "map";
  if (m?.isEager) return "eager";
  if (spec) return spec.kind;
  if (ne.closure?.targetMetadata.case === "workflowNodeMetadata") return "launch plan";
  if (ne.closure?.targetMetadata.case === "taskNodeMetadata") return "task";
  return m?.isParentNode ? "subworkflow" : "node";
}

export function sortNodes(list: readonly NodeExecution[]): NodeExecution[] {
  const key = (ne: NodeExecution) => timestampMs(ne.closure?.startedAt) ?? timestampMs(ne.closure?.createdAt) ?? Number.MAX_SAFE_INTEGER;
  return [...list].sort((a, b) => key(a) - key(b) || (a.id?.nodeId ?? "").localeCompare(b.id?.nodeId ?? ""));
}

/** The lines to draw: every top-level node, and the children of expanded ones. */
export function visibleRows(tree: readonly NodeTreeItem[], expanded: ReadonlySet<string>): NodeRow[] {
  const rows: NodeRow[] = [];
  const walk = (items: readonly NodeTreeItem[], depth: number) => {
    for (const item of items) {
      const open = item.isParent && expanded.has(item.id);
      rows.push({ item, depth, expanded: open });
      if (open) walk(item.children, depth + 1);
    }
  };
  walk(tree, 0);
  return rows;
}

/** Expanded parents whose children are not loaded yet: the page lists these next. */
export function parentsToLoad(tree: readonly NodeTreeItem[], expanded: ReadonlySet<string>, loaded: ReadonlySet<string>): string[] {
  return visibleRows(tree, expanded)
    .filter((r) => r.expanded && !loaded.has(r.item.id))
    .map((r) => r.item.id);
}

/** Finds a node anywhere in the tree. */
export function findNode(tree: readonly NodeTreeItem[], id: string): NodeTreeItem | undefined {
  for (const item of tree) {
    if (item.id === id) return item;
    const inner = findNode(item.children, id);
    if (inner) return inner;
  }
  return undefined;
}

const isStartOrEnd = (id: string) => id === START_NODE || id === END_NODE;
