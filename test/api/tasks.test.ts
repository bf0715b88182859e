import { clone, create } from "@bufbuild/protobuf";
import { failure } from "../helpers/rpc-failure.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Sort_Direction } from "../../gen/flyteidl/admin/common_pb.js";
import { Project_ProjectState } from "../../gen/flyteidl/admin/project_pb.js";
import { TaskSpecSchema } from "../../gen/flyteidl/admin/task_pb.js";
import { ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import { Resources_ResourceName, ResourcesSchema } from "../../gen/flyteidl/core/tasks_pb.js";
import type { App } from "../../src/app.js";
import { inMemoryAdmin } from "../helpers/app.js";
import { loadFlytekitPackage } from "../fixtures/flytekit.js";

type Admin = Awaited<ReturnType<typeof inMemoryAdmin>>["admin"];


const P = "flytesnacks";
const D = "development";
let app: App;
let admin: Admin;
beforeEach(async () => {
  ({ app, admin } = await inMemoryAdmin());
  await admin.registerProject({ project: { id: P, name: P } });
});
afterEach(() => app.close());

const hello = (version = "v1") => loadFlytekitPackage("hello", P, D, version).tasks[0]!;
const withSpec = (version: string, edit: (spec: ReturnType<typeof hello>["spec"]) => void) => {
  const t = hello(version);
  const spec = clone(TaskSpecSchema, t.spec);
  edit(spec);
  return { id: t.id, spec };
};
const container = (spec: ReturnType<typeof hello>["spec"]) => {
  const target = spec.template!.target;
  if (target.case !== "container") throw new Error("not a container task");
  return target.value;
};

describe("CreateTask", () => {
  it("registers flytekit's task and reads it back", async () => {
    const t = hello();
    await admin.createTask(t);
    const got = await admin.getTask({ id: t.id });
    expect(got.id).toMatchObject({ resourceType: ResourceType.TASK, project: P, domain: D, name: "cfx.hello.wf.say_hello", version: "v1" });
    expect(got.closure?.compiledTask?.template?.id).toEqual(got.id);
    expect(got.closure?.compiledTask?.template?.type).toBe("python-task");
    expect(got.closure?.createdAt).toBeDefined();
    expect(got.shortDescription).toBe("Greets someone.");
    const description = await admin.getDescriptionEntity({ id: t.id });
    expect(description.shortDescription).toBe("Greets someone.");
  });

  it("answers ALREADY_EXISTS for the identical task and INVALID_ARGUMENT for a changed one (scenarios 5, 6)", async () => {
    await admin.createTask(hello());
    expect(await failure(admin.createTask(hello()))).toEqual({ code: "AlreadyExists", message: "task with identical structure already exists" });
    // Only a new description: still identical, and the description is not updated.
    const described = withSpec("v1", (s) => (s.description!.shortDescription = "new words"));
    expect((await failure(admin.createTask(described))).code).toBe("AlreadyExists");
    const changed = withSpec("v1", (s) => (container(s).image = "img:2"));
    const err = await failure(admin.createTask(changed));
    expect(err.code).toBe("InvalidArgument");
    expect(err.message).toMatch(
      /^cfx\.hello\.wf\.say_hello task with different structure already exists\. \(Please register a new version of the task\):\n\/template\/container\/image:\n\t- ghcr\.io\/flyteorg\/flytekit:py3\.11-1\.16\.0 \n\t\+ img:2$/,
    );
  });

  it("validates the identifier and the project gate (scenarios 7, 8)", async () => {
    const t = hello("v2");
    expect(await failure(admin.createTask({ ...t, id: { ...t.id, resourceType: ResourceType.UNSPECIFIED } }))).toEqual({
      code: "InvalidArgument",
      message: `unexpected resource type unspecified for identifier [project:"${P}" domain:"${D}" name:"cfx.hello.wf.say_hello" version:"v2"], expected task instead`,
    });
    expect((await failure(admin.createTask({ ...t, id: { ...t.id, version: "" } }))).message).toBe("missing version");
    expect((await failure(admin.createTask({ ...t, id: { ...t.id, project: "nope" } }))).message).toBe(
      `failed to validate that project [nope] and domain [${D}] are registered, err: [project [nope] not found]`,
    );
    expect((await failure(admin.createTask({ ...t, id: { ...t.id, domain: "qa" } }))).message).toBe("domain [qa] is unrecognized by system");
    await admin.registerProject({ project: { id: "beta", name: "beta", state: Project_ProjectState.ARCHIVED } });
    expect((await failure(admin.createTask({ ...t, id: { ...t.id, project: "beta" } }))).message).toBe("project [beta] is not active");
  });

  it("validates the template in FlyteAdmin's order", async () => {
    const cases: [(s: ReturnType<typeof hello>["spec"]) => void, string][] = [
      [(s) => (s.template = undefined), "missing spec"],
      [(s) => (s.template!.type = ""), "missing type"],
      [(s) => (s.template!.metadata = undefined), "missing metadata"],
      [(s) => (s.template!.metadata!.runtime!.version = ""), "missing runtime version"],
      [(s) => (s.template!.interface = undefined), "missing typed interface"],
      [(s) => (container(s).image = ""), "missing image"],
    ];
    for (const [edit, message] of cases) {
      expect(await failure(admin.createTask(withSpec("v3", edit)))).toEqual({ code: "InvalidArgument", message });
    }
  });

  it("checks requested resources against the platform limits (scenario 9)", async () => {
    const resources = (requests: [Resources_ResourceName, string][], limits: [Resources_ResourceName, string][] = []) =>
      withSpec("v4", (s) => {
        container(s).resources = create(ResourcesSchema, {
          requests: requests.map(([name, value]) => ({ name, value })),
          limits: limits.map(([name, value]) => ({ name, value })),
        });
      });
    const { CPU, MEMORY, GPU } = Resources_ResourceName;
    expect((await failure(admin.createTask(resources([[CPU, "3"]])))).message).toBe(
      "Requested CPU default [3] is greater than current limit set in the platform configuration [2]. Please contact Flyte Admins to change these limits or consult the configuration",
    );
    expect((await failure(admin.createTask(resources([[MEMORY, "2Gi"]], [[MEMORY, "1Gi"]])))).message).toBe(
      "Requested MEMORY default [2Gi] is greater than the limit [1Gi]. Please fix your configuration",
    );
    expect((await failure(admin.createTask(resources([[CPU, "1"]], [[CPU, "4"]])))).message).toBe(
      "Requested CPU limit [4] is greater than current limit set in the platform configuration [2]. Please contact Flyte Admins to change these limits or consult the configuration",
    );
    expect((await failure(admin.createTask(resources([[GPU, "1"]], [[GPU, "2"]])))).message).toMatch(/^For extended resource 'gpu' the default value must equal the limit value for task \[/);
    expect((await failure(admin.createTask(resources([[GPU, "0.5"]])))).message).toMatch(/^gpu for \[.*\] must be a whole number, got: 0\.5 instead$/);
    expect((await failure(admin.createTask(resources([[CPU, "1"], [CPU, "2"]])))).message).toMatch(/^can't specify CPU limit for task \[.*\] multiple times$/);
    expect((await failure(admin.createTask(resources([[CPU, "lots"]])))).message).toMatch(
      /^Parsing of CPU request failed for value lots - reason {2}quantities must match the regular expression/,
    );
    // A limit without a request is not checked; 1500m rounds up to 2, within the platform's 2.
    await admin.createTask(resources([], [[CPU, "4"]]));
    await admin.createTask(withSpec("v5", (s) => (container(s).resources = create(ResourcesSchema, { requests: [{ name: CPU, value: "1500m" }] }))));
  });

  it("reports compile errors like flytepropeller (scenario 10)", async () => {
    const noCommand = withSpec("v6", (s) => {
      container(s).args = [];
      container(s).command = [];
    });
    expect(await failure(admin.createTask(noCommand))).toEqual({
      code: "InvalidArgument",
      message: "task failed compilation with Collected Errors: 1\n\tError 0: Code: ValueRequired, Node Id: container, Description: Value required [command].\n",
    });
  });
});

describe("GetTask, ListTasks, ListTaskIds", () => {
  beforeEach(async () => {
    for (const v of ["v1", "v2", "v3"]) await admin.createTask(hello(v));
    await admin.createTask(loadFlytekitPackage("typed_dag", P, D, "v1").tasks[0]!);
  });

  it("gets a version or says which is missing (scenario 11)", async () => {
    const id = hello("v9").id;
    expect(await failure(admin.getTask({ id }))).toEqual({
      code: "NotFound",
      message: `missing entity of type TASK with identifier project:"${P}" domain:"${D}" name:"cfx.hello.wf.say_hello" version:"v9"`,
    });
    expect((await failure(admin.getTask({ id: { ...id, version: "" } }))).message).toBe("missing version");
    // An unspecified resource type is read as TASK, as FlyteAdmin's RPC layer does.
    expect((await admin.getTask({ id: { ...hello("v2").id, resourceType: ResourceType.UNSPECIFIED } })).id?.version).toBe("v2");
  });

  it("lists versions with limits, tokens, filters and sorting (scenarios 17, 18)", async () => {
    const id = { project: P, domain: D, name: "cfx.hello.wf.say_hello" };
    expect((await failure(admin.listTasks({ id: { project: P, domain: D }, limit: 0 }))).message).toBe("invalid value for limit");
    expect((await failure(admin.listTasks({ id, limit: 2, token: "abc" }))).message).toBe("invalid pagination token abc for ListTasks");
    const sortBy = { key: "version", direction: Sort_Direction.ASCENDING };
    const first = await admin.listTasks({ id, limit: 2, sortBy });
    expect([first.tasks.map((t) => t.id?.version), first.token]).toEqual([["v1", "v2"], "2"]);
    const second = await admin.listTasks({ id, limit: 2, sortBy, token: "2" });
    expect([second.tasks.map((t) => t.id?.version), second.token]).toEqual([["v3"], ""]);
    const all = await admin.listTasks({ id: { project: P, domain: D }, limit: 10 });
    expect(all.tasks).toHaveLength(4);
    const filtered = await admin.listTasks({ id: { project: P, domain: D }, limit: 10, filters: "eq(version,v1)+eq(name,cfx.hello.wf.say_hello)" });
    expect(filtered.tasks.map((t) => t.id?.version)).toEqual(["v1"]);
    expect((await failure(admin.listTasks({ id, limit: 1, filters: "eq(foo,1)" }))).message).toBe("'t.foo' is invalid filter");
    expect((await failure(admin.listTasks({ id, limit: 1, filters: "eq(workflow.name,x)" }))).message).toBe("'w' entity is not allowed in filters");
    expect((await failure(admin.listTasks({ id, limit: 1, sortBy: { key: "bogus" } }))).message).toBe("invalid sort key 'bogus'");
    expect((await failure(admin.listTasks({ limit: 1 }))).message).toBe("missing id");
  });

  it("lists distinct task names, ignoring filters (scenario 19)", async () => {
    const res = await admin.listTaskIds({ project: P, domain: D, limit: 10, sortBy: { key: "name", direction: Sort_Direction.ASCENDING }, filters: "eq(name,zzz)" });
    expect(res.entities.map((e) => e.name)).toEqual(["cfx.hello.wf.say_hello", "cfx.typed_dag.wf.scale"]);
    expect((await failure(admin.listTaskIds({ project: P, domain: D, limit: 10, sortBy: { key: "created_at" } }))).code).toBe("InvalidArgument");
    expect((await failure(admin.listTaskIds({ project: P, domain: D, limit: 1, token: "x" }))).message).toBe(
      "invalid pagination token x for ListUniqueTaskIdentifiers",
    );
  });
});
