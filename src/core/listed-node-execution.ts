import { create, fromBinary } from "@bufbuild/protobuf";
import { type NodeExecution, NodeExecutionClosureSchema, NodeExecutionMetaDataSchema, NodeExecutionSchema } from "../../gen/flyteidl/admin/node_execution_pb.js";
import { BINARY_READ_OPTIONS } from "./proto-limits.js";

/** A node execution as its row keeps it: the key, the input URI, and the closure and metadata as the protobuf bytes they were stored as. */
export interface ListedNodeExecution {
  readonly id: { readonly project: string; readonly domain: string; readonly name: string; readonly nodeId: string };
  readonly inputUri: string;
  readonly closure: Uint8Array;
  readonly metadata: Uint8Array;
}

/** The NodeExecution message of a stored row. */
export function nodeExecutionOfListed(row: ListedNodeExecution): NodeExecution {
  return create(NodeExecutionSchema, {
    id: { nodeId: row.id.nodeId, executionId: { project: row.id.project, domain: row.id.domain, name: row.id.name } },
    inputUri: row.inputUri,
    closure: fromBinary(NodeExecutionClosureSchema, row.closure, BINARY_READ_OPTIONS),
    metadata: fromBinary(NodeExecutionMetaDataSchema, row.metadata, BINARY_READ_OPTIONS),
  });
}

/** ListNodeExecutions carries at most this many bytes of a node's error message (FlyteAdmin's list transform). */
export const NODE_LIST_ERROR_MESSAGE_BYTES = 100;

/** An error message as ListNodeExecutions carries it: its first 100 UTF-8 bytes, without a character cut in two. */
export function listedNodeErrorMessage(message: string): string {
  return Buffer.from(message).subarray(0, NODE_LIST_ERROR_MESSAGE_BYTES).toString("utf8").replace(/\uFFFD$/, "");
}

/** A node execution as ListNodeExecutions answers it: its error message cut. */
export function listedNodeExecution(row: ListedNodeExecution): NodeExecution {
  const ne = nodeExecutionOfListed(row);
  const r = ne.closure?.outputResult;
  if (r?.case === "error") r.value.message = listedNodeErrorMessage(r.value.message);
  return ne;
}
