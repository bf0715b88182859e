import { create } from "@bufbuild/protobuf";
import { LiteralMapSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import type { Node } from "../../../gen/flyteidl/core/workflow_pb.js";
import { readMessage, writeMessage } from "./blob-uris.js";
import { ErrorKind, executionError } from "./execution-error.js";
import { outputsPath } from "./paths.js";
import { type NodeHandler, result } from "./round-context.js";

const noop = async () => {};

/** The start node: its outputs (the execution inputs) were written when the workflow started. */
export const startHandler: NodeHandler = {
  finalizeRequired: false,
  handle: async (n) => result("Success", n.round.now()),
  abort: noop,
  finalize: noop,
};

/** The end node: its inputs (the resolved workflow outputs) become its outputs, the workflow's outputs. */
export const endHandler: NodeHandler = {
  finalizeRequired: false,
  async handle(n) {
    const { blobs } = n.round.services;
    const inputs = (await readMessage(blobs, n.inputsUri, LiteralMapSchema)) ?? create(LiteralMapSchema);
    await writeMessage(blobs, outputsPath(n.outputDir), LiteralMapSchema, inputs);
    return result("Success", n.round.now());
  },
  abort: noop,
  finalize: noop,
};

/** The kind of a node, as the engine names it in messages. */
export function nodeKind(node: Node): string {
  const t = node.target;
  switch (t.case) {
    case "taskNode":
      return "task";
    case "branchNode":
      return "branch";
    case "gateNode":
      return "gate";
    case "arrayNode":
      return "array";
    case "workflowNode":
      return t.value.reference.case === "launchplanRef" ? "launchplan" : "subworkflow";
    default:
      return node.id === "start-node" ? "start" : node.id === "end-node" ? "end" : "unknown";
  }
}

export const unsupportedKindError = (node: Node, kind = nodeKind(node)) =>
  executionError(ErrorKind.SYSTEM, "UnsupportedNodeKind", `node [${node.id}]: node kind ${kind} is not supported by the local engine yet`);

/** Node kinds the engine cannot run yet fail at once instead of hanging. */
export const unsupportedHandler: NodeHandler = {
  finalizeRequired: false,
  handle: async (n) => result("Failure", n.round.now(), "unsupported node kind", unsupportedKindError(n.node)),
  abort: noop,
  finalize: noop,
};
