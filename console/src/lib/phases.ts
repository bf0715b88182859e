import { NodeExecution_Phase, TaskExecution_Phase, WorkflowExecution_Phase } from "../../../gen/flyteidl/core/execution_pb.js";

/** How a phase is drawn: the same tone means the same colour in the header, list, graph and timeline. */
export type PhaseTone = "undefined" | "queued" | "running" | "succeeded" | "failed" | "aborted" | "skipped" | "recovered" | "waiting";

export interface PhaseInfo {
  label: string;
  tone: PhaseTone;
  /** No further phase will follow: polling can stop. */
  terminal: boolean;
}

/** Fill and text colour per tone (contrast ≥ 4.5:1), used where CSS classes cannot reach (graph and timeline SVG). */
export const PHASE_COLORS: Record<PhaseTone, { fill: string; text: string }> = {
  undefined: { fill: "#e5e7eb", text: "#1f2937" },
  queued: { fill: "#fef3c7", text: "#78350f" },
  waiting: { fill: "#fde68a", text: "#713f12" },
  running: { fill: "#dbeafe", text: "#1e3a8a" },
  succeeded: { fill: "#d1fae5", text: "#065f46" },
  failed: { fill: "#fee2e2", text: "#991b1b" },
  aborted: { fill: "#ede9fe", text: "#5b21b6" },
  skipped: { fill: "#f3f4f6", text: "#4b5563" },
  recovered: { fill: "#ccfbf1", text: "#115e59" },
};

const info = (label: string, tone: PhaseTone, terminal: boolean): PhaseInfo => ({ label, tone, terminal });

const EXECUTION: Record<WorkflowExecution_Phase, PhaseInfo> = {
  [WorkflowExecution_Phase.UNDEFINED]: info("Unknown", "undefined", false),
  [WorkflowExecution_Phase.QUEUED]: info("Queued", "queued", false),
  [WorkflowExecution_Phase.RUNNING]: info("Running", "running", false),
  [WorkflowExecution_Phase.SUCCEEDING]: info("Succeeding", "running", false),
  [WorkflowExecution_Phase.SUCCEEDED]: info("Succeeded", "succeeded", true),
  [WorkflowExecution_Phase.FAILING]: info("Failing", "failed", false),
  [WorkflowExecution_Phase.FAILED]: info("Failed", "failed", true),
  [WorkflowExecution_Phase.ABORTED]: info("Aborted", "aborted", true),
  [WorkflowExecution_Phase.TIMED_OUT]: info("Timed out", "failed", true),
  [WorkflowExecution_Phase.ABORTING]: info("Aborting", "aborted", false),
};

const NODE: Record<NodeExecution_Phase, PhaseInfo> = {
  [NodeExecution_Phase.UNDEFINED]: info("Unknown", "undefined", false),
  [NodeExecution_Phase.QUEUED]: info("Queued", "queued", false),
  [NodeExecution_Phase.RUNNING]: info("Running", "running", false),
  [NodeExecution_Phase.SUCCEEDED]: info("Succeeded", "succeeded", true),
  [NodeExecution_Phase.FAILING]: info("Failing", "failed", false),
  [NodeExecution_Phase.FAILED]: info("Failed", "failed", true),
  [NodeExecution_Phase.ABORTED]: info("Aborted", "aborted", true),
  [NodeExecution_Phase.SKIPPED]: info("Skipped", "skipped", true),
  [NodeExecution_Phase.TIMED_OUT]: info("Timed out", "failed", true),
  [NodeExecution_Phase.DYNAMIC_RUNNING]: info("Dynamic running", "running", false),
  [NodeExecution_Phase.RECOVERED]: info("Recovered", "recovered", true),
};

const TASK: Record<TaskExecution_Phase, PhaseInfo> = {
  [TaskExecution_Phase.UNDEFINED]: info("Unknown", "undefined", false),
  [TaskExecution_Phase.QUEUED]: info("Queued", "queued", false),
  [TaskExecution_Phase.RUNNING]: info("Running", "running", false),
  [TaskExecution_Phase.SUCCEEDED]: info("Succeeded", "succeeded", true),
  [TaskExecution_Phase.ABORTED]: info("Aborted", "aborted", true),
  [TaskExecution_Phase.FAILED]: info("Failed", "failed", true),
  [TaskExecution_Phase.INITIALIZING]: info("Initializing", "queued", false),
  [TaskExecution_Phase.WAITING_FOR_RESOURCES]: info("Waiting for resources", "waiting", false),
  [TaskExecution_Phase.RETRYABLE_FAILED]: info("Retryable failure", "failed", true),
};

const UNKNOWN = info("Unknown", "undefined", false);

export const executionPhase = (p: WorkflowExecution_Phase): PhaseInfo => EXECUTION[p] ?? UNKNOWN;
export const nodePhase = (p: NodeExecution_Phase): PhaseInfo => NODE[p] ?? UNKNOWN;
export const taskPhase = (p: TaskExecution_Phase): PhaseInfo => TASK[p] ?? UNKNOWN;
