import { setMaxListeners } from "node:events";
import { existsSync, readFileSync } from "node:fs";
import { createRegistry } from "@bufbuild/protobuf";
import { EventFailureReasonSchema } from "../gen/flyteidl/admin/event_pb.js";
import { InactiveProjectSchema } from "../gen/flyteidl/admin/project_pb.js";
import { CreateWorkflowFailureReasonSchema } from "../gen/flyteidl/admin/workflow_pb.js";
import { join, resolve } from "node:path";
import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import { DataCatalog, file_flyteidl_datacatalog_datacatalog } from "../gen/flyteidl/datacatalog/datacatalog_pb.js";
import { AdminService, file_flyteidl_service_admin } from "../gen/flyteidl/service/admin_pb.js";
import { AuthMetadataService, file_flyteidl_service_auth } from "../gen/flyteidl/service/auth_pb.js";
import { DataProxyService, file_flyteidl_service_dataproxy } from "../gen/flyteidl/service/dataproxy_pb.js";
import { file_flyteidl_service_identity, IdentityService } from "../gen/flyteidl/service/identity_pb.js";
import { file_flyteidl_service_signal, SignalService } from "../gen/flyteidl/service/signal_pb.js";
import { file_grpc_health_v1_health, Health } from "../gen/grpc/health/v1/health_pb.js";
import { file_grpc_reflection_v1_reflection, ServerReflection } from "../gen/grpc/reflection/v1/reflection_pb.js";
import { adminService } from "./api/admin-service.js";
import { createChildExecutions } from "./api/child-executions.js";
import { dataProxyService } from "./api/data-proxy.js";
import { dataCatalogService } from "./api/datacatalog-service.js";
import { unknownService } from "./api/auth-services.js";
import { createAuth } from "./auth/auth-wiring.js";
import { signalService } from "./api/signals.js";
import type { ApiDeps } from "./api/deps.js";
import { createTaskTemplates } from "./api/task-templates.js";
import { type Config, ConfigError, databaseSettings, fileModes } from "./config.js";
import { checkDataDirMode } from "./data-dir.js";
import { type BlobStore } from "./blob/blob-store.js";
import { createLocalUrlSigner } from "./blob/local-url-signer.js";
import { openBlobStore } from "./blob/open-blob-store.js";
import type { UrlSigner } from "./blob/url-signer.js";
import { urlSigningKey } from "./blob/url-signing-key.js";
import type { S3ConnectionOptions } from "./blob/s3-blob-store.js";
import { createAttributeResolver } from "./core/attribute-resolver.js";
import { namespaceOf } from "./core/k8s-template.js";
import type { ChildExecutions } from "./engine/local/child-executions.js";
import type { WorkflowExecutor } from "./engine/workflow-executor.js";
import { createEngineRuntime, type EngineSummary } from "./engine-wiring.js";
import type { Logger } from "./logger.js";
import { packageRoot } from "./paths.js";
import { createConsoleStatic } from "./server/console-static.js";
import { ENGINE_LOGS_PATH } from "./server/engine-logs-endpoint.js";
import { createCors } from "./server/cors.js";
import { createRequestOrigin } from "./server/request-origin.js";
import { createGateway } from "./server/gateway/gateway.js";
import { createAppMetrics } from "./metrics/app-metrics.js";
import { createMetricsEndpoint } from "./server/metrics-endpoint.js";
import { createSignedBlobEndpoint } from "./server/signed-blob-endpoint.js";
import { createHealthStatuses, type HealthStatuses, registerHealth, ServingStatus } from "./server/health.js";
import type { NodeHandler, Req, Res } from "./server/http-types.js";
import { createObservingInterceptor } from "./server/interceptors.js";
import { createLoadShedder } from "./server/load-shedder.js";
import { BINARY_READ_OPTIONS, JSON_READ_OPTIONS } from "./core/proto-limits.js";
import { createRpcAdapter } from "./server/rpc-adapter.js";
import { registerReflection } from "./server/reflection.js";
import { startStoreHealth } from "./server/store-health.js";
import { openStore } from "./storage/open-store.js";
import { createCleanup } from "./cleanup/cleanup-wiring.js";
import type { ClusterResourceSync } from "./cluster-resources/cluster-resource-sync.js";
import { createClusterResources } from "./cluster-resources/cluster-resource-wiring.js";
import type { ExecutionCleaner } from "./cleanup/execution-cleaner.js";
import type { RetentionTimer } from "./cleanup/retention-timer.js";
import { createNotifications, type DeliveryChannels, type Notifications, smtpPassword } from "./notifications/notification-wiring.js";
import type { Store } from "./storage/store.js";
import { createExecution } from "./api/execution-create.js";
import type { Sleep } from "./scheduler/rate-limiter.js";
import type { Scheduler } from "./scheduler/scheduler.js";
import { createSchedules } from "./scheduler/scheduler-wiring.js";

export interface App {
  /** The HTTP handler for every protocol and route; hand it to a listener. */
  handler: NodeHandler;
  /** The RPC routes and interceptors, for in-process transports. */
  routes: (router: ConnectRouter) => void;
  interceptors: Interceptor[];
  store: Store;
  health: HealthStatuses;
  /** Which engine runs executions, for the start-up log. */
  engine: EngineSummary;
  /** CreateExecution / GetExecution / TerminateExecution for launch-plan nodes, for an engine built outside the app (tests). */
  childExecutions: ChildExecutions;
  /** Retention: the cleaner (what `executions delete` and `cleanup` use) and the timer applying the configured policy. */
  cleanup: { cleaner: ExecutionCleaner; timer: RetentionTimer };
  /** Keeps project-domain namespaces and templated resources in the cluster (undefined unless `--cluster-resources`). */
  clusterResources: ClusterResourceSync | undefined;
  /** Fires launch-plan schedules; started with the app unless `--scheduler false`. */
  scheduler: Scheduler;
  /** The notification outbox's enqueue side and this replica's delivery workers (both undefined when off). */
  notifications: Notifications;
  /**
   * Starts the background work (the local engine resumes and advances executions).
   * `listeningUrl` is where the server listens, for the links it hands out (task
   * logs) when no publicUrl is configured. The server calls it once it listens; an
   * app served in-process calls it itself. Idempotent.
   */
  start(listeningUrl?: string): Promise<void>;
  /** Stops the background work, aborts what is still running in handlers and closes the store; call after the listener drained. */
  close(): Promise<void>;
}

export interface BuildOptions {
  /** An already opened store to serve instead of opening `config.database`. */
  store?: Store;
  /** Blob storage to use instead of opening `config.storage`. */
  blobs?: BlobStore;
  /** The engine executions are handed to, instead of the configured one. */
  executor?: WorkflowExecutor;
  /** The clock retention measures ages by, schedules fire by and notification delivery measures time by (default: the system's). */
  clock?: () => Date;
  /** How the scheduler's rate limit waits (default: real time); tests pass one that moves their clock. */
  sleep?: Sleep;
  /** Notification channels instead of the configured SMTP server and webhooks, and the backoff jitter (tests). */
  notifications?: { channels?: DeliveryChannels; jitter?: () => number };
  /** How soon an external identity provider's JWKS may be fetched again for an unknown key id (tests: 0). */
  auth?: { jwksCooldownMs?: number };
}

/** Wires store, services and transport for a configuration. Does not listen. */
export async function buildApp(config: Config, logger: Logger, options: BuildOptions = {}): Promise<App> {
  // Per app, so apps built side by side (tests) count separately.
  const metrics = config.metrics ? createAppMetrics() : undefined;
  const files = fileModes(config);
  // Before anything is opened, so a bad value leaves nothing behind.
  checkPublicUrl(config.publicUrl);
  const mailPassword = options.notifications?.channels ? undefined : smtpPassword(config);
  const consoleServed = config.console ? consoleFolder(config.consoleDir) : undefined;
  checkDataDirMode(config.dataDir, logger);
  const requestOrigin = createTrustedOrigin(config.trustedProxies);
  // Before the database is opened: a missing or bad key stops start-up with nothing opened.
  const auth = await createAuth({
    auth: config.auth,
    dialect: options.store?.dialect ?? (/^postgres(ql)?:\/\//.test(config.database) ? "postgres" : "sqlite"),
    modes: files,
    logger,
    metrics: metrics?.auth,
    clock: options.clock,
    jwksCooldownMs: options.auth?.jwksCooldownMs,
  });
  const store =
    options.store ??
    (await openStore(config.database, { ...databaseSettings(config), ...(metrics ? { observer: metrics.database } : {}), logger }));
  const attributeDefaults = {
    workflowExecutionConfig: config.workflowExecutionConfig,
    taskResources: config.taskResources,
    clusterPools: config.clusterPools,
  };
  const blobs =
    options.blobs ??
    openBlobStore(config.storage, s3Options(config), {
      ...files,
      onSweepError: (e) => logger.warn("sweeping orphaned upload files failed", { error: String(e) }),
    });
  const limits = { maxWorkflowNodes: config.maxWorkflowNodes, maxPageSize: config.maxPageSize };
  const events = metrics ? { events: metrics.events } : {};
  // Before the engine: its terminal events enqueue notifications like the RPC's do.
  const notifications = createNotifications({
    config,
    store,
    logger,
    metrics: metrics?.notifications,
    clock: options.clock,
    channels: options.notifications?.channels,
    jitter: options.notifications?.jitter,
    smtpPassword: mailPassword,
  });
  // Launch-plan nodes launch their children through the API's own functions, whose deps include
  // the engine's executor: they are bound once both exist.
  let apiDeps: ApiDeps | undefined;
  const childExecutions = createChildExecutions(() => {
    if (!apiDeps) throw new Error("child executions used before the API was built");
    return apiDeps;
  });
  // The engine reports through the same event handlers the RPCs use (store, blobs, limits, counts).
  const engine = createEngineRuntime({
    config,
    deps: { store, blobs, limits, ...events, notifications: notifications.outbox },
    logger,
    executor: options.executor,
    children: childExecutions,
  });
  // The scheduler fires through CreateExecution's domain function, whose deps include its hooks.
  const schedules = createSchedules({
    config,
    store,
    create: (request) => createExecution(deps, request),
    logger,
    metrics: metrics?.scheduler,
    clock: options.clock,
    sleep: options.sleep,
  });
  // Before the API: registering a project starts its namespaces' sync.
  const clusterResources = createClusterResources({ config, store, logger, metrics: metrics?.clusterResources });
  const deps: ApiDeps = {
    store,
    blobs,
    executor: engine.executor,
    domains: config.domains,
    version: versionInfo(engine.executor.kind),
    attributeDefaults,
    taskTemplates: createTaskTemplates(store.tasks),
    limits,
    attributes: createAttributeResolver(store.attributes, attributeDefaults),
    schedules: schedules.hooks,
    ...events,
    notifications: notifications.outbox,
    namespaceOf: (project, domain) => namespaceOf(config.k8sNamespaceTemplate, project, domain),
    projectRegistered: clusterResources
      ? (project) => {
          clusterResources.syncProject(project).catch((e: unknown) => logger.error("cluster resources: the project's sync failed", { project, error: String((e as Error)?.message ?? e) }));
        }
      : undefined,
  };
  apiDeps = deps;
  const cleanup = createCleanup({ config, store, blobs, logger, metrics: metrics?.cleanup, ...(options.clock ? { clock: options.clock } : {}) });
  // S3 signs its own URLs; the local store's are signed here and served by signedBlobs.
  const localSigner = deps.blobs.presign ? undefined : createLocalUrlSigner(urlSigningKey(config.urlSigningKey, config.dataDir, files));
  const signer: UrlSigner = localSigner ?? { sign: (r) => deps.blobs.presign!(r) };
  const signedBlobs = localSigner
    ? createSignedBlobEndpoint({ blobs: deps.blobs, signer: localSigner, maxUploadBytes: config.maxUploadBytes, logger })
    : async () => false;
  // FlyteAdmin's Go clients check the "flyteadmin" service; "" is the whole server.
  const health = createHealthStatuses([
    ["", ServingStatus.SERVING],
    ["flyteadmin", ServingStatus.SERVING],
  ]);
  // Both follow the database: a cached probe per interval, never a query per health call.
  const storeHealth = startStoreHealth({
    probe: () => store.probe(),
    intervalMs: config.healthCheckIntervalMs,
    health,
    services: ["", "flyteadmin"],
    logger,
  });
  const shutdown = new AbortController();
  // Every in-flight call links its own signal to this one; thousands may be open at once.
  setMaxListeners(0, shutdown.signal);
  // Shared by every protocol and the REST gateway, so one flood of lists cannot dodge it by switching.
  const shedder = createLoadShedder({ maxRunning: config.maxConcurrentHeavyCalls, maxQueued: config.maxQueuedHeavyCalls });
  // Authentication (then roles) after the observer (refusals are logged and counted like any failure) and
  // before the shedder, so calls without a valid credential never take a heavy-call slot.
  const interceptors = [createObservingInterceptor(logger, metrics?.rpc), ...auth.attach(store), shedder.interceptor];

  // One implementation for both routers (RPC and the REST gateway's in-process one): its answer caches are shared.
  const admin = adminService(deps);
  const routes = (router: ConnectRouter) => {
    router.service(AdminService, admin);
    router.service(
      SignalService,
      signalService({ signals: store.signals, maxPageSize: config.maxPageSize, onSet: (key) => deps.executor.signalled?.(key) }),
    );
    router.service(DataProxyService, dataProxyService({ ...deps, urls: signer, publicUrl: config.publicUrl }));
    // What FlyteAdmin deployments run as a server of its own, on the same port here; no REST mapping (its proto has none).
    router.service(DataCatalog, dataCatalogService({ store: store.dataCatalog, maxPageSize: config.maxPageSize }));
    router.service(AuthMetadataService, auth.services?.authMetadata ?? unknownService(AuthMetadataService));
    router.service(IdentityService, auth.services?.identity ?? unknownService(IdentityService));
    registerHealth(router, health);
    if (config.reflection) {
      registerReflection(
        router,
        [
          file_flyteidl_service_admin,
          file_flyteidl_service_signal,
          file_flyteidl_service_dataproxy,
          file_flyteidl_datacatalog_datacatalog,
          file_flyteidl_service_auth,
          file_flyteidl_service_identity,
          file_grpc_health_v1_health,
          file_grpc_reflection_v1_reflection,
        ],
        [AdminService, SignalService, DataProxyService, DataCatalog, AuthMetadataService, IdentityService, Health, ServerReflection].map(
          (s) => s.typeName,
        ),
      );
    }
  };

  const gateway = createGateway({
    services: [AdminService, SignalService, DataProxyService, AuthMetadataService, IdentityService],
    routes,
    interceptors,
    registry: createRegistry(InactiveProjectSchema, CreateWorkflowFailureReasonSchema, EventFailureReasonSchema),
    maxBodyBytes: config.maxMessageBytes,
    holdHeader: shedder.holdHeader,
    forwardHeaders: auth.forwardHeaders,
  });
  const rpc = createRpcAdapter({
    routes,
    interceptors,
    readMaxBytes: config.maxMessageBytes,
    binaryOptions: BINARY_READ_OPTIONS,
    jsonOptions: JSON_READ_OPTIONS,
    shutdownSignal: shutdown.signal,
    onFailure: (procedure, e) => logger.error("rpc response failed unexpectedly", { procedure, error: String((e as Error)?.stack ?? e) }),
    // Paths that are not RPCs: signed blob URLs (checked by their signature), task logs (which need a
    // caller when authentication is on), the authentication routes, FlyteAdmin's REST mapping, then its plain endpoints.
    fallback: (req, res) => {
      signedBlobs(req, res).then(
        async (handled) =>
          handled ||
          (await taskLogs(req, res)) ||
          (await auth.routes(req, res)) ||
          (await gateway(req, res)) ||
          plainHttp(req, res, health),
        (e: unknown) => {
          // The path only: a query string may hold a signed URL's signature.
          logger.error("http request failed unexpectedly", { path: (req.url ?? "").split("?")[0], error: String((e as Error)?.stack ?? e) });
          if (!res.headersSent) res.statusCode = 500;
          res.end();
        },
      );
    },
  });
  const taskLogs = async (req: Req, res: Res) => {
    if (!(req.url ?? "").startsWith(ENGINE_LOGS_PATH)) return false;
    return (await auth.refuseHttp(req, res)) || (await engine.logs(req, res));
  };
  // Cookie is forwarded to the gateway's calls but is no header a page may set: preflights need not list it.
  const cors = createCors(
    config.corsOrigins,
    auth.forwardHeaders.filter((h) => h !== "cookie"),
  );
  const consoleStatic = consoleServed ? createConsoleStatic({ ...consoleServed, logger }) : () => false;
  const metricsEndpoint = metrics
    ? createMetricsEndpoint(metrics.scrape, (e) => logger.error("collecting metrics failed", { error: String((e as Error)?.stack ?? e) }))
    : () => false;

  return {
    handler: (req, res) => {
      // Where the client reached us, decided once at the edge: every layer below (the RPC
      // handlers, the REST gateway) reads these two headers and nothing else of the kind.
      const origin = requestOrigin(req);
      req.headers["x-forwarded-host"] = origin.host;
      req.headers["x-forwarded-proto"] = origin.proto;
      if (cors(req, res)) return;
      if (metricsEndpoint(req, res)) return;
      if (consoleStatic(req, res)) return;
      rpc(req, res);
    },
    routes,
    interceptors,
    store,
    health,
    engine: engine.summary,
    childExecutions,
    cleanup,
    scheduler: schedules.scheduler,
    clusterResources,
    notifications,
    async start(listeningUrl) {
      await engine.start(listeningUrl);
      cleanup.timer.start();
      if (config.scheduler) schedules.scheduler.start();
      notifications.start(listeningUrl);
      clusterResources?.start();
    },
    async close() {
      storeHealth.stop();
      auth.close();
      health.shutdown();
      // First: no execution is created once the rest starts shutting down.
      await schedules.scheduler.stop();
      await cleanup.timer.stop();
      await clusterResources?.stop();
      // Before the store closes: rounds in flight finish their writes. Task processes keep running.
      try {
        await engine.stop();
      } catch (e) {
        logger.error("stopping the engine failed", { error: String((e as Error)?.stack ?? e) });
      }
      // After the engine (its last events may enqueue), before the store: sends in flight record their outcome.
      await notifications.stop();
      shutdown.abort();
      deps.blobs.close();
      await store.close();
    },
  };
}

/** The request-origin check for the configured trusted proxies; a bad entry is a configuration error. */
function createTrustedOrigin(trustedProxies: readonly string[]) {
  try {
    return createRequestOrigin(trustedProxies);
  } catch (e) {
    throw new ConfigError(`--trusted-proxies: ${(e as Error).message}`);
  }
}

/**
 * The folder served at /console: the built-in console (dist/console, built by `npm run
 * build`) or a Flyte console build the user points at, which must hold an index.html.
 */
function consoleFolder(consoleDir: string): { root: string; flyteConsole: boolean } {
  if (consoleDir === "") return { root: join(packageRoot(), "dist", "console"), flyteConsole: false };
  const root = resolve(consoleDir);
  if (!existsSync(join(root, "index.html"))) {
    throw new ConfigError(`--console-dir ${consoleDir}: no index.html there; point it at a Flyte console build (see the README's Console section)`);
  }
  return { root, flyteConsole: true };
}

/** The configured public URL must be a bare http(s) origin: signed URLs are built on it. */
function checkPublicUrl(publicUrl: string): void {
  if (publicUrl === "") return;
  let url: URL | undefined;
  try {
    url = new URL(publicUrl);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || url.search !== "" || url.hash !== "") {
    throw new ConfigError(`publicUrl "${publicUrl}" must be an http:// or https:// URL such as https://flyte.example.com`);
  }
}

/** Paths that are not RPCs: FlyteAdmin's plain health check, else grpc-gateway's 404 body. */
function plainHttp(req: Req, res: Res, health: HealthStatuses): void {
  const path = (req.url ?? "/").split("?")[0];
  if (path === "/healthcheck" && (req.method === "GET" || req.method === "HEAD")) {
    // 503 while the database is unreachable or the server is shutting down: load balancers move on.
    res.statusCode = health.get("") === ServingStatus.SERVING ? 200 : 503;
    res.end();
    return;
  }
  const body = JSON.stringify({ code: 5, message: "Not Found", details: [] });
  res.statusCode = 404;
  res.setHeader("content-type", "application/json");
  res.end(body);
}

/**
 * GetVersion's answer: the package version; the build id is not recorded in a
 * source checkout, so it is FlyteAdmin's default `unknown`, and BuildTime is,
 * as in FlyteAdmin without link-time values, the process start time. An
 * embedded engine is named after the build id (`unknown engine=local`), where
 * `flytectl version` shows it; with no engine (an outside flytepropeller) the
 * answer is FlyteAdmin's own.
 */
function versionInfo(engineKind: string): ApiDeps["version"] {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version: string };
  const build = engineKind === "none" ? "unknown" : `unknown engine=${engineKind}`;
  return { build, version: pkg.version, buildTime: goTime(new Date()) };
}

/** Go's time.Time.String() layout, in UTC: `2006-01-02 15:04:05.999 +0000 UTC`. */
function goTime(d: Date): string {
  const iso = d.toISOString(); // 2006-01-02T15:04:05.999Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)} +0000 UTC`;
}

/** The S3 connection settings of the configuration (used only for an s3:// storage location). */
export function s3Options(config: Config): S3ConnectionOptions {
  return {
    ...(config.s3Endpoint ? { endpoint: config.s3Endpoint } : {}),
    ...(config.s3Region ? { region: config.s3Region } : {}),
    forcePathStyle: config.s3ForcePathStyle,
    ...(config.s3AccessKeyId ? { credentials: { accessKeyId: config.s3AccessKeyId, secretAccessKey: config.s3SecretAccessKey } } : {}),
  };
}
