import { useMemo } from "react";
import type { CompiledWorkflowClosure } from "../../../../gen/flyteidl/core/compiler_pb.js";
import WorkflowGraphView from "../../components/workflow-graph-view.js";
import { executionsByDrawnId } from "../../lib/graph-executions.js";
import type { NodeTreeItem } from "../../lib/node-tree.js";

interface GraphProps {
  closure: CompiledWorkflowClosure;
  /** The node executions fetched so far, nested (the page fetches sub-workflow and branch children for the graph). */
  nodes: readonly NodeTreeItem[];
  onSelect: (nodeExecutionId: string) => void;
}

/**
 * The execution's workflow drawn as on its workflow page (sub-workflows and branches as boxes),
 * each node coloured by its execution's phase. Its own chunk: React Flow loads only when the
 * graph tab opens.
 */
export default function ExecutionGraph({ closure, nodes, onSelect }: GraphProps) {
  const executions = useMemo(() => executionsByDrawnId(nodes), [nodes]);
  return <WorkflowGraphView closure={closure} title="Execution graph" executions={executions} onSelectExecution={onSelect} />;
}
