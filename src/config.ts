import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { parse as parseYaml } from "yaml";
import {
  type TaskResourceAttributes,
  TaskResourceAttributesSchema,
  type WorkflowExecutionConfig,
  WorkflowExecutionConfigSchema,
} from "../gen/flyteidl/admin/matchable_resource_pb.js";
import { loadLocation } from "./core/cron.js";
import { renderTemplate, TemplateError } from "./core/k8s-template.js";
import { parseRetentionPolicy, RetentionError, type RetentionPolicy } from "./core/retention.js";
import { absoluteEnginePaths, envMap, type HostResources, hostTaskResources, thisHost } from "./engine-config.js";
import { type AuthConfig, AuthConfigError, defaultAuth, parseAuth, resolveAuth } from "./auth/auth-config.js";
import { checkNotifications, defaultNotifications, NotificationConfigError, type NotificationsConfig, parseNotifications } from "./notification-config.js";

export { engineTaskSlots, type HostResources, hostTaskResources } from "./engine-config.js";

/** A domain as GetDomains reports it. */
export interface DomainConfig {
  id: string;
  name: string;
}

/** The whole server configuration; see OPTIONS for what each field means. */
export interface Config {
  listen: string;
  tlsCert: string;
  tlsKey: string;
  dataDir: string;
  database: string;
  storage: string;
  domains: DomainConfig[];
  corsOrigins: string[];
  logLevel: LogLevel;
  maxMessageBytes: number;
  headersTimeoutMs: number;
  idleTimeoutMs: number;
  shutdownTimeoutMs: number;
  reflection: boolean;
  metrics: boolean;
  console: boolean;
  consoleDir: string;
  workflowExecutionConfig: WorkflowExecutionConfig;
  taskResources: TaskResourceAttributes;
  clusterPools: Record<string, string>;
  maxWorkflowNodes: number;
  s3Endpoint: string;
  s3Region: string;
  s3ForcePathStyle: boolean;
  s3AccessKeyId: string;
  s3SecretAccessKey: string;
  publicUrl: string;
  urlSigningKey: string;
  maxUploadBytes: number;
  bodyTimeoutMs: number;
  minBodyBytesPerSecond: number;
  maxConnections: number;
  maxPageSize: number;
  maxConcurrentHeavyCalls: number;
  maxQueuedHeavyCalls: number;
  dbConnectTimeoutMs: number;
  dbStatementTimeoutMs: number;
  dbAcquireTimeoutMs: number;
  dbPoolSize: number;
  healthCheckIntervalMs: number;
  trustedProxies: string[];
  fileMode: string;
  dirMode: string;
  engine: EngineKind;
  enginePython: string;
  engineCodePaths: string[];
  engineRunRoot: string;
  engineTaskSlots: number;
  engineWorkers: number;
  engineGracePeriodMs: number;
  engineEnv: Record<string, string>;
  engineSecretsDir: string;
  engineContainerRuntime: "" | "docker" | "podman";
  k8sKubeconfig: string;
  k8sContext: string;
  k8sNamespaceTemplate: string;
  k8sClusterId: string;
  k8sCreateNamespaces: boolean;
  k8sOffloadClosure: boolean;
  k8sOffloadInputs: boolean;
  k8sRoleNameKey: string;
  k8sConsoleUrl: string;
  k8sRequestTimeoutMs: number;
  clusterResources: boolean;
  clusterResourcesTemplatePath: string;
  clusterResourcesIntervalMs: number;
  clusterResourcesCustomData: Record<string, Record<string, string>>;
  retention: RetentionPolicy;
  retentionIntervalMs: number;
  retentionBatch: number;
  scheduler: boolean;
  schedulerTimezone: string;
  schedulerCatchUp: "all" | "latest" | "none";
  schedulerCatchUpGraceMs: number;
  schedulerMaxCatchUp: number;
  schedulerMaxTicksPerPass: number;
  schedulerBatchSize: number;
  schedulerMaxCreatesPerSecond: number;
  schedulerBurst: number;
  schedulerMaxRetryWindowMs: number;
  schedulerKickoffArgForFixedRate: boolean;
  schedulerMinIntervalMs: number;
  notifications: NotificationsConfig;
  smtpUrl: string;
  smtpPassword: string;
  smtpPasswordFile: string;
  emailFrom: string;
  auth: AuthConfig;
}

/** Which engine runs executions: the embedded one, or none (an outside engine such as flytepropeller reports events). */
export type EngineKind = "local" | "none" | "k8s";

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";
const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error", "silent"];

type Kind =
  | "string"
  | "list"
  | "int"
  | "bool"
  | "domains"
  | "level"
  | "execution-config"
  | "task-resources"
  | "string-map"
  | "env-map"
  | "choice"
  | "custom-data"
  | "retention"
  | "notifications"
  | "auth";

interface Option {
  key: keyof Config;
  kind: Kind;
  default: string;
  help: string;
  /** For kind "choice": the accepted values. */
  choices?: readonly string[];
  /** Smallest accepted value, for kind "int" (default 0). */
  min?: number;
  /** Largest accepted value, for kind "int" (default: none). */
  max?: number;
}

const ENGINE_CHOICES: readonly EngineKind[] = ["local", "none", "k8s"];
/** Engine kinds that are named but not built yet. */
const UNAVAILABLE_ENGINES = new Set<string>();

/**
 * Every option, in --help order. Each is settable as `key` in the config file,
 * as FLYTEADMIN_<KEY_IN_SNAKE_CASE> in the environment and as --<key-in-kebab-case>
 * on the command line; later sources win: defaults < file < environment < flags.
 */
export const OPTIONS: readonly Option[] = [
  { key: "listen", kind: "string", default: ":8089", help: "host:port to serve every protocol on (gRPC, gRPC-Web, Connect, HTTP); port 0 picks a free one" },
  { key: "tlsCert", kind: "string", default: "", help: "PEM certificate file; with --tls-key the port serves TLS (HTTP/2 and HTTP/1.1 by ALPN)" },
  { key: "tlsKey", kind: "string", default: "", help: "PEM private key file for --tls-cert" },
  { key: "dataDir", kind: "string", default: "./data", help: "folder for the embedded SQLite database and local blob storage" },
  { key: "database", kind: "string", default: "", help: "postgres://user@host:5432/db for PostgreSQL, or a SQLite file path (default <data-dir>/flyteadmin.db; :memory: for a throw-away one)" },
  { key: "storage", kind: "string", default: "", help: "blob storage location: a local folder (default <data-dir>/blobs) or s3://bucket/prefix" },
  { key: "s3Endpoint", kind: "string", default: "", help: "with an s3:// storage location: the endpoint of an S3-compatible server (e.g. http://minio:9000); empty for AWS" },
  { key: "s3Region", kind: "string", default: "", help: "with an s3:// storage location: the region (default AWS_REGION, else us-east-1)" },
  { key: "s3ForcePathStyle", kind: "bool", default: "false", help: "with an s3:// storage location: address buckets by path, as most S3-compatible servers need" },
  { key: "s3AccessKeyId", kind: "string", default: "", help: "with an s3:// storage location: access key id (default: the AWS SDK's credential chain)" },
  { key: "s3SecretAccessKey", kind: "string", default: "", help: "with an s3:// storage location: secret access key (prefer the environment over flags)" },
  { key: "publicUrl", kind: "string", default: "", help: "scheme://host:port clients reach this server at, for the upload and download URLs it signs (default: the address each request came to)" },
  { key: "urlSigningKey", kind: "string", default: "", help: "secret for the upload and download URLs signed for local storage (default: a random key kept in <data-dir>/url-signing.key)" },
  { key: "maxUploadBytes", kind: "int", default: String(5 * 1024 ** 3), help: "largest body accepted on a signed upload URL to local storage, in bytes (S3's single-PUT limit by default)" },
  { key: "domains", kind: "domains", default: "development,staging,production", help: "the domains every project has, comma-separated ids (a config file may give {id, name} pairs)" },
  { key: "corsOrigins", kind: "list", default: "*", help: "origins allowed to call from a browser, comma-separated; * allows any, empty disables CORS" },
  { key: "logLevel", kind: "level", default: "info", help: `log level: ${LOG_LEVELS.join(", ")}` },
  { key: "maxMessageBytes", kind: "int", default: String(4 * 1024 * 1024), help: "largest request message accepted, in bytes (gRPC's usual 4 MiB)" },
  { key: "headersTimeoutMs", kind: "int", default: "10000", help: "time a client has to send request headers, in milliseconds" },
  { key: "idleTimeoutMs", kind: "int", default: "60000", help: "idle connections are closed after this many milliseconds" },
  { key: "shutdownTimeoutMs", kind: "int", default: "5000", help: "on SIGINT/SIGTERM, in-flight calls get this long to finish before the process exits" },
  { key: "reflection", kind: "bool", default: "true", help: "serve grpc.reflection.v1 so tools like `buf curl` need no local protos" },
  { key: "metrics", kind: "bool", default: "true", help: "serve Prometheus metrics at GET /metrics on the same port" },
  { key: "console", kind: "bool", default: "true", help: "serve the web console at /console on the same port" },
  { key: "consoleDir", kind: "string", default: "", help: "serve this Flyte console (flyteconsole) build at /console instead of the built-in console, with the window.env its own server would set (empty: the built-in console, dist/console)" },
  {
    key: "workflowExecutionConfig",
    kind: "execution-config",
    default: '{"maxParallelism":25}',
    help: "server defaults for executions, the last fallback after matchable attributes: a flyteidl.admin.WorkflowExecutionConfig as JSON (maxParallelism, securityContext, rawOutputDataConfig, labels, annotations, interruptible, overwriteCache, envs)",
  },
  {
    key: "taskResources",
    kind: "task-resources",
    default: '{"defaults":{"cpu":"2","memory":"200Mi"},"limits":{"cpu":"2","memory":"1Gi","gpu":"1"}}',
    help: "task resource defaults and limits when no TASK_RESOURCE attribute applies: a flyteidl.admin.TaskResourceAttributes as JSON (with --engine local and this option unset: limits are this host's CPU count and memory)",
  },
  { key: "bodyTimeoutMs", kind: "int", default: "30000", help: "a request body (or a signed upload) that sends nothing for this many milliseconds is cut off; inactivity, not total duration, so large uploads may stream" },
  { key: "minBodyBytesPerSecond", kind: "int", default: "256", help: "a request body must average at least this many bytes per second over each body-timeout window, or it is cut off (a client trickling a byte now and then holds a connection forever otherwise); 0 turns it off" },
  { key: "maxConnections", kind: "int", default: "8192", help: "most client connections held at once; more are refused at once (keep it below the process's open-file limit)" },
  { key: "maxPageSize", kind: "int", default: "10000", help: "largest page a list call may ask for with `limit`; larger limits are INVALID_ARGUMENT (0: no maximum, as in FlyteAdmin)" },
  { key: "maxConcurrentHeavyCalls", kind: "int", default: "4", help: "list and data calls served at once; more wait in a queue (cheap calls such as GetVersion and health never wait). Their work is CPU on one event loop: more at once adds latency to every other call, not throughput" },
  { key: "maxQueuedHeavyCalls", kind: "int", default: "64", help: "list and data calls allowed to wait for a slot; beyond this they fail RESOURCE_EXHAUSTED at once" },
  { key: "dbConnectTimeoutMs", kind: "int", default: "10000", help: "PostgreSQL: time to open a connection before the call fails UNAVAILABLE" },
  { key: "dbStatementTimeoutMs", kind: "int", default: "30000", help: "PostgreSQL: longest a statement (and a query awaiting its answer) may run before the call fails UNAVAILABLE" },
  { key: "dbAcquireTimeoutMs", kind: "int", default: "10000", help: "PostgreSQL: longest a call waits for a pooled connection before it fails UNAVAILABLE" },
  { key: "dbPoolSize", kind: "int", default: "10", help: "PostgreSQL: connections in the pool" },
  { key: "healthCheckIntervalMs", kind: "int", default: "2000", help: "how often the database is probed for grpc.health.v1 and /healthcheck (answers are served from the last probe)" },
  { key: "trustedProxies", kind: "list", default: "", help: "addresses of reverse proxies whose X-Forwarded-Host/-Proto are believed, comma-separated (loopback, an IP, or a CIDR such as 10.0.0.0/8); others' are ignored" },
  { key: "fileMode", kind: "string", default: "0600", help: "permissions (octal) of the files the server creates: database, blobs, keys" },
  { key: "dirMode", kind: "string", default: "0700", help: "permissions (octal) of the folders the server creates, the data dir included" },
  { key: "maxWorkflowNodes", kind: "int", default: "100", help: "most user nodes a registered workflow may have (0: no limit)" },
  { key: "clusterPools", kind: "string-map", default: "{}", help: 'cluster pool per domain when no CLUSTER_ASSIGNMENT attribute applies, as JSON: {"production":"gpu-pool"}' },
  { key: "engine", kind: "choice", choices: ENGINE_CHOICES, default: "local", help: "what runs executions: local (the embedded engine runs tasks as processes on this machine), k8s (each execution becomes a FlyteWorkflow resource in Kubernetes that flytepropeller runs; see the --k8s-* options) or none (executions wait for an outside engine, e.g. flytepropeller, that reports events)" },
  { key: "enginePython", kind: "string", default: "", help: "with --engine local: the Python environment that provides flytekit, a virtualenv or its bin folder holding pyflyte-execute (default: pyflyte-execute found on PATH)" },
  { key: "engineCodePaths", kind: "list", default: "", help: "with --engine local: folders put first on PYTHONPATH of every task, comma-separated, for code registered without fast registration" },
  { key: "engineRunRoot", kind: "string", default: "", help: "with --engine local: where each task attempt gets its working folder and task.log (default <data-dir>/engine)" },
  { key: "engineTaskSlots", kind: "int", default: "0", help: "with --engine local: CPU slots for tasks at once; a task counts its CPU request, 1 when it asks for none (0: this host's CPU count)" },
  { key: "engineWorkers", kind: "int", min: 1, default: "8", help: "with --engine local: executions advanced at once (engine rounds in flight)" },
  { key: "engineGracePeriodMs", kind: "int", max: 24 * 3600 * 1000, default: "30000", help: "with --engine local: an aborted or timed-out task gets SIGTERM, then SIGKILL after this many milliseconds (at most 24 h)" },
  { key: "engineEnv", kind: "env-map", default: "", help: "with --engine local: environment variables given to every task, comma-separated KEY=VALUE pairs (a config file may give a mapping)" },
  { key: "engineSecretsDir", kind: "string", default: "", help: "with --engine local: folder of <group>/<key> files; a task's requested secrets are passed to it as flytekit reads them (default <data-dir>/secrets)" },
  { key: "engineContainerRuntime", kind: "choice", choices: ["", "docker", "podman"], default: "", help: "with --engine local: docker or podman to run raw-container tasks (flytekit ContainerTask) in their image; python tasks always run as processes on this host (empty: every task does, images ignored)" },
  { key: "k8sKubeconfig", kind: "string", default: "", help: "with --engine k8s or --cluster-resources: the kubeconfig file of the cluster (empty: the pod's service account when KUBERNETES_SERVICE_HOST is set, else KUBECONFIG or ~/.kube/config)" },
  { key: "k8sContext", kind: "string", default: "", help: "with --engine k8s or --cluster-resources: the kubeconfig context to use (empty: its current context)" },
  { key: "k8sNamespaceTemplate", kind: "string", default: "{{ project }}-{{ domain }}", help: "the Kubernetes namespace of a project and domain, as FlyteAdmin's namespace_mapping; {{ project }} and {{ domain }} are replaced" },
  { key: "k8sClusterId", kind: "string", default: "", help: "with --engine k8s: the cluster name executions record (empty: in-cluster, as FlyteAdmin)" },
  { key: "k8sCreateNamespaces", kind: "bool", default: "true", help: "with --engine k8s: create an execution's namespace when it is missing" },
  { key: "k8sOffloadClosure", kind: "bool", default: "false", help: "with --engine k8s: write the compiled workflow to blob storage and send only its location in the FlyteWorkflow (FlyteAdmin's useOffloadedWorkflowClosure)" },
  { key: "k8sOffloadInputs", kind: "bool", default: "false", help: "with --engine k8s: send the inputs' location instead of the inputs in the FlyteWorkflow (FlyteAdmin's useOffloadedInputs)" },
  { key: "k8sRoleNameKey", kind: "string", default: "", help: "with --engine k8s: the annotation that carries an execution's IAM role on its FlyteWorkflow (FlyteAdmin's roleNameKey; empty: none)" },
  { key: "k8sConsoleUrl", kind: "string", default: "", help: "with --engine k8s: the console URL flytepropeller puts in task log links and events (empty: none)" },
  { key: "k8sRequestTimeoutMs", kind: "int", min: 100, max: 300_000, default: "10000", help: "with --engine k8s or --cluster-resources: longest one Kubernetes API call may take, in milliseconds" },
  { key: "clusterResources", kind: "bool", default: "false", help: "keep each project-domain's namespace and the resources of --cluster-resources-template-path in the Kubernetes cluster, at project creation and every --cluster-resources-interval-ms (FlyteAdmin's clusterresource sync)" },
  { key: "clusterResourcesTemplatePath", kind: "string", default: "", help: "with --cluster-resources: folder of YAML or JSON templates applied to every project-domain namespace; {{ namespace }}, {{ project }}, {{ domain }}, CLUSTER_RESOURCE attribute values and custom data are replaced" },
  { key: "clusterResourcesIntervalMs", kind: "int", min: 1000, max: 24 * 3600 * 1000, default: "60000", help: "with --cluster-resources: time between two sync passes, in milliseconds (jittered by up to a tenth)" },
  { key: "clusterResourcesCustomData", kind: "custom-data", default: "{}", help: 'with --cluster-resources: template values per domain, as JSON (a config file may give a mapping): {"production":{"projectQuotaCpu":"16"}}' },
  {
    key: "retention",
    kind: "retention",
    default: "",
    help: 'how long terminal executions are kept after their last change, per project and domain ("*": any; the most specific applies), as JSON or a config file mapping: {"*":{"development":"30d"},"myproject":{"production":"365d"}}; the server deletes older ones with their data (empty: keep everything)',
  },
  { key: "retentionIntervalMs", kind: "int", min: 1000, max: 24 * 3600 * 1000, default: "3600000", help: "with --retention: time between two retention passes, in milliseconds" },
  { key: "retentionBatch", kind: "int", min: 1, default: "1000", help: "with --retention: most executions one pass deletes" },
  { key: "scheduler", kind: "bool", default: "true", help: "fire the cron and fixed-rate schedules of active launch plans; with several replicas on one database one fires at a time (false: this replica never fires)" },
  { key: "schedulerTimezone", kind: "string", default: "UTC", help: "time zone (IANA name, or Local for this host's) of cron schedules that name none with CRON_TZ=" },
  { key: "schedulerCatchUp", kind: "choice", choices: ["all", "latest", "none"], default: "all", help: "ticks missed while no replica ran (downtime): all fires every one, oldest first; latest fires only the newest; none fires none older than --scheduler-catch-up-grace-ms" },
  { key: "schedulerCatchUpGraceMs", kind: "int", max: 24 * 3600 * 1000, default: "60000", help: "with --scheduler-catch-up none: a tick this late, in milliseconds, still fires" },
  { key: "schedulerMaxCatchUp", kind: "int", default: "0", help: "with --scheduler-catch-up all: a schedule with more missed ticks than this fires only the newest (0: no limit)" },
  { key: "schedulerMaxTicksPerPass", kind: "int", min: 1, max: 100_000, default: "100", help: "most ticks of one schedule fired in one pass (the rest follow in the next)" },
  { key: "schedulerBatchSize", kind: "int", min: 1, max: 10_000, default: "100", help: "most due schedules one pass reads" },
  { key: "schedulerMaxCreatesPerSecond", kind: "int", default: "100", help: "executions the scheduler creates per second at most, as FlyteAdmin's scheduler (0: no limit)" },
  { key: "schedulerBurst", kind: "int", min: 1, default: "10", help: "executions the scheduler may create at once before --scheduler-max-creates-per-second applies" },
  { key: "schedulerMaxRetryWindowMs", kind: "int", max: 7 * 24 * 3600 * 1000, default: "1800000", help: "a tick whose execution cannot be created for a passing reason (database unavailable) is tried again, with backoff from 1 s to 5 min, for about this long in milliseconds, then given up and recorded" },
  { key: "schedulerKickoffArgForFixedRate", kind: "bool", default: "true", help: "pass the kickoff time argument to fixed-rate schedules too (FlyteAdmin passes it to cron schedules only)" },
  { key: "schedulerMinIntervalMs", kind: "int", min: 1000, max: 24 * 3600 * 1000, default: "60000", help: "shortest interval between ticks of a fixed rate or @every schedule, in milliseconds; shorter ones are stretched to it" },
  {
    key: "notifications",
    kind: "notifications",
    default: "",
    help: "email and webhook notifications on terminal phases, sent from an outbox with retries: true or false (keeps the file's settings), or a mapping (config file) or JSON of enabled, consoleBaseUrl, email {smtpUrl, passwordFile, from, subject, body, bcc}, webhooks {aliases, allowRawUrls, allowedUrlPrefixes, text}, delivery {maxAttempts, initialBackoff, maxBackoff, maxAge, concurrency, leaseTimeout, keepSentFor}; see the README's Notifications section (default: off)",
  },
  { key: "smtpUrl", kind: "string", default: "", help: "with --notifications: the SMTP server, smtp://[user@]host[:port] (STARTTLS when offered) or smtps://... (TLS); overrides notifications.email.smtpUrl" },
  { key: "smtpPassword", kind: "string", default: "", help: "with --notifications: the SMTP password (prefer the environment or --smtp-password-file over flags)" },
  { key: "smtpPasswordFile", kind: "string", default: "", help: "with --notifications: a file holding the SMTP password; overrides notifications.email.passwordFile" },
  { key: "emailFrom", kind: "string", default: "", help: "with --notifications: the From address of notification emails; overrides notifications.email.from" },
  {
    key: "auth",
    kind: "auth",
    default: "",
    help: "authentication on every protocol, as FlyteAdmin's useAuth: true or false (keeps the file's settings), or a mapping (config file) or JSON with FlyteAdmin's auth keys: authorizedUris, grpcAuthorizationHeader, httpAuthorizationHeader, disableForHttp, disableForGrpc, requiredScope, secretsDir, rbac {enabled, superAdmins, defaultRole, ...}, appAuth {authServerType Self|External, selfAuthServer {issuer, accessTokenLifespan, staticClients, ...}, externalAuthServer {baseUrl, metadataUrl, allowedAudience, ...}, thirdPartyConfig {flyteClient}}, userAuth {redirectUrl, openId {baseUrl, clientId, clientSecretName, clientSecretFile, scopes}, cookieSetting {sameSitePolicy, domain}, idpQueryParameter} (browser login); see the README's Authentication section (default: off)",
  },
];

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
export const envName = (key: string) => `FLYTEADMIN_${snake(key).toUpperCase()}`;
export const flagName = (key: string) => snake(key).replace(/_/g, "-");

export class ConfigError extends Error {
  override name = "ConfigError";
}

export interface ConfigSources {
  /** Parsed flags by option key (strings, as typed). */
  flags?: Partial<Record<keyof Config, string>>;
  env?: Record<string, string | undefined>;
  /** Config file path (YAML or JSON); `undefined` for none. */
  file?: string | undefined;
  /** The machine tasks run on (default: this one), for the local engine's resource limits. */
  host?: HostResources;
}

/** Builds the configuration: defaults < config file < environment < flags. */
export function loadConfig(sources: ConfigSources = {}): Config {
  const fileValues = sources.file ? readConfigFile(sources.file) : {};
  const out: Record<string, unknown> = {};
  const given = new Set<keyof Config>();
  for (const opt of OPTIONS) {
    let value: unknown = coerce(opt, opt.default, "default");
    if (fileValues[opt.key] !== undefined) {
      value = coerce(opt, fileValues[opt.key], `${sources.file}: ${opt.key}`, value);
      given.add(opt.key);
    }
    const env = sources.env?.[envName(opt.key)];
    if (env !== undefined && env !== "") {
      value = coerce(opt, env, envName(opt.key), value);
      given.add(opt.key);
    }
    const flag = sources.flags?.[opt.key];
    if (flag !== undefined) {
      value = coerce(opt, flag, `--${flagName(opt.key)}`, value);
      given.add(opt.key);
    }
    out[opt.key] = value;
  }
  const config = out as unknown as Config;
  if (config.database === "") config.database = join(config.dataDir, "flyteadmin.db");
  if (config.storage === "") config.storage = join(config.dataDir, "blobs");
  if (config.engineRunRoot === "") config.engineRunRoot = join(config.dataDir, "engine");
  if (config.engineSecretsDir === "") config.engineSecretsDir = join(config.dataDir, "secrets");
  Object.assign(config, absoluteEnginePaths(config));
  // Tasks run on this machine, so what it has is what they may ask for (as on Flyte's sandbox).
  if (config.engine === "local" && !given.has("taskResources")) config.taskResources = hostTaskResources(sources.host ?? thisHost());
  if (Boolean(config.tlsCert) !== Boolean(config.tlsKey)) throw new ConfigError("--tls-cert and --tls-key go together");
  if (config.domains.length === 0) throw new ConfigError("at least one domain is required");
  if ("error" in loadLocation(config.schedulerTimezone)) {
    throw new ConfigError(`--scheduler-timezone: expected an IANA time zone such as UTC or Europe/Berlin (or Local), got ${JSON.stringify(config.schedulerTimezone)}`);
  }
  for (const key of ["fileMode", "dirMode"] as const) {
    if (!/^0?[0-7]{3}$/.test(config[key])) throw new ConfigError(`--${flagName(key)}: expected octal permissions such as 0600, got ${JSON.stringify(config[key])}`);
  }
  try {
    renderTemplate(config.k8sNamespaceTemplate, { project: "p", domain: "d" });
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
    throw new ConfigError(`--k8s-namespace-template: ${e.message}; it may use {{ project }} and {{ domain }}`);
  }
  config.notifications = withFlatNotificationOptions(config);
  config.auth = resolvedAuth(config);
  return config;
}

/** The notification setting with the flat options (--smtp-url, --email-from, ...) applied over it, checked whole. */
function withFlatNotificationOptions(config: Config): NotificationsConfig {
  const n = config.notifications;
  const email = {
    ...n.email,
    ...(config.smtpUrl ? { smtpUrl: config.smtpUrl } : {}),
    ...(config.smtpPasswordFile ? { passwordFile: config.smtpPasswordFile } : {}),
    ...(config.emailFrom ? { from: config.emailFrom } : {}),
  };
  const merged = { ...n, email };
  try {
    checkNotifications(merged);
  } catch (e) {
    if (!(e instanceof NotificationConfigError)) throw e;
    throw new ConfigError(`notifications: ${e.message}`);
  }
  return merged;
}

/** The auth setting with what it takes from the rest of the configuration (public URL, data folder), checked whole. */
function resolvedAuth(config: Config): AuthConfig {
  let auth: AuthConfig;
  try {
    auth = resolveAuth(config.auth, { publicUrl: config.publicUrl, dataDir: config.dataDir, join });
  } catch (e) {
    if (!(e instanceof AuthConfigError)) throw e;
    throw new ConfigError(`auth: ${e.message}`);
  }
  // Tasks read <engine-secrets-dir>/<group>/<key>: a secrets folder one level below it would hand them the signing key.
  if (auth.enabled && config.engine === "local" && resolve(dirname(resolve(auth.secretsDir))) === resolve(config.engineSecretsDir)) {
    throw new ConfigError(`auth: secretsDir ${auth.secretsDir} is a folder of --engine-secrets-dir, where tasks can read it; put the server's keys elsewhere`);
  }
  return auth;
}

function readConfigFile(file: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(file, "utf8"));
  } catch (e) {
    throw new ConfigError(`cannot read config file ${file}: ${(e as Error).message}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== "object" || Array.isArray(parsed)) throw new ConfigError(`config file ${file} must hold a mapping`);
  const known = new Set<string>(OPTIONS.map((o) => o.key));
  for (const key of Object.keys(parsed)) {
    if (!known.has(key)) throw new ConfigError(`config file ${file}: unknown option ${key}`);
  }
  return parsed as Record<string, unknown>;
}

/** `previous` is the value of the sources below this one (a layered option builds on it). */
function coerce(opt: Option, raw: unknown, where: string, previous?: unknown): unknown {
  const fail = (what: string) => new ConfigError(`${where}: ${what}, got ${JSON.stringify(raw)}`);
  const list = (v: unknown): string[] => {
    if (Array.isArray(v)) return v.map(String);
    const s = String(v).trim();
    return s === "" ? [] : s.split(",").map((x) => x.trim()).filter((x) => x !== "");
  };
  switch (opt.kind) {
    case "string":
      if (typeof raw !== "string") throw fail("expected a string");
      return raw;
    case "list":
      return list(raw);
    case "int": {
      const n = typeof raw === "number" ? raw : /^\d+$/.test(String(raw).trim()) ? Number(String(raw).trim()) : NaN;
      const min = opt.min ?? 0;
      if (!Number.isSafeInteger(n) || n < min) throw fail(min === 0 ? "expected a non-negative integer" : `expected an integer of at least ${min}`);
      // Timers take at most 2^31-1 ms and fire at once beyond it: such options carry a maximum.
      if (opt.max !== undefined && n > opt.max) throw fail(`expected an integer of at most ${opt.max}`);
      return n;
    }
    case "bool": {
      if (typeof raw === "boolean") return raw;
      const s = String(raw).toLowerCase();
      if (["true", "1", "yes", "on"].includes(s)) return true;
      if (["false", "0", "no", "off"].includes(s)) return false;
      throw fail("expected true or false");
    }
    case "level": {
      const s = String(raw).toLowerCase();
      if (!(LOG_LEVELS as readonly string[]).includes(s)) throw fail(`expected one of ${LOG_LEVELS.join(", ")}`);
      return s;
    }
    case "execution-config":
      return fromProtoJson(WorkflowExecutionConfigSchema, raw, fail);
    case "task-resources":
      return fromProtoJson(TaskResourceAttributesSchema, raw, fail);
    case "string-map": {
      const value = typeof raw === "string" ? parseJson(raw, fail) : raw;
      if (!value || typeof value !== "object" || Array.isArray(value) || Object.values(value).some((v) => typeof v !== "string")) {
        throw fail("expected a mapping of strings");
      }
      return value as Record<string, string>;
    }
    case "choice": {
      const s = String(raw);
      if (opt.key === "engine" && UNAVAILABLE_ENGINES.has(s)) {
        throw new ConfigError(`${where}: engine "${s}" is not available in this version; use local or none`);
      }
      if (!opt.choices?.includes(s)) throw fail(`expected one of ${opt.choices?.map((c) => (c === "" ? '""' : c)).join(", ")}`);
      return s;
    }
    case "env-map":
      return envMap(raw, fail);
    case "custom-data":
      return customData(typeof raw === "string" ? parseJson(raw, fail) : raw, fail);
    case "retention":
      try {
        return parseRetentionPolicy(raw);
      } catch (e) {
        if (!(e instanceof RetentionError)) throw e;
        throw new ConfigError(`${where}: ${e.message}`);
      }
    case "auth":
      try {
        return parseAuth(raw, (previous as AuthConfig | undefined) ?? defaultAuth());
      } catch (e) {
        if (!(e instanceof AuthConfigError)) throw e;
        throw new ConfigError(`${where}: ${e.message}`);
      }
    case "notifications":
      try {
        return parseNotifications(raw, (previous as NotificationsConfig | undefined) ?? defaultNotifications());
      } catch (e) {
        if (!(e instanceof NotificationConfigError)) throw e;
        throw new ConfigError(`${where}: ${e.message}`);
      }
    case "domains": {
      const items: unknown[] = Array.isArray(raw) ? raw : list(raw);
      return items.map((d): DomainConfig => {
        if (typeof d === "string" && d !== "") return { id: d, name: d };
        const o = d as Partial<DomainConfig> | null;
        if (o && typeof o.id === "string" && o.id !== "") return { id: o.id, name: typeof o.name === "string" ? o.name : o.id };
        throw fail("expected domain ids or {id, name} pairs");
      });
    }
  }
}

/** Template values per domain: a mapping of domains to mappings of names to texts (numbers and booleans are written as text). */
function customData(value: unknown, fail: (what: string) => ConfigError): Record<string, Record<string, string>> {
  const what = "expected a mapping of domains to mappings of values";
  if (!value || typeof value !== "object" || Array.isArray(value)) throw fail(what);
  const out: Record<string, Record<string, string>> = Object.create(null);
  for (const [domain, values] of Object.entries(value)) {
    if (!values || typeof values !== "object" || Array.isArray(values)) throw fail(what);
    const texts: Record<string, string> = Object.create(null);
    for (const [name, v] of Object.entries(values)) {
      if (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean") throw fail(`${what} (${domain}.${name} is not a text)`);
      texts[name] = String(v);
    }
    out[domain] = texts;
  }
  return out;
}

function parseJson(text: string, fail: (what: string) => ConfigError): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw fail("expected JSON");
  }
}

/** Object-valued options are flyteidl messages in protobuf JSON (from a file: the same as YAML). */
function fromProtoJson<S extends typeof WorkflowExecutionConfigSchema | typeof TaskResourceAttributesSchema>(
  schema: S,
  raw: unknown,
  fail: (what: string) => ConfigError,
) {
  const value = typeof raw === "string" ? parseJson(raw, fail) : raw;
  try {
    return fromJson(schema, value as JsonValue);
  } catch (e) {
    throw fail(`expected a ${schema.typeName} (${(e as Error).message})`);
  }
}

/** An octal permission option (`fileMode`, `dirMode`) as a number for fs calls. */
const modeBits = (text: string): number => parseInt(text, 8);

/** The permissions of created files and folders, as numbers for fs calls. */
export const fileModes = (config: Config) => ({ fileMode: modeBits(config.fileMode), dirMode: modeBits(config.dirMode) });

/** The database settings, as openStore takes them (serve and migrate open the same database alike). */
export const databaseSettings = (config: Config) => ({
  postgres: {
    poolSize: config.dbPoolSize,
    connectTimeoutMs: config.dbConnectTimeoutMs,
    statementTimeoutMs: config.dbStatementTimeoutMs,
    acquireTimeoutMs: config.dbAcquireTimeoutMs,
  },
  sqlite: fileModes(config),
});

/** The --help text for the options, generated from OPTIONS. */
export function optionsHelp(): string {
  return OPTIONS.map((o) => {
    const flag = `--${flagName(o.key)}`;
    const def = o.default === "" ? "" : ` (default ${o.default})`;
    return `  ${flag.padEnd(27)} ${o.help}${def}\n  ${"".padEnd(27)} env ${envName(o.key)}, file key ${o.key}`;
  }).join("\n");
}
