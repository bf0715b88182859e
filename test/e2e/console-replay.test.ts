import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createRegistry, type DescFile, type DescMessage, fromBinary, fromJson, type JsonValue, type MessageShape, toJson } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LaunchPlanState } from "../../gen/flyteidl/admin/launch_plan_pb.js";
import { NodeExecution_Phase as NodePhase, TaskExecution_Phase as TaskPhase, WorkflowExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import { ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import { AdminService, file_flyteidl_service_admin } from "../../gen/flyteidl/service/admin_pb.js";
import { packageRoot } from "../../src/paths.js";
import type { RunningServer } from "../../src/server.js";
import { type FlytekitPackage, loadFlytekitPackage, registerPackage } from "../fixtures/flytekit.js";
import { realServer } from "../helpers/app.js";

/**
 * Every request the Flyte console made while browsing (test/fixtures/console-calls.txt),
 * replayed over HTTP/1.1 with the console's Accept header against a server
 * holding what the console was looking at: project flytesnacks, the hello
 * package registered as `wf` (wf.say_hello, wf.hello_wf, launch plan
 * wf.hello_wf v1, active), execution abc123 of that launch plan run to the
 * end by propeller's events, and a single-task run of wf.say_hello.
 */
const P = "flytesnacks";
const D = "development";
const EXEC = { project: P, domain: D, name: "abc123" };
const WORLD = { value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "stringValue", value: "world" } } } } } } as const;

interface Call {
  method: string;
  target: string;
  accept: string;
  type: string;
}

const calls: Call[] = readFileSync(join(packageRoot(), "test", "fixtures", "console-calls.txt"), "utf8")
  .split("\n")
  .flatMap((line) => {
    const m = /^(GET|POST|PUT|DELETE) (\S+)\s+\[accept=(.*) body=\d+\] -> (\w*)$/.exec(line);
    return m ? [{ method: m[1]!, target: m[2]!, accept: m[3]!, type: m[4]! }] : [];
  });

/** The recording's package was the module `wf`; the fixture's is `cfx.hello.wf`. */
function asRecorded(pkg: FlytekitPackage): FlytekitPackage {
  const rename = <T extends { $typeName: string }>(m: T): T => {
    const schema = schemaOf(m);
    return fromJson(schema, JSON.parse(JSON.stringify(toJson(schema, m)).replaceAll("cfx.hello.wf.", "wf.")) as JsonValue) as unknown as T;
  };
  const entry = <E extends { id: { $typeName: string }; spec: { $typeName: string } }>(e: E): E => ({ ...e, id: rename(e.id), spec: rename(e.spec) });
  return { tasks: pkg.tasks.map(entry), workflows: pkg.workflows.map(entry), launchPlans: pkg.launchPlans.map(entry) };
}

// Every message type the admin service's files define or import.
const withImports = (f: DescFile): DescFile[] => [f, ...f.dependencies.flatMap(withImports)];
const registry = createRegistry(...new Set(withImports(file_flyteidl_service_admin)));
function schemaOf(m: { $typeName: string }): DescMessage {
  const schema = registry.getMessage(m.$typeName);
  if (!schema) throw new Error(`unknown message ${m.$typeName}`);
  return schema;
}

let server: RunningServer;
let admin: Client<typeof AdminService>;
beforeAll(async () => {
  server = await realServer();
  admin = createClient(AdminService, createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" }));
  await admin.registerProject({ project: { id: P, name: P } });
  const pkg = asRecorded(loadFlytekitPackage("hello", P, D, "v1"));
  await registerPackage(admin, pkg);
  const lp = pkg.launchPlans[0]!.id;
  const task = pkg.tasks[0]!.id;
  expect([lp.name, task.name, lp.version]).toEqual(["wf.hello_wf", "wf.say_hello", "v1"]);
  await admin.updateLaunchPlan({ id: lp, state: LaunchPlanState.ACTIVE });
  await admin.createExecution({ ...EXEC, spec: { launchPlan: lp }, inputs: {} });
  await playHelloWorld(task);
  await admin.createExecution({ project: P, domain: D, name: "task-run", spec: { launchPlan: { ...task, resourceType: ResourceType.TASK } }, inputs: { literals: { name: WORLD } } });
});
afterAll(() => server?.close());

/** propeller's events for one successful hello-world run of abc123. */
async function playHelloWorld(taskId: FlytekitPackage["tasks"][number]["id"]): Promise<void> {
  const t0 = Date.parse("2026-03-01T12:00:00Z");
  const at = (s: number) => timestampFromDate(new Date(t0 + s * 1000));
  const wf = (phase: Phase, s: number) => admin.createWorkflowEvent({ event: { executionId: EXEC, phase, occurredAt: at(s), producerId: "propeller" } });
  const node = (nodeId: string, phase: NodePhase, s: number) =>
    admin.createNodeEvent({ event: { id: { nodeId, executionId: EXEC }, phase, occurredAt: at(s), producerId: "propeller", specNodeId: nodeId, eventVersion: 2 } });
  const task = (phase: TaskPhase, s: number) =>
    admin.createTaskEvent({ event: { taskId, parentNodeExecutionId: { nodeId: "n0", executionId: EXEC }, phase, occurredAt: at(s), producerId: "propeller", taskType: "python-task" } });
  await wf(Phase.RUNNING, 0);
  await node("start-node", NodePhase.SUCCEEDED, 1);
  await node("n0", NodePhase.RUNNING, 2);
  await task(TaskPhase.RUNNING, 3);
  await task(TaskPhase.SUCCEEDED, 5);
  await node("n0", NodePhase.SUCCEEDED, 6);
  await node("end-node", NodePhase.SUCCEEDED, 7);
  await wf(Phase.SUCCEEDED, 8);
}

/** The first repeated field of a list message (`projects`, `executions`, `entities`...), if it has one. */
function items(schema: DescMessage, message: MessageShape<DescMessage>): unknown[] | undefined {
  const list = schema.fields.find((f) => f.fieldKind === "list");
  return list ? ((message as Record<string, unknown>)[list.localName] as unknown[]) : undefined;
}

// Lookups that find nothing in this data, as they would in FlyteAdmin: the
// launch plan has no schedule, and no execution was scheduled.
const EMPTY = [/ne\(schedule_type,NONE\)/, /eq\(mode,1\)/];

describe("the console's recorded requests", () => {
  it("are all replayed", () => {
    const recorded = readFileSync(join(packageRoot(), "test", "fixtures", "console-calls.txt"), "utf8").match(/^GET /gm);
    expect(calls).toHaveLength(recorded!.length);
  });

  it.each(calls.map((c, i) => [`${i + 1}: ${c.method} ${c.target}`, c] as const))("%s", async (_name, call) => {
    const res = await fetch(`${server.url}${call.target}`, { method: call.method, headers: { accept: call.accept } });
    if (call.target === "/me") {
      // Authentication is off: FlyteAdmin has no IdentityService to answer with.
      expect(res.status).toBe(501);
      expect(res.headers.get("content-type")).toBe("application/json");
      expect(await res.json()).toEqual({ code: 12, message: "unknown service flyteidl.service.IdentityService", details: [] });
      return;
    }
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    const schema = registry.getMessage(`flyteidl.admin.${call.type}`);
    expect(schema, call.type).toBeDefined();
    const message = fromBinary(schema!, new Uint8Array(await res.arrayBuffer()));
    const list = items(schema!, message);
    if (list === undefined) expect((message as { id?: unknown }).id).toBeDefined();
    else if (EMPTY.some((e) => e.test(call.target))) expect(list).toHaveLength(0);
    else expect(list.length).toBeGreaterThan(0);
  });
});
