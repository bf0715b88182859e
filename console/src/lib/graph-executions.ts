import type { NodeTreeItem } from "./node-tree.js";

/**
 * Node executions placed on a workflow drawing (lib/workflow-graph). A drawn node's id is the path
 * of spec node ids from the outermost workflow in ("n2/s0": node s0 of the sub-workflow run by
 * n2; "n1/n1-then": a branch case), and a node execution's place is the same path of spec node
 * ids through its parents, so the two meet without knowing how an engine names child executions.
 */

/** Only these kinds are drawn as boxes holding their children, so only their children are placed. */
const BOXED = new Set(["subworkflow", "branch"]);

/**
 * Each drawn id with the node execution at that place. Where a parent ran more than once (retries),
 * the children of the latest attempt win: siblings are in start order and later ones overwrite.
 */
export function executionsByDrawnId(tree: readonly NodeTreeItem[]): Map<string, NodeTreeItem> {
  const out = new Map<string, NodeTreeItem>();
  const walk = (items: readonly NodeTreeItem[], prefix: string) => {
    for (const item of items) {
      const path = prefix ? `${prefix}/${item.specNodeId}` : item.specNodeId;
      out.set(path, item);
      if (BOXED.has(item.kind)) walk(item.children, path);
    }
  };
  walk(tree, "");
  return out;
}

/** The most child lists the graph asks for on its own (beyond those the node list has open). */
export const MAX_GRAPH_PARENTS = 200;

/**
 * The node executions whose children the graph needs to colour its boxes: every sub-workflow and
 * branch parent found so far, outermost first. Children found in their answers are added on the
 * next render, so nested boxes fill in level by level.
 */
export function graphParents(tree: readonly NodeTreeItem[], max = MAX_GRAPH_PARENTS): string[] {
  const out: string[] = [];
  let level: readonly NodeTreeItem[] = tree;
  while (level.length > 0 && out.length < max) {
    const next: NodeTreeItem[] = [];
    for (const item of level) {
      if (!item.isParent || !BOXED.has(item.kind)) continue;
      if (out.length >= max) break;
      out.push(item.id);
      next.push(...item.children);
    }
    level = next;
  }
  return out;
}
