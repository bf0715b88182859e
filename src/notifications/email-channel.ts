// STAND-IN for the SMTP channel that lands separately; replaced at merge.
import type { DeliveryChannel } from "./channel.js";

export function createEmailChannel(_o: { smtpUrl: string; password?: string; timeoutMs?: number }): DeliveryChannel {
  return { send: async () => ({ ok: false, retryable: true, error: "the SMTP channel is not built yet" }), close: async () => undefined };
}
