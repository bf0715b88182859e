import { create } from "@bufbuild/protobuf";
import { createClient, createRouterTransport, type Client } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { NamedEntityMetadataSchema, NamedEntityState, Sort_Direction } from "../../gen/flyteidl/admin/common_pb.js";
import { LaunchPlanSchema } from "../../gen/flyteidl/admin/launch_plan_pb.js";
import { TaskSchema, TaskSpecSchema } from "../../gen/flyteidl/admin/task_pb.js";
import { type Identifier, IdentifierSchema, ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import { buildApp } from "../../src/app.js";
import { NAMED_ENTITY_COLUMNS, NAMED_ENTITY_METADATA_COLUMNS } from "../../src/core/entity-columns.js";
import { parseListRequest } from "../../src/core/list-query.js";
import { createLogger } from "../../src/logger.js";
import type { Dialect } from "../../src/storage/dialect.js";
import { createSqlStore } from "../../src/storage/sql-store.js";
import type { NamedResourceType, Store } from "../../src/storage/store.js";
import { DOMAIN, PROJECT, pythonTask, taskId } from "../fixtures/flyte-builders.js";
import { testConfig } from "../helpers/app.js";
import { backends } from "../helpers/backends.js";

/**
 * The name table holds exactly one row per task, workflow and launch plan
 * name, written with the name's first version, whatever runs beside it.
 */
const P = "p";
const D = "d";
const id = (resourceType: ResourceType, name: string, version: string): Identifier =>
  create(IdentifierSchema, { resourceType, project: P, domain: D, name, version });
const scope = [NAMED_ENTITY_COLUMNS, NAMED_ENTITY_METADATA_COLUMNS] as const;
const everything = (filters = "") => parseListRequest({ filters, limit: 10_000, token: "" }, { scope: [...scope], op: "test" });
// The first test on PGlite waits for it to start.
const STARTUP = 60_000;
const metadata = (state: NamedEntityState, description = "") => create(NamedEntityMetadataSchema, { state, description });

/** Rows of the name table per name, read straight from the table. */
async function rowsPerName(d: Dialect, type: NamedResourceType): Promise<Map<string, number>> {
  const m = d.schema.namedEntityMetadata;
  const rows = await d.run((db) => db.select({ type: m.resourceType, name: m.name }).from(m));
  const counts = new Map<string, number>();
  for (const r of rows) if (r.type === type) counts.set(r.name, (counts.get(r.name) ?? 0) + 1);
  return counts;
}

function createVersion(store: Store, type: NamedResourceType, name: string, version: string) {
  const digest = Buffer.from(`${name}@${version}`);
  if (type === ResourceType.TASK) return store.tasks.create(create(TaskSchema, { id: id(type, name, version) }), digest, "python-task");
  if (type === ResourceType.WORKFLOW) return store.workflows.create({ id: id(type, name, version), shortDescription: "" }, undefined, digest);
  const lp = create(LaunchPlanSchema, { id: id(type, name, version), spec: { workflowId: id(ResourceType.WORKFLOW, "wf", "v1") } });
  return store.launchPlans.create(lp, digest, "NONE");
}

describe.each(backends)("Name table on $name", ({ open }) => {
  let dialect: Dialect;
  let store: Store | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  it.each([ResourceType.TASK, ResourceType.WORKFLOW, ResourceType.LAUNCH_PLAN] as const)(
    "keeps one row per name under concurrent registrations of the same and different names (type %i)",
    async (type) => {
      dialect = await open();
      const s = (store = createSqlStore(dialect));
      // 8 names, 6 versions each, all at once, each version registered twice (one of the pair is refused).
      const calls = [];
      for (let v = 0; v < 6; v++) for (let n = 0; n < 8; n++) calls.push(() => createVersion(s, type, `n${n}`, `v${v}`), () => createVersion(s, type, `n${n}`, `v${v}`));
      await Promise.all(calls.map((call) => call()));
      expect([...(await rowsPerName(dialect, type)).entries()].sort()).toEqual(Array.from({ length: 8 }, (_, n) => [`n${n}`, 1]));
      const listed = await s.namedEntities.list(type, { project: P, domain: D }, everything());
      expect(listed.map((e) => e.id?.name)).toEqual(Array.from({ length: 8 }, (_, n) => `n${n}`));
      expect(listed.every((e) => e.metadata?.state === NamedEntityState.NAMED_ENTITY_ACTIVE && e.metadata.description === "")).toBe(true);
    },
    STARTUP,
  );

  it("interleaves archive and unarchive with a name's first registrations without losing either", async () => {
    dialect = await open();
    const s = (store = createSqlStore(dialect));
    const type = ResourceType.WORKFLOW;
    const key = { project: P, domain: D, name: "racing" };
    // Updates one after another, registrations at the same time: the last update that found the name
    // decides its state, and no registration (which never overwrites a row) undoes it.
    const updates = (async () => {
      let last: NamedEntityState | undefined;
      for (let i = 0; i < 40; i++) {
        const state = i % 2 === 0 ? NamedEntityState.NAMED_ENTITY_ARCHIVED : NamedEntityState.NAMED_ENTITY_ACTIVE;
        if (await s.namedEntities.updateMetadata(type, key, metadata(state, `d${i}`))) last = state;
      }
      return last;
    })();
    const registrations = Promise.all(Array.from({ length: 20 }, (_, v) => createVersion(s, type, "racing", `v${v}`)));
    const [last] = await Promise.all([updates, registrations]);
    expect((await rowsPerName(dialect, type)).get("racing")).toBe(1);
    const entity = await s.namedEntities.get(type, key);
    expect(entity?.metadata?.state).toBe(last ?? NamedEntityState.NAMED_ENTITY_ACTIVE);
    // A later version leaves the metadata alone.
    await createVersion(s, type, "racing", "later");
    expect((await s.namedEntities.get(type, key))?.metadata?.state).toBe(last ?? NamedEntityState.NAMED_ENTITY_ACTIVE);
  });

  it("writes nothing for an update of a name with no version", async () => {
    dialect = await open();
    const s = (store = createSqlStore(dialect));
    expect(await s.namedEntities.updateMetadata(ResourceType.TASK, { project: P, domain: D, name: "nope" }, metadata(NamedEntityState.NAMED_ENTITY_ARCHIVED))).toBe(false);
    expect(await s.namedEntities.get(ResourceType.TASK, { project: P, domain: D, name: "nope" })).toBeUndefined();
    expect(await s.namedEntities.list(ResourceType.TASK, { project: P, domain: D }, everything())).toEqual([]);
    await createVersion(s, ResourceType.TASK, "nope", "v1");
    expect((await s.namedEntities.get(ResourceType.TASK, { project: P, domain: D, name: "nope" }))?.metadata?.state).toBe(NamedEntityState.NAMED_ENTITY_ACTIVE);
  });

  it("keeps one row per name when registrations and archives arrive through the API at once", async () => {
    dialect = await open();
    // The app closes its store.
    const app = await buildApp(testConfig(), createLogger("silent"), { store: createSqlStore(dialect) });
    try {
      const admin: Client<typeof AdminService> = createClient(AdminService, createRouterTransport(app.routes, { router: { interceptors: app.interceptors } }));
      await admin.registerProject({ project: { id: PROJECT, name: PROJECT } });
      const register = (name: string, version: string) => {
        const template = pythonTask(name, {}, {});
        template.id = taskId(name, version);
        return admin.createTask({ id: template.id, spec: create(TaskSpecSchema, { template }) });
      };
      const archive = (name: string) =>
        admin
          .updateNamedEntity({ resourceType: ResourceType.TASK, id: { project: PROJECT, domain: DOMAIN, name }, metadata: { state: NamedEntityState.NAMED_ENTITY_ARCHIVED } })
          .then(() => true, () => false);
      const calls: Promise<unknown>[] = [];
      for (let v = 0; v < 4; v++) for (let n = 0; n < 6; n++) calls.push(register(`wf.t${n}`, `v${v}`), archive(`wf.t${n}`));
      await Promise.all(calls);
      expect([...(await rowsPerName(dialect, ResourceType.TASK)).values()]).toEqual(Array(6).fill(1));
      // Now that every name exists, archiving one always succeeds, and the console's filter hides it.
      expect(await archive("wf.t0")).toBe(true);
      await register("wf.t0", "v9");
      const active = await admin.listNamedEntities({ resourceType: ResourceType.TASK, project: PROJECT, domain: DOMAIN, limit: 100, filters: "eq(state,0)", sortBy: { key: "name", direction: Sort_Direction.ASCENDING } });
      expect(active.entities.map((e) => e.id?.name)).not.toContain("wf.t0");
      const all = await admin.listNamedEntities({ resourceType: ResourceType.TASK, project: PROJECT, domain: DOMAIN, limit: 100 });
      expect(all.entities.map((e) => e.id?.name)).toEqual(Array.from({ length: 6 }, (_, n) => `wf.t${n}`));
    } finally {
      await app.close();
    }
  });
});
