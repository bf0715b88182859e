import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type Client, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeExecution_Phase as NodePhase, TaskExecution_Phase as TaskPhase, WorkflowExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import type { RunningServer } from "../../src/server.js";
import { type FlytekitPackage, loadFlytekitPackage, registerPackage } from "../fixtures/flytekit.js";
import { type KubeApiServer, startKubeApiServer } from "../fixtures/kube-api-server.js";
import { realServer } from "../helpers/app.js";

/**
 * The hand-off to flytepropeller without a cluster: the server runs with
 * --engine k8s against the API server stand-in, and this test plays
 * propeller, reporting over gRPC what it would report for the object.
 */
const P = "flytesnacks";
const D = "development";
const NS = `${P}-${D}`;
const WF = "flyte.lyft.com/v1alpha1";

let kube: KubeApiServer;
let server: RunningServer;
let admin: Client<typeof AdminService>;
let pkg: FlytekitPackage;

beforeAll(async () => {
  kube = await startKubeApiServer();
  server = await realServer({ engine: "k8s", k8sKubeconfig: kube.kubeconfigPath, k8sClusterId: "stand-in" });
  admin = createClient(AdminService, createGrpcTransport({ baseUrl: server.url }));
  await admin.registerProject({ project: { id: P, name: P } });
  pkg = loadFlytekitPackage("hello", P, D, "v1");
  await registerPackage(admin, pkg);
});
afterAll(async () => {
  await server?.close();
  await kube?.close();
});

const at = (s: number) => timestampFromDate(new Date(Date.parse("2026-03-01T00:00:00Z") + s * 1000));

describe("--engine k8s with flytepropeller reporting over gRPC", () => {
  it("runs an execution to SUCCEEDED from propeller's events", async () => {
    const exec = { project: P, domain: D, name: "ho1" };
    await admin.createExecution({ ...exec, spec: { launchPlan: pkg.launchPlans[0]!.id }, inputs: {} });
    const object = kube.get(WF, "flyteworkflows", NS, "ho1");
    expect(object).toMatchObject({ kind: "FlyteWorkflow", metadata: { namespace: NS, finalizers: ["flyte.org/finalizer"] }, workflowMeta: { eventVersion: 2 } });
    expect((object as unknown as { executionConfig: Record<string, unknown> }).executionConfig).toHaveProperty("MaxParallelism");
    const created = await admin.getExecution({ id: exec });
    expect(created.spec?.metadata?.systemMetadata?.executionCluster).toBe("stand-in");

    const task = pkg.tasks[0]!.id;
    const node = { nodeId: "n0", executionId: exec };
    await admin.createWorkflowEvent({ event: { executionId: exec, phase: Phase.RUNNING, occurredAt: at(0), producerId: "propeller" } });
    await admin.createNodeEvent({ event: { id: node, phase: NodePhase.QUEUED, occurredAt: at(1), producerId: "propeller", specNodeId: "n0", eventVersion: 2 } });
    await admin.createNodeEvent({ event: { id: node, phase: NodePhase.RUNNING, occurredAt: at(2), producerId: "propeller", specNodeId: "n0", eventVersion: 2 } });
    await admin.createTaskEvent({ event: { taskId: task, parentNodeExecutionId: node, retryAttempt: 0, phase: TaskPhase.RUNNING, occurredAt: at(3), producerId: "propeller", taskType: "python-task" } });
    await admin.createTaskEvent({ event: { taskId: task, parentNodeExecutionId: node, retryAttempt: 0, phase: TaskPhase.SUCCEEDED, occurredAt: at(4), producerId: "propeller", taskType: "python-task" } });
    await admin.createNodeEvent({ event: { id: node, phase: NodePhase.SUCCEEDED, occurredAt: at(5), producerId: "propeller", specNodeId: "n0", eventVersion: 2 } });
    await admin.createWorkflowEvent({ event: { executionId: exec, phase: Phase.SUCCEEDING, occurredAt: at(6), producerId: "propeller" } });
    await admin.createWorkflowEvent({ event: { executionId: exec, phase: Phase.SUCCEEDED, occurredAt: at(7), producerId: "propeller" } });

    expect((await admin.getExecution({ id: exec })).closure?.phase).toBe(Phase.SUCCEEDED);
    const nodes = await admin.listNodeExecutions({ workflowExecutionId: exec, limit: 10 });
    expect(nodes.nodeExecutions.map((n) => [n.id?.nodeId, n.closure?.phase])).toEqual([["n0", NodePhase.SUCCEEDED]]);
  });

  it("terminates by deleting the object; propeller's ABORTED ends the execution", async () => {
    const exec = { project: P, domain: D, name: "ho2" };
    await admin.createExecution({ ...exec, spec: { launchPlan: pkg.launchPlans[0]!.id }, inputs: {} });
    await admin.createWorkflowEvent({ event: { executionId: exec, phase: Phase.RUNNING, occurredAt: at(0), producerId: "propeller" } });
    await admin.terminateExecution({ id: exec, cause: "no longer needed" });
    const deletes = kube.requests.filter((r) => r.method === "DELETE" && r.path === `/apis/${WF}/namespaces/${NS}/flyteworkflows/ho2`);
    expect(deletes).toHaveLength(1);
    expect(deletes[0]!.query.get("propagationPolicy")).toBe("Background");
    expect((await admin.getExecution({ id: exec })).closure?.phase).toBe(Phase.ABORTING);

    // Propeller sees the deletion mark, aborts, reports, then drops its finalizer.
    expect(kube.get(WF, "flyteworkflows", NS, "ho2")?.metadata.deletionTimestamp).toBeDefined();
    await admin.createWorkflowEvent({ event: { executionId: exec, phase: Phase.ABORTED, occurredAt: at(3), producerId: "propeller" } });
    const done = await admin.getExecution({ id: exec });
    expect(done.closure?.phase).toBe(Phase.ABORTED);
    expect(done.closure?.outputResult.case === "abortMetadata" ? done.closure.outputResult.value.cause : undefined).toBe("no longer needed");
  });

  it("creates an execution again under the same object name (409) without error", async () => {
    const exec = { project: P, domain: D, name: "ho3" };
    kube.objects.set(`${WF}/flyteworkflows/${NS}/ho3`, { apiVersion: WF, kind: "FlyteWorkflow", metadata: { name: "ho3", namespace: NS } });
    await admin.createExecution({ ...exec, spec: { launchPlan: pkg.launchPlans[0]!.id }, inputs: {} });
    const conflict = kube.requests.filter((r) => r.method === "POST" && r.path.endsWith("/flyteworkflows") && (r.body as { metadata: { name: string } }).metadata.name === "ho3");
    expect(conflict).toHaveLength(1);
    expect((await admin.getExecution({ id: exec })).closure?.phase).toBe(Phase.UNDEFINED);
  });
});
