import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { create, toJson } from "@bufbuild/protobuf";
import { ExecutionCreateRequestSchema, ExecutionState } from "../../gen/flyteidl/admin/execution_pb.js";
import { LaunchPlanState } from "../../gen/flyteidl/admin/launch_plan_pb.js";
import { signToken } from "../fixtures/oidc-issuer.js";
import { loadFlytekitPackage, registerPackage } from "../fixtures/flytekit.js";
import { type AuthTestServer, CLIENT_ID, PUBLIC_URL, selfAuth, startAuthServer } from "../helpers/auth-server.js";

/**
 * The caller is recorded where FlyteAdmin records it (spec §1.3.4): the
 * execution's spec.metadata.principal and `user` column (the console's "only
 * my executions" filter), state_change_details.principal and
 * abort_metadata.principal. Scenario 14: with disableForHttp, REST calls
 * without a token are anonymous (principal "") while gRPC still needs one.
 */
const P = "flytesnacks";
const D = "development";
const pkg = loadFlytekitPackage("hello", P, D, "v1");
const lpId = pkg.launchPlans[0]!.id;
const inputs = { literals: { name: { value: { case: "scalar" as const, value: { value: { case: "primitive" as const, value: { value: { case: "stringValue" as const, value: "x" } } } } } } } };

async function seed(s: AuthTestServer, token: string) {
  const admin = s.admin("grpc", { "flyte-authorization": `Bearer ${token}` });
  await admin.registerProject({ project: { id: P, name: P } });
  await registerPackage(admin, pkg);
  await admin.updateLaunchPlan({ id: lpId, state: LaunchPlanState.ACTIVE });
  return admin;
}

describe("the principal of an authenticated caller", () => {
  let s: AuthTestServer;
  let admin: Awaited<ReturnType<typeof seed>>;
  beforeAll(async () => {
    s = await startAuthServer();
    admin = await seed(s, await s.token());
  });
  afterAll(() => s?.close());

  it("is recorded on create, listed by the user filter, and on update, terminate and relaunch", async () => {
    const { id } = await admin.createExecution({ project: P, domain: D, name: "mine", spec: { launchPlan: lpId }, inputs });
    const created = await admin.getExecution({ id });
    expect(created.spec?.metadata?.principal).toBe(CLIENT_ID);
    expect(created.closure?.stateChangeDetails?.principal).toBe(CLIENT_ID);

    const alice = s.admin("connect", { authorization: `Bearer ${await signToken({ iss: PUBLIC_URL, aud: PUBLIC_URL, sub: "alice" }, s.signingKey!)}` });
    await alice.createExecution({ project: P, domain: D, name: "alices", spec: { launchPlan: lpId }, inputs });
    const mine = await admin.listExecutions({ id: { project: P, domain: D }, limit: 10, filters: `eq(user,${CLIENT_ID})` });
    expect(mine.executions.map((e) => e.id?.name)).toEqual(["mine"]);
    expect((await admin.listExecutions({ id: { project: P, domain: D }, limit: 10, filters: "eq(user,alice)" })).executions.map((e) => e.id?.name)).toEqual(["alices"]);

    await alice.updateExecution({ id, state: ExecutionState.EXECUTION_ARCHIVED });
    const updated = await admin.getExecution({ id });
    expect(updated.closure?.stateChangeDetails).toMatchObject({ state: ExecutionState.EXECUTION_ARCHIVED, principal: "alice" });

    await alice.terminateExecution({ id: { project: P, domain: D, name: "alices" }, cause: "no longer needed" });
    const aborted = await admin.getExecution({ id: { project: P, domain: D, name: "alices" } });
    const result = aborted.closure?.outputResult;
    expect(result?.case === "abortMetadata" ? result.value : undefined).toMatchObject({ cause: "no longer needed", principal: "alice" });

    const { id: again } = await admin.relaunchExecution({ id, name: "again" });
    expect((await admin.getExecution({ id: again })).spec?.metadata?.principal).toBe(CLIENT_ID);
  });
});

describe("scenario 14: disableForHttp", () => {
  let s: AuthTestServer;
  beforeAll(async () => {
    s = await startAuthServer({ auth: selfAuth({ disableForHttp: true }) });
    await seed(s, await s.token());
  });
  afterAll(() => s?.close());

  const createByRest = (name: string, headers: Record<string, string> = {}) =>
    fetch(`${s.server.url}/api/v1/executions`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", ...headers },
      body: JSON.stringify(toJson(ExecutionCreateRequestSchema, create(ExecutionCreateRequestSchema, { project: P, domain: D, name, spec: { launchPlan: lpId }, inputs }))),
    });

  it("REST without a token succeeds with principal \"\"; with a valid token it records the caller; gRPC still needs a token", async () => {
    expect((await createByRest("anonymous")).status).toBe(200);
    expect((await createByRest("signed", { authorization: `Bearer ${await s.token()}` })).status).toBe(200);
    // A refused token on REST is let through anonymous too, as FlyteAdmin does with enforcement off.
    expect((await createByRest("refused", { authorization: "Bearer not.a.token" })).status).toBe(200);
    const admin = s.admin("grpc", { authorization: `Bearer ${await s.token()}` });
    const principal = async (name: string) => (await admin.getExecution({ id: { project: P, domain: D, name } })).spec?.metadata?.principal;
    expect(await principal("anonymous")).toBe("");
    expect(await principal("signed")).toBe(CLIENT_ID);
    expect(await principal("refused")).toBe("");
    try {
      await s.admin("grpc").listExecutions({ id: { project: P, domain: D }, limit: 1 });
      expect.fail("gRPC without a token was accepted");
    } catch (e) {
      expect(ConnectError.from(e).code).toBe(Code.Unauthenticated);
    }
    // An anonymous /me is empty, as in FlyteAdmin.
    expect(await (await fetch(`${s.server.url}/me`, { headers: { accept: "application/json" } })).json()).toMatchObject({ subject: "" });
  });
});
