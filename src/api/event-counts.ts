import type { ServiceImpl } from "@connectrpc/connect";
import type { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import { EventFailureReasonSchema } from "../../gen/flyteidl/admin/event_pb.js";
import { AdminError, type ErrorKind } from "../core/errors.js";

/** Which engine report an event is. */
export type EventKind = "workflow" | "node" | "task";

/**
 * Why an event was refused: the event failure reasons FlyteAdmin attaches
 * (already in a terminal state, incompatible cluster), else the kind of error.
 */
export type RefusalReason =
  | "already_exists"
  | "already_terminal"
  | "incompatible_cluster"
  | "invalid_transition"
  | "invalid"
  | "not_found"
  | "too_large"
  | "error";

/** Counts engine reports; the metrics registry implements it, tests may leave it out. */
export interface EventMetrics {
  accepted(kind: EventKind): void;
  refused(kind: EventKind, reason: RefusalReason): void;
}

export const noEventMetrics: EventMetrics = { accepted: () => undefined, refused: () => undefined };

const KIND_REASONS: Partial<Record<ErrorKind, RefusalReason>> = {
  AlreadyExists: "already_exists",
  FailedPrecondition: "invalid_transition",
  InvalidArgument: "invalid",
  NotFound: "not_found",
  ResourceExhausted: "too_large",
};

/** The label an event's failure is counted under. */
export function refusalReason(e: unknown): RefusalReason {
  if (!(e instanceof AdminError)) return "error";
  for (const detail of e.details) {
    if (detail.desc.typeName !== EventFailureReasonSchema.typeName) continue;
    const reason = (detail.value as { reason?: { case?: string } }).reason?.case;
    if (reason === "alreadyInTerminalState") return "already_terminal";
    if (reason === "incompatibleCluster") return "incompatible_cluster";
  }
  return KIND_REASONS[e.kind] ?? "error";
}

type EventHandlers = Pick<ServiceImpl<typeof AdminService>, "createWorkflowEvent" | "createNodeEvent" | "createTaskEvent">;

/** One count per call, however many compare-and-set rounds the handler needed. */
function counted<Req, Ctx, Out>(kind: EventKind, metrics: EventMetrics, handler: (req: Req, ctx: Ctx) => Out | Promise<Out>) {
  return async (req: Req, ctx: Ctx): Promise<Out> => {
    try {
      const out = await handler(req, ctx);
      metrics.accepted(kind);
      return out;
    } catch (e) {
      metrics.refused(kind, refusalReason(e));
      throw e;
    }
  };
}

/** The handlers with the three event handlers counting what they accept and refuse. */
export function withEventCounts<H extends Partial<EventHandlers>>(handlers: H, metrics: EventMetrics): H {
  const out: H = { ...handlers };
  if (handlers.createWorkflowEvent) out.createWorkflowEvent = counted("workflow", metrics, handlers.createWorkflowEvent);
  if (handlers.createNodeEvent) out.createNodeEvent = counted("node", metrics, handlers.createNodeEvent);
  if (handlers.createTaskEvent) out.createTaskEvent = counted("task", metrics, handlers.createTaskEvent);
  return out;
}
