import { create } from "@bufbuild/protobuf";
import { afterEach, describe, expect, it } from "vitest";
import { Sort_Direction } from "../gen/flyteidl/admin/common_pb.js";
import { type Project, ProjectSchema } from "../gen/flyteidl/admin/project_pb.js";
import { PROJECT_COLUMNS } from "../src/core/entity-columns.js";
import { AdminError } from "../src/core/errors.js";
import { parseListRequest } from "../src/core/list-query.js";
import { createSqlStore } from "../src/storage/sql-store.js";
import type { Store } from "../src/storage/store.js";
import { MatchableResource, MatchingAttributesSchema } from "../gen/flyteidl/admin/matchable_resource_pb.js";
import { mergePluginOverrides, scope } from "../src/core/matchable.js";
import { openPostgres } from "../src/storage/postgres.js";
import { sampleAttributes } from "./fixtures/attributes.js";
import { backends, createTestDatabase, PG_URL } from "./helpers/backends.js";

type ProjectInit = Partial<Pick<Project, "name" | "description" | "state">> & { labels?: { values: Record<string, string> } };
const project = (id: string, over: ProjectInit = {}) => create(ProjectSchema, { id, name: id, ...over });

const list = (store: Store, req: { filters?: string; limit?: number; token?: string; sort?: [string, Sort_Direction]; only?: string[] }) =>
  store.projects.list(
    parseListRequest(
      {
        filters: req.filters ?? "",
        limit: req.limit ?? 0,
        token: req.token ?? "",
        sortBy: req.sort ? { $typeName: "flyteidl.admin.Sort", key: req.sort[0], direction: req.sort[1] } : undefined,
      },
      { scope: [PROJECT_COLUMNS], op: "ListProjects", zeroLimitMeansAll: true },
    ),
    req.only ? new Set(req.only) : undefined,
  );
const ids = async (p: Promise<{ id: string }[]>) => (await p).map((x) => x.id);

describe.each(backends)("Store on $name", ({ open }) => {
  let store: Store;
  afterEach(async () => store?.close());

  it("creates and reads projects with their labels and state", async () => {
    store = createSqlStore(await open());
    await store.projects.create(project("flytesnacks", { description: "snacks", labels: { values: { team: "ml" } }, state: 1 }));
    const got = await store.projects.get("flytesnacks");
    expect(got).toMatchObject({ id: "flytesnacks", name: "flytesnacks", description: "snacks", state: 1 });
    expect(got?.labels?.values).toEqual({ team: "ml" });
    expect(await store.projects.get("nope")).toBeUndefined();
  });

  it("refuses a duplicate id with FlyteAdmin's message and changes nothing", async () => {
    store = createSqlStore(await open());
    await store.projects.create(project("alpha", { description: "first" }));
    const dup = store.projects.create(project("alpha", { description: "second" }));
    await expect(dup).rejects.toBeInstanceOf(AdminError);
    await expect(dup).rejects.toMatchObject({
      kind: "AlreadyExists",
      message: 'value with matching already exists (duplicate key value violates unique constraint "projects_pkey")',
    });
    expect((await store.projects.get("alpha"))?.description).toBe("first");
  });

  it("updates only the fields a patch carries", async () => {
    store = createSqlStore(await open());
    await store.projects.create(project("beta", { description: "d", labels: { values: { a: "1" } } }));
    expect(await store.projects.update("beta", { state: 1, name: "Beta" })).toBe(true);
    expect(await store.projects.get("beta")).toMatchObject({ name: "Beta", description: "d", state: 1, labels: { values: { a: "1" } } });
    expect(await store.projects.update("beta", { state: 0, labels: { $typeName: "flyteidl.admin.Labels", values: {} } })).toBe(true);
    expect((await store.projects.get("beta"))?.labels?.values).toEqual({});
    expect(await store.projects.update("nope", { state: 0 })).toBe(false);
  });

  it("lists by identifier, hides archived projects unless filtered, and pages", async () => {
    store = createSqlStore(await open());
    for (const [id, state] of [["c", 0], ["a", 0], ["b", 1], ["d", 2], ["e", 3]] as const) {
      await store.projects.create(project(id, { state }));
    }
    expect(await ids(list(store, {}))).toEqual(["a", "c", "d", "e"]);
    expect(await ids(list(store, { filters: "eq(state,1)" }))).toEqual(["b"]);
    expect(await ids(list(store, { filters: "ne(identifier,zzz)" }))).toEqual(["a", "b", "c", "d", "e"]);
    expect(await ids(list(store, { limit: 2, token: "1" }))).toEqual(["c", "d"]);
    expect(await ids(list(store, { sort: ["identifier", Sort_Direction.DESCENDING] }))).toEqual(["e", "d", "c", "a"]);
  });

  it("lists only the given projects when told to, with the request's filters and page", async () => {
    store = createSqlStore(await open());
    for (const [id, state] of [["c", 0], ["a", 0], ["b", 1], ["d", 0]] as const) await store.projects.create(project(id, { state }));
    expect(await ids(list(store, { only: ["a", "b", "d", "zzz"] }))).toEqual(["a", "d"]);
    expect(await ids(list(store, { only: ["a", "b", "d"], filters: "eq(state,1)" }))).toEqual(["b"]);
    expect(await ids(list(store, { only: ["a", "b", "d"], limit: 1, token: "1" }))).toEqual(["d"]);
    expect(await ids(list(store, { only: [] }))).toEqual([]);
  });

  it("applies every filter function with bound values", async () => {
    store = createSqlStore(await open());
    await store.projects.create(project("alpha", { name: "Alpha Team", description: "100% fun" }));
    await store.projects.create(project("beta", { name: "beta team" }));
    await store.projects.create(project("gamma", { name: "Gamma", state: 2 }));
    const q = (filters: string) => ids(list(store, { filters }));
    expect(await q("contains(name,Team)")).toEqual(["alpha"]); // case-sensitive, as Postgres LIKE
    expect(await q("contains(name,team)")).toEqual(["beta"]);
    expect(await q("not_like(name,%eam)")).toEqual(["gamma"]);
    expect(await q("value_in(identifier,alpha;gamma)")).toEqual(["alpha", "gamma"]);
    expect(await q("value_not_in(identifier,alpha;gamma)")).toEqual(["beta"]);
    expect(await q("gt(state,0)")).toEqual(["gamma"]);
    expect(await q("lte(state,0)+ne(identifier,beta)")).toEqual(["alpha"]);
    expect(await q("gte(identifier,beta)+lt(identifier,gamma)")).toEqual(["beta"]);
    expect(await q("eq(name,x' OR '1'='1)")).toEqual([]);
    expect(await q("gt(created_at,2000-01-01T00:00:00Z)")).toHaveLength(3);
    expect(await q("lt(created_at,2000-01-01T00:00:00Z)")).toEqual([]);
  });

  it("sorts by timestamps with a stable tie-breaker", async () => {
    store = createSqlStore(await open());
    for (const id of ["p1", "p2", "p3"]) await store.projects.create(project(id));
    const asc = await ids(list(store, { sort: ["created_at", Sort_Direction.ASCENDING] }));
    const desc = await ids(list(store, { sort: ["created_at", Sort_Direction.DESCENDING] }));
    expect(asc).toEqual([...desc].reverse());
  });

  it("keeps concurrent writes consistent", async () => {
    store = createSqlStore(await open());
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => store.projects.create(project("race"))));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(results.filter((r) => r.status === "rejected").map((r) => (r as PromiseRejectedResult).reason.kind)).toEqual(
      Array(9).fill("AlreadyExists"),
    );
  });
});

describe.each(backends)("Attribute store on $name", ({ open }) => {
  let store: Store;
  afterEach(async () => store?.close());
  const Q = MatchableResource.EXECUTION_QUEUE;
  const key = (s: ReturnType<typeof scope>, resourceType = Q) => ({ ...s, resourceType });

  it("puts, gets, resolves, lists and deletes exactly one level", async () => {
    store = createSqlStore(await open());
    await store.attributes.put(key(scope("p")), sampleAttributes(Q, "project"));
    await store.attributes.put(key(scope("p", "d")), sampleAttributes(Q, "domain"));
    await store.attributes.put(key(scope("p", "d")), sampleAttributes(Q, "domain-2"));
    expect(await store.attributes.get(key(scope("p", "d")))).toEqual(sampleAttributes(Q, "domain-2"));
    expect(await store.attributes.get(key(scope("p", "d", "w")))).toBeUndefined();
    expect(await store.attributes.resolve(key(scope("p", "d", "w")))).toMatchObject({ project: "p", domain: "d", workflow: "" });
    expect(await store.attributes.resolve(key(scope("p", "x", "w")))).toMatchObject({ project: "p", domain: "" });
    expect(await store.attributes.resolve(key(scope("q", "d", "w")))).toBeUndefined();
    expect((await store.attributes.list(Q)).map((r) => r.domain)).toEqual(["d", ""]);
    expect(await store.attributes.list(MatchableResource.TASK_RESOURCE)).toEqual([]);
    expect(await store.attributes.delete(key(scope("p")))).toBe(true);
    expect(await store.attributes.delete(key(scope("p")))).toBe(false);
    expect((await store.attributes.list(Q)).map((r) => r.domain)).toEqual(["d"]);
  });

  it("merges concurrent writers without losing one", async () => {
    store = createSqlStore(await open());
    const P = MatchableResource.PLUGIN_OVERRIDE;
    const override = (taskType: string) =>
      create(MatchingAttributesSchema, { target: { case: "pluginOverrides", value: { overrides: [{ taskType, pluginId: ["x"] }] } } });
    const types = Array.from({ length: 12 }, (_, i) => `type-${i}`);
    await Promise.all(types.map((t) => store.attributes.put(key(scope("p", "d"), P), override(t), mergePluginOverrides)));
    const stored = await store.attributes.get(key(scope("p", "d"), P));
    const got = stored?.target.case === "pluginOverrides" ? stored.target.value.overrides.map((o) => o.taskType) : [];
    expect(got.sort()).toEqual([...types].sort());
  });
});

describe.runIf(PG_URL)("PostgreSQL server", () => {
  it("lets several replicas migrate one empty database at once (advisory lock)", async () => {
    const db = await createTestDatabase();
    try {
      const replicas = await Promise.all([1, 2, 3, 4].map(() => openPostgres(db.url, { poolSize: 2 })));
      const store = createSqlStore(replicas[0]!);
      await store.projects.create(project("after-migration"));
      expect((await createSqlStore(replicas[3]!).projects.get("after-migration"))?.id).toBe("after-migration");
      await Promise.all(replicas.map((r) => r.close()));
    } finally {
      await db.drop();
    }
  });
});
