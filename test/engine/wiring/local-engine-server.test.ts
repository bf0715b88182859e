import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TaskSpecSchema } from "../../../gen/flyteidl/admin/task_pb.js";
import { WorkflowSpecSchema } from "../../../gen/flyteidl/admin/workflow_pb.js";
import { TaskExecution_Phase, WorkflowExecution_Phase as Phase } from "../../../gen/flyteidl/core/execution_pb.js";
import { ResourceType } from "../../../gen/flyteidl/core/identifier_pb.js";
import { AdminService } from "../../../gen/flyteidl/service/admin_pb.js";
import type { RunningServer } from "../../../src/server.js";
import { DOMAIN, PROJECT, pythonTask, taskNode, workflow } from "../../fixtures/flyte-builders.js";
import { realServer } from "../../helpers/app.js";
import { type Admin, launchEcho, registerEchoWorkflow, waitForPhase } from "./helpers.js";

/**
 * `--engine local` wired into the real server on port 0: executions run to the
 * end, the engine's options reach the tasks it starts, task logs are linked at
 * the address the server listens on and served there, GetVersion names the engine.
 */
describe("the local engine in the real server", () => {
  let server: RunningServer;
  let admin: Admin;
  const secrets = mkdtempSync(join(tmpdir(), "flyteadmin-secrets-"));
  mkdirSync(join(secrets, "db"));
  writeFileSync(join(secrets, "db", "password"), "s3cret");

  beforeAll(async () => {
    server = await realServer({ engine: "local", engineEnv: "WIRING_VAR=wired", engineCodePaths: "/opt/wiring-code", engineSecretsDir: secrets });
    admin = createClient(AdminService, createGrpcTransport({ baseUrl: server.url }));
    await registerEchoWorkflow(admin);
  });
  afterAll(async () => {
    await server?.close();
  });

  it("runs an echo workflow to SUCCEEDED with its outputs", async () => {
    const id = await launchEcho(admin, "echo1", "hello");
    expect(await waitForPhase(admin, id, [Phase.SUCCEEDED, Phase.FAILED, Phase.ABORTED])).toBe(Phase.SUCCEEDED);
    const data = await admin.getExecutionData({ id });
    const o = data.fullOutputs?.literals.o?.value;
    expect(o?.case === "scalar" && o.value.value.case === "primitive" ? o.value.value.value.value.value : undefined).toBe("hello");
    const { nodeExecutions } = await admin.listNodeExecutions({ workflowExecutionId: id, limit: 10 });
    expect(nodeExecutions.map((n) => n.id?.nodeId).sort()).toEqual(["end-node", "n0", "start-node"]);
    expect((await admin.getExecution({ id })).spec?.metadata).toBeDefined();
  });

  it("names the engine in GetVersion", async () => {
    const { controlPlaneVersion: v } = await admin.getVersion({});
    expect(v?.Build).toBe("unknown engine=local");
    expect(v?.Version).toMatch(/^\d+\.\d+\.\d+/);
    expect(server.app.engine).toMatchObject({ kind: "local", taskSlots: availableParallelism() });
    expect(server.app.engine.runRoot).toMatch(/flyteadmin-data-[^/]+\/engine$/);
  });

  it("runs a container task with the configured environment and links its log at the server's address", async () => {
    const task = pythonTask("wiring.shell", {}, {});
    task.type = "container";
    task.target = {
      case: "container",
      value: {
        $typeName: "flyteidl.core.Container",
        image: "debian:bookworm",
        command: ["sh", "-c", 'echo "var=$WIRING_VAR path=$PYTHONPATH secret=$_FSEC_DB_PASSWORD exec=$FLYTE_INTERNAL_EXECUTION_ID"'],
        args: [],
        resources: undefined,
        env: [],
        config: [],
        ports: [],
        dataConfig: undefined,
        architecture: 0,
      },
    };
    task.securityContext = { $typeName: "flyteidl.core.SecurityContext", secrets: [{ $typeName: "flyteidl.core.Secret", group: "db", key: "password", groupVersion: "", mountRequirement: 0, envVar: "" }], tokens: [] };
    await admin.createTask({ id: task.id, spec: create(TaskSpecSchema, { template: task }) });
    const wf = workflow("wiring.shell_wf", { nodes: [taskNode("n0", task)] });
    await admin.createWorkflow({ id: wf.id, spec: create(WorkflowSpecSchema, { template: wf }) });
    const lp = { ...wf.id!, resourceType: ResourceType.LAUNCH_PLAN };
    await admin.createLaunchPlan({ id: lp, spec: { workflowId: wf.id } });
    const { id } = await admin.createExecution({ project: PROJECT, domain: DOMAIN, name: "shell1", spec: { launchPlan: lp }, inputs: {} });

    expect(await waitForPhase(admin, id!, [Phase.SUCCEEDED, Phase.FAILED, Phase.ABORTED])).toBe(Phase.SUCCEEDED);
    const { taskExecutions } = await admin.listTaskExecutions({ nodeExecutionId: { executionId: id, nodeId: "n0" }, limit: 10 });
    expect(taskExecutions.map((t) => t.closure?.phase)).toEqual([TaskExecution_Phase.SUCCEEDED]);
    const log = taskExecutions[0]!.closure!.logs[0]!;
    expect(log.uri).toBe(`${server.url}/engine/logs/${PROJECT}/${DOMAIN}/shell1/n0/0`);
    const res = await fetch(log.uri);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await res.text()).toContain("var=wired path=/opt/wiring-code");
    const text = await (await fetch(log.uri)).text();
    expect(text).toContain("secret=s3cret exec=shell1");
  });

  it("serves task logs from the run root and only there", async () => {
    const dir = join(server.app.engine.runRoot!, PROJECT, DOMAIN, "handmade", "n0", "0");
    mkdirSync(join(dir, ".engine"), { recursive: true });
    writeFileSync(join(dir, ".engine", "task.log"), "line one\nline two\n");
    const base = `${server.url}/engine/logs/${PROJECT}/${DOMAIN}`;
    const ok = await fetch(`${base}/handmade/n0/0`);
    expect([ok.status, await ok.text()]).toEqual([200, "line one\nline two\n"]);
    expect((await fetch(`${base}/handmade/n0/1`)).status).toBe(404);
    expect((await fetch(`${base}/handmade/n0/0`, { headers: { range: "bytes=9-" } })).status).toBe(206);
    // Other paths still reach the REST gateway.
    expect((await fetch(`${server.url}/api/v1/projects`, { headers: { accept: "application/json" } })).status).toBe(200);
  });
});
