import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import {
  EventFailureReasonSchema,
  NodeExecutionEventRequestSchema,
  TaskExecutionEventRequestSchema,
  WorkflowExecutionEventRequestSchema,
} from "../../../gen/flyteidl/admin/event_pb.js";
import type { ApiDeps } from "../../api/deps.js";
import { noEventMetrics, withEventCounts } from "../../api/event-counts.js";
import { eventHandlers } from "../../api/events.js";
import { nodeExecutionHandlers } from "../../api/node-executions.js";
import { taskExecutionHandlers } from "../../api/task-executions.js";
import { AdminError } from "../../core/errors.js";
import { type EventErrorCode, type EventSink, EventSinkError } from "./event-sink.js";

/**
 * The engine's one event path (engine-spec §8.6): the same handlers the
 * CreateWorkflowEvent / CreateNodeEvent / CreateTaskEvent RPCs run, with the
 * same request messages, so validation, phase rules, closures and counts are
 * identical for the embedded engine and an outside flytepropeller.
 */
export function createAdminEventSink(deps: Pick<ApiDeps, "store" | "blobs" | "limits" | "events" | "notifications">): EventSink {
  // The event handlers read only the store, blobs, limits and notifications of their deps.
  const full = deps as ApiDeps;
  const handlers = withEventCounts(
    { ...eventHandlers(full), ...nodeExecutionHandlers(full), ...taskExecutionHandlers(full) },
    deps.events ?? noEventMetrics,
  );
  // The handlers ignore their call context; in-process calls have none.
  const ctx = undefined as unknown as HandlerContext;
  const call = async (send: () => unknown) => {
    try {
      await send();
    } catch (e) {
      throw classifyAdminError(e);
    }
  };
  return {
    workflow: (event) => call(() => handlers.createWorkflowEvent(create(WorkflowExecutionEventRequestSchema, { requestId: randomUUID(), event }), ctx)),
    node: (event) => call(() => handlers.createNodeEvent(create(NodeExecutionEventRequestSchema, { requestId: randomUUID(), event }), ctx)),
    task: (event) => call(() => handlers.createTaskEvent(create(TaskExecutionEventRequestSchema, { requestId: randomUUID(), event }), ctx)),
  };
}

/** An admin answer as flytepropeller's events/errors reads a gRPC status (engine-spec §2.1 "Admin answers"). */
export function classifyAdminError(e: unknown): EventSinkError {
  if (e instanceof EventSinkError) return e;
  if (!(e instanceof AdminError)) {
    return new EventSinkError("Other", e instanceof Error ? e.message : String(e), { cause: e });
  }
  for (const detail of e.details) {
    if (detail.desc.typeName !== EventFailureReasonSchema.typeName) continue;
    const reason = (detail.value as { reason?: { case?: string } }).reason?.case;
    if (reason === "alreadyInTerminalState") return new EventSinkError("AlreadyInTerminalState", e.message, { cause: e });
    if (reason === "incompatibleCluster") return new EventSinkError("IncompatibleCluster", e.message, { cause: e });
  }
  const byKind: Partial<Record<AdminError["kind"], EventErrorCode>> = {
    AlreadyExists: "AlreadyExists",
    FailedPrecondition: "FailedPrecondition",
    NotFound: "NotFound",
    InvalidArgument: "InvalidArgument",
    ResourceExhausted: e.message.includes("message larger than max") ? "TooLarge" : "ResourceExhausted",
  };
  return new EventSinkError(byKind[e.kind] ?? "Other", e.message, { cause: e });
}
