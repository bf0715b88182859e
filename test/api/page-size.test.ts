import { type DescMessage, type DescMethodUnary, fromJson, type JsonObject } from "@bufbuild/protobuf";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import { SignalService } from "../../gen/flyteidl/service/signal_pb.js";
import type { App } from "../../src/app.js";
import { inMemoryAdmin } from "../helpers/app.js";
import { failure } from "../helpers/rpc-failure.js";

const EXEC = { project: "p", domain: "d", name: "e1" };
const NODE = { executionId: EXEC, nodeId: "n0" };
/** A value for every field a list request may need to get past its other checks. */
const FIELDS: JsonObject = {
  id: { project: "p", domain: "d", name: "n" },
  project: "p",
  domain: "d",
  resourceType: "TASK",
  workflowExecutionId: EXEC,
  nodeExecutionId: NODE,
  taskExecutionId: { taskId: { resourceType: "TASK", project: "p", domain: "d", name: "t", version: "v" }, nodeExecutionId: NODE, retryAttempt: 0 },
};

/** Every unary method of a service whose request has a `limit`: the list RPCs. */
function listMethods(service: typeof AdminService | typeof SignalService): DescMethodUnary[] {
  return service.methods.filter((m): m is DescMethodUnary => m.methodKind === "unary" && m.input.field.limit !== undefined);
}

function request(input: DescMessage, limit: number) {
  const json: JsonObject = { limit };
  for (const field of input.fields) if (field.jsonName in FIELDS) json[field.jsonName] = FIELDS[field.jsonName]!;
  return fromJson(input, json);
}

describe("page size", () => {
  let app: App;
  let call: (method: DescMethodUnary, limit: number) => Promise<unknown>;
  let admin: ReturnType<typeof createClient<typeof AdminService>>;

  beforeAll(async () => {
    ({ app, admin } = await inMemoryAdmin());
    const transport = createRouterTransport(app.routes, { router: { interceptors: app.interceptors } });
    call = (method, limit) => transport.unary(method, undefined, undefined, undefined, request(method.input, limit), undefined);
  });
  afterAll(() => app.close());

  const methods = [...listMethods(AdminService), ...listMethods(SignalService)];

  it("covers every list RPC", () => {
    expect(methods.map((m) => m.name).sort()).toEqual([
      "ListActiveLaunchPlans",
      "ListDescriptionEntities",
      "ListExecutions",
      "ListLaunchPlanIds",
      "ListLaunchPlans",
      "ListNamedEntities",
      "ListNodeExecutions",
      "ListNodeExecutionsForTask",
      "ListProjects",
      "ListSignals",
      "ListTaskExecutions",
      "ListTaskIds",
      "ListTasks",
      "ListWorkflowIds",
      "ListWorkflows",
    ]);
  });

  // FlyteAdmin v1.16.8 accepts any uint32 limit and asks the database for that many rows.
  it.each(methods.map((m) => [m.name, m] as const))("%s refuses a limit above maxPageSize", async (_, method) => {
    for (const limit of [10_001, 1_000_000, 4_294_967_295]) {
      expect(await failure(call(method, limit))).toEqual({
        code: "InvalidArgument",
        message: `invalid value for limit: ${limit} is more than the maximum page size of 10000; ask for at most 10000 and follow the token for more`,
      });
    }
    // At the maximum the limit is no reason to refuse (the call may still fail for its own reasons).
    const atMax = await call(method, 10_000).then(
      () => "",
      (e: Error) => e.message,
    );
    expect(atMax).not.toMatch(/page size/);
  });

  it("serves the console's limit=10000 named-entity list and ListProjects' limit 0", async () => {
    await admin.registerProject({ project: { id: "p", name: "p" } });
    const entities = await admin.listNamedEntities({ resourceType: 1, project: "p", domain: "development", limit: 10_000, filters: "eq(state,0)" });
    expect(entities.entities).toEqual([]);
    expect((await admin.listProjects({ limit: 0 })).projects.map((p) => p.id)).toEqual(["p"]);
  });

  it("follows the configured maximum", async () => {
    const small = await inMemoryAdmin({ maxPageSize: "5" });
    try {
      expect((await small.admin.listProjects({ limit: 5 })).projects).toEqual([]);
      expect((await failure(small.admin.listProjects({ limit: 6 }))).message).toMatch(/6 is more than the maximum page size of 5/);
    } finally {
      await small.app.close();
    }
  });

  it("sets no maximum when configured as 0, as FlyteAdmin has none", async () => {
    const unbounded = await inMemoryAdmin({ maxPageSize: "0" });
    try {
      expect((await unbounded.admin.listExecutions({ id: { project: "p", domain: "development" }, limit: 1_000_000 })).executions).toEqual([]);
    } finally {
      await unbounded.app.close();
    }
  });
});
