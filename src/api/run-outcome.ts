import { LiteralMapSchema } from "../../gen/flyteidl/core/literals_pb.js";
import type { ExecutionError } from "../../gen/flyteidl/core/execution_pb.js";
import type { NodeExecutionEvent, TaskExecutionEvent } from "../../gen/flyteidl/event/event_pb.js";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import type { BlobStore } from "../blob/blob-store.js";
import { durationUntil } from "../core/event-duration.js";

/** The closure's result oneof, in the forms node and task execution closures share. */
export type StoredResult = { case: "outputUri"; value: string } | { case: "error"; value: ExecutionError };

/**
 * What an event that ends a node or task execution records: how long it ran
 * since `startedAt`, and its outputs or error. Inline output data is offloaded
 * to `offloadKey`; `write` stores it and is for the event that wins to run
 * inside its transaction, so a lost race writes nothing.
 */
export function runOutcome(
  blobs: BlobStore,
  startedAt: Timestamp | undefined,
  endedAt: Date,
  result: NodeExecutionEvent["outputResult"] | TaskExecutionEvent["outputResult"],
  offloadKey: string,
): { ran?: ReturnType<typeof durationUntil>; outputResult?: StoredResult; write?: () => Promise<void> } {
  const ran = durationUntil(startedAt, endedAt);
  switch (result.case) {
    case "outputUri":
      return { ran, outputResult: { case: "outputUri", value: result.value } };
    case "outputData": {
      const data = result.value;
      return { ran, outputResult: { case: "outputUri", value: blobs.uri(offloadKey) }, write: () => blobs.putMessage(offloadKey, LiteralMapSchema, data) };
    }
    case "error":
      return { ran, outputResult: { case: "error", value: result.value } };
    default:
      return { ran };
  }
}
