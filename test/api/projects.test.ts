import { failure as rejection } from "../helpers/rpc-failure.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Sort_Direction } from "../../gen/flyteidl/admin/common_pb.js";
import { Project_ProjectState as State } from "../../gen/flyteidl/admin/project_pb.js";
import type { App } from "../../src/app.js";
import { inMemoryAdmin } from "../helpers/app.js";

type Admin = Awaited<ReturnType<typeof inMemoryAdmin>>["admin"];


const DOMAINS = [
  { id: "development", name: "development" },
  { id: "staging", name: "staging" },
  { id: "production", name: "production" },
];

describe("projects", () => {
  let app: App;
  let admin: Admin;
  beforeEach(async () => ({ app, admin } = await inMemoryAdmin()));
  afterEach(() => app.close());

  it("registers a project once (FlyteAdmin scenario 1)", async () => {
    expect(await admin.registerProject({ project: { id: "alpha", name: "alpha" } })).toMatchObject({});
    expect(await rejection(admin.registerProject({ project: { id: "alpha", name: "alpha" } }))).toEqual({
      code: "AlreadyExists",
      message: 'value with matching already exists (duplicate key value violates unique constraint "projects_pkey")',
    });
  });

  it("validates registration (scenario 2)", async () => {
    expect(await rejection(admin.registerProject({ project: { id: "Bad_ID", name: "x" } }))).toMatchObject({
      code: "InvalidArgument",
      message: expect.stringMatching(/^invalid project id \[Bad_ID\]: \[a lowercase RFC 1123 label/),
    });
    expect(await rejection(admin.registerProject({ project: { id: "ok" } }))).toEqual({
      code: "InvalidArgument",
      message: "missing project_name",
    });
    expect(await rejection(admin.registerProject({ project: { id: "ok", name: "n", domains: [{ id: "d" }] } }))).toEqual({
      code: "InvalidArgument",
      message: "Domains are currently only set system wide. Please retry without domains included in your request.",
    });
    expect(await rejection(admin.registerProject({}))).toEqual({ code: "InvalidArgument", message: "missing project" });
  });

  it("archives a project: hidden from the default list, found by eq(state,1) and by id (scenario 3)", async () => {
    await admin.registerProject({ project: { id: "beta", name: "beta" } });
    await admin.registerProject({ project: { id: "alpha", name: "alpha", description: "first" } });
    await admin.updateProject({ id: "beta", state: State.ARCHIVED });
    const all = await admin.listProjects({});
    expect(all.projects.map((p) => p.id)).toEqual(["alpha"]);
    expect(all.projects[0]?.domains.map((d) => ({ id: d.id, name: d.name }))).toEqual(DOMAINS);
    expect((await admin.listProjects({ filters: "eq(state,1)" })).projects.map((p) => p.id)).toEqual(["beta"]);
    const beta = await admin.getProject({ id: "beta" });
    expect(beta).toMatchObject({ id: "beta", name: "beta", state: State.ARCHIVED, org: "" });
    expect(beta.domains).toHaveLength(3);
  });

  it("answers an empty ListProjects with limit 0 with token \"0\" (scenario 4)", async () => {
    expect(await admin.listProjects({ limit: 0 })).toMatchObject({ projects: [], token: "0" });
  });

  it("pages with decimal tokens and sorts as asked", async () => {
    for (const id of ["p3", "p1", "p2"]) await admin.registerProject({ project: { id, name: id } });
    const first = await admin.listProjects({ limit: 2 });
    expect([first.projects.map((p) => p.id), first.token]).toEqual([["p1", "p2"], "2"]);
    const second = await admin.listProjects({ limit: 2, token: first.token });
    expect([second.projects.map((p) => p.id), second.token]).toEqual([["p3"], ""]);
    const desc = await admin.listProjects({ sortBy: { key: "identifier", direction: Sort_Direction.DESCENDING } });
    expect(desc.projects.map((p) => p.id)).toEqual(["p3", "p2", "p1"]);
    // flytectl's own lookup by id.
    expect((await admin.listProjects({ limit: 1, filters: "eq(identifier,p2)" })).projects.map((p) => p.id)).toEqual(["p2"]);
    expect(await rejection(admin.listProjects({ token: "abc" }))).toEqual({
      code: "InvalidArgument",
      message: "invalid pagination token abc for ListProjects",
    });
    expect(await rejection(admin.listProjects({ sortBy: { key: "bogus" } }))).toEqual({
      code: "InvalidArgument",
      message: "invalid sort key 'bogus'",
    });
    expect(await rejection(admin.listProjects({ filters: "eq(workflow.name,x)" }))).toEqual({
      code: "InvalidArgument",
      message: "'w' entity is not allowed in filters",
    });
  });

  it("updates with FlyteAdmin's rules: existence first, empty strings kept, state always written", async () => {
    expect(await rejection(admin.updateProject({ id: "nope", name: "x" }))).toEqual({
      code: "NotFound",
      message: "project [nope] not found",
    });
    expect(await rejection(admin.updateProject({ id: "" }))).toEqual({ code: "InvalidArgument", message: "missing project_id" });
    await admin.registerProject({ project: { id: "gamma", name: "Gamma", description: "d", labels: { values: { a: "b" } } } });
    expect(await rejection(admin.updateProject({ id: "gamma", labels: { values: { "bad key": "v" } } }))).toMatchObject({
      code: "InvalidArgument",
      message: expect.stringMatching(/^invalid label key \[bad key\]/),
    });
    await admin.updateProject({ id: "gamma", state: State.ARCHIVED });
    expect(await admin.getProject({ id: "gamma" })).toMatchObject({ name: "Gamma", description: "d", state: State.ARCHIVED });
    expect((await admin.getProject({ id: "gamma" })).labels?.values).toEqual({ a: "b" });
    // Omitting state re-activates (it is always written), and present labels replace.
    await admin.updateProject({ id: "gamma", name: "G2", labels: { values: {} } });
    const got = await admin.getProject({ id: "gamma" });
    expect(got).toMatchObject({ name: "G2", description: "d", state: State.ACTIVE });
    expect(got.labels?.values).toEqual({});
  });

  it("gets a project or says why not", async () => {
    expect(await rejection(admin.getProject({ id: "" }))).toEqual({ code: "InvalidArgument", message: "missing project_id" });
    expect(await rejection(admin.getProject({ id: "ghost" }))).toEqual({ code: "NotFound", message: "project [ghost] not found" });
  });
});

describe("domains and version (scenario 25)", () => {
  it("lists the configured domains in order", async () => {
    const { app, admin } = await inMemoryAdmin();
    expect((await admin.getDomains({})).domains.map((d) => ({ id: d.id, name: d.name }))).toEqual(DOMAINS);
    await app.close();
    const custom = await inMemoryAdmin({ domains: "dev,prod" });
    expect((await custom.admin.getDomains({})).domains.map((d) => d.id)).toEqual(["dev", "prod"]);
    await custom.app.close();
  });

  it("reports the control plane version", async () => {
    const { app, admin } = await inMemoryAdmin();
    const { controlPlaneVersion: v } = await admin.getVersion({});
    expect(v?.Version).toMatch(/^\d+\.\d+\.\d+/);
    expect(v?.Build).toBe("unknown");
    expect(v?.BuildTime).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3} \+0000 UTC$/);
    await app.close();
  });
});
