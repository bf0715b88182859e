import { createHash } from "node:crypto";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DataProxyService } from "../../gen/flyteidl/service/dataproxy_pb.js";
import type { App } from "../../src/app.js";
import { inMemoryAdmin } from "../helpers/app.js";
import { startS3Server, TEST_BUCKET, TEST_CREDENTIALS, type TestS3Server } from "../blob/s3-server.js";
import { loadFlytekitPackage, registerPackage } from "../fixtures/flytekit.js";

/** The server configured with an s3:// storage location keeps execution inputs in the bucket and presigns S3 URLs. */
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

describe("the data proxy with S3 blob storage", () => {
  // s3rver does not check signatures, so this shows the URLs' shape and target, not AWS's verdict on them.
  it("hands out S3 presigned URLs that write and read the bucket", async () => {
    const proxy = createClient(DataProxyService, createRouterTransport(app.routes, { router: { interceptors: app.interceptors } }));
    const bytes = new TextEncoder().encode("uploaded straight to the bucket");
    const md5 = new Uint8Array(createHash("md5").update(bytes).digest());
    const named = { project: P, domain: D, filenameRoot: "s3root", filename: "f.txt" };
    const loc = await proxy.createUploadLocation({ ...named, contentMd5: md5, addContentMd5Metadata: true });
    expect(loc.signedUrl.startsWith(`${s3.endpoint}/${TEST_BUCKET}/flyte/uploads/${P}/${D}/s3root/f.txt?`)).toBe(true);
    expect(loc.signedUrl).toContain("X-Amz-Signature=");
    expect(loc.nativeUrl).toBe(`s3://${TEST_BUCKET}/flyte/uploads/${P}/${D}/s3root/f.txt`);
    expect(Object.keys(loc.headers).sort()).toEqual(["Content-MD5", "x-amz-meta-content-md5"]);
    const res = await fetch(loc.signedUrl, { method: "PUT", body: bytes, headers: loc.headers });
    expect(res.status).toBe(200);

    // The stored object's MD5 is known, so the same content may come again and other content may not.
    await proxy.createUploadLocation({ ...named, contentMd5: md5 });
    const other = new Uint8Array(createHash("md5").update("other").digest());
    await expect(proxy.createUploadLocation({ ...named, contentMd5: other })).rejects.toThrow(/file already exists at location/);

    // A fixed place signed without an MD5 may only be created: S3's conditional write refuses a replacement.
    const once = await proxy.createUploadLocation({ ...named, filename: "once.txt" });
    expect(once.headers).toEqual({ "If-None-Match": "*" });

    const down = await proxy.createDownloadLocation({ nativeUrl: loc.nativeUrl });
    expect(new Uint8Array(await (await fetch(down.signedUrl)).arrayBuffer())).toEqual(bytes);
  });
});
