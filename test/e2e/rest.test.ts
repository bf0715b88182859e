import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProjectsSchema } from "../../gen/flyteidl/admin/project_pb.js";
import { TaskCreateRequestSchema, TaskListSchema } from "../../gen/flyteidl/admin/task_pb.js";
import type { RunningServer } from "../../src/server.js";
import { realServer } from "../helpers/app.js";
import { loadFlytekitPackage } from "../fixtures/flytekit.js";
import { create } from "@bufbuild/protobuf";

/** FlyteAdmin's /api/v1 REST mapping on the same port, as the console and scripts call it. */
const P = "flytesnacks";
const D = "development";
let server: RunningServer;

beforeAll(async () => {
  server = await realServer();
  const res = await fetch(`${server.url}/api/v1/projects`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ project: { id: P, name: P } }),
  });
  expect(res.status).toBe(200);
});
afterAll(() => server?.close());

const get = (path: string, accept?: string) => fetch(`${server.url}${path}`, accept ? { headers: { accept } } : {});

describe("REST gateway", () => {
  it("answers in the encoding the client asks for (scenario 26)", async () => {
    const snake = await get("/api/v1/projects", "application/json");
    expect(snake.headers.get("content-type")).toBe("application/json");
    const body = (await snake.json()) as { projects: Record<string, unknown>[] };
    expect(body.projects[0]).toMatchObject({ id: P, org: "", state: "ACTIVE" });
    // Unset message fields are null, as protojson's EmitUnpopulated writes them.
    expect(body.projects[0]).toHaveProperty("labels", null);
    const camel = (await (await get("/api/v1/projects")).json()) as { projects: unknown[]; token: string };
    expect(camel).toHaveProperty("projects");
    const binary = await get("/api/v1/projects", "application/octet-stream");
    expect(binary.headers.get("content-type")).toBe("application/octet-stream");
    expect(fromBinary(ProjectsSchema, new Uint8Array(await binary.arrayBuffer())).projects[0]?.id).toBe(P);
  });

  it("registers with a protobuf body and lists with the console's query string", async () => {
    const task = loadFlytekitPackage("hello", P, D, "v1").tasks[0]!;
    const post = (contentType: string, body: Buffer | string) =>
      fetch(`${server.url}/api/v1/tasks`, { method: "POST", headers: { "content-type": contentType, accept: contentType }, body });
    const first = await post("application/octet-stream", Buffer.from(toBinary(TaskCreateRequestSchema, create(TaskCreateRequestSchema, task))));
    expect(first.status).toBe(200);
    const again = await post("application/json", JSON.stringify({ id: { ...task.id, resourceType: "TASK" }, spec: {} }));
    expect(again.status).toBe(400); // missing spec template, checked before the duplicate
    const list = await get(
      `/api/v1/tasks/${P}/${D}/${task.id.name}?filters=eq(task.name,${task.id.name})%2Beq(task.project,${P})&token=&limit=5&sort_by.direction=DESCENDING&sort_by.key=created_at`,
      "application/octet-stream",
    );
    expect(list.status).toBe(200);
    expect(fromBinary(TaskListSchema, new Uint8Array(await list.arrayBuffer())).tasks).toHaveLength(1);
    const unescaped = await get(`/api/v1/tasks/${P}/${D}?limit=10&filters=eq(version,v1)+eq(name,${task.id.name})`, "application/json");
    expect(unescaped.status).toBe(400);
    expect(((await unescaped.json()) as { message: string }).message).toBe("unrecognized filter function: eq(version,v1) eq");
  });

  it("maps errors to grpc-gateway's statuses and bodies (scenario 27)", async () => {
    const missing = await get(`/api/v1/tasks/${P}/${D}/nope/v9`, "application/json");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 5, details: [] });
    const inactive = await fetch(`${server.url}/api/v1/projects/${P}`, {
      method: "PUT",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ id: P, name: P, state: "ARCHIVED" }),
    });
    expect(inactive.status).toBe(200);
    const blocked = await fetch(`${server.url}/api/v1/project_domain_attributes/${P}/${D}`, {
      method: "PUT",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ attributes: { project: P, domain: D, matching_attributes: { execution_queue_attributes: { tags: ["a"] } } } }),
    });
    expect(blocked.status).toBe(400);
    const detail = ((await blocked.json()) as { details: { "@type": string; id: string }[] }).details[0];
    expect(detail).toEqual({ "@type": "type.googleapis.com/flyteidl.admin.InactiveProject", id: P });
    expect((await get("/api/v1/nothing-here")).status).toBe(404);
    expect((await fetch(`${server.url}/api/v1/version`, { method: "DELETE" })).status).toBe(501);
    expect((await get("/config/v1/flyte_client", "application/json")).status).toBe(501);
    const version = (await (await get("/api/v1/version", "application/json")).json()) as { control_plane_version: { Version: string } };
    expect(version.control_plane_version.Version).toBeTruthy();
    expect((await get("/healthcheck")).status).toBe(200);
  });

  it("splits and decodes paths and queries as grpc-gateway does", async () => {
    // An empty segment is still a value: the handler reports it missing.
    const empty = await get(`/api/v1/tasks/${P}/${D}//v1`, "application/json");
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { message: string }).message).toBe("missing name");
    // The path is decoded before it is split, so an escaped slash is a separator and nothing matches.
    const slash = await get(`/api/v1/projects/a%2Fb`, "application/json");
    expect([slash.status, await slash.json()]).toEqual([404, { code: 5, message: "Not Found", details: [] }]);
    expect((await get(`/api/v1/projects/${P.replace("s", "%73")}`)).status).toBe(200);
    // Go's url.ParseQuery refuses `;` separators and bad escapes.
    const semicolon = await get("/api/v1/projects?limit=1;token=x", "application/json");
    expect([semicolon.status, ((await semicolon.json()) as { message: string }).message]).toEqual([400, "invalid semicolon separator in query"]);
    expect((await get("/api/v1/projects?token=%zz")).status).toBe(400);
  });

  it("reads path and query parameters by Go's rules, failing with grpc-gateway's messages", async () => {
    const message = async (path: string) => {
      const res = await get(path, "application/json");
      return [res.status, ((await res.json()) as { message?: string }).message];
    };
    expect(await message("/api/v1/projects?limit=5.0")).toEqual([400, 'parsing field "limit": strconv.ParseUint: parsing "5.0": invalid syntax']);
    expect(await message("/api/v1/projects?limit=-1")).toEqual([400, 'parsing field "limit": strconv.ParseUint: parsing "-1": invalid syntax']);
    expect(await message("/api/v1/projects?limit=4294967296")).toEqual([400, 'parsing field "limit": strconv.ParseUint: parsing "4294967296": value out of range']);
    expect(await message("/api/v1/projects?sort_by.direction=UP")).toEqual([400, 'parsing field "direction": "UP" is not a valid value']);
    expect(await message("/api/v1/projects?sort_by=name")).toEqual([400, 'parsing field "sort_by": unsupported message type: "flyteidl.admin.Sort"']);
    expect(await message("/api/v1/projects?limit.x=1")).toEqual([400, 'invalid path: "limit" is not a message']);
    // A top-level enum in the path is read by runtime.Enum, a nested one like a parameter.
    expect(await message(`/api/v1/named_entities/FOO/${P}/${D}`)).toEqual([400, "type mismatch, parameter: resource_type, error: FOO is not valid"]);
    expect(await message(`/api/v1/named_entities/9/${P}/${D}`)).toEqual([400, "type mismatch, parameter: resource_type, error: 9 is not valid"]);
    expect(await message(`/api/v1/description_entities/FOO/${P}/${D}/n/v`)).toEqual([
      400,
      'type mismatch, parameter: id.resource_type, error: parsing field "resource_type": "FOO" is not a valid value',
    ]);
    expect(await message(`/api/v1/task_executions/${P}/${D}/e/n0/${P}/${D}/t/v1/x`)).toEqual([
      400,
      'type mismatch, parameter: id.retry_attempt, error: parsing field "retry_attempt": strconv.ParseUint: parsing "x": invalid syntax',
    ]);
    // Valid spellings: enum numbers, proto or JSON names, Go's boolean words; parameters for path-bound fields are skipped.
    expect((await get(`/api/v1/named_entities/0x1/${P}/${D}?limit=1&sortBy.direction=1&sort_by.key=name`)).status).toBe(200);
    expect((await get(`/api/v1/tasks/${P}/${D}/nope/v9?id.version=%zz`)).status).toBe(400);
    expect((await get(`/api/v1/tasks/${P}/${D}/nope/v9?id.version=x&id.name=y`)).status).toBe(404);
  });
});
