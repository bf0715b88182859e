import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Sort_Direction } from "../../gen/flyteidl/admin/common_pb.js";
import { LaunchPlanState } from "../../gen/flyteidl/admin/launch_plan_pb.js";
import type { App } from "../../src/app.js";
import { packageRoot } from "../../src/paths.js";
import { inMemoryAdmin } from "../helpers/app.js";
import { loadFlytekitPackage, registerPackage } from "../fixtures/flytekit.js";

/**
 * The catalogue pages of the Flyte console (projects, workflows, tasks,
 * launch plans), replayed from the console's recorded requests
 * (test/fixtures/console-calls.txt) against the RPCs they map to. The REST
 * routing itself belongs to the HTTP gateway; this checks the data path with
 * the console's exact filters, sorts and limits.
 */
const P = "flytesnacks";
const D = "development";
// The recording used a package named `wf`; the fixtures are named `cfx.hello.wf`.
const rename = (s: string) => s.replaceAll("wf.hello_wf", "cfx.hello.wf.hello_wf").replaceAll("wf.say_hello", "cfx.hello.wf.say_hello");

let app: App;
let admin: Awaited<ReturnType<typeof inMemoryAdmin>>["admin"];
beforeAll(async () => {
  ({ app, admin } = await inMemoryAdmin());
  await admin.registerProject({ project: { id: P, name: P } });
  const pkg = loadFlytekitPackage("hello", P, D, "v1");
  await registerPackage(admin, pkg);
  await admin.updateLaunchPlan({ id: pkg.launchPlans[0]!.id, state: LaunchPlanState.ACTIVE });
});
afterAll(() => app?.close());

const lines = readFileSync(join(packageRoot(), "test", "fixtures", "console-calls.txt"), "utf8")
  .split("\n")
  .filter((l) => l.startsWith("GET /api/v1/") && !/executions|\/me\b|\/data\/|signals|metrics/.test(l))
  .map(rename);
const unique = [...new Set(lines)];

/** The request the console's query string describes (proto names, as the gateway reads them). */
function listFields(query: URLSearchParams) {
  const direction = query.get("sort_by.direction");
  const key = query.get("sort_by.key");
  return {
    limit: Number(query.get("limit") ?? 0),
    token: query.get("token") ?? "",
    filters: query.get("filters") ?? "",
    ...(key ? { sortBy: { key, direction: direction === "ASCENDING" ? Sort_Direction.ASCENDING : Sort_Direction.DESCENDING } } : {}),
  };
}

async function replay(line: string): Promise<{ type: string; size: number }> {
  const [, target = "", expected = ""] = /^GET (\S+).*-> (\w+)$/.exec(line) ?? [];
  const url = new URL(target, "http://console");
  const q = url.searchParams;
  const parts = url.pathname.split("/").slice(3);
  const [kind, a, b, c, d] = parts;
  let res: unknown;
  if (kind === "projects") res = await admin.listProjects({});
  else if (kind === "tasks") res = await admin.listTasks({ id: { project: a, domain: b, name: c }, ...listFields(q) });
  else if (kind === "workflows" && d) res = await admin.getWorkflow({ id: { project: a, domain: b, name: c, version: d } });
  else if (kind === "workflows") res = await admin.listWorkflows({ id: { project: a, domain: b, name: c }, ...listFields(q) });
  else if (kind === "launch_plans" && d) res = await admin.getLaunchPlan({ id: { project: a, domain: b, name: c, version: d } });
  else if (kind === "launch_plans") res = await admin.listLaunchPlans({ id: { project: a, domain: b, name: c ?? "" }, ...listFields(q) });
  else if (kind === "named_entities") res = await admin.listNamedEntities({ resourceType: Number(a), project: b, domain: c, ...listFields(q) });
  else if (kind === "description_entities") {
    res = await admin.listDescriptionEntities({ resourceType: Number(a), id: { project: b, domain: c, name: d }, ...listFields(q) });
  } else throw new Error(`no mapping for ${line}`);
  const msg = res as { $typeName: string } & Record<string, unknown>;
  const list = Object.values(msg).find(Array.isArray) as unknown[] | undefined;
  return { type: `${msg.$typeName.split(".").pop()}->${expected}`, size: list?.length ?? 1 };
}

// What the console's response type names mean in flyteidl message names.
const TYPES: Record<string, string> = {
  Projects: "Projects",
  TaskList: "TaskList",
  Workflow: "Workflow",
  WorkflowList: "WorkflowList",
  LaunchPlan: "LaunchPlan",
  LaunchPlanList: "LaunchPlanList",
  NamedEntityList: "NamedEntityList",
  DescriptionEntityList: "DescriptionEntityList",
};

describe("console catalogue pages", () => {
  it("cover the recorded requests", () => expect(unique.length).toBeGreaterThan(15));

  it.each(unique)("%s", async (line) => {
    const { type, size } = await replay(line);
    const [got, expected] = type.split("->");
    expect(got).toBe(TYPES[expected!]);
    // Every call finds the registered data (the hello package, its launch plan
    // active), except the look-up of scheduled versions: hello has no schedule.
    if (line.includes("schedule_type")) expect(size).toBe(0);
    else expect(size).toBeGreaterThan(0);
  });
});
