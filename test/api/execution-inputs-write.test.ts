import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LaunchPlanState } from "../../gen/flyteidl/admin/launch_plan_pb.js";
import type { App } from "../../src/app.js";
import { inMemoryAdmin, testConfig } from "../helpers/app.js";
import { failure } from "../helpers/rpc-failure.js";
import { loadFlytekitPackage, registerPackage } from "../fixtures/flytekit.js";

const P = "flytesnacks";
const D = "development";
const pkg = loadFlytekitPackage("hello", P, D, "v1");
const lpId = pkg.launchPlans[0]!.id;

let app: App;
let admin: Awaited<ReturnType<typeof inMemoryAdmin>>["admin"];
let storage: string;
beforeEach(async () => {
  storage = testConfig().storage;
  ({ app, admin } = await inMemoryAdmin({ storage }));
  await admin.registerProject({ project: { id: P, name: P } });
  await registerPackage(admin, pkg);
  await admin.updateLaunchPlan({ id: lpId, state: LaunchPlanState.ACTIVE });
});
afterEach(() => app.close());

const run = (name: string) => admin.createExecution({ project: P, domain: D, name, spec: { launchPlan: lpId }, inputs: { literals: {} } });

describe("CreateExecution's input blobs", () => {
  it("are written together with the row: when they cannot be written, no execution exists and the name stays free", async () => {
    // A file where the execution's folder of inputs goes: neither blob can be stored.
    const folder = join(storage, "metadata", P, D);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, "blocked"), "in the way");
    expect(await failure(run("blocked"))).toMatchObject({ code: "Internal" });
    expect(await failure(admin.getExecution({ id: { project: P, domain: D, name: "blocked" } }))).toMatchObject({ code: "NotFound" });
    expect((await admin.listExecutions({ id: { project: P, domain: D }, limit: 10 })).executions).toEqual([]);
    expect(await app.store.executions.exists({ project: P, domain: D, name: "blocked" })).toBe(false);

    rmSync(join(folder, "blocked"));
    const { id } = await run("blocked");
    const data = await admin.getExecutionData({ id });
    expect(Object.keys(data.fullInputs?.literals ?? {})).toEqual(["name"]);
    const stored = await app.store.executions.get({ project: P, domain: D, name: "blocked" });
    expect(stored?.inputsUri).toMatch(/\/metadata\/flytesnacks\/development\/blocked\/inputs$/);
    expect(stored?.userInputsUri).toMatch(/\/metadata\/flytesnacks\/development\/blocked\/user_inputs$/);
  });
});
