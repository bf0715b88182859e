import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { realServer } from "../helpers/app.js";

/** GET /api/v1/openapi: the swagger 2.0 document FlyteAdmin serves, generated from the served descriptors. */
type Schema = { type?: string; format?: string; $ref?: string; enum?: string[]; items?: Schema; properties?: Record<string, Schema>; additionalProperties?: Schema };
type Parameter = Schema & { name: string; in: string; required: boolean; schema?: Schema; collectionFormat?: string };
type Operation = { operationId: string; parameters?: Parameter[]; responses: Record<string, { schema?: Schema }>; tags: string[] };
type Doc = { swagger: string; paths: Record<string, Record<string, Operation>>; definitions: Record<string, Schema> };

let server: RunningServer;
let doc: Doc;
beforeAll(async () => {
  server = await realServer();
  const res = await fetch(`${server.url}/api/v1/openapi`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("application/json");
  doc = JSON.parse(await res.text()) as Doc;
});
afterAll(() => server?.close());

const TASK_PATH = "/api/v1/tasks/{id.project}/{id.domain}/{id.name}/{id.version}";

describe("GET /api/v1/openapi", () => {
  it("lists every REST route with grpc-gateway's operation ids, parameters and response refs", () => {
    expect(doc.swagger).toBe("2.0");
    const get = doc.paths[TASK_PATH]!.get!;
    expect(get.operationId).toBe("AdminService_GetTask");
    expect(get.responses["200"]!.schema).toEqual({ $ref: "#/definitions/adminTask" });
    expect(get.responses.default!.schema).toEqual({ $ref: "#/definitions/googlerpcStatus" });
    expect(get.parameters!.filter((p) => p.in === "path").map((p) => p.name)).toEqual(["id.project", "id.domain", "id.name", "id.version"]);
    expect(get.parameters!.find((p) => p.name === "id.resource_type")).toMatchObject({ in: "query", type: "string", enum: ["UNSPECIFIED", "TASK", "WORKFLOW", "LAUNCH_PLAN", "DATASET"] });
    // An additional binding is numbered.
    expect(doc.paths["/api/v1/tasks/{id.project}/{id.domain}"]!.get!.operationId).toBe("AdminService_ListTasks2");
    const list = doc.paths["/api/v1/tasks/{id.project}/{id.domain}/{id.name}"]!.get!;
    expect(list.parameters!.filter((p) => p.in === "query").map((p) => p.name)).toEqual(["id.org", "limit", "token", "filters", "sort_by.key", "sort_by.direction"]);
    expect(list.parameters!.find((p) => p.name === "limit")).toMatchObject({ type: "integer", format: "int64" });
    // Whole-message bodies: the request itself, or, when the path binds fields, a Body definition without them.
    expect(doc.paths["/api/v1/tasks"]!.post!.parameters).toEqual([{ name: "body", in: "body", required: true, schema: { $ref: "#/definitions/flyteidladminTaskCreateRequest" } }]);
    expect(doc.paths["/api/v1/tasks"]!.post!.responses).toHaveProperty("409");
    const update = doc.paths["/api/v1/projects/{id}"]!.put!;
    expect(update.parameters!.map((p) => [p.name, p.in])).toEqual([["id", "path"], ["body", "body"]]);
    expect(Object.keys(doc.definitions.AdminServiceUpdateProjectBody!.properties!)).not.toContain("id");
    const nested = doc.definitions.AdminServiceUpdateProjectDomainAttributesBody!.properties!.attributes!;
    expect(Object.keys(nested.properties!)).toEqual(["matching_attributes", "org"]);
    expect(doc.paths["/api/v1/project_domain_attributes/{project}/{domain}"]!.delete!.operationId).toBe("AdminService_DeleteProjectDomainAttributes");
    expect(doc.paths["/me"]!.get!.operationId).toBe("IdentityService_UserInfo");
  });

  it("defines every reachable message and enum with protojson's field types", () => {
    const d = doc.definitions;
    expect(d.adminTask!.properties).toMatchObject({ id: { $ref: "#/definitions/coreIdentifier" }, closure: { $ref: "#/definitions/adminTaskClosure" } });
    expect(d.coreIdentifier!.properties!.resource_type).toEqual({ $ref: "#/definitions/coreResourceType" });
    expect(d.coreResourceType).toMatchObject({ type: "string", enum: ["UNSPECIFIED", "TASK", "WORKFLOW", "LAUNCH_PLAN", "DATASET"], default: "UNSPECIFIED" });
    expect(d.corePrimitive!.properties!.integer).toEqual({ type: "string", format: "int64" });
    expect(d.corePrimitive!.properties!.datetime).toEqual({ type: "string", format: "date-time" });
    expect(d.corePrimitive!.properties!.duration).toEqual({ type: "string" });
    expect(d.coreTaskTemplate!.properties!.custom).toEqual({ type: "object" });
    expect(d.coreTaskTemplate!.properties!.config).toEqual({ type: "object", additionalProperties: { type: "string" } });
    expect(d.adminTaskList!.properties!.tasks).toEqual({ type: "array", items: { type: "object", $ref: "#/definitions/adminTask" } });
    expect(d.coreTaskExecutionIdentifier!.properties!.retry_attempt).toEqual({ type: "integer", format: "int64" });
    expect(d.protobufAny).toEqual({ type: "object", properties: { "@type": { type: "string" } }, additionalProperties: {} });
    // Nested types carry their parent's name.
    expect(d.ProjectProjectState!.enum).toEqual(["ACTIVE", "ARCHIVED", "SYSTEM_GENERATED", "SYSTEM_ARCHIVED"]);
    expect(d.SortDirection!.enum).toEqual(["DESCENDING", "ASCENDING"]);
  });

  it("refers only to definitions it contains", () => {
    const refs = new Set<string>();
    const walk = (v: unknown) => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === "object") {
        for (const [k, x] of Object.entries(v)) k === "$ref" ? refs.add(String(x)) : walk(x);
      }
    };
    walk(doc);
    const missing = [...refs].filter((r) => !(r.replace("#/definitions/", "") in doc.definitions));
    expect(missing).toEqual([]);
    expect(Object.keys(doc.definitions).length).toBeGreaterThan(250);
  });
});
