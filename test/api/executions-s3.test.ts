import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { inMemoryAdmin } from "../helpers/app.js";
import { startS3Server, TEST_BUCKET, TEST_CREDENTIALS, type TestS3Server } from "../blob/s3-server.js";
import { loadFlytekitPackage, registerPackage } from "../fixtures/flytekit.js";

/** The server configured with an s3:// storage location keeps execution inputs in the bucket. */
const P = "flytesnacks";
const D = "development";
let s3: TestS3Server;
let app: App;
let admin: Awaited<ReturnType<typeof inMemoryAdmin>>["admin"];

beforeAll(async () => {
  s3 = await startS3Server();
  ({ app, admin } = await inMemoryAdmin({
    storage: `s3://${TEST_BUCKET}/flyte`,
    s3Endpoint: s3.endpoint,
    s3ForcePathStyle: "true",
    s3AccessKeyId: TEST_CREDENTIALS.accessKeyId,
    s3SecretAccessKey: TEST_CREDENTIALS.secretAccessKey,
  }));
  await admin.registerProject({ project: { id: P, name: P } });
  const pkg = loadFlytekitPackage("hello", P, D, "v1");
  await registerPackage(admin, pkg);
});
afterAll(async () => {
  await app?.close();
  await s3?.stop();
});

describe("executions with S3 blob storage", () => {
  it("stores inputs under s3://bucket/prefix/metadata/... and reads them back", async () => {
    const lp = loadFlytekitPackage("hello", P, D, "v1").launchPlans[0]!.id;
    const { id } = await admin.createExecution({ project: P, domain: D, name: "on-s3", spec: { launchPlan: lp }, inputs: {} });
    const stored = await app.store.executions.get({ project: P, domain: D, name: "on-s3" });
    expect(stored?.inputsUri).toBe(`s3://${TEST_BUCKET}/flyte/metadata/${P}/${D}/on-s3/inputs`);
    const data = await admin.getExecutionData({ id });
    const literal = data.fullInputs?.literals.name?.value;
    expect(literal?.case === "scalar" && literal.value.value.case === "primitive" && literal.value.value.value.value.value).toBe("world");
  });
});
