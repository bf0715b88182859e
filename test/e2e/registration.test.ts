import { create, type DescMessage, type MessageInitShape, toJson } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LaunchPlanCreateRequestSchema } from "../../gen/flyteidl/admin/launch_plan_pb.js";
import { TaskCreateRequestSchema } from "../../gen/flyteidl/admin/task_pb.js";
import { WorkflowCreateRequestSchema } from "../../gen/flyteidl/admin/workflow_pb.js";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import type { RunningServer } from "../../src/server.js";
import { realServer } from "../helpers/app.js";
import { grpcJsAdminClient } from "../helpers/grpc-js-client.js";
import { loadFlytekitPackage } from "../fixtures/flytekit.js";

/**
 * `pyflyte register` over each protocol: flytekit's real payloads are
 * registered (each protocol under its own version), read back through every
 * other one, and compile to the same closure.
 */
const P = "flytesnacks";
const D = "development";
let server: RunningServer;

/** The three calls of a registration, as one protocol makes them. */
interface Registrar {
  createTask(req: MessageInitShape<typeof TaskCreateRequestSchema>): Promise<unknown>;
  createWorkflow(req: MessageInitShape<typeof WorkflowCreateRequestSchema>): Promise<unknown>;
  createLaunchPlan(req: MessageInitShape<typeof LaunchPlanCreateRequestSchema>): Promise<unknown>;
}

/** Connect JSON with plain fetch, failing like a client library would. */
function fetchRegistrar(baseUrl: string): Registrar {
  const call = async <D extends DescMessage>(method: string, schema: D, req: MessageInitShape<D>) => {
    const res = await fetch(`${baseUrl}/flyteidl.service.AdminService/${method}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(toJson(schema, create(schema, req))),
    });
    const body = (await res.json()) as { code?: string; message?: string };
    if (res.status !== 200) throw new Error(`${body.code}: ${body.message}`);
    return body;
  };
  return {
    createTask: (req) => call("CreateTask", TaskCreateRequestSchema, req),
    createWorkflow: (req) => call("CreateWorkflow", WorkflowCreateRequestSchema, req),
    createLaunchPlan: (req) => call("CreateLaunchPlan", LaunchPlanCreateRequestSchema, req),
  };
}

let clients: Record<string, Client<typeof AdminService>>;
beforeAll(async () => {
  server = await realServer();
  const baseUrl = server.url;
  clients = {
    grpc: createClient(AdminService, createGrpcTransport({ baseUrl })),
    "grpc-web": createClient(AdminService, createGrpcWebTransport({ baseUrl, httpVersion: "1.1" })),
    "connect-binary": createClient(AdminService, createConnectTransport({ baseUrl, httpVersion: "2", useBinaryFormat: true })),
  };
  await clients.grpc!.registerProject({ project: { id: P, name: P } });
});
afterAll(() => server?.close());

describe("registration over every protocol", () => {
  const protocols = ["grpc", "grpc-web", "connect-binary", "connect-json"] as const;

  it.each(protocols)("registers flytekit's typed DAG over %s and reads it back everywhere", async (protocol) => {
    const registrar: Registrar = protocol === "connect-json" ? fetchRegistrar(server.url) : clients[protocol]!;
    const pkg = loadFlytekitPackage("typed_dag", P, D, `v-${protocol}`);
    for (const t of pkg.tasks) await registrar.createTask(t);
    for (const w of pkg.workflows) await registrar.createWorkflow(w);
    for (const lp of pkg.launchPlans) await registrar.createLaunchPlan(lp);
    // flytekit treats ALREADY_EXISTS as success when it registers again.
    const again = await clients.grpc!.createTask(pkg.tasks[0]!).catch((e: unknown) => ConnectError.from(e));
    expect((again as ConnectError).code).toBe(Code.AlreadyExists);

    const wfId = pkg.workflows[0]!.id;
    const closures = await Promise.all(Object.values(clients).map(async (c) => (await c.getWorkflow({ id: wfId })).closure?.compiledWorkflow));
    for (const closure of closures) expect(closure).toEqual(closures[0]);
    const connections = closures[0]?.primary?.connections;
    expect(Object.keys(connections?.upstream ?? {}).length).toBeGreaterThan(3);

    const grpcJs = grpcJsAdminClient(`127.0.0.1:${server.port}`);
    try {
      const { project, domain, name, version } = pkg.launchPlans[0]!.id;
      const viaGrpcJs = (await grpcJs.call("GetLaunchPlan", { id: { resource_type: "LAUNCH_PLAN", project, domain, name, version } })) as {
        closure: { state: string; expected_inputs: { parameters: Record<string, unknown> } };
      };
      expect(viaGrpcJs.closure.state).toBe("INACTIVE");
      expect(Object.keys(viaGrpcJs.closure.expected_inputs.parameters).sort()).toEqual(["a", "f", "flag", "s", "weights", "when", "xs"]);
    } finally {
      grpcJs.close();
    }
  });
});

describe("executions over the wire", () => {
  it("launch through an independent gRPC client and read back everywhere", async () => {
    const pkg = loadFlytekitPackage("hello", P, D, "v-exec");
    for (const t of pkg.tasks) await clients.grpc!.createTask(t);
    for (const w of pkg.workflows) await clients.grpc!.createWorkflow(w);
    for (const lp of pkg.launchPlans) await clients.grpc!.createLaunchPlan(lp);
    const { project, domain, name, version } = pkg.launchPlans[0]!.id;
    const grpcJs = grpcJsAdminClient(`127.0.0.1:${server.port}`);
    try {
      const created = (await grpcJs.call("CreateExecution", {
        project: P,
        domain: D,
        name: "wire-run",
        spec: { launch_plan: { resource_type: "LAUNCH_PLAN", project, domain, name, version }, metadata: { principal: "sdk" } },
        inputs: { literals: { name: { scalar: { primitive: { string_value: "wire" } } } } },
      })) as { id: { name: string } };
      expect(created.id.name).toBe("wire-run");
    } finally {
      grpcJs.close();
    }
    for (const c of Object.values(clients)) {
      const data = await c.getExecutionData({ id: { project: P, domain: D, name: "wire-run" } });
      const literal = data.fullInputs?.literals.name?.value;
      expect(literal?.case === "scalar" && literal.value.value.case === "primitive" && literal.value.value.value.value.value).toBe("wire");
    }
    const listed = await clients["grpc-web"]!.listExecutions({ id: { project: P, domain: D }, limit: 10, filters: `eq(launch_plan.name,${name})` });
    expect(listed.executions.map((e) => e.id?.name)).toEqual(["wire-run"]);
  });
});
