import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Config, ConfigError } from "../config.js";
import type { NotificationSettings } from "../core/notification-plan.js";
import { isAllowedUrl } from "../core/webhook-url.js";
import type { Logger } from "../logger.js";
import { notificationSettings } from "../notification-config.js";
import { packageRoot } from "../paths.js";
import type { Store } from "../storage/store.js";
import type { DeliveryChannel } from "./channel.js";
import { createDeliveryWorker, type DeliveryWorker } from "./delivery-worker.js";
import { createEmailChannel } from "./email-channel.js";
import type { DeliveryChannelName, NotificationMetrics } from "./notification-metrics.js";
import { createOutbox, type NotificationOutbox } from "./outbox.js";
import { createWebhookChannel } from "./webhook-channel.js";

export type DeliveryChannels = Partial<Record<DeliveryChannelName, DeliveryChannel>>;

export interface NotificationWiringOptions {
  config: Config;
  store: Store;
  logger: Logger;
  metrics?: NotificationMetrics | undefined;
  clock?: (() => Date) | undefined;
  /** Channels to send through instead of the configured SMTP server and webhooks (tests). */
  channels?: DeliveryChannels | undefined;
  /** Backoff jitter factor (tests turn it off with () => 1). */
  jitter?: (() => number) | undefined;
  /** The SMTP password, read by smtpPassword() before anything was opened. */
  smtpPassword?: string | undefined;
}

export interface Notifications {
  /** What the event handlers enqueue through; undefined when notifications are off. */
  outbox: NotificationOutbox | undefined;
  /** This replica's delivery workers; undefined when notifications are off. */
  worker: DeliveryWorker | undefined;
  /** Starts the workers; `listeningUrl` completes the console link when no publicUrl is configured. */
  start(listeningUrl?: string): void;
  /** Stops the workers (in-flight sends get a few seconds) and closes the channels. */
  stop(): Promise<void>;
}

/**
 * The SMTP password of the configuration (undefined when none is set or
 * notifications are off). Read at start-up, before anything is opened, so an
 * unreadable file stops the server with nothing left behind, not at the first send.
 */
export function smtpPassword(config: Config): string | undefined {
  const n = config.notifications;
  if (!n.enabled) return undefined;
  return config.smtpPassword || (n.email.passwordFile ? readSecretFile(n.email.passwordFile, "notifications.email.passwordFile") : undefined);
}

/** The outbox and its workers for the configuration (nothing when notifications are off). */
export function createNotifications(o: NotificationWiringOptions): Notifications {
  const n = o.config.notifications;
  if (!n.enabled) return { outbox: undefined, worker: undefined, start() {}, stop: async () => undefined };
  const channels = o.channels ?? configuredChannels(o.config, o.smtpPassword);
  const worker = createDeliveryWorker({
    store: o.store.notifications,
    channels,
    policy: n.delivery,
    logger: o.logger,
    metrics: o.metrics,
    clock: o.clock,
    jitter: o.jitter,
  });
  let settings: NotificationSettings = notificationSettings(n, o.config.publicUrl, undefined);
  const outbox = createOutbox({ settings: () => settings, logger: o.logger, metrics: o.metrics, poke: () => worker.poke(), clock: o.clock });
  return {
    outbox,
    worker,
    start(listeningUrl) {
      settings = notificationSettings(n, o.config.publicUrl, listeningUrl);
      if (!settings.consoleBaseUrl) o.logger.warn("notification links have no console address; set publicUrl or notifications.consoleBaseUrl");
      worker.start();
    },
    async stop() {
      await worker.stop();
      await Promise.all(Object.values(channels).map((c) => c.close().catch(() => undefined)));
    },
  };
}

/** The SMTP and webhook channels of the configuration. */
function configuredChannels(config: Config, password: string | undefined): DeliveryChannels {
  const n = config.notifications;
  const { version } = JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version: string };
  // A send gives up well within its lease, so no other worker takes the delivery over while it may still go out.
  const sendLimitMs = Math.floor(n.delivery.leaseTimeoutMs / 2);
  return {
    // As many SMTP connections as sends in flight.
    email: createEmailChannel({
      smtpUrl: n.email.smtpUrl,
      ...(password ? { password } : {}),
      maxConnections: n.delivery.concurrency,
      sendTimeoutMs: Math.min(120_000, sendLimitMs),
      timeoutMs: Math.min(30_000, sendLimitMs),
    }),
    webhook: createWebhookChannel({
      aliases: n.webhooks.aliases,
      userAgent: `flyteadmin-ts/${version}`,
      timeoutMs: Math.min(10_000, sendLimitMs),
      // Checked again at send time: a row enqueued under a laxer configuration is not sent to a URL now refused.
      isAllowedUrl: (url) => isAllowedUrl(url, n.webhooks),
    }),
  };
}

function readSecretFile(file: string, what: string): string {
  try {
    return readFileSync(file, "utf8").trim();
  } catch (e) {
    throw new ConfigError(`${what}: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
