import { Background, Controls, type Edge, type Node, Position, ReactFlow } from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { useMemo } from "react";
import { useNavigate } from "react-router";
import type { CompiledWorkflowClosure } from "../../../gen/flyteidl/core/compiler_pb.js";
import { paths } from "../app/routes.js";
import { drawWorkflow } from "../lib/workflow-graph.js";

/**
 * A workflow's DAG, read-only: React Flow draws and pans it, the layout comes from dagre
 * (lib/workflow-graph). Sub-workflows and branches are boxes holding their own nodes. A click on
 * a task, sub-workflow or launch plan node opens that entity's version.
 */
export default function WorkflowGraphView({ closure, title }: { closure: CompiledWorkflowClosure | undefined; title: string }) {
  const navigate = useNavigate();
  const drawing = useMemo(() => drawWorkflow(closure), [closure]);
  const { nodes, edges } = useMemo(() => {
    const nodes: Node[] = drawing.nodes.map((n) => ({
      id: n.id,
      position: { x: n.x, y: n.y },
      ...(n.parentId ? { parentId: n.parentId, extent: "parent" as const } : {}),
      data: { label: n.caseLabel ? `${n.caseLabel}: ${n.spec.name}` : n.spec.name },
      // Boxes are default nodes too (React Flow's "group" type has no handles, so edges to a
      // sub-workflow or branch would not be drawn); the graph runs left to right.
      type: n.spec.kind === "start" ? "input" : n.spec.kind === "end" ? "output" : "default",
      sourcePosition: Position.Right,
      targetPosition: Position.Left,
      className: `wf-node wf-${n.spec.kind.replace(" ", "-")}${n.group ? " wf-group" : ""}`,
      style: { width: n.width, height: n.height },
      ariaLabel: `${n.spec.kind} ${n.spec.name}`,
      draggable: false,
      connectable: false,
    }));
    const edges: Edge[] = drawing.edges.map((e) => ({ id: e.id, source: e.source, target: e.target }));
    return { nodes, edges };
  }, [drawing]);
  if (drawing.nodes.length === 0) return <p className="status">This workflow has no nodes to draw.</p>;
  return (
    <figure className="graph" aria-label={title}>
      <div className="graph-canvas" style={{ height: Math.min(640, Math.max(260, drawing.height + 80)) }}>
        <ReactFlow
          nodes={nodes}
          edges={edges}
          fitView
          minZoom={0.1}
          nodesDraggable={false}
          nodesConnectable={false}
          elementsSelectable
          proOptions={{ hideAttribution: true }}
          onNodeClick={(_event, node) => {
            const spec = drawing.nodes.find((n) => n.id === node.id)?.spec;
            const target = spec?.ref && paths.entityVersionOf(spec.ref);
            if (target) void navigate(target);
          }}
        >
          <Background gap={20} />
          <Controls showInteractive={false} />
        </ReactFlow>
      </div>
      <figcaption className="status">
        {drawing.nodes.filter((n) => !n.group).length} nodes{drawing.truncated ? " (too large to draw whole: the drawing stops early)" : ""}. Boxes hold sub-workflows and branch cases; click a task or sub-workflow to open it.
      </figcaption>
    </figure>
  );
}
