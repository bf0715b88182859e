import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { WorkflowExecution_Phase } from "../../../gen/flyteidl/core/execution_pb.js";
import type { WorkflowExecutionIdentifier } from "../../../gen/flyteidl/core/identifier_pb.js";
import { WorkflowExecutionEventSchema } from "../../../gen/flyteidl/event/event_pb.js";
import type { BlobStore } from "../../blob/blob-store.js";
import type { Logger } from "../../logger.js";
import type { EngineKey } from "../../storage/engine-store.js";
import type { DataCatalogStore } from "../../storage/datacatalog-store.js";
import type { Store } from "../../storage/store.js";
import type { WorkflowExecutor } from "../workflow-executor.js";
import { createCatalog } from "./catalog.js";
import { definitionOf, type ExecutionDefinition } from "./definition.js";
import { errorText } from "./execution-error.js";
import { createArrayHandler } from "./array-handler.js";
import { createGateHandler, SIGNAL_POLL_MS } from "./gate-handler.js";
import { createEventRecorder, type EventRecorder } from "./event-recorder.js";
import { type EventSink, isEventError } from "./event-sink.js";
import { createBranchHandler } from "./branch-handler.js";
import { createNodeExecutor } from "./node-executor.js";
import { createRecoverySource } from "./recovery-source.js";
import { forEachNodeStatus } from "./dag-scope.js";
import type { EngineServices } from "./round-context.js";
import { type RoundFailures, runRound, TASK_POLL_MS } from "./round.js";
import { createSlots } from "./slots.js";
import { initialStatus, parseStatus } from "./status.js";
import { createSubworkflowHandler } from "./subworkflow-handler.js";
import { createTaskHandler } from "./task-handler.js";
import { createDynamicTaskHandler, registeredLaunchPlans } from "./dynamic-handler.js";
import { createLaunchPlanHandler } from "./launchplan-handler.js";
import type { ChildExecutions } from "./child-executions.js";
import type { TaskPlugin } from "./task-plugin.js";
import { createWorkQueue } from "./work-queue.js";

export interface LocalEngineConfig {
  /** "local": producer_id of every event and the cluster execute() returns. */
  clusterId: string;
  /** Blob KEY prefix for metadata, default "metadata/propeller" (URIs via blobs.uri). */
  metadataPrefix: string;
  /** URI; default blobs.uri("data"); an execution's raw_output_data_config.output_location_prefix wins. */
  rawOutputBase: string;
  /** Global CPU slots: the sum of running attempts' CPU requests stays ≤ this (a task asking more than all runs alone). */
  maxConcurrentTasks: number;
  /** CPUs an attempt counts when its template requests none. */
  defaultTaskCpus: number;
  /** Rounds in flight at once across executions (default 8). */
  workers: number;
  /** Delay before retrying a failed round, doubled per failure up to 30 s (default 1000 ms). */
  retryBaseMs?: number;
  /** How often a gate waiting for a signal looks again when SetSignal did not wake it (default 2000 ms). */
  signalPollMs?: number;
  /** Most nodes a dynamic task's workflow may have (default MAX_DYNAMIC_NODES; 0: no limit). */
  maxDynamicNodes?: number;
}

export interface LocalEngineOptions {
  store: Store;
  blobs: BlobStore;
  sink: EventSink;
  plugins: readonly TaskPlugin[];
  config: LocalEngineConfig;
  logger: Logger;
  clock?: () => Date;
  /** What launch-plan nodes launch their child executions through (the control plane's own functions). */
  children?: ChildExecutions;
  /** Where cached task outputs are catalogued (default: the store's own DataCatalog). */
  catalog?: DataCatalogStore;
}

export interface LocalEngine {
  /** kind "local" */
  executor: WorkflowExecutor;
  /** Resumes every active engine row (after a restart). */
  start(): Promise<void>;
  /** Stops taking rounds and waits for the ones in flight; never kills task processes. */
  stop(): Promise<void>;
}

const MAX_BACKOFF_MS = 30_000;
const MAX_CACHED_DEFINITIONS = 1_000;

/**
 * The embedded engine (propeller-lite, engine-spec §8): executions accepted
 * by `execute` are run round by round from their durable engine rows, and
 * everything they do is reported through `sink`, the same event path an
 * outside flytepropeller uses.
 */
export function createLocalEngine(options: LocalEngineOptions): LocalEngine {
  const { store, blobs, sink, plugins, config, logger } = options;
  const clock = options.clock ?? (() => new Date());
  const engineStore = store.engine;
  // A waiter is re-asked by its execution's poll at the latest: one not seen for two polls is gone
  // (its execution ended or moved on) and must not hold back the waiters behind it.
  const slots = createSlots(config.maxConcurrentTasks, { staleAfterMs: 2 * TASK_POLL_MS });
  const textOf = (k: EngineKey) => JSON.stringify([k.project, k.domain, k.name]);
  const keyOf = (text: string): EngineKey => {
    const [project, domain, name] = JSON.parse(text) as [string, string, string];
    return { project, domain, name };
  };
  const services: EngineServices = {
    clusterId: config.clusterId,
    blobs,
    plugins,
    slots,
    metadataBase: blobs.uri(config.metadataPrefix.replace(/^\/+|\/+$/g, "")),
    rawOutputBase: (config.rawOutputBase || blobs.uri("data")).replace(/\/+$/, ""),
    defaultTaskCpus: config.defaultTaskCpus,
    logger,
    clock,
    signals: store.signals,
    signalPollMs: config.signalPollMs ?? SIGNAL_POLL_MS,
    wake: (k, at) => queue.enqueue(textOf(k), at),
    children: options.children,
    catalog: createCatalog({ store: options.catalog ?? store.dataCatalog, blobs, logger, clock }),
    recovery: createRecoverySource(store, blobs),
  };
  const silent: EventRecorder = {
    node: async () => {},
    nodeAborted: async () => {},
    task: async () => {},
    taskAborted: async () => {},
    workflow: async () => "ok",
  };
  const deps = {
    services,
    engineStore,
    recorder: createEventRecorder(sink),
    silentRecorder: silent,
    nodes: createNodeExecutor({
      task: (nodes) => createDynamicTaskHandler(nodes, createTaskHandler(), { launchPlan: registeredLaunchPlans(store), maxNodes: config.maxDynamicNodes }),
      branch: (nodes) => createBranchHandler(nodes),
      gate: () => createGateHandler(),
      subworkflow: (nodes) => createSubworkflowHandler(nodes),
      launchplan: () => createLaunchPlanHandler(),
      array: (nodes) => createArrayHandler(nodes),
    }),
    definitions: new Map<string, ExecutionDefinition>(),
    clusterOf: (key: EngineKey) => store.executions.clusterOf(key),
  };
  const failures = new Map<string, RoundFailures>();
  let started = false;

  const round = async (text: string) => {
    const key = keyOf(text);
    // runRound may restart the count (an abort's budget starts when the abort is first seen).
    const prior: RoundFailures = { ...(failures.get(text) ?? { count: 0 }) };
    try {
      const outcome = await runRound(deps, key, text, prior);
      failures.delete(text);
      if (deps.definitions.size > MAX_CACHED_DEFINITIONS) deps.definitions.delete(deps.definitions.keys().next().value!);
      return outcome;
    } catch (e) {
      const count = prior.count + 1;
      failures.set(text, { count, last: errorText(e), ...(prior.aborting ? { aborting: true } : {}) });
      const delay = Math.min(MAX_BACKOFF_MS, (config.retryBaseMs ?? 1000) * 2 ** Math.min(count - 1, 15));
      logger.error("engine round failed; retrying later", { execution: key.name, project: key.project, domain: key.domain, attempt: count, retryInMs: delay, error: errorText(e) });
      return { again: false, wakeAt: new Date(Date.now() + delay), backoff: true };
    }
  };
  const queue = createWorkQueue({ workers: config.workers, run: round, logger });

  /** Reports ABORTED for an execution the engine holds no active row for, so it never stays ABORTING. */
  const abortWithoutRow = async (id: WorkflowExecutionIdentifier) => {
    const event = (producerId: string) =>
      create(WorkflowExecutionEventSchema, { executionId: id, producerId, phase: WorkflowExecution_Phase.ABORTED, occurredAt: timestampFromDate(clock()) });
    const report = (e: unknown) => logger.warn("engine: could not report an abort", { execution: id.name, error: errorText(e) });
    try {
      await sink.workflow(event(config.clusterId));
    } catch (e) {
      if (isEventError(e, "AlreadyExists", "AlreadyInTerminalState", "NotFound")) return;
      // Created before this engine ran it (no cluster recorded): an anonymous producer may end it.
      if (isEventError(e, "IncompatibleCluster")) return sink.workflow(event("")).catch(report);
      // The terminate itself is recorded (ABORTING); a failure here must not fail it.
      report(e);
    }
  };

  const executor: WorkflowExecutor = {
    kind: "local",
    async execute(launch) {
      const key = { project: launch.id.project, domain: launch.id.domain, name: launch.id.name };
      // A row already there is the same launch retried: keep it.
      await engineStore.create({ key, definition: JSON.stringify(definitionOf(launch)), status: JSON.stringify(initialStatus()) });
      return { cluster: config.clusterId };
    },
    launched(id) {
      if (started) queue.enqueue(textOf(id));
    },
    signalled(id) {
      // A gate waiting on it resolves in its next round; an execution without an active row ends that round at once.
      if (started) queue.enqueue(textOf(id));
    },
    async abort(id, cause) {
      const key = { project: id.project, domain: id.domain, name: id.name };
      if (await engineStore.requestAbort(key, cause)) {
        // Before start() the request is only recorded: start() resumes the row and its round aborts it.
        if (started) queue.enqueue(textOf(key));
        return;
      }
      await abortWithoutRow(id);
    },
  };

  return {
    executor,
    async start() {
      started = true;
      const rows = await engineStore.listActive();
      for (const row of rows) {
        // Attempts that held a slot before the restart take it back before anything new starts.
        try {
          const status = parseStatus(row.status);
          forEachNodeStatus(status.nodes, (uniqueId, ns) => {
            if (ns.task?.slot !== undefined) slots.ensure(`${row.project}/${row.domain}/${row.name}/${uniqueId}/${ns.attempts}`, ns.task.slot);
          });
        } catch (e) {
          logger.warn("engine: unreadable status at start-up", { execution: row.name, error: errorText(e) });
        }
      }
      for (const row of rows) queue.enqueue(textOf(row));
      logger.info("local engine started", { resumed: rows.length, slots: config.maxConcurrentTasks, workers: config.workers });
    },
    async stop() {
      await queue.stop();
    },
  };
}
