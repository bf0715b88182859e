// STAND-IN for the webhook channel that lands separately; replaced at merge.
import type { WebhookAlias } from "../core/notification-plan.js";
import type { DeliveryChannel } from "./channel.js";

export function createWebhookChannel(_o: {
  aliases: Record<string, WebhookAlias>;
  userAgent: string;
  timeoutMs?: number;
  readSecret?: (file: string) => Promise<string>;
  clock?: () => Date;
  isAllowedUrl?: (url: string) => boolean;
}): DeliveryChannel {
  return { send: async () => ({ ok: false, retryable: true, error: "the webhook channel is not built yet" }), close: async () => undefined };
}
