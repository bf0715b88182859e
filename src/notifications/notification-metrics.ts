import type { PlannedDelivery } from "../core/notification-plan.js";

export type DeliveryChannelName = PlannedDelivery["channel"];
export const DELIVERY_CHANNELS: readonly DeliveryChannelName[] = ["email", "webhook"];

/** What the outbox reports to /metrics (app-metrics.ts); nothing is counted when absent. */
export interface NotificationMetrics {
  /** A delivery written to the outbox (dead ones included). */
  enqueued(channel: DeliveryChannelName): void;
  /** A delivery accepted by its receiver, `seconds` after it was enqueued. */
  sent(channel: DeliveryChannelName, seconds: number): void;
  /** A failed attempt that will be tried again; `reason` is retry_after (the receiver said when) or error. */
  retried(channel: DeliveryChannelName, reason: string): void;
  /** A delivery given up: refused for good, out of attempts or too old. */
  dead(channel: DeliveryChannelName): void;
}

export const noNotificationMetrics: NotificationMetrics = { enqueued() {}, sent() {}, retried() {}, dead() {} };
