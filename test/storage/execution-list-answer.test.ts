import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { ExecutionClosureSchema, ExecutionListSchema, ExecutionSchema } from "../../gen/flyteidl/admin/execution_pb.js";
import { WorkflowExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import { IdentifierSchema, ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import { buildApp, type App } from "../../src/app.js";
import { createLogger } from "../../src/logger.js";
import { createSqlStore } from "../../src/storage/sql-store.js";
import type { StoredExecution } from "../../src/storage/store.js";
import { testConfig } from "../helpers/app.js";
import { backends } from "../helpers/backends.js";

const P = "p";
const D = "d";
const lp = create(IdentifierSchema, { resourceType: ResourceType.LAUNCH_PLAN, project: P, domain: D, name: "lp", version: "v1" });
const input = { literals: { x: { value: { case: "scalar" as const, value: { value: { case: "primitive" as const, value: { value: { case: "stringValue" as const, value: "in" } } } } } } } };

/** Executions as CreateExecution and the events leave them: inputs in the spec and closure, a failure with a long message. */
const stored = (name: string, i: number): StoredExecution => ({
  execution: create(ExecutionSchema, {
    id: { project: P, domain: D, name },
    spec: { launchPlan: lp, inputs: input, metadata: { principal: "me", mode: 1 }, labels: { values: { team: "a" } }, maxParallelism: 25 },
    closure: create(ExecutionClosureSchema, {
      phase: i === 0 ? Phase.FAILED : Phase.RUNNING,
      computedInputs: input,
      createdAt: timestampFromMs(1_700_000_000_000 + i * 1001),
      workflowId: { ...lp, resourceType: ResourceType.WORKFLOW },
      stateChangeDetails: { state: 0 },
      ...(i === 0 ? { outputResult: { case: "error" as const, value: { code: "E", message: "é".repeat(80), kind: 1 } } } : {}),
    }),
  }),
  launchPlan: lp,
  workflow: create(IdentifierSchema, { ...lp, resourceType: ResourceType.WORKFLOW }),
  launchEntity: "launch_plan",
  inputsUri: "",
  userInputsUri: "",
  user: "",
  cluster: "",
});

describe.each(backends)("ListExecutions answers on $name", ({ open }) => {
  let app: App | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  // PGlite takes long to start on a loaded host.
  it("answers binary and JSON callers alike: no inputs, the row's timestamps, the error message cut to 100 bytes", { timeout: 240_000 }, async () => {
    const store = createSqlStore(await open());
    app = await buildApp(testConfig(), createLogger("silent"), { store });
    for (let i = 0; i < 3; i++) await store.executions.create(stored(`e${i}`, i), []);
    const client = (useBinaryFormat: boolean) =>
      createClient(AdminService, createRouterTransport(app!.routes, { router: { interceptors: app!.interceptors }, transport: { useBinaryFormat } }));
    const req = { id: { project: P, domain: D }, limit: 2, token: "" };
    const binary = await client(true).listExecutions(req);
    const json = await client(false).listExecutions(req);

    expect(Buffer.from(toBinary(ExecutionListSchema, binary)).equals(Buffer.from(toBinary(ExecutionListSchema, json)))).toBe(true);
    expect(binary.token).toBe("2");
    expect(binary.executions.map((e) => e.id?.name)).toEqual(["e2", "e1"]);
    const next = await client(true).listExecutions({ ...req, token: "2" });
    const failed = next.executions[0]!;
    expect(failed.id?.name).toBe("e0");
    expect(failed.spec?.inputs).toBeUndefined();
    expect(failed.spec?.labels?.values).toEqual({ team: "a" });
    expect(failed.closure?.computedInputs).toBeUndefined();
    expect(failed.closure?.createdAt?.seconds).toBe(1_700_000_000n);
    const error = failed.closure?.outputResult;
    expect(error?.case === "error" && error.value.message).toBe("é".repeat(50));
    expect(Buffer.from(toBinary(ExecutionListSchema, next)).equals(Buffer.from(toBinary(ExecutionListSchema, await client(false).listExecutions({ ...req, token: "2" }))))).toBe(true);
    // A single read keeps what the list leaves out.
    const got = await client(true).getExecution({ id: { project: P, domain: D, name: "e0" } });
    expect(got.spec?.inputs?.literals.x).toBeDefined();
  });
});
