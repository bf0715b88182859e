import type { CompiledWorkflow, CompiledWorkflowClosure } from "../../../gen/flyteidl/core/compiler_pb.js";
import type { Identifier } from "../../../gen/flyteidl/core/identifier_pb.js";
import type { Node } from "../../../gen/flyteidl/core/workflow_pb.js";

export const START_NODE = "start-node";
export const END_NODE = "end-node";

export type NodeKind = "task" | "subworkflow" | "launch plan" | "dynamic" | "map" | "branch" | "gate" | "eager" | "start" | "end" | "node";

/** What the workflow's definition says about one node, for labels and icons. */
export interface NodeSpec {
  id: string;
  kind: NodeKind;
  /** The task, subworkflow or launch plan the node runs, else the node's own name. */
  name: string;
  /** The referenced entity, for links to its page. */
  ref?: Identifier;
  /** A gate's kind, when the node is a gate. */
  gate?: "approve" | "signal" | "sleep";
  /** The signal a gate waits for (approve and signal gates). */
  signalId?: string;
}

/** Node specs by node id, per workflow: ids repeat across a workflow and its subworkflows ("n0" in each). */
export interface WorkflowSpecs {
  primary: Map<string, NodeSpec>;
  /** Subworkflows' node specs, by the subworkflow's name. */
  subworkflows: Map<string, Map<string, NodeSpec>>;
}

/** Every node of a compiled workflow and of its subworkflows, branch cases included. */
export function workflowSpecs(closure: CompiledWorkflowClosure | undefined): WorkflowSpecs {
  const subworkflows = new Map<string, Map<string, NodeSpec>>();
  for (const wf of closure?.subWorkflows ?? []) subworkflows.set(wf.template?.id?.name ?? "", nodeSpecs(wf));
  return { primary: nodeSpecs(closure?.primary), subworkflows };
}

/** One workflow's nodes by id, branch cases included. */
export function nodeSpecs(wf: CompiledWorkflow | undefined): Map<string, NodeSpec> {
  const out = new Map<string, NodeSpec>();
  for (const node of wf?.template?.nodes ?? []) collect(node, out, 0);
  return out;
}

function collect(node: Node, out: Map<string, NodeSpec>, depth: number): void {
  // Branch cases nest; a hostile closure must not recurse without end.
  if (depth > 32 || out.has(node.id)) return;
  out.set(node.id, nodeSpec(node));
  const t = node.target;
  if (t.case === "branchNode") {
    const ie = t.value.ifElse;
    const cases = [ie?.case?.thenNode, ...(ie?.other ?? []).map((o) => o.thenNode), ie?.default.case === "elseNode" ? ie.default.value : undefined];
    for (const c of cases) if (c) collect(c, out, depth + 1);
  }
}

export function nodeSpec(node: Node): NodeSpec {
  const id = node.id;
  const own = node.metadata?.name || id;
  if (id === START_NODE) return { id, kind: "start", name: "start" };
  if (id === END_NODE) return { id, kind: "end", name: "end" };
  const t = node.target;
  switch (t.case) {
    case "taskNode": {
      const ref = t.value.reference.case === "referenceId" ? t.value.reference.value : undefined;
      return { id, kind: "task", name: ref?.name || own, ref };
    }
    case "workflowNode": {
      const r = t.value.reference;
      if (r.case === "launchplanRef") return { id, kind: "launch plan", name: r.value.name || own, ref: r.value };
      return { id, kind: "subworkflow", name: r.value?.name || own, ref: r.value };
    }
    case "branchNode":
      return { id, kind: "branch", name: own };
    case "gateNode": {
      const c = t.value.condition;
      if (c.case === "approve") return { id, kind: "gate", name: own, gate: "approve", signalId: c.value.signalId };
      if (c.case === "signal") return { id, kind: "gate", name: own, gate: "signal", signalId: c.value.signalId };
      return { id, kind: "gate", name: own, gate: "sleep" };
    }
    case "arrayNode": {
      const inner = t.value.node;
      const innerSpec = inner ? nodeSpec(inner) : undefined;
      return { id, kind: "map", name: innerSpec?.name || own, ref: innerSpec?.ref };
    }
    default:
      return { id, kind: "node", name: own };
  }
}

/** A short name for an entity like "my.module.t1": its last dotted part, which is what people typed. */
export function shortName(name: string): string {
  const i = name.lastIndexOf(".");
  return i >= 0 && i < name.length - 1 ? name.slice(i + 1) : name;
}
