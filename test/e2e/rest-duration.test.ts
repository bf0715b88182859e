import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeExecution_Phase as NodePhase, WorkflowExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import type { RunningServer } from "../../src/server.js";
import { loadFlytekitPackage, registerPackage } from "../fixtures/flytekit.js";
import { realServer } from "../helpers/app.js";

/** The console's Duration filter over REST: `lt(duration,3600)` on the executions table and on an execution's node list. */
const P = "flytesnacks";
const D = "development";
const at = (s: number) => timestampFromDate(new Date(Date.parse("2026-02-01T00:00:00Z") + s * 1000));
let server: RunningServer;

beforeAll(async () => {
  server = await realServer();
  const admin = createClient(AdminService, createRouterTransport(server.app.routes, { router: { interceptors: server.app.interceptors } }));
  await admin.registerProject({ project: { id: P, name: P } });
  const pkg = loadFlytekitPackage("hello", P, D, "v1");
  await registerPackage(admin, pkg);
  for (const [name, seconds] of [["short", 30], ["long", 7200]] as const) {
    const id = { project: P, domain: D, name };
    await admin.createExecution({ ...id, spec: { launchPlan: pkg.launchPlans[0]!.id }, inputs: {} });
    await admin.createWorkflowEvent({ event: { executionId: id, phase: Phase.RUNNING, occurredAt: at(0), producerId: "propeller" } });
    await admin.createWorkflowEvent({ event: { executionId: id, phase: Phase.SUCCEEDED, occurredAt: at(seconds), producerId: "propeller" } });
  }
  const node = (nodeId: string, phase: NodePhase, s: number) =>
    admin.createNodeEvent({ event: { id: { nodeId, executionId: { project: P, domain: D, name: "long" } }, phase, occurredAt: at(s), producerId: "propeller", specNodeId: nodeId } });
  await node("n0", NodePhase.RUNNING, 1);
  await node("n0", NodePhase.SUCCEEDED, 7001);
  await node("n1", NodePhase.RUNNING, 2);
  await node("n1", NodePhase.SUCCEEDED, 12);
});
afterAll(() => server?.close());

const getJson = async (path: string) => {
  const res = await fetch(`${server.url}${path}`, { headers: { accept: "application/json" } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
const names = (body: Record<string, unknown>, list: string) => ((body[list] ?? []) as { id: { name?: string; node_id?: string } }[]).map((e) => e.id.name ?? e.id.node_id);

describe("REST duration filters", () => {
  it("filters the executions table as the console asks", async () => {
    const { status, body } = await getJson(`/api/v1/executions/${P}/${D}?limit=25&filters=lt(duration,3600)&sort_by.key=created_at&sort_by.direction=DESCENDING`);
    expect(status).toBe(200);
    expect(names(body, "executions")).toEqual(["short"]);
    const sorted = await getJson(`/api/v1/executions/${P}/${D}?limit=25&sort_by.key=duration&sort_by.direction=DESCENDING`);
    expect(names(sorted.body, "executions")).toEqual(["long", "short"]);
  });

  it("filters an execution's node list", async () => {
    const { status, body } = await getJson(`/api/v1/node_executions/${P}/${D}/long?limit=25&filters=lt(duration,3600)`);
    expect(status).toBe(200);
    expect(names(body, "node_executions")).toEqual(["n1"]);
    const ranged = await getJson(`/api/v1/node_executions/${P}/${D}/long?limit=25&filters=gte(duration,1h)%2Blt(duration,2h)`);
    expect(names(ranged.body, "node_executions")).toEqual(["n0"]);
  });

  it("answers 400 with the reason for a value that is not a duration", async () => {
    const { status, body } = await getJson(`/api/v1/executions/${P}/${D}?limit=25&filters=lt(duration,abc)`);
    expect(status).toBe(400);
    expect(body.message).toBe("Failed to parse duration [abc]");
  });
});
