import { Background, Controls, type Edge, type Node, Position, ReactFlow } from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { useMemo } from "react";
import { useNavigate } from "react-router";
import type { CompiledWorkflowClosure } from "../../../gen/flyteidl/core/compiler_pb.js";
import { paths } from "../app/routes.js";
import type { NodeTreeItem } from "../lib/node-tree.js";
import { nodePhase, PHASE_COLORS } from "../lib/phases.js";
import { type DrawnNode, drawWorkflow } from "../lib/workflow-graph.js";

export interface WorkflowGraphProps {
  closure: CompiledWorkflowClosure | undefined;
  title: string;
  /**
   * On an execution's page: the node execution at each drawn node (lib/graph-executions), which
   * colours it by phase; a click then selects that node execution instead of opening the entity.
   */
  executions?: ReadonlyMap<string, NodeTreeItem>;
  onSelectExecution?: (nodeExecutionId: string) => void;
}

const labelOf = (n: DrawnNode) => (n.caseLabel ? `${n.caseLabel}: ${n.spec.name}` : n.spec.name);

/**
 * A workflow's DAG, read-only, on the workflow pages and the execution page alike: React Flow
 * draws and pans it, the layout comes from dagre (lib/workflow-graph), laid out once per
 * workflow; phases only recolour it. Sub-workflows and branches are boxes holding their own nodes.
 */
export default function WorkflowGraphView({ closure, title, executions, onSelectExecution }: WorkflowGraphProps) {
  const navigate = useNavigate();
  const drawing = useMemo(() => drawWorkflow(closure), [closure]);
  const edges: Edge[] = useMemo(() => drawing.edges.map((e) => ({ id: e.id, source: e.source, target: e.target })), [drawing]);
  const nodes: Node[] = useMemo(
    () =>
      drawing.nodes.map((n) => {
        const ne = executions?.get(n.id);
        const phase = ne ? nodePhase(ne.execution.closure?.phase ?? 0) : undefined;
        const colors = phase ? PHASE_COLORS[phase.tone] : undefined;
        const label = labelOf(n);
        return {
          id: n.id,
          position: { x: n.x, y: n.y },
          ...(n.parentId ? { parentId: n.parentId, extent: "parent" as const } : {}),
          data: { label: phase ? `${label} · ${phase.label}` : label },
          // Boxes are default nodes too (React Flow's "group" type has no handles, so edges to a
          // sub-workflow or branch would not be drawn); the graph runs left to right.
          type: n.spec.kind === "start" ? "input" : n.spec.kind === "end" ? "output" : "default",
          sourcePosition: Position.Right,
          targetPosition: Position.Left,
          className: `wf-node wf-${n.spec.kind.replace(" ", "-")}${n.group ? " wf-group" : ""}${phase ? ` wf-phase-${phase.tone}` : ""}`,
          style: {
            width: n.width,
            height: n.height,
            ...(colors ? { borderColor: colors.text, color: colors.text, background: n.group ? `${colors.fill}66` : colors.fill } : {}),
          },
          ariaLabel: `${n.spec.kind} ${n.spec.name}${phase ? `, ${phase.label}` : ""}`,
          draggable: false,
          connectable: false,
        };
      }),
    [drawing, executions],
  );
  if (drawing.nodes.length === 0) return <p className="status">This workflow has no nodes to draw.</p>;
  const onExecution = executions !== undefined;
  return (
    <figure className="graph" aria-label={title} data-testid="workflow-graph">
      <div className="graph-canvas" style={{ height: Math.min(640, Math.max(260, drawing.height + 80)) }}>
        <ReactFlow
          nodes={nodes}
          edges={edges}
          fitView
          minZoom={0.05}
          nodesDraggable={false}
          nodesConnectable={false}
          elementsSelectable
          proOptions={{ hideAttribution: true }}
          onNodeClick={(_event, node) => {
            if (onExecution) {
              const ne = executions.get(node.id);
              if (ne) onSelectExecution?.(ne.id);
              return;
            }
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
        {drawing.nodes.filter((n) => !n.group).length} nodes{drawing.truncated ? " (too large to draw whole: the drawing stops early)" : ""}. Boxes hold sub-workflows and
        branch cases; {onExecution ? "colours are the nodes' phases; click a node for its details." : "click a task or sub-workflow to open it."}
      </figcaption>
    </figure>
  );
}
