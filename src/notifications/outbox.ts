import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { ExecutionClosure, ExecutionSpec } from "../../gen/flyteidl/admin/execution_pb.js";
import type { WorkflowExecutionEvent } from "../../gen/flyteidl/event/event_pb.js";
import { type NotificationSettings, type PlannedDelivery, planDeliveries, type TerminalExecution } from "../core/notification-plan.js";
import type { Logger } from "../logger.js";
import { type NotificationMetrics, noNotificationMetrics } from "./notification-metrics.js";

/**
 * The enqueue side of notifications, as the workflow event handler uses it:
 * what a terminal phase sends (written by the handler in the phase's own
 * transaction), and what follows the commit.
 */
export interface NotificationOutbox {
  /** The deliveries of a terminal execution; [] when no notification matches its phase. */
  plan(execution: TerminalExecution): PlannedDelivery[];
  /** When the deliveries are enqueued (the injected clock). */
  now(): Date;
  /** After the commit that stored them: counts them and wakes this replica's workers. */
  enqueued(deliveries: readonly PlannedDelivery[]): void;
}

export interface OutboxOptions {
  /** The rendering settings; read on every plan (the console link is known only once the server listens). */
  settings: () => NotificationSettings;
  logger: Logger;
  metrics?: NotificationMetrics | undefined;
  /** Wakes the local delivery workers. */
  poke: () => void;
  clock?: (() => Date) | undefined;
}

export function createOutbox(o: OutboxOptions): NotificationOutbox {
  const metrics = o.metrics ?? noNotificationMetrics;
  return {
    plan(execution) {
      try {
        return planDeliveries(execution, o.settings());
      } catch (e) {
        // A rendering fault must not refuse the event (the engine would resend it forever): the phase
        // is recorded, and the notification is lost with an error in the log.
        o.logger.error("planning notifications failed; the phase is recorded without them", {
          execution: `${execution.id.project}/${execution.id.domain}/${execution.id.name}`,
          error: String((e as Error)?.stack ?? e),
        });
        return [];
      }
    },
    now: () => (o.clock ?? (() => new Date()))(),
    enqueued(deliveries) {
      for (const d of deliveries) {
        metrics.enqueued(d.channel);
        if (d.dead !== undefined) {
          metrics.dead(d.channel);
          o.logger.warn("notification delivery refused at enqueue", { dedupeKey: d.dedupeKey, channel: d.channel, reason: d.dead });
        }
      }
      if (deliveries.some((d) => d.dead === undefined)) o.poke();
    },
  };
}

/**
 * What rendering needs to know of an execution that reached a terminal phase:
 * its stored spec and closure (the closure's notifications were fixed at
 * creation) and the event that ended it.
 */
export function terminalExecution(
  id: { project: string; domain: string; name: string },
  spec: ExecutionSpec | undefined,
  closure: ExecutionClosure,
  event: WorkflowExecutionEvent,
  occurredAt: Date,
): TerminalExecution {
  return {
    id: { project: id.project, domain: id.domain, name: id.name },
    phase: event.phase,
    notifications: closure.notifications,
    ...(spec?.launchPlan ? { launchPlan: spec.launchPlan } : {}),
    ...(closure.workflowId ? { workflow: closure.workflowId } : {}),
    principal: spec?.metadata?.principal ?? "",
    ...(event.outputResult.case === "error" ? { errorMessage: event.outputResult.value.message } : {}),
    occurredAt,
    ...(closure.startedAt ? { startedAt: timestampDate(closure.startedAt) } : {}),
  };
}
