import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { EventKind, EventMetrics, RefusalReason } from "../api/event-counts.js";
import type { CleanupMetrics } from "../cleanup/execution-cleaner.js";
import type { ClusterResourceMetrics } from "../cluster-resources/cluster-resource-sync.js";
import type { SchedulerMetrics } from "../scheduler/schedule-firing.js";
import type { FireResult } from "../scheduler/schedule-request.js";
import { DELIVERY_CHANNELS, type NotificationMetrics } from "../notifications/notification-metrics.js";
import type { RpcObserver } from "../server/interceptors.js";
import type { AuthMetrics } from "../auth/authenticate.js";
import type { DatabaseObserver, PoolStats, WaitKind } from "../storage/database-observer.js";
import { processMetrics } from "./process-metrics.js";

/** One app's instruments, in a registry of its own so apps in one process never share counts. */
export interface AppMetrics {
  rpc: RpcObserver;
  database: DatabaseObserver;
  events: EventMetrics;
  cleanup: CleanupMetrics;
  clusterResources: ClusterResourceMetrics;
  scheduler: SchedulerMetrics;
  notifications: NotificationMetrics;
  auth: AuthMetrics;
  /** The Prometheus text exposition of every metric, with its content type. */
  scrape(): Promise<{ contentType: string; body: string }>;
}

// From a cached read (about a millisecond) to a call near a client's usual deadline.
const RPC_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
// Waiting for the database is usually nothing, so the low end is finer.
const WAIT_BUCKETS = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const EVENT_KINDS: readonly EventKind[] = ["workflow", "node", "task"];
const FIRE_RESULTS: readonly FireResult[] = ["created", "exists", "skipped_inactive_project", "permanent_error", "transient_error"];
// From a tick fired on time to one caught up a day late.
const LAG_BUCKETS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 86400];
// From an immediate send to a delivery retried for its whole maximum age (a day by default).
const DELIVERY_BUCKETS = [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 86_400];

export function createAppMetrics(): AppMetrics {
  const registry = new Registry();
  for (const metric of processMetrics()) registry.registerMetric(metric);
  const registers = [registry];

  const requests = new Counter({
    name: "flyteadmin_rpc_requests_total",
    help: "RPCs finished, by procedure, protocol the client used (grpc, grpc-web, connect, rest) and status code.",
    labelNames: ["procedure", "protocol", "code"] as const,
    registers,
  });
  const duration = new Histogram({
    name: "flyteadmin_rpc_duration_seconds",
    help: "Time from receiving an RPC to its response (for streams: to the response headers), by procedure and protocol.",
    labelNames: ["procedure", "protocol"] as const,
    buckets: RPC_BUCKETS,
    registers,
  });
  const waits = new Histogram({
    name: "flyteadmin_db_wait_seconds",
    help: "Time work waited before it could use the database: the SQLite connection mutex, a PostgreSQL pool connection, or an advisory lock.",
    labelNames: ["kind"] as const,
    buckets: WAIT_BUCKETS,
    registers,
  });
  const accepted = new Counter({
    name: "flyteadmin_events_accepted_total",
    help: "Workflow, node and task execution events accepted.",
    labelNames: ["kind"] as const,
    registers,
  });
  const refused = new Counter({
    name: "flyteadmin_events_refused_total",
    help: "Workflow, node and task execution events refused, by reason.",
    labelNames: ["kind", "reason"] as const,
    registers,
  });
  const deleted = new Counter({
    name: "flyteadmin_cleanup_deleted_total",
    help: "What retention and execution deletion removed, by kind: executions (child executions included), rows, files (blobs and run-folder files) and bytes (of those files), and orphan_files and orphan_bytes (blobs of executions that were already gone).",
    labelNames: ["kind"] as const,
    registers,
  });
  for (const kind of ["executions", "rows", "files", "bytes", "orphan_files", "orphan_bytes"]) deleted.inc({ kind }, 0);
  const fires = new Counter({
    name: "flyteadmin_scheduler_fires_total",
    help: "Schedule ticks handled, by result: created, exists (created before, by this or another replica), skipped_inactive_project, permanent_error (the tick is skipped), transient_error (tried again later).",
    labelNames: ["result"] as const,
    registers,
  });
  for (const result of FIRE_RESULTS) fires.inc({ result }, 0);
  const lag = new Histogram({
    name: "flyteadmin_scheduler_lag_seconds",
    help: "Time from a schedule tick to its execution being created (catch-up after downtime shows here).",
    buckets: LAG_BUCKETS,
    registers,
  });
  const leader = new Gauge({ name: "flyteadmin_scheduler_is_leader", help: "1 while this replica holds the scheduler lease and fires schedules, else 0.", registers });
  leader.set(0);
  const enqueued = new Counter({
    name: "flyteadmin_notifications_enqueued_total",
    help: "Notification deliveries written to the outbox on terminal phases (one per email message or webhook call), by channel.",
    labelNames: ["channel"] as const,
    registers,
  });
  const sent = new Counter({
    name: "flyteadmin_notifications_sent_total",
    help: "Notification deliveries accepted by their receiver (SMTP server or webhook), by channel.",
    labelNames: ["channel"] as const,
    registers,
  });
  const retried = new Counter({
    name: "flyteadmin_notifications_retry_total",
    help: "Failed notification delivery attempts that will be tried again, by channel and reason (retry_after: the receiver said when; error: backoff).",
    labelNames: ["channel", "reason"] as const,
    registers,
  });
  const dead = new Counter({
    name: "flyteadmin_notifications_dead_total",
    help: "Notification deliveries given up (refused for good, out of attempts, too old, or a target refused at enqueue), by channel; `notifications list --status dead` shows them.",
    labelNames: ["channel"] as const,
    registers,
  });
  const deliveryLatency = new Histogram({
    name: "flyteadmin_notification_delivery_seconds",
    help: "Time from enqueueing a notification delivery (the terminal phase's commit) to its receiver accepting it, by channel.",
    labelNames: ["channel"] as const,
    buckets: DELIVERY_BUCKETS,
    registers,
  });
  for (const channel of DELIVERY_CHANNELS) for (const c of [enqueued, sent, dead]) c.inc({ channel }, 0);
  const authAccepted = new Counter({
    name: "flyteadmin_auth_accepted_total",
    help: "Calls whose credential was accepted (with authentication on), by kind of caller: user, app (an OAuth2 client), apikey.",
    labelNames: ["kind"] as const,
    registers,
  });
  const authRefused = new Counter({
    name: "flyteadmin_auth_refused_total",
    help: "Credentials refused, by reason: missing, malformed, oversized, unsupported (scheme), expired, not_yet_valid, audience, issuer, signature, unknown_key, algorithm, claims, scope (PERMISSION_DENIED), unavailable (the identity provider's keys could not be fetched), invalid_client (token endpoint); for API keys invalid_key, revoked, expired, malformed.",
    labelNames: ["reason"] as const,
    registers,
  });
  const browserSessions = new Counter({
    name: "flyteadmin_auth_browser_sessions_total",
    help: "Browser logins completed (a session created at /callback) and logouts (a session deleted at /logout).",
    labelNames: ["event"] as const,
    registers,
  });
  for (const event of ["login", "logout"]) browserSessions.inc({ event }, 0);
  // Present from the start, so a rate over the first events is not lost.
  for (const kind of EVENT_KINDS) accepted.inc({ kind }, 0);

  const clusterResources = new Counter({
    name: "flyteadmin_cluster_resources_total",
    help: "Namespaces and template objects the cluster resource sync handled, by result (created, updated, unchanged, error).",
    labelNames: ["result"] as const,
    registers,
  });
  return {
    rpc: {
      finished({ procedure, protocol, code, seconds }) {
        requests.inc({ procedure, protocol, code });
        duration.observe({ procedure, protocol }, seconds);
      },
    },
    database: {
      waited: (kind: WaitKind, seconds: number) => waits.observe({ kind }, seconds),
      pool: (stats: () => PoolStats) => registerPoolGauges(registry, stats),
    },
    events: {
      accepted: (kind: EventKind) => accepted.inc({ kind }),
      refused: (kind: EventKind, reason: RefusalReason) => refused.inc({ kind, reason }),
    },
    cleanup: {
      deleted(r) {
        for (const kind of ["executions", "rows", "files", "bytes"] as const) deleted.inc({ kind }, r[kind]);
      },
      orphansDeleted(t) {
        deleted.inc({ kind: "orphan_files" }, t.files);
        deleted.inc({ kind: "orphan_bytes" }, t.bytes);
      },
    },
    clusterResources: {
      applied: (result) => clusterResources.inc({ result }),
    },
    scheduler: {
      fired: (result) => fires.inc({ result }),
      lag: (seconds) => lag.observe(seconds),
      leader: (isLeader) => leader.set(isLeader ? 1 : 0),
    },
    notifications: {
      enqueued: (channel) => enqueued.inc({ channel }),
      sent(channel, seconds) {
        sent.inc({ channel });
        deliveryLatency.observe({ channel }, seconds);
      },
      retried: (channel, reason) => retried.inc({ channel, reason }),
      dead: (channel) => dead.inc({ channel }),
    },
    auth: {
      accepted: (kind) => authAccepted.inc({ kind }),
      refused: (reason) => authRefused.inc({ reason }),
      browserSession: (event) => browserSessions.inc({ event }),
    },
    async scrape() {
      // prom-client writes a NaN value (an event-loop lag before its first sample) as `Nan`;
      // the exposition format spells it `NaN`, and stricter parsers than Prometheus's insist.
      return { contentType: registry.contentType, body: (await registry.metrics()).replace(/ Nan$/gm, " NaN") };
    },
  };
}

/** Pool gauges exist only for a database with a pool (PostgreSQL); they read the pool at scrape time. */
function registerPoolGauges(registry: Registry, stats: () => PoolStats): void {
  const gauge = (name: string, help: string, read: (s: PoolStats) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read(stats()));
      },
    });
  gauge("flyteadmin_db_pool_connections", "PostgreSQL connections open in the pool, idle or in use.", (s) => s.total);
  gauge("flyteadmin_db_pool_idle_connections", "PostgreSQL connections open in the pool and idle.", (s) => s.idle);
  gauge("flyteadmin_db_pool_waiting_requests", "Queries and transactions waiting for a PostgreSQL connection from the pool.", (s) => s.waiting);
}
