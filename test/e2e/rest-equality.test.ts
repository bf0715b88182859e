import {
  create,
  type DescMessage,
  type DescMethodUnary,
  equals,
  fromBinary,
  fromJson,
  type JsonValue,
  type MessageInitShape,
  type MessageShape,
  toBinary,
  toJson,
} from "@bufbuild/protobuf";
import { BinaryReader } from "@bufbuild/protobuf/wire";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Sort_Direction } from "../../gen/flyteidl/admin/common_pb.js";
import { LaunchPlanState } from "../../gen/flyteidl/admin/launch_plan_pb.js";
import { TaskSpecSchema } from "../../gen/flyteidl/admin/task_pb.js";
import { MatchableResource } from "../../gen/flyteidl/admin/matchable_resource_pb.js";
import { NodeExecution_Phase as NodePhase, WorkflowExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import { ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import { IdentityService } from "../../gen/flyteidl/service/identity_pb.js";
import type { RunningServer } from "../../src/server.js";
import { loadFlytekitPackage } from "../fixtures/flytekit.js";
import { realServer } from "../helpers/app.js";

/**
 * One request, three ways in: FlyteAdmin's REST mapping with JSON bodies, the
 * same with protobuf bodies (as the console sends them), and Connect JSON on
 * the RPC path. All three must answer the same message, and fail with the
 * same code (REST with grpc-gateway's HTTP status for it).
 */
const P = "flytesnacks";
const D = "development";
const pkg = loadFlytekitPackage("hello", P, D, "v1");
const task = pkg.tasks[0]!;
const lp = pkg.launchPlans[0]!.id;
const wfName = pkg.workflows[0]!.id.name;
const EXEC = { project: P, domain: D, name: "e1" };
const LIMIT = 200_000;

let server: RunningServer;
beforeAll(async () => {
  server = await realServer({ maxMessageBytes: String(LIMIT) });
  await rpc(AdminService.method.registerProject, { project: { id: P, name: P } });
  for (const t of pkg.tasks) await rpc(AdminService.method.createTask, t);
  for (const w of pkg.workflows) await rpc(AdminService.method.createWorkflow, w);
  for (const l of pkg.launchPlans) await rpc(AdminService.method.createLaunchPlan, l);
  await rpc(AdminService.method.createExecution, { ...EXEC, spec: { launchPlan: lp }, inputs: {} });
  const at = (s: number) => timestampFromDate(new Date(Date.parse("2026-03-01T12:00:00Z") + s * 1000));
  const wf = (phase: Phase, s: number) => rpc(AdminService.method.createWorkflowEvent, { event: { executionId: EXEC, phase, occurredAt: at(s), producerId: "propeller" } });
  await wf(Phase.RUNNING, 0);
  await rpc(AdminService.method.createNodeEvent, {
    event: { id: { nodeId: "start-node", executionId: EXEC }, phase: NodePhase.SUCCEEDED, occurredAt: at(1), producerId: "propeller", specNodeId: "start-node", eventVersion: 2 },
  });
  await wf(Phase.SUCCEEDED, 5);
});
afterAll(() => server?.close());

type Method = DescMethodUnary<DescMessage, DescMessage>;
type Answer = { status: number; message?: MessageShape<DescMessage>; code?: Code; text?: string };

/** Connect JSON on the RPC path. */
async function rpc<I extends DescMessage, O extends DescMessage>(method: DescMethodUnary<I, O>, req: MessageInitShape<I>): Promise<Answer> {
  const res = await fetch(`${server.url}/${method.parent.typeName}/${method.name}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(toJson(method.input, create(method.input, req))),
  });
  const json = (await res.json()) as JsonValue & { code?: string; message?: string };
  if (res.status !== 200) {
    const name = json.code!.replace(/(^|_)([a-z])/g, (_m, _s, c: string) => c.toUpperCase()) as keyof typeof Code;
    return { status: res.status, code: Code[name], text: json.message };
  }
  return { status: 200, message: fromJson(method.output, json) };
}

/** FlyteAdmin's REST mapping, with JSON or protobuf bodies both ways. */
async function rest(method: Method, verb: string, path: string, req: MessageShape<DescMessage>, proto: boolean): Promise<Answer> {
  const type = proto ? "application/octet-stream" : "application/json";
  const body = verb === "GET" ? undefined : proto ? toBinary(method.input, req) : JSON.stringify(toJson(method.input, req, { useProtoFieldName: true }));
  const res = await fetch(`${server.url}${path}`, { method: verb, headers: { accept: type, "content-type": type }, body });
  expect(res.headers.get("content-type")).toBe(type);
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (res.status !== 200) {
    if (!proto) {
      const status = JSON.parse(new TextDecoder().decode(bytes)) as { code: Code; message: string };
      return { status: res.status, code: status.code, text: status.message };
    }
    return { status: res.status, ...statusOf(bytes) };
  }
  return { status: 200, message: proto ? fromBinary(method.output, bytes) : fromJson(method.output, JSON.parse(new TextDecoder().decode(bytes)) as JsonValue) };
}

/** google.rpc.Status's code and message from its wire form. */
function statusOf(bytes: Uint8Array): { code: Code; text: string } {
  const r = new BinaryReader(bytes);
  const out = { code: Code.Unknown, text: "" };
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (field === 1) out.code = r.int32();
    else if (field === 2) out.text = r.string();
    else r.skip(wire);
  }
  return out;
}

/** The three answers to one request. */
async function threeWays<I extends DescMessage, O extends DescMessage>(method: DescMethodUnary<I, O>, verb: string, path: string, init: MessageInitShape<I>) {
  const req = create(method.input, init);
  return {
    json: await rest(method as unknown as Method, verb, path, req, false),
    proto: await rest(method as unknown as Method, verb, path, req, true),
    connect: await rpc(method, init),
  };
}

function expectSameMessage(schema: DescMessage, answers: Record<string, Answer>) {
  for (const [how, a] of Object.entries(answers)) expect([how, a.status, a.text]).toEqual([how, 200, undefined]);
  expect(equals(schema, answers.json!.message!, answers.connect!.message!)).toBe(true);
  expect(equals(schema, answers.proto!.message!, answers.connect!.message!)).toBe(true);
}

describe("REST JSON, REST protobuf and Connect JSON", () => {
  it.each([
    ["GetTask", AdminService.method.getTask, `/api/v1/tasks/${P}/${D}/${task.id.name}/v1`, { id: { ...task.id } }],
    ["GetExecution", AdminService.method.getExecution, `/api/v1/executions/${P}/${D}/e1`, { id: EXEC }],
    [
      "ListExecutions with filters",
      AdminService.method.listExecutions,
      `/api/v1/executions/${P}/${D}?filters=eq(workflow.name,${wfName})%2Beq(phase,SUCCEEDED)&limit=5&sort_by.key=created_at&sort_by.direction=ASCENDING`,
      { id: { project: P, domain: D }, filters: `eq(workflow.name,${wfName})+eq(phase,SUCCEEDED)`, limit: 5, sortBy: { key: "created_at", direction: Sort_Direction.ASCENDING } },
    ],
    ["ListProjects", AdminService.method.listProjects, "/api/v1/projects", {}],
    [
      "GetNamedEntity (enum by name in the path)",
      AdminService.method.getNamedEntity,
      `/api/v1/named_entities/WORKFLOW/${P}/${D}/${wfName}`,
      { resourceType: ResourceType.WORKFLOW, id: { project: P, domain: D, name: wfName } },
    ],
    [
      "ListNamedEntities as the console asks (a pre-encoded answer)",
      AdminService.method.listNamedEntities,
      `/api/v1/named_entities/WORKFLOW/${P}/${D}?filters=eq(state,0)&limit=10000&sort_by.key=name&sort_by.direction=ASCENDING`,
      { resourceType: ResourceType.WORKFLOW, project: P, domain: D, filters: "eq(state,0)", limit: 10000, sortBy: { key: "name", direction: Sort_Direction.ASCENDING } },
    ],
    ["ListNodeExecutions", AdminService.method.listNodeExecutions, `/api/v1/node_executions/${P}/${D}/e1?limit=10`, { workflowExecutionId: EXEC, limit: 10 }],
  ] as const)("read the same: %s", async (_name, method, path, init) => {
    const answers = await threeWays(method as unknown as Method, "GET", path, init as MessageInitShape<DescMessage>);
    expectSameMessage(method.output, answers);
    expect(toBinary(method.output as DescMessage, answers.connect.message!).length).toBeGreaterThan(0);
  });

  it("register projects alike (POST)", async () => {
    const ids = ["via-json", "via-proto", "via-connect"];
    const answers = {
      json: await rest(AdminService.method.registerProject as unknown as Method, "POST", "/api/v1/projects", create(AdminService.method.registerProject.input, { project: { id: ids[0], name: "n", description: "d" } }), false),
      proto: await rest(AdminService.method.registerProject as unknown as Method, "POST", "/api/v1/projects", create(AdminService.method.registerProject.input, { project: { id: ids[1], name: "n", description: "d" } }), true),
      connect: await rpc(AdminService.method.registerProject, { project: { id: ids[2], name: "n", description: "d" } }),
    };
    expectSameMessage(AdminService.method.registerProject.output, answers);
    const stored = await Promise.all(ids.map(async (id) => (await rpc(AdminService.method.getProject, { id })).message as MessageShape<typeof AdminService.method.getProject.output>));
    for (const p of stored) expect([p.name, p.description, p.domains.length]).toEqual(["n", "d", 3]);
  });

  it("update a project alike (PUT)", async () => {
    const answers = await threeWays(AdminService.method.updateProject, "PUT", `/api/v1/projects/via-json`, { id: "via-json", name: "renamed", labels: { values: { team: "a" } } });
    expectSameMessage(AdminService.method.updateProject.output, answers);
    const p = (await rpc(AdminService.method.getProject, { id: "via-json" })).message as MessageShape<typeof AdminService.method.getProject.output>;
    expect([p.name, p.labels?.values]).toEqual(["renamed", { team: "a" }]);
  });

  it("update a named entity alike (PUT)", async () => {
    const init = { resourceType: ResourceType.WORKFLOW, id: { project: P, domain: D, name: wfName }, metadata: { description: "hello" } };
    const answers = await threeWays(AdminService.method.updateNamedEntity, "PUT", `/api/v1/named_entities/2/${P}/${D}/${wfName}`, init);
    expectSameMessage(AdminService.method.updateNamedEntity.output, answers);
    const got = (await rpc(AdminService.method.getNamedEntity, init)).message as MessageShape<typeof AdminService.method.getNamedEntity.output>;
    expect(got.metadata?.description).toBe("hello");
  });

  it("update a launch plan alike (PUT)", async () => {
    const answers = await threeWays(AdminService.method.updateLaunchPlan, "PUT", `/api/v1/launch_plans/${P}/${D}/${lp.name}/v1`, { id: lp, state: LaunchPlanState.ACTIVE });
    expectSameMessage(AdminService.method.updateLaunchPlan.output, answers);
  });

  it("delete project-domain attributes alike (DELETE with the resource type in the body)", async () => {
    const set = (resourceType: MatchableResource) =>
      rpc(AdminService.method.updateProjectDomainAttributes, {
        attributes: {
          project: P,
          domain: D,
          matchingAttributes: { target: resourceType === MatchableResource.EXECUTION_QUEUE ? { case: "executionQueueAttributes", value: { tags: ["q"] } } : { case: "executionClusterLabel", value: { value: "c" } } },
        },
      });
    const get = (resourceType: MatchableResource) => rpc(AdminService.method.getProjectDomainAttributes, { project: P, domain: D, resourceType });
    const answers: Record<string, Answer> = {};
    for (const how of ["json", "proto", "connect"] as const) {
      await set(MatchableResource.EXECUTION_QUEUE);
      await set(MatchableResource.EXECUTION_CLUSTER_LABEL);
      const init = { project: P, domain: D, resourceType: MatchableResource.EXECUTION_QUEUE };
      const req = create(AdminService.method.deleteProjectDomainAttributes.input, init);
      answers[how] =
        how === "connect"
          ? await rpc(AdminService.method.deleteProjectDomainAttributes, init)
          : await rest(AdminService.method.deleteProjectDomainAttributes as unknown as Method, "DELETE", `/api/v1/project_domain_attributes/${P}/${D}`, req, how === "proto");
      expect([(await get(MatchableResource.EXECUTION_QUEUE)).code, (await get(MatchableResource.EXECUTION_CLUSTER_LABEL)).status]).toEqual([Code.NotFound, 200]);
    }
    expectSameMessage(AdminService.method.deleteProjectDomainAttributes.output, answers);
  });

  it("create executions alike (POST)", async () => {
    const init = (name: string) => ({ project: P, domain: D, name, spec: { launchPlan: lp, metadata: { principal: "me" } }, inputs: {} });
    const method = AdminService.method.createExecution;
    const answers = {
      json: await rest(method as unknown as Method, "POST", "/api/v1/executions", create(method.input, init("x-json")), false),
      proto: await rest(method as unknown as Method, "POST", "/api/v1/executions", create(method.input, init("x-proto")), true),
      connect: await rpc(method, init("x-connect")),
    };
    for (const a of Object.values(answers)) expect(a.status).toBe(200);
    const names = Object.values(answers).map((a) => (a.message as MessageShape<typeof method.output>).id?.name);
    expect(names).toEqual(["x-json", "x-proto", "x-connect"]);
    const specs = await Promise.all(names.map(async (name) => ((await rpc(AdminService.method.getExecution, { id: { project: P, domain: D, name } })).message as MessageShape<typeof AdminService.method.getExecution.output>).spec!));
    expect(equals(AdminService.method.getExecution.output.field.spec!.message!, specs[0]!, specs[1]!)).toBe(true);
    expect(equals(AdminService.method.getExecution.output.field.spec!.message!, specs[0]!, specs[2]!)).toBe(true);
  });
});

describe("errors, with grpc-gateway's HTTP status for each code", () => {
  const cases: [string, Code, number, () => ReturnType<typeof threeWays>][] = [
    ["NOT_FOUND", Code.NotFound, 404, () => threeWays(AdminService.method.getTask, "GET", `/api/v1/tasks/${P}/${D}/nope/v9`, { id: { ...task.id, name: "nope", version: "v9" } })],
    ["ALREADY_EXISTS", Code.AlreadyExists, 409, () => threeWays(AdminService.method.createTask, "POST", "/api/v1/tasks", task)],
    [
      "INVALID_ARGUMENT",
      Code.InvalidArgument,
      400,
      () => threeWays(AdminService.method.listTasks, "GET", `/api/v1/tasks/${P}/${D}?limit=5&sort_by.key=nope`, { id: { project: P, domain: D }, limit: 5, sortBy: { key: "nope" } }),
    ],
    ["FAILED_PRECONDITION", Code.FailedPrecondition, 400, () => threeWays(AdminService.method.terminateExecution, "DELETE", `/api/v1/executions/${P}/${D}/e1`, { id: EXEC, cause: "stop" })],
    ["UNIMPLEMENTED", Code.Unimplemented, 501, () => threeWays(IdentityService.method.userInfo as unknown as DescMethodUnary<DescMessage, DescMessage>, "GET", "/me", {})],
  ];

  it.each(cases)("%s", async (_name, code, status, run) => {
    const { json, proto, connect } = await run();
    expect([json.status, json.code, proto.status, proto.code, connect.code]).toEqual([status, code, status, code, code]);
    expect(json.text).toBe(connect.text);
    expect(proto.text).toBe(connect.text);
  });

  it("RESOURCE_EXHAUSTED", async () => {
    const spec = create(TaskSpecSchema, { template: task.spec.template, description: { longDescription: { content: { case: "value", value: "x".repeat(LIMIT) } } } });
    const big = { id: task.id, spec };
    const { json, proto, connect } = await threeWays(AdminService.method.createTask, "POST", "/api/v1/tasks", big);
    expect([json.status, json.code, proto.status, proto.code, connect.code]).toEqual([429, Code.ResourceExhausted, 429, Code.ResourceExhausted, Code.ResourceExhausted]);
  });
});
