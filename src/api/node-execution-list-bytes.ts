import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { BinaryReader } from "@bufbuild/protobuf/wire";
import { NodeExecutionClosureSchema, NodeExecutionMetaDataSchema, NodeExecutionSchema } from "../../gen/flyteidl/admin/node_execution_pb.js";
import { ExecutionErrorSchema } from "../../gen/flyteidl/core/execution_pb.js";
import { type ListedNodeExecution, listedNodeErrorMessage, listedNodeExecution } from "../core/listed-node-execution.js";
import { BINARY_READ_OPTIONS } from "../core/proto-limits.js";
import { concat, field, fieldsOf, header, lengthOf, shapeOf, stringField } from "./proto-splice.js";

/*
 * `admin.NodeExecutionList` in protobuf binary, spliced from the stored
 * closure and metadata bytes (proto-splice.ts): the bytes toBinary writes for
 * the list `listedNodeExecution` makes of the same rows, without decoding a
 * thousand closures and encoding them again by reflection, which was most of
 * a large execution's list (the console reads all of it, and again while it
 * runs). Stored bytes in a form toBinary would not have written are decoded
 * and encoded as before.
 *
 * Field numbers (flyteidl/admin/node_execution.proto): NodeExecutionList
 * {1 node_executions, 2 token}; NodeExecution {1 id, 2 input_uri, 3 closure,
 * 4 metadata}; NodeExecutionIdentifier {1 node_id, 2 execution_id};
 * WorkflowExecutionIdentifier {1 project, 2 domain, 4 name};
 * NodeExecutionClosure {2 error}; ExecutionError {2 message}.
 */
const CLOSURE_ERROR = 2;

const CLOSURE = shapeOf(NodeExecutionClosureSchema, [CLOSURE_ERROR]);
const METADATA = shapeOf(NodeExecutionMetaDataSchema, []);

/**
 * NodeExecutionList in protobuf binary from stored rows, byte for byte what
 * `toBinary(NodeExecutionListSchema, { nodeExecutions: rows.map(listedNodeExecution), token })` writes.
 */
export function encodeNodeExecutionList(rows: readonly ListedNodeExecution[], token: string): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const row of rows) {
    const ne = splicedNodeExecution(row) ?? toBinary(NodeExecutionSchema, listedNodeExecution(row));
    parts.push(header(0x0a, ne.length), ne);
  }
  if (token !== "") parts.push(stringField(0x12, token));
  return concat(parts, lengthOf(parts));
}

/** The NodeExecution of a list, from the stored bytes; undefined when they are not in toBinary's form. */
function splicedNodeExecution(row: ListedNodeExecution): Uint8Array | undefined {
  const closure = fieldsOf(row.closure, CLOSURE);
  if (!closure || !fieldsOf(row.metadata, METADATA)) return undefined;
  const closureParts = closure.map((f) => (f.no === CLOSURE_ERROR ? listedError(f.bytes) : f.bytes));

  const execution = [stringField(0x0a, row.id.project), stringField(0x12, row.id.domain), stringField(0x22, row.id.name)];
  const executionLen = lengthOf(execution);
  const nodeId = stringField(0x0a, row.id.nodeId);
  const idLen = nodeId.length + field(executionLen);
  const closureLen = lengthOf(closureParts);
  const inputUri = stringField(0x12, row.inputUri);
  // The closure and metadata messages are always set, so toBinary writes them even when empty.
  const ps = [
    header(0x0a, idLen),
    nodeId,
    header(0x12, executionLen),
    ...execution,
    inputUri,
    header(0x1a, closureLen),
    ...closureParts,
    header(0x22, row.metadata.length),
    row.metadata,
  ];
  return concat(ps, lengthOf(ps));
}

/** The closure's error field with its message cut as the list cuts it (kept as stored when that changes nothing). */
function listedError(stored: Uint8Array): Uint8Array {
  const reader = new BinaryReader(stored);
  reader.tag();
  const error = fromBinary(ExecutionErrorSchema, reader.bytes(), BINARY_READ_OPTIONS);
  const message = listedNodeErrorMessage(error.message);
  if (message === error.message) return stored;
  error.message = message;
  const payload = toBinary(ExecutionErrorSchema, error);
  return concat([header(0x12, payload.length), payload], field(payload.length));
}
