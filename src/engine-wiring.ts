import type { ApiDeps } from "./api/deps.js";
import type { BlobStore } from "./blob/blob-store.js";
import { type Config, engineTaskSlots } from "./config.js";
import { createAdminEventSink } from "./engine/local/admin-sink.js";
import type { ChildExecutions } from "./engine/local/child-executions.js";
import { createEchoPlugin } from "./engine/local/echo-plugin.js";
import { createLocalEngine } from "./engine/local/local-engine.js";
import { createLocalProcessPlugin, findFlytekit } from "./engine/local/process/local-process-plugin.js";
import { platformDefaultEnv } from "./engine/local/process/platform-env.js";
import type { TaskPlugin } from "./engine/local/task-plugin.js";
import { createK8sExecutor } from "./engine/k8s/k8s-executor.js";
import { createKubeClient } from "./engine/k8s/kube-client.js";
import { loadKubeConfig } from "./engine/k8s/kube-config.js";
import { createExternalExecutor, type WorkflowExecutor } from "./engine/workflow-executor.js";
import type { Logger } from "./logger.js";
import type { Req, Res } from "./server/http-types.js";
import { createEngineLogsEndpoint } from "./server/engine-logs-endpoint.js";

/** Blob key prefix of the local engine's metadata (a folder per execution; retention deletes them). */
export const ENGINE_METADATA_PREFIX = "metadata/propeller";

/** What the start-up log and GetVersion say about the engine. */
export interface EngineSummary {
  /** "local", "none", "k8s", or the kind of an executor handed in by the caller. */
  kind: string;
  /** Local engine: the folder holding pyflyte-execute, or undefined when none was found. */
  python?: string | undefined;
  /** k8s engine: the Kubernetes API server FlyteWorkflow objects are created on. */
  cluster?: string;
  /** Local engine: CPU slots for tasks. */
  taskSlots?: number;
  /** Local engine: where attempts run and log. */
  runRoot?: string;
}

/** The engine an app runs, with what the server around it needs. */
export interface EngineRuntime {
  executor: WorkflowExecutor;
  summary: EngineSummary;
  /** Serves task logs at /engine/logs/... (local engine); false for every other request. */
  logs(req: Req, res: Res): Promise<boolean>;
  /**
   * Starts advancing executions, resuming those accepted earlier. `listeningUrl` is
   * where the server listens: task log links point there unless publicUrl is set.
   */
  start(listeningUrl?: string): Promise<void>;
  /** Stops taking rounds and waits for those in flight; task processes keep running. */
  stop(): Promise<void>;
}

export interface EngineRuntimeOptions {
  config: Config;
  deps: Pick<ApiDeps, "store" | "blobs" | "limits" | "events" | "notifications">;
  logger: Logger;
  /** An executor chosen by the caller (tests): it replaces whatever the configuration says. */
  executor?: WorkflowExecutor | undefined;
  /** The control plane's executions, through which the local engine's launch-plan nodes launch their children. */
  children?: ChildExecutions | undefined;
}

const notHandled = async () => false;

/** The engine of a configuration: none (an outside engine reports events) or the embedded local one. */
export function createEngineRuntime({ config, deps, logger, executor, children }: EngineRuntimeOptions): EngineRuntime {
  if (executor) return passive(executor);
  if (config.engine === "none") return passive(createExternalExecutor());
  if (config.engine === "k8s") return createK8sRuntime(config, deps, logger);
  return createLocalRuntime(config, deps, logger, children);
}

function passive(executor: WorkflowExecutor): EngineRuntime {
  return { executor, summary: { kind: executor.kind }, logs: notHandled, start: async () => {}, stop: async () => {} };
}

/**
 * The hand-off to flytepropeller: the cluster connection is loaded now, so a
 * missing or malformed kubeconfig stops start-up with one line.
 */
function createK8sRuntime(config: Config, deps: EngineRuntimeOptions["deps"], logger: Logger): EngineRuntime {
  const kubeConfig = loadKubeConfig({ kubeconfig: config.k8sKubeconfig, context: config.k8sContext });
  const client = createKubeClient({ kubeConfig, timeoutMs: config.k8sRequestTimeoutMs });
  const executor = createK8sExecutor({
    client,
    blobs: deps.blobs,
    namespaceTemplate: config.k8sNamespaceTemplate,
    clusterId: config.k8sClusterId,
    createNamespaces: config.k8sCreateNamespaces,
    offloadClosure: config.k8sOffloadClosure,
    offloadInputs: config.k8sOffloadInputs,
    roleNameKey: config.k8sRoleNameKey,
    consoleUrl: config.k8sConsoleUrl,
    logger,
  });
  return { executor, summary: { kind: executor.kind, cluster: client.server }, logs: notHandled, start: async () => {}, stop: async () => {} };
}

function createLocalRuntime(config: Config, deps: EngineRuntimeOptions["deps"], logger: Logger, children: ChildExecutions | undefined): EngineRuntime {
  const { store, blobs } = deps;
  const kit = findFlytekit(config.enginePython);
  const taskSlots = engineTaskSlots(config);
  let baseUrl = config.publicUrl !== "" ? config.publicUrl.replace(/\/+$/, "") : listenUrl(config.listen, config.tlsCert !== "");
  // The platform env every task gets: where this server is (eager tasks call back into it),
  // then the configured --engine-env, which may override it. Refilled by start() once the
  // server knows where it listens; the plugin reads this object at each launch.
  const defaultEnv = Object.create(null) as Record<string, string>;
  const setDefaultEnv = () => {
    for (const k of Object.keys(defaultEnv)) delete defaultEnv[k];
    Object.assign(defaultEnv, platformDefaultEnv(baseUrl, config.engineEnv));
  };
  setDefaultEnv();
  const processes = createLocalProcessPlugin({
    runRoot: config.engineRunRoot,
    python: config.enginePython,
    codePaths: config.engineCodePaths,
    gracePeriodMs: config.engineGracePeriodMs,
    defaultEnv,
    secretsDir: config.engineSecretsDir,
    blobs,
    blobEnv: taskBlobEnv(config, blobs),
    logUrl: (a) => `${baseUrl}/engine/logs/${[a.project, a.domain, a.name, a.nodeUniqueId, String(a.attempt)].map(encodeURIComponent).join("/")}`,
    logger,
    // Looked up once, here: a configured runtime that is missing is a warning now and a clear failure of each raw-container task.
    containerRuntime: config.engineContainerRuntime,
  });
  const plugins: TaskPlugin[] = [processes, createEchoPlugin()];
  const engine = createLocalEngine({
    store,
    blobs,
    sink: createAdminEventSink(deps),
    plugins,
    config: {
      clusterId: "local",
      metadataPrefix: ENGINE_METADATA_PREFIX,
      rawOutputBase: blobs.uri("data"),
      maxConcurrentTasks: taskSlots,
      defaultTaskCpus: 1,
      workers: config.engineWorkers,
    },
    logger,
    ...(children ? { children } : {}),
  });
  // Until start() nothing runs: a launch accepted before then is resumed by start(), which
  // picks up every accepted execution, so an app that is built but never started (in-process
  // tests, migrations) runs no rounds and leaves no timers.
  let state: "idle" | "started" | "stopped" = "idle";
  const inner = engine.executor;
  const executor: WorkflowExecutor = {
    kind: inner.kind,
    execute: (launch) => inner.execute(launch),
    launched(id) {
      if (state === "started") inner.launched?.(id);
    },
    signalled(id) {
      if (state === "started") inner.signalled?.(id);
    },
    abort: (id, cause) => inner.abort(id, cause),
  };
  const logs = createEngineLogsEndpoint({ runRoot: config.engineRunRoot });
  let stopping: Promise<void> | undefined;
  return {
    executor,
    summary: { kind: inner.kind, python: kit?.binDir, taskSlots, runRoot: config.engineRunRoot },
    logs,
    async start(listeningUrl) {
      if (state !== "idle") return;
      if (config.publicUrl === "" && listeningUrl) baseUrl = listeningUrl.replace(/\/+$/, "");
      setDefaultEnv();
      if (!kit) {
        logger.warn("python tasks will fail: no pyflyte-execute found", {
          where: config.enginePython === "" ? "PATH" : config.enginePython,
          fix: "install flytekit (pip install flytekit) or point --engine-python at the virtualenv that has it",
        });
      }
      state = "started";
      await engine.start();
    },
    stop() {
      return (stopping ??= (async () => {
        const wasStarted = state === "started";
        state = "stopped";
        try {
          if (wasStarted) await engine.stop();
        } finally {
          // Plugins' own timers (process watchers, test delays); their tasks keep running.
          for (const p of plugins) p.close?.();
        }
      })());
    },
  };
}

/** The base URL of a `host:port` listen address, for links made before the server says where it listens. */
function listenUrl(listen: string, tls: boolean): string {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(listen.trim());
  const host = m?.[1] ?? m?.[2] ?? "";
  const shown = host === "" || host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  return `${tls ? "https" : "http"}://${shown}:${m?.[3] ?? "8089"}`;
}

/** With S3 storage, tasks (flytekit's s3fs) reach the bucket with the server's own settings. */
export function taskBlobEnv(config: Config, blobs: Pick<BlobStore, "base">): Record<string, string> {
  if (!blobs.base.startsWith("s3://")) return {};
  const env: Record<string, string> = {};
  if (config.s3Endpoint) env.FLYTE_AWS_ENDPOINT = config.s3Endpoint;
  if (config.s3AccessKeyId) env.FLYTE_AWS_ACCESS_KEY_ID = config.s3AccessKeyId;
  if (config.s3SecretAccessKey) env.FLYTE_AWS_SECRET_ACCESS_KEY = config.s3SecretAccessKey;
  return env;
}
