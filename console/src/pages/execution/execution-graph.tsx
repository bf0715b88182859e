import { Background, Controls, type Edge, type Node, ReactFlow } from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { useMemo } from "react";
import type { CompiledWorkflow } from "../../../../gen/flyteidl/core/compiler_pb.js";
import { layoutWorkflow, MAX_GRAPH_NODES } from "../../lib/graph-layout.js";
import { nodePhase, PHASE_COLORS, type PhaseInfo } from "../../lib/phases.js";
import type { NodeTreeItem } from "../../lib/node-tree.js";

interface GraphProps {
  workflow: CompiledWorkflow | undefined;
  /** Top-level node executions, by spec node id, for colours. */
  nodes: readonly NodeTreeItem[];
  onSelect: (id: string) => void;
}

/**
 * The workflow's graph, laid out by dagre from the compiled connections and
 * coloured by each node's phase. Its own chunk: React Flow loads only when
 * the graph is opened.
 */
export default function ExecutionGraph({ workflow, nodes, onSelect }: GraphProps) {
  const layout = useMemo(() => layoutWorkflow(workflow), [workflow]);
  const bySpec = useMemo(() => new Map(nodes.map((n) => [n.specNodeId, n])), [nodes]);
  const flowNodes: Node[] = useMemo(
    () =>
      layout.nodes.map((n) => {
        const ne = bySpec.get(n.id);
        const phase: PhaseInfo | undefined = ne ? nodePhase(ne.execution.closure?.phase ?? 0) : undefined;
        const colors = PHASE_COLORS[phase?.tone ?? "undefined"];
        return {
          id: n.id,
          position: { x: n.x, y: n.y },
          data: { label: `${n.spec.name}${phase ? ` · ${phase.label}` : ""}` },
          ariaLabel: `${n.id}, ${n.spec.kind} ${n.spec.name}${phase ? `, ${phase.label}` : ""}`,
          className: `graph-node graph-${phase?.tone ?? "none"}`,
          style: { width: n.width, height: n.height, background: colors.fill, color: colors.text, borderColor: colors.text },
          connectable: false,
          draggable: false,
          sourcePosition: "right" as never,
          targetPosition: "left" as never,
        };
      }),
    [layout, bySpec],
  );
  const edges: Edge[] = useMemo(() => layout.edges.map((e) => ({ id: e.id, source: e.source, target: e.target })), [layout]);
  if ((workflow?.template?.nodes.length ?? 0) > MAX_GRAPH_NODES) return <p className="status">This workflow has too many nodes to draw; the node list shows them all.</p>;
  if (layout.nodes.length === 0) return <p className="status empty">The workflow has no nodes to draw.</p>;
  return (
    <div className="graph" data-testid="execution-graph">
      <ReactFlow
        nodes={flowNodes}
        edges={edges}
        fitView
        nodesConnectable={false}
        nodesDraggable={false}
        onNodeClick={(_, node) => {
          const ne = bySpec.get(node.id);
          if (ne) onSelect(ne.id);
        }}
        minZoom={0.1}
      >
        <Background />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}
