import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Sort_Direction } from "../gen/flyteidl/admin/common_pb.js";
import { ResourceType } from "../gen/flyteidl/core/identifier_pb.js";
import { DataCatalog } from "../gen/flyteidl/datacatalog/datacatalog_pb.js";
import { AdminService } from "../gen/flyteidl/service/admin_pb.js";
import { buildApp } from "../src/app.js";
import { createLogger } from "../src/logger.js";
import { createSqlStore } from "../src/storage/sql-store.js";
import { openSqlite } from "../src/storage/sqlite.js";
import type { Store } from "../src/storage/store.js";
import { testConfig } from "./helpers/app.js";
import { loadFlytekitPackage, registerPackage } from "./fixtures/flytekit.js";

/**
 * Every list query shape the console, flytectl and flytekit send must be
 * served by an index: the test captures the SQL each list RPC runs and fails
 * on a full scan of a table in SQLite's query plan.
 */
const TABLES = [
  "projects",
  "tasks",
  "workflows",
  "launch_plans",
  "named_entity_metadata",
  "description_entities",
  "resources",
  "executions",
  "execution_tags",
  "engine_workflows",
  "execution_deletions",
  "node_executions",
  "task_executions",
  "execution_events",
  "signals",
  "schedulable_entities",
  "notification_deliveries",
  "datasets",
  "artifacts",
  "artifact_data",
  "tags",
  "partitions",
  "reservations",
  "api_keys",
  "role_bindings",
];
const P = "flytesnacks";
const D = "development";
const desc = { key: "created_at", direction: Sort_Direction.DESCENDING };

let dir: string;
let captured: { sql: string; params: unknown[] }[] = [];
let app: Awaited<ReturnType<typeof buildApp>>;
let store: Store;
let admin: ReturnType<typeof createClient<typeof AdminService>>;
let dc: ReturnType<typeof createClient<typeof DataCatalog>>;
const DS = { project: P, domain: D, name: "flyte_task-wf.square", version: "1.0-abcdefgh-ijklmnop" };
const kv = (key: string, value: string) => ({ propertyFilter: { case: "partitionFilter" as const, value: { property: { case: "keyVal" as const, value: { key, value } } } } });
const tagged = (name: string) => ({ propertyFilter: { case: "tagFilter" as const, value: { property: { case: "tagName" as const, value: name } } } });
const datasetField = (field: "project" | "name", value: string) => ({ propertyFilter: { case: "datasetFilter" as const, value: { property: { case: field, value } } } });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "flyteadmin-plans-"));
  store = createSqlStore(openSqlite(join(dir, "admin.db"), { onQuery: (sql, params) => captured.push({ sql, params }) }));
  app = await buildApp(testConfig(), createLogger("silent"), { store });
  const transport = createRouterTransport(app.routes, { router: { interceptors: app.interceptors } });
  admin = createClient(AdminService, transport);
  dc = createClient(DataCatalog, transport);
  await dc.createDataset({ dataset: { id: DS, partitionKeys: ["region"] } });
  await dc.createArtifact({ artifact: { id: "a1", dataset: DS, data: [{ name: "o0", value: {} }], partitions: [{ key: "region", value: "eu" }] } });
  await dc.addTag({ tag: { name: "flyte_cached-x", artifactId: "a1", dataset: DS } });
  await admin.registerProject({ project: { id: P, name: P } });
  const pkg = loadFlytekitPackage("hello", P, D, "v1");
  await registerPackage(admin, pkg);
  await admin.createExecution({ project: P, domain: D, name: "e1", spec: { launchPlan: pkg.launchPlans[0]!.id, labels: { values: { team: "ml" } } }, inputs: {} });
});
afterAll(() => app?.close());

async function planOf(call: () => Promise<unknown>, statements = /^\s*select/i): Promise<string[]> {
  captured = [];
  await call();
  const raw = new Database(join(dir, "admin.db"), { readonly: true });
  try {
    return captured
      .filter((q) => statements.test(q.sql))
      .flatMap((q) =>
        (raw.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).all(...(q.params as never[])) as { detail: string }[]).map((r) => r.detail),
      );
  } finally {
    raw.close();
  }
}

const fullScans = (plan: string[]) => plan.filter((line) => TABLES.some((t) => new RegExp(`^SCAN ${t}\\b`).test(line)));

const lists: [string, () => Promise<unknown>][] = [
  ["ListTasks by project/domain, newest first", () => admin.listTasks({ id: { project: P, domain: D }, limit: 10, sortBy: desc })],
  ["ListTasks of one name", () => admin.listTasks({ id: { project: P, domain: D, name: "cfx.hello.wf.say_hello" }, limit: 10, sortBy: desc })],
  ["ListTaskIds", () => admin.listTaskIds({ project: P, domain: D, limit: 100 })],
  [
    "ListWorkflows as the workflow page asks",
    () =>
      admin.listWorkflows({
        id: { project: P, domain: D, name: "cfx.hello.wf.hello_wf" },
        limit: 5,
        filters: `eq(workflow.name,cfx.hello.wf.hello_wf)+eq(workflow.project,${P})+eq(workflow.domain,${D})`,
        sortBy: desc,
      }),
  ],
  ["ListWorkflows latest version (no sort)", () => admin.listWorkflows({ id: { project: P, domain: D, name: "cfx.hello.wf.hello_wf" }, limit: 1 })],
  ["ListWorkflowIds", () => admin.listWorkflowIds({ project: P, domain: D, limit: 100 })],
  [
    "ListLaunchPlans by workflow",
    () => admin.listLaunchPlans({ id: { project: P, domain: D }, limit: 10, filters: `eq(workflow.name,cfx.hello.wf.hello_wf)+eq(workflow.project,${P})+eq(workflow.domain,${D})`, sortBy: desc }),
  ],
  ["ListLaunchPlans of one name", () => admin.listLaunchPlans({ id: { project: P, domain: D, name: "cfx.hello.wf.hello_wf" }, limit: 1 })],
  ["ListActiveLaunchPlans", () => admin.listActiveLaunchPlans({ project: P, domain: D, limit: 100 })],
  ["ListLaunchPlanIds", () => admin.listLaunchPlanIds({ project: P, domain: D, limit: 100 })],
  ["ListNamedEntities (workflows, active)", () => admin.listNamedEntities({ resourceType: ResourceType.WORKFLOW, project: P, domain: D, limit: 100, filters: "eq(state,0)", sortBy: { key: "name", direction: Sort_Direction.ASCENDING } })],
  ["ListNamedEntities (default filter)", () => admin.listNamedEntities({ resourceType: ResourceType.TASK, project: P, domain: D, limit: 100 })],
  [
    "ListDescriptionEntities as the workflow page asks",
    () =>
      admin.listDescriptionEntities({
        resourceType: ResourceType.WORKFLOW,
        id: { project: P, domain: D, name: "cfx.hello.wf.hello_wf" },
        limit: 1,
        filters: `eq(workflow.name,cfx.hello.wf.hello_wf)+eq(workflow.project,${P})+eq(workflow.domain,${D})`,
        sortBy: desc,
      }),
  ],
  ["GetActiveLaunchPlan", () => admin.getActiveLaunchPlan({ id: { project: P, domain: D, name: "cfx.hello.wf.hello_wf" } }).catch(() => undefined)],
  ["ListMatchableAttributes", () => admin.listMatchableAttributes({})],
  ["ListExecutions, project dashboard", () => admin.listExecutions({ id: { project: P, domain: D }, limit: 100, sortBy: desc })],
  [
    "ListExecutions by workflow",
    () => admin.listExecutions({ id: { project: P, domain: D }, limit: 100, filters: `eq(workflow.name,cfx.hello.wf.hello_wf)+eq(workflow.project,${P})+eq(workflow.domain,${D})`, sortBy: desc }),
  ],
  [
    "ListExecutions by launch plan",
    () => admin.listExecutions({ id: { project: P, domain: D }, limit: 100, filters: `eq(launch_plan.name,cfx.hello.wf.hello_wf)+eq(launch_plan.project,${P})+eq(launch_plan.domain,${D})`, sortBy: desc }),
  ],
  [
    "ListExecutions by duration, as the console's Duration filter asks",
    () => admin.listExecutions({ id: { project: P, domain: D }, limit: 100, filters: "lt(duration,3600)+gt(duration,1.5)", sortBy: desc }),
  ],
  ["ListExecutions sorted by duration", () => admin.listExecutions({ id: { project: P, domain: D }, limit: 100, sortBy: { key: "duration", direction: Sort_Direction.ASCENDING } })],
  ["ListExecutions by tag", () => admin.listExecutions({ id: { project: P, domain: D }, limit: 100, filters: "eq(execution_tag.key,team)" })],
  ["GetExecution", () => admin.getExecution({ id: { project: P, domain: D, name: "e1" } })],
  ["Engine start-up: active rows, oldest first", () => store.engine.listActive()],
  ["Engine row by key", () => store.engine.get({ project: P, domain: D, name: "e1" })],
  ["Retention candidates everywhere", () => store.deletions.candidates({ before: new Date(), phases: ["SUCCEEDED", "FAILED"] }, undefined, 100)],
  ["Retention candidates in a domain", () => store.deletions.candidates({ domain: D, before: new Date(), phases: ["SUCCEEDED"] }, undefined, 100)],
  [
    "Retention candidates in a project and domain, after a cursor",
    () =>
      store.deletions.candidates(
        { project: P, domain: D, before: new Date(), phases: ["SUCCEEDED"] },
        { updatedAt: new Date(0), key: { project: P, domain: D, name: "a" } },
        100,
      ),
  ],
  ["An execution's facts for deletion", () => store.deletions.facts({ project: P, domain: D, name: "e1" })],
  ["An execution's child executions", () => store.deletions.children({ project: P, domain: D, name: "e1" }, 100)],
  ["An execution's rows, counted", () => store.deletions.countRows({ project: P, domain: D, name: "e1" })],
  ["DataCatalog ListDatasets of a project", () => dc.listDatasets({ filter: { filters: [datasetField("project", P)] } })],
  ["DataCatalog ListDatasets of a name", () => dc.listDatasets({ filter: { filters: [datasetField("name", DS.name)] } })],
  ["DataCatalog GetDataset", () => dc.getDataset({ dataset: DS })],
  ["DataCatalog ListArtifacts", () => dc.listArtifacts({ dataset: DS })],
  ["DataCatalog ListArtifacts by tag and partition", () => dc.listArtifacts({ dataset: DS, filter: { filters: [tagged("flyte_cached-x"), kv("region", "eu")] } })],
  ["DataCatalog GetArtifact by tag (a cache look-up)", () => dc.getArtifact({ dataset: DS, queryHandle: { case: "tagName", value: "flyte_cached-x" } })],
  ["DataCatalog GetArtifact by id alone", () => dc.getArtifact({ queryHandle: { case: "artifactId", value: "a1" } })],
  ["Cache eviction of a task's cache version", () => store.dataCatalog.evictArtifacts({ project: P, domain: D, datasetName: "flyte_task-none", cacheVersion: "1.0" }, 100)],
  ["An API key by id (every call that carries one)", () => store.apiKeys.get("aaaaaaaaaaaa")],
  ["One owner's API keys, newest first", () => store.apiKeys.list({ owner: "alice", includeRevoked: true, limit: 100 })],
  [
    "A caller's role bindings (subject, email, groups)",
    () => store.roleBindings.forPrincipals([{ kind: "user", subject: "alice" }, { kind: "user", subject: "alice@example.com" }, { kind: "group", subject: "ml" }, { kind: "group", subject: "ops" }]),
  ],
  ["Role bindings of one subject, any kind", () => store.roleBindings.list({ subject: "alice", limit: 100 })],
  ["Role bindings on one project", () => store.roleBindings.list({ project: P, limit: 100 })],
];

describe("list queries use indexes", () => {
  it.each(lists)("%s", async (_name, call) => {
    const plan = await planOf(call);
    if (process.env.SHOW_PLANS) console.log(_name, plan);
    expect(plan.length).toBeGreaterThan(0);
    expect(fullScans(plan)).toEqual([]);
  });

  it("reads the engine's active rows in index order, without sorting them", async () => {
    const plan = await planOf(() => store.engine.listActive());
    expect(plan.some((line) => /engine_workflows_active_idx/.test(line))).toBe(true);
    expect(plan.filter((line) => /TEMP B-TREE/.test(line))).toEqual([]);
  });

  it("reads executions being deleted oldest mark first, in index order, without sorting them", async () => {
    const plan = await planOf(() => store.deletions.pending(100));
    expect(plan.some((line) => /execution_deletions_marked_idx/.test(line))).toBe(true);
    expect(plan.filter((line) => /TEMP B-TREE/.test(line))).toEqual([]);
  });

  it("walks retention candidates in last-change order instead of sorting every terminal execution", async () => {
    // A domain-only rule ("*": { development: 30d }) walks its domain, not every execution.
    for (const [scope, index] of [
      [{}, "executions_updated_at_idx"],
      [{ domain: D }, "executions_domain_updated_idx"],
      [{ project: P, domain: D }, "executions_updated_idx"],
    ] as const) {
      const plan = await planOf(() => store.deletions.candidates({ ...scope, before: new Date(), phases: ["SUCCEEDED"] }, undefined, 100));
      if (process.env.SHOW_PLANS) console.log(scope, plan);
      expect(plan.some((line) => new RegExp(`\\b${index}\\b`).test(line))).toBe(true);
      expect(plan.filter((line) => /TEMP B-TREE FOR ORDER BY/.test(line))).toEqual([]);
    }
  });

  it.each([
    ["the console's active names", { filters: "eq(state,0)" }, /named_entity_metadata_state_name_idx/],
    ["the default filter", {}, /sqlite_autoindex_named_entity_metadata_1/],
    ["archived names, last name first", { filters: "eq(state,1)", sortBy: { key: "name", direction: Sort_Direction.DESCENDING } }, /named_entity_metadata_state_name_idx/],
  ])("reads one page of named entities (%s) from the name table in index order, grouping no versions", async (_name, request, index) => {
    const plan = await planOf(() =>
      admin.listNamedEntities({ resourceType: ResourceType.WORKFLOW, project: P, domain: D, limit: 100, sortBy: { key: "name", direction: Sort_Direction.ASCENDING }, ...request }),
    );
    expect(plan.some((line) => index.test(line))).toBe(true);
    expect(plan.filter((line) => /TEMP B-TREE|\b(workflows|tasks|launch_plans)\b/.test(line))).toEqual([]);
    const get = await planOf(() => admin.getNamedEntity({ resourceType: ResourceType.WORKFLOW, id: { project: P, domain: D, name: "cfx.hello.wf.hello_wf" } }));
    expect(get.every((line) => /named_entity_metadata/.test(line))).toBe(true);
  });

  it("reads what a node or task event needs through keys alone", async () => {
    const key = { ...{ project: P, domain: D, name: "e1" }, nodeId: "n0" };
    const taskKey = { ...key, retryAttempt: 0, task: { project: P, domain: D, name: "t", version: "v1" } };
    for (const read of [() => store.nodeExecutions.getForEvent(key), () => store.taskExecutions.getForEvent(taskKey)]) {
      const plan = await planOf(read);
      expect(plan.length).toBeGreaterThan(0);
      expect(plan.filter((line) => /^SCAN /.test(line))).toEqual([]);
    }
  });

  it("reads due schedules and the next tick from the (active, next_fire_at) index, in its order", async () => {
    for (const read of [() => store.schedules.due(new Date(), 100), () => store.schedules.nextTickAfter(new Date())]) {
      const plan = await planOf(read);
      if (process.env.SHOW_PLANS) console.log(plan);
      expect(plan.some((line) => /schedulable_entities_due_idx/.test(line))).toBe(true);
      expect(plan.filter((line) => /TEMP B-TREE/.test(line))).toEqual([]);
    }
  });

  it("claims, lists and purges notification deliveries through the status indexes", async () => {
    const now = new Date();
    for (const [call, index] of [
      [() => store.notifications.claim("me", now, 60_000, 4), /notification_deliveries_status_next_idx/],
      [() => store.notifications.purgeSent(now, 100), /notification_deliveries_status_next_idx/],
      [() => store.notifications.list({ status: "dead", limit: 50 }), /notification_deliveries_status_id_idx/],
      [() => store.notifications.list({ status: "dead", limit: 50, beforeId: 100 }), /notification_deliveries_status_id_idx/],
    ] as const) {
      const plan = await planOf(call, /^\s*(select|update|delete)/i);
      if (process.env.SHOW_PLANS) console.log(plan);
      expect(plan.some((line) => index.test(line))).toBe(true);
      expect(fullScans(plan)).toEqual([]);
    }
    // A claim reads due rows, and the listing dead ones, in their index's order: a backlog is never sorted.
    for (const call of [() => store.notifications.claim("me", now, 60_000, 4), () => store.notifications.list({ status: "dead", limit: 50 })]) {
      const plan = await planOf(call, /^\s*(select|update)/i);
      expect(plan.filter((line) => /TEMP B-TREE/.test(line))).toEqual([]);
    }
  });

  it("pages a dataset's artifacts, and all datasets, in index order without sorting them", async () => {
    for (const [call, index] of [
      [() => dc.listArtifacts({ dataset: DS }), /^SEARCH artifacts USING INDEX artifacts_dataset_created_at_idx/],
      [() => dc.listDatasets({}), /^SCAN datasets USING INDEX datasets_created_at_idx$/],
    ] as const) {
      const plan = await planOf(call);
      if (process.env.SHOW_PLANS) console.log(plan);
      expect(plan.some((line) => index.test(line))).toBe(true);
      // A page's data, partitions and tags are put in order after they are found; the page itself never is.
      expect(plan.filter((line) => /TEMP B-TREE FOR ORDER BY/.test(line))).toEqual([]);
    }
  });

  it("catches a full scan when there is one", async () => {
    const raw = new Database(join(dir, "admin.db"), { readonly: true });
    const plan = (raw.prepare("EXPLAIN QUERY PLAN SELECT * FROM tasks WHERE type = ?").all("x") as { detail: string }[]).map((r) => r.detail);
    raw.close();
    expect(fullScans(plan)).not.toEqual([]);
  });
});

