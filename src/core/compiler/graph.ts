// Depth-first cycle detection (flytepropeller compiler/utils.go detectCycle).
//
// Walks the downstream edges from `start`. The first cycle found is returned as
// the path from `start` to the node that closes it, e.g.
// [start-node, a, b, a]; without a cycle, `visited` is every reachable node.
// Neighbours are visited in sorted order so the reported path is deterministic
// (Go iterates a map here).

export interface CycleResult {
  cycle: string[] | undefined;
  visited: Set<string>;
}

export function detectCycle(start: string, neighbors: (id: string) => ReadonlySet<string>): CycleResult {
  const visited = new Set<string>();
  const onPath = new Set<string>();
  // Nodes whose whole sub-graph is known to be acyclic; skipping them keeps the
  // walk linear without changing which cycle is found first.
  const done = new Set<string>();

  const visit = (id: string): string[] | undefined => {
    if (onPath.has(id)) return [];
    if (done.has(id)) return undefined;
    onPath.add(id);
    visited.add(id);
    for (const next of [...neighbors(id)].sort()) {
      const path = visit(next);
      if (path) return [next, ...path];
    }
    onPath.delete(id);
    done.add(id);
    return undefined;
  };

  const path = visit(start);
  return { cycle: path ? [start, ...path] : undefined, visited };
}
