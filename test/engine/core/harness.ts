// An app with the local engine around it, driven through the Admin API in
// memory, with every event the engine sends recorded at the sink.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { type Client, createClient, createRouterTransport } from "@connectrpc/connect";
import { TaskSpecSchema } from "../../../gen/flyteidl/admin/task_pb.js";
import { WorkflowSpecSchema } from "../../../gen/flyteidl/admin/workflow_pb.js";
import { type Identifier, type WorkflowExecutionIdentifier, WorkflowExecutionIdentifierSchema } from "../../../gen/flyteidl/core/identifier_pb.js";
import { type Literal, type LiteralMap, LiteralMapSchema, LiteralSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import type { LiteralType } from "../../../gen/flyteidl/core/types_pb.js";
import type { TaskTemplate } from "../../../gen/flyteidl/core/tasks_pb.js";
import type { WorkflowTemplate } from "../../../gen/flyteidl/core/workflow_pb.js";
import type { NodeExecutionEvent, TaskExecutionEvent, WorkflowExecutionEvent } from "../../../gen/flyteidl/event/event_pb.js";
import { AdminService } from "../../../gen/flyteidl/service/admin_pb.js";
import { NodeExecution_Phase, TaskExecution_Phase, WorkflowExecution_Phase } from "../../../gen/flyteidl/core/execution_pb.js";
import { type App, buildApp } from "../../../src/app.js";
import type { BlobStore } from "../../../src/blob/blob-store.js";
import { openBlobStore } from "../../../src/blob/open-blob-store.js";
import { createAdminEventSink } from "../../../src/engine/local/admin-sink.js";
import type { ChildExecutions } from "../../../src/engine/local/child-executions.js";
import { createEchoPlugin } from "../../../src/engine/local/echo-plugin.js";
import type { EventSink } from "../../../src/engine/local/event-sink.js";
import { createLocalEngine, type LocalEngine, type LocalEngineConfig } from "../../../src/engine/local/local-engine.js";
import type { TaskPlugin } from "../../../src/engine/local/task-plugin.js";
import { createLogger } from "../../../src/logger.js";
import { openStore } from "../../../src/storage/open-store.js";
import type { Store } from "../../../src/storage/store.js";
import { DOMAIN, PROJECT, pythonTask } from "../../fixtures/flyte-builders.js";
import { testConfig } from "../../helpers/app.js";
import { createTestDatabase, PG_URL } from "../../helpers/backends.js";

export type Admin = Client<typeof AdminService>;

export type Recorded =
  | { kind: "workflow"; event: WorkflowExecutionEvent; refused?: string }
  | { kind: "node"; event: NodeExecutionEvent; refused?: string }
  | { kind: "task"; event: TaskExecutionEvent; refused?: string };

export interface HarnessOptions {
  /** A SQLite path or postgres URL; default a throw-away in-memory SQLite. */
  database?: string;
  /** An opened store (e.g. PGlite) instead of `database`. */
  openStore?: () => Promise<Store>;
  plugins?: TaskPlugin[];
  config?: Partial<LocalEngineConfig>;
}

export interface Harness {
  admin: Admin;
  app: App;
  store: Store;
  blobs: BlobStore;
  engine: LocalEngine;
  /** Every event the engine sent, in order (refused ones carry the refusal code). */
  events: Recorded[];
  /** Stops the engine and starts a new one on the same store and blobs. */
  restart(plugins?: TaskPlugin[]): Promise<void>;
  close(): Promise<void>;
}

// ENGINE_TEST_LOG=warn (or debug) shows what the engine logs while a test runs.
const quiet = createLogger((process.env.ENGINE_TEST_LOG as "warn" | undefined) ?? "silent");

/**
 * ENGINE_TEST_DATABASE=postgres runs every harness that names no database of its own on a fresh
 * database of the FLYTEADMIN_TEST_PG_URL server (dropped on close), so that any engine test file
 * can be run against PostgreSQL as it is.
 */
async function defaultDatabase(): Promise<{ url: string; drop?: () => Promise<void> }> {
  if (process.env.ENGINE_TEST_DATABASE !== "postgres") return { url: ":memory:" };
  if (!PG_URL) throw new Error("ENGINE_TEST_DATABASE=postgres needs FLYTEADMIN_TEST_PG_URL");
  return createTestDatabase();
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const config = testConfig();
  const fallback = options.openStore || options.database ? undefined : await defaultDatabase();
  const store = options.openStore ? await options.openStore() : await openStore(options.database ?? fallback!.url);
  const blobs = openBlobStore(config.storage);
  const limits = { maxWorkflowNodes: config.maxWorkflowNodes, maxPageSize: config.maxPageSize };
  const events: Recorded[] = [];
  const admin = createAdminEventSink({ store, blobs, limits });
  const recordOf = <K extends Recorded["kind"]>(kind: K, send: (e: never) => Promise<void>) => async (event: never) => {
    const entry = { kind, event } as Recorded;
    events.push(entry);
    try {
      await send(event);
    } catch (e) {
      entry.refused = (e as { code?: string }).code ?? String(e);
      throw e;
    }
  };
  const sink: EventSink = {
    workflow: recordOf("workflow", admin.workflow as never),
    node: recordOf("node", admin.node as never),
    task: recordOf("task", admin.task as never),
  };
  let plugins = options.plugins ?? [createEchoPlugin()];
  const engineConfig: LocalEngineConfig = {
    clusterId: "local",
    metadataPrefix: "metadata/propeller",
    rawOutputBase: blobs.uri("data"),
    maxConcurrentTasks: 8,
    defaultTaskCpus: 1,
    workers: 8,
    ...options.config,
  };
  // Launch-plan nodes launch through the app's API functions (the app is built after the engine).
  const children: ChildExecutions = {
    create: (request) => app.childExecutions.create(request),
    recover: (request) => app.childExecutions.recover(request),
    status: (id) => app.childExecutions.status(id),
    terminate: (id, cause) => app.childExecutions.terminate(id, cause),
  };
  const makeEngine = () => createLocalEngine({ store, blobs, sink, plugins, config: engineConfig, logger: quiet, children });
  let engine = makeEngine();
  // The executor handed to the app forwards to whichever engine is current (restarts swap it).
  const executor = {
    kind: "local",
    execute: (l: Parameters<LocalEngine["executor"]["execute"]>[0]) => engine.executor.execute(l),
    launched: (id: WorkflowExecutionIdentifier) => engine.executor.launched?.(id),
    signalled: (id: { project: string; domain: string; name: string }) => engine.executor.signalled?.(id),
    abort: (id: WorkflowExecutionIdentifier, cause: string) => engine.executor.abort(id, cause),
  };
  const app = await buildApp(config, quiet, { store, blobs, executor });
  const transport = createRouterTransport(app.routes, { router: { interceptors: app.interceptors } });
  const client = createClient(AdminService, transport);
  await engine.start();
  await client.registerProject({ project: { id: PROJECT, name: PROJECT } });
  const h: Harness = {
    admin: client,
    app,
    store,
    blobs,
    get engine() {
      return engine;
    },
    events,
    async restart(next) {
      await engine.stop();
      if (next) plugins = next;
      engine = makeEngine();
      await engine.start();
    },
    async close() {
      await engine.stop();
      await app.close();
      await fallback?.drop?.();
      rmSync(config.dataDir, { recursive: true, force: true });
    },
  };
  return h;
}

/** A task flytekit-shaped but of another type (echo or a test plugin's), with optional template config. */
export function taskOfType(type: string, name: string, inputs: Record<string, LiteralType>, outputs: Record<string, LiteralType>, extra: { config?: Record<string, string>; retries?: number; timeoutSeconds?: number } = {}): TaskTemplate {
  const t = pythonTask(name, inputs, outputs);
  t.type = type;
  t.config = extra.config ?? {};
  if (extra.retries !== undefined) t.metadata!.retries = { $typeName: "flyteidl.core.RetryStrategy", retries: extra.retries };
  if (extra.timeoutSeconds !== undefined) t.metadata!.timeout = { $typeName: "google.protobuf.Duration", seconds: BigInt(extra.timeoutSeconds), nanos: 0 };
  return t;
}

export async function registerTasks(admin: Admin, ...tasks: TaskTemplate[]) {
  for (const t of tasks) await admin.createTask({ id: t.id, spec: create(TaskSpecSchema, { template: t }) });
}

export async function registerWorkflow(admin: Admin, template: WorkflowTemplate, subWorkflows: WorkflowTemplate[] = []) {
  await admin.createWorkflow({ id: template.id, spec: create(WorkflowSpecSchema, { template, subWorkflows }) });
  await admin.createLaunchPlan({ id: { ...template.id!, resourceType: 3 }, spec: { workflowId: template.id } });
}

export const execId = (name: string): WorkflowExecutionIdentifier =>
  create(WorkflowExecutionIdentifierSchema, { project: PROJECT, domain: DOMAIN, name });

export const intLiteral = (n: number): Literal =>
  create(LiteralSchema, { value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "integer", value: BigInt(n) } } } } } });

export const literals = (m: Record<string, Literal>): LiteralMap => create(LiteralMapSchema, { literals: m });

/** Launches the launch plan of `workflow` (same id) with `inputs` under `name`. */
export async function launch(admin: Admin, workflow: Identifier, name: string, inputs: LiteralMap = literals({}), spec: Record<string, unknown> = {}) {
  await admin.createExecution({
    project: PROJECT,
    domain: DOMAIN,
    name,
    spec: { launchPlan: { ...workflow, resourceType: 3 }, ...spec },
    inputs,
  });
  return execId(name);
}

/** Polls GetExecution until the phase is terminal (or `phases` includes it); fails after `timeoutMs`. */
export async function waitForPhase(admin: Admin, id: WorkflowExecutionIdentifier, phases: string[] = ["SUCCEEDED", "FAILED", "ABORTED", "TIMED_OUT"], timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const e = await admin.getExecution({ id });
    const phase = WorkflowExecution_Phase[e.closure!.phase]!;
    if (phases.includes(phase)) return e;
    if (Date.now() > deadline) throw new Error(`execution ${id.name} still ${phase} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Polls `check` until it returns a value other than undefined. */
export async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));

/** One line per event: `WF RUNNING`, `N n0 QUEUED`, `T n0#0 RUNNING v1` (refused ones end in `!<code>`). */
export function eventLines(events: readonly Recorded[], execution?: string): string[] {
  const out: string[] = [];
  for (const r of events) {
    let line: string;
    let exec: string | undefined;
    if (r.kind === "workflow") {
      exec = r.event.executionId?.name;
      line = `WF ${WorkflowExecution_Phase[r.event.phase]}`;
    } else if (r.kind === "node") {
      exec = r.event.id?.executionId?.name;
      line = `N ${r.event.id?.nodeId} ${NodeExecution_Phase[r.event.phase]}`;
    } else {
      exec = r.event.parentNodeExecutionId?.executionId?.name;
      line = `T ${r.event.parentNodeExecutionId?.nodeId}#${r.event.retryAttempt} ${TaskExecution_Phase[r.event.phase]} v${r.event.phaseVersion}`;
    }
    if (execution !== undefined && exec !== execution) continue;
    out.push(r.refused ? `${line} !${r.refused}` : line);
  }
  return out;
}
