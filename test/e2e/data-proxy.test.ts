import { createHash } from "node:crypto";
import { request } from "node:http";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeExecution_Phase as NodePhase, TaskExecution_Phase as TaskPhase } from "../../gen/flyteidl/core/execution_pb.js";
import { LiteralMapSchema } from "../../gen/flyteidl/core/literals_pb.js";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import { ArtifactType, DataProxyService } from "../../gen/flyteidl/service/dataproxy_pb.js";
import { createLocalBlobStore } from "../../src/blob/local-blob-store.js";
import type { RunningServer } from "../../src/server.js";
import { realServer, testConfig } from "../helpers/app.js";
import { failure } from "../helpers/rpc-failure.js";
import { loadFlytekitPackage, registerPackage } from "../fixtures/flytekit.js";

/**
 * DataProxyService on local storage, over the wire: what `pyflyte register`
 * does (CreateUploadLocation, then an HTTP PUT with Content-MD5 to the signed
 * URL), the signed URL's refusals, downloads, and GetData for flyte:// URLs.
 */
const P = "flytesnacks";
const D = "development";
const config = testConfig();
let server: RunningServer;
let proxy: ReturnType<typeof createClient<typeof DataProxyService>>;
let admin: ReturnType<typeof createClient<typeof AdminService>>;

beforeAll(async () => {
  // The REST test stands behind a reverse proxy on loopback, whose X-Forwarded-* headers are believed.
  server = await realServer({ dataDir: config.dataDir, storage: config.storage, trustedProxies: "127.0.0.1" });
  const transport = createGrpcTransport({ baseUrl: server.url });
  proxy = createClient(DataProxyService, transport);
  admin = createClient(AdminService, transport);
  // Uploads go to registered projects only.
  await admin.registerProject({ project: { id: P, name: P } });
  await registerPackage(admin, loadFlytekitPackage("hello", P, D, "v1"));
});
afterAll(() => server.close());

const md5 = (b: Uint8Array) => new Uint8Array(createHash("md5").update(b).digest());
const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");
const put = (url: string, body: Uint8Array, headers: Record<string, string>) => fetch(url, { method: "PUT", body, headers });

describe("the register flow", () => {
  const tarball = new TextEncoder().encode("a fast-register tarball, pretend");
  const digest = md5(tarball);
  const filename = `fast${Buffer.from(digest).toString("hex")}.tar.gz`;

  it("stores what is PUT to the signed URL at native_url", async () => {
    const loc = await proxy.createUploadLocation({ project: P, domain: D, filename, contentMd5: digest, addContentMd5Metadata: true });
    expect(loc.signedUrl.startsWith(`${server.url}/`)).toBe(true);
    expect(loc.headers).toEqual({ "Content-MD5": b64(digest) });
    // FlyteAdmin's layout under the uploads prefix: uploads/<project>/<domain>/<base32 of the MD5>/<filename>.
    expect(loc.nativeUrl).toMatch(new RegExp(`^file:///.*/uploads/${P}/${D}/[A-Z2-7]{26}======/${filename}$`));
    const expiresIn = Number(loc.expiresAt!.seconds) - Date.now() / 1000;
    expect(expiresIn).toBeGreaterThan(3590);
    expect(expiresIn).toBeLessThanOrEqual(3600);

    const res = await put(loc.signedUrl, tarball, { ...loc.headers, "Content-Length": String(tarball.length) });
    expect(res.status).toBe(200);
    const blobs = createLocalBlobStore(config.storage);
    expect(await blobs.get(blobs.keyOf(loc.nativeUrl)!)).toEqual(new Uint8Array(tarball));

    // flytekit asks again on every register; the same content gets the same place and may be PUT again.
    const again = await proxy.createUploadLocation({ project: P, domain: D, filename, contentMd5: digest, addContentMd5Metadata: true });
    expect(again.nativeUrl).toBe(loc.nativeUrl);
    expect((await put(again.signedUrl, tarball, again.headers)).status).toBe(200);
  });

  it("refuses a tampered, expired or mismatched PUT with 403 and stores nothing", async () => {
    const loc = await proxy.createUploadLocation({ project: P, domain: D, filename: "refused.txt", contentMd5: digest });
    const blobs = createLocalBlobStore(config.storage);
    const key = blobs.keyOf(loc.nativeUrl)!;
    const tampered = loc.signedUrl.replace(/signature=./, (s) => s.slice(0, -1) + (s.endsWith("A") ? "B" : "A"));
    const cases: [string, Promise<Response>, RegExp][] = [
      ["tampered signature", put(tampered, tarball, loc.headers), /signature does not match/],
      ["other key", put(loc.signedUrl.replace("refused.txt", "other.txt"), tarball, loc.headers), /signature does not match/],
      ["no Content-MD5", put(loc.signedUrl, tarball, {}), /no Content-MD5 header/],
      ["other Content-MD5", put(loc.signedUrl, tarball, { "Content-MD5": b64(md5(new Uint8Array([1]))) }), /signed for Content-MD5/],
      ["body not matching", put(loc.signedUrl, new TextEncoder().encode("other bytes"), loc.headers), /does not match Content-MD5/],
      ["GET with a PUT URL", fetch(loc.signedUrl), /signature does not match this GET/],
    ];
    for (const [what, call, message] of cases) {
      const res = await call;
      expect([what, res.status]).toEqual([what, 403]);
      expect(await res.text()).toMatch(message);
    }
    const expired = await proxy.createUploadLocation({ project: P, domain: D, filename: "refused.txt", contentMd5: digest, expiresIn: { seconds: 0n } });
    const res = await put(expired.signedUrl, tarball, expired.headers);
    expect(res.status).toBe(403);
    expect(await res.text()).toMatch(/expired at/);
    expect(await blobs.head(key)).toBeUndefined();
  });

  it("keeps a URL working until the expires_at it answered, to the millisecond", async () => {
    const loc = await proxy.createUploadLocation({ project: P, domain: D, filename: "half.txt", contentMd5: digest, expiresIn: { nanos: 500_000_000 } });
    expect(Number(loc.expiresAt!.seconds) * 1000 + loc.expiresAt!.nanos / 1e6).toBeGreaterThan(Date.now());
    expect((await put(loc.signedUrl, tarball, loc.headers)).status).toBe(200);
    expect(new URL(loc.signedUrl).searchParams.get("expires")).toBe(String(Number(loc.expiresAt!.seconds) * 1000 + loc.expiresAt!.nanos / 1e6));
  });

  it("answers 409 when a key would be a folder of another object on local storage", async () => {
    const file = await proxy.createUploadLocation({ project: P, domain: D, filenameRoot: "clash", filename: "f", contentMd5: digest });
    expect((await put(file.signedUrl, tarball, file.headers)).status).toBe(200);
    const below = await proxy.createUploadLocation({ project: P, domain: D, filenameRoot: "clash/f", filename: "g", contentMd5: digest });
    const res = await put(below.signedUrl, tarball, below.headers);
    expect(res.status).toBe(409);
    expect(await res.text()).toMatch(/clashes with another object/);
  });

  it("reads back through a signed download URL", async () => {
    const loc = await proxy.createUploadLocation({ project: P, domain: D, filenameRoot: "docs", filename: "readme.txt", contentMd5: digest });
    expect((await put(loc.signedUrl, tarball, loc.headers)).status).toBe(200);
    const down = await proxy.createDownloadLocation({ nativeUrl: loc.nativeUrl });
    const res = await fetch(down.signedUrl);
    expect(res.status).toBe(200);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(new Uint8Array(tarball));
    expect((await put(down.signedUrl, tarball, {})).status).toBe(403);
    const missing = await proxy.createDownloadLocation({ nativeUrl: loc.nativeUrl.replace("readme.txt", "absent.txt") });
    expect((await fetch(missing.signedUrl)).status).toBe(404);
    expect(await failure(proxy.createDownloadLocation({ nativeUrl: "s3://elsewhere/x" }))).toMatchObject({ code: "InvalidArgument" });
  });

  it("keeps a named location for its content: same MD5 may rewrite, another is ALREADY_EXISTS", async () => {
    const named = { project: P, domain: D, filenameRoot: "fixed", filename: "model.bin" };
    const first = await proxy.createUploadLocation({ ...named, contentMd5: digest });
    expect(first.nativeUrl).toMatch(/\/flytesnacks\/development\/fixed\/model\.bin$/);
    expect((await put(first.signedUrl, tarball, first.headers)).status).toBe(200);
    await proxy.createUploadLocation({ ...named, contentMd5: digest });
    const other = await failure(proxy.createUploadLocation({ ...named, contentMd5: md5(new Uint8Array([7])) }));
    expect(other).toEqual({ code: "AlreadyExists", message: `file already exists at location [${first.nativeUrl}], specify a matching hash if you wish to rewrite` });
    expect((await failure(proxy.createUploadLocation(named))).code).toBe("AlreadyExists");
  });

  it("validates the request as FlyteAdmin does", async () => {
    expect(await failure(proxy.createUploadLocation({ domain: D, contentMd5: digest }))).toEqual({ code: "InvalidArgument", message: "project and domain are required parameters" });
    expect(await failure(proxy.createUploadLocation({ project: P, domain: D }))).toEqual({
      code: "InvalidArgument",
      message: "content_md5 or filename_root is a required parameter",
    });
    expect(await failure(proxy.createUploadLocation({ project: P, domain: D, contentMd5: digest, expiresIn: { seconds: 7200n } }))).toEqual({
      code: "InvalidArgument",
      message: "expiresIn [2h0m0s] cannot exceed max allowed expiration [1h0m0s]",
    });
    for (const bad of [{ filenameRoot: "../up" }, { filenameRoot: "a\nb" }, { project: ".blob-tmp", filenameRoot: "r" }, { org: "..", filenameRoot: "r" }]) {
      expect([bad, (await failure(proxy.createUploadLocation({ project: P, domain: D, ...bad }))).code]).toEqual([bad, "InvalidArgument"]);
    }
    const random = await proxy.createUploadLocation({ project: P, domain: D, filenameRoot: "r" });
    expect(random.nativeUrl).toMatch(/\/r\/[bcdfghjklmnpqrstvwxz2456789]{20}$/);
    expect(random.headers).toEqual({});
  });

  it("takes large uploads up to the limit and refuses larger ones with 413", async () => {
    const big = new Uint8Array(8 * 1024 * 1024).fill(3);
    const loc = await proxy.createUploadLocation({ project: P, domain: D, filename: "big.bin", contentMd5: md5(big) });
    expect((await put(loc.signedUrl, big, loc.headers)).status).toBe(200);
    const small = await realServer({ maxUploadBytes: "1024" });
    try {
      const client = createClient(DataProxyService, createGrpcTransport({ baseUrl: small.url }));
      await createClient(AdminService, createGrpcTransport({ baseUrl: small.url })).registerProject({ project: { id: P, name: P } });
      const over = await client.createUploadLocation({ project: P, domain: D, filename: "over.bin", contentMd5: md5(big) });
      const res = await put(over.signedUrl, big, over.headers);
      expect(res.status).toBe(413);
      expect(await res.text()).toMatch(/larger than the 1024-byte limit/);
    } finally {
      await small.close();
    }
  });

  it("answers on REST with URLs on the address the caller used", async () => {
    const res = await fetch(`${server.url}/api/v1/dataproxy/artifact_urn`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ project: P, domain: D, filename: "rest.txt", content_md5: b64(digest) }),
    });
    expect(res.status).toBe(200);
    // A JSON request is answered with proto field names, as FlyteAdmin's gateway does.
    const body = (await res.json()) as { signed_url: string; native_url: string };
    expect(body.signed_url.startsWith(`${server.url}/dataproxy/blobs/`)).toBe(true);
    expect((await put(body.signed_url, tarball, { "Content-MD5": b64(digest) })).status).toBe(200);
    const proxied = await fetch(`${server.url}/api/v1/dataproxy/artifact_urn`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-host": "flyte.example.com, edge.internal", "x-forwarded-proto": "https, http" },
      body: JSON.stringify({ project: P, domain: D, filename: "rest.txt", content_md5: b64(digest) }),
    });
    expect(((await proxied.json()) as { signed_url: string }).signed_url.startsWith("https://flyte.example.com/dataproxy/blobs/")).toBe(true);
  });
});

describe("upload locations stay in their own place", () => {
  const body = new TextEncoder().encode("replacement inputs");
  const digest = md5(body);

  it("never sign a PUT onto an execution's own data", async () => {
    const pkg = loadFlytekitPackage("hello", P, D, "v1");
    await admin.createExecution({ project: P, domain: D, name: "victim", spec: { launchPlan: pkg.launchPlans[0]!.id }, inputs: {} });
    const before = await admin.getExecutionData({ id: { project: P, domain: D, name: "victim" } });
    // project=metadata, domain=<project>, filename_root=<domain>/<name> once named metadata/<p>/<d>/<name>/inputs.
    const attack = { project: "metadata", domain: P, filenameRoot: `${D}/victim`, filename: "inputs", contentMd5: digest };
    expect(await failure(proxy.createUploadLocation(attack))).toEqual({
      code: "InvalidArgument",
      message: `failed to validate that project [metadata] and domain [${P}] are registered, err: [project [metadata] not found]`,
    });
    // Even a registered project named "metadata" uploads into the uploads prefix, never beside the server's data.
    await admin.registerProject({ project: { id: "metadata", name: "metadata" } });
    const loc = await proxy.createUploadLocation({ ...attack, domain: D, filenameRoot: `${P}/${D}/victim` });
    expect(loc.nativeUrl).toMatch(/\/uploads\/metadata\/development\/flytesnacks\/development\/victim\/inputs$/);
    expect((await put(loc.signedUrl, body, loc.headers)).status).toBe(200);
    expect(await admin.getExecutionData({ id: { project: P, domain: D, name: "victim" } })).toEqual(before);
    expect(await failure(proxy.createUploadLocation({ ...attack, domain: "nodomain", filenameRoot: "x" }))).toEqual({
      code: "InvalidArgument",
      message: "domain [nodomain] is unrecognized by system",
    });
  });

  it("refuse a filename_root or filename that leaves its place, and a negative expiry", async () => {
    const bad = [
      { filenameRoot: "../../metadata" },
      { filenameRoot: "a/../../b" },
      { filenameRoot: "/abs" },
      { filenameRoot: "a//b" },
      { filenameRoot: "a/" },
      { filenameRoot: "a/./b" },
      { filenameRoot: "a\\b" },
      { filenameRoot: "r", filename: "../x" },
      { filenameRoot: "r", filename: "a//b" },
      { filenameRoot: "r", filename: ".." },
    ];
    for (const b of bad) {
      const f = await failure(proxy.createUploadLocation({ project: P, domain: D, contentMd5: digest, ...b }));
      expect([b, f.code]).toEqual([b, "InvalidArgument"]);
    }
    expect(await failure(proxy.createUploadLocation({ project: P, domain: D, contentMd5: digest, expiresIn: { seconds: -5n } }))).toEqual({
      code: "InvalidArgument",
      message: "expiresIn [-5s] should not be negative",
    });
  });

  it("let an old URL for a fixed location create the object but not replace it", async () => {
    const fixed = { project: P, domain: D, filenameRoot: "fixed-once", filename: "model.bin" };
    const first = await proxy.createUploadLocation(fixed);
    const second = await proxy.createUploadLocation(fixed);
    const signedForOther = await proxy.createUploadLocation({ ...fixed, contentMd5: md5(new Uint8Array([9])) });
    const blobs = createLocalBlobStore(config.storage);
    expect((await put(first.signedUrl, body, first.headers)).status).toBe(200);
    const refused = await put(second.signedUrl, new TextEncoder().encode("other"), second.headers);
    expect(refused.status).toBe(412);
    expect(await refused.text()).toMatch(/already exists/);
    const otherMd5 = await put(signedForOther.signedUrl, new Uint8Array([9]), signedForOther.headers);
    expect(otherMd5.status).toBe(412);
    expect(await blobs.get(blobs.keyOf(first.nativeUrl)!)).toEqual(body);
    // The same content may still be written again through a URL signed for its MD5.
    const same = await proxy.createUploadLocation({ ...fixed, contentMd5: digest });
    expect((await put(same.signedUrl, body, same.headers)).status).toBe(200);
  });
});

describe("the origin of signed URLs", () => {
  const rest = (headers: Record<string, string>, at = server.url) =>
    fetch(`${at}/api/v1/dataproxy/artifact_urn`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ project: P, domain: D, filenameRoot: "origin", content_md5: b64(md5(new Uint8Array([1]))) }),
    }).then(async (r) => ((await r.json()) as { signed_url: string }).signed_url);

  it("ignores X-Forwarded-* from a client that is not a trusted proxy", async () => {
    const direct = await realServer();
    try {
      await createClient(AdminService, createGrpcTransport({ baseUrl: direct.url })).registerProject({ project: { id: P, name: P } });
      const url = await rest({ "x-forwarded-host": "evil.example", "x-forwarded-proto": "https" }, direct.url);
      expect(url.startsWith(`${direct.url}/dataproxy/blobs/`)).toBe(true);
      const client = createClient(DataProxyService, createGrpcTransport({ baseUrl: direct.url }));
      const loc = await client.createUploadLocation({ project: P, domain: D, filenameRoot: "origin" }, { headers: { "x-forwarded-host": "evil.example" } });
      expect(loc.signedUrl.startsWith(`${direct.url}/dataproxy/blobs/`)).toBe(true);
    } finally {
      await direct.close();
    }
  });

  it("refuses forwarded values that are no scheme or host, even from a trusted proxy", async () => {
    const cases: Record<string, string>[] = [
      { "x-forwarded-host": "<script>alert(1)</script>" },
      { "x-forwarded-host": "javascript:alert(1)//" },
      { "x-forwarded-host": "user@evil.example" },
      { "x-forwarded-host": "evil.example/path" },
      { "x-forwarded-host": "a b" },
      { "x-forwarded-host": "flyte.example.com", "x-forwarded-proto": "javascript" },
    ];
    for (const headers of cases) {
      const url = await rest(headers);
      const expected = headers["x-forwarded-proto"] ? "http://flyte.example.com/dataproxy/blobs/" : `${server.url}/dataproxy/blobs/`;
      expect([headers, url.startsWith(expected)]).toEqual([headers, true]);
    }
  });

  it("falls back to the socket's address when the Host header is no host", async () => {
    const port = new URL(server.url).port;
    const answer = await new Promise<string>((resolve, reject) => {
      const req = request(
        { host: "127.0.0.1", port, path: "/api/v1/dataproxy/artifact_urn", method: "POST", headers: { host: "<b>x</b>", "content-type": "application/json" }, setHost: false },
        (res) => {
          let text = "";
          res.on("data", (c: Buffer) => (text += c.toString()));
          res.on("end", () => resolve(text));
        },
      );
      req.on("error", reject);
      req.end(JSON.stringify({ project: P, domain: D, filenameRoot: "origin" }));
    });
    expect((JSON.parse(answer) as { signed_url: string }).signed_url.startsWith(`http://127.0.0.1:${port}/dataproxy/blobs/`)).toBe(true);
  });
});

describe("GetData and CreateDownloadLink", () => {
  const exec = { project: P, domain: D, name: "data1" };
  const t0 = Date.parse("2026-03-01T12:00:00Z");
  const at = (s: number) => timestampFromDate(new Date(t0 + s * 1000));
  const str = (v: string) => create(LiteralMapSchema, { literals: { o0: { value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "stringValue", value: v } } } } } } } });

  beforeAll(async () => {
    const pkg = loadFlytekitPackage("hello", P, D, "v1");
    await admin.createExecution({ ...exec, spec: { launchPlan: pkg.launchPlans[0]!.id }, inputs: {} });
    const node = (phase: NodePhase, s: number, extra: Record<string, unknown> = {}) =>
      admin.createNodeEvent({ event: { id: { nodeId: "n0", executionId: exec }, phase, occurredAt: at(s), producerId: "propeller", specNodeId: "n0", ...extra } });
    const task = (retryAttempt: number, phase: TaskPhase, s: number, extra: Record<string, unknown> = {}) =>
      admin.createTaskEvent({
        event: { taskId: pkg.tasks[0]!.id, parentNodeExecutionId: { nodeId: "n0", executionId: exec }, retryAttempt, phase, occurredAt: at(s), producerId: "propeller", ...extra },
      });
    await node(NodePhase.RUNNING, 1, { inputValue: { case: "inputData", value: str("in") } });
    await task(0, TaskPhase.RUNNING, 2);
    await task(0, TaskPhase.SUCCEEDED, 3, { outputResult: { case: "outputData", value: str("attempt zero") } });
    // The deck is written by the task itself, in the store the server reads.
    const blobs = createLocalBlobStore(config.storage);
    await blobs.put("decks/n0/deck.html", new TextEncoder().encode("<html>deck</html>"));
    await node(NodePhase.SUCCEEDED, 4, { outputResult: { case: "outputData", value: str("hello") }, deckUri: blobs.uri("decks/n0/deck.html") });
  });

  const base = `flyte://v1/${P}/${D}/data1/n0`;

  it("resolves node and attempt URLs to literal maps and single literals", async () => {
    const outputs = await proxy.getData({ flyteUrl: `${base}/o` });
    expect(outputs.data.case).toBe("literalMap");
    expect(outputs.data.value).toEqual(str("hello"));
    const one = await proxy.getData({ flyteUrl: `${base}/i/o0` });
    expect(one.data.case === "literal" && one.data.value).toEqual(str("in").literals.o0);
    const attempt = await proxy.getData({ flyteUrl: `${base}/0/o` });
    expect(attempt.data.value).toEqual(str("attempt zero"));
  });

  it("signs the deck for the d form and CreateDownloadLink", async () => {
    const deck = await proxy.getData({ flyteUrl: `${base}/d` });
    expect(deck.data.case).toBe("preSignedUrls");
    const url = deck.data.case === "preSignedUrls" ? deck.data.value.signedUrl[0]! : "";
    const page = await fetch(url);
    expect(await page.text()).toBe("<html>deck</html>");
    // Served as HTML, but sandboxed: its scripts cannot act as this server's origin.
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("content-security-policy")).toBe("sandbox allow-scripts allow-popups");
    const head = await fetch(url, { method: "HEAD" });
    expect([head.status, head.headers.get("content-length")]).toEqual([200, "17"]);
    const link = await proxy.createDownloadLink({ artifactType: ArtifactType.DECK, source: { case: "nodeExecutionId", value: { nodeId: "n0", executionId: exec } } });
    expect(link.signedUrl).toHaveLength(1);
    expect(link.preSignedUrls?.signedUrl).toEqual(link.signedUrl);
    expect(await failure(proxy.createDownloadLink({ source: { case: "nodeExecutionId", value: { nodeId: "n0", executionId: exec } } }))).toEqual({
      code: "InvalidArgument",
      message: "error while validating request. Error: invalid artifact type [ARTIFACT_TYPE_UNDEFINED]",
    });
  });

  it("refuses what FlyteAdmin refuses", async () => {
    const cases: [string, string, RegExp][] = [
      ["", "InvalidArgument", /source is required/],
      ["s3://bucket/x", "InvalidArgument", /does not start with the correct prefix/],
      ["flyte://v1/p/d/e", "InvalidArgument", /failed to parse \[flyte:\/\/v1\/p\/d\/e\]/],
      [`${base}/o/nope`, "InvalidArgument", /name \[nope\] not found in node execution/],
      [`${base}/0/d`, "InvalidArgument", /deck type cannot be specified with a retry attempt/],
      [`${base}/5/o`, "InvalidArgument", /no task executions were listed/],
      [`flyte://v1/${P}/${D}/data1/missing/o`, "NotFound", /missing entity of type node execution/],
    ];
    for (const [flyteUrl, code, message] of cases) {
      const f = await failure(proxy.getData({ flyteUrl }));
      expect([flyteUrl, f.code]).toEqual([flyteUrl, code]);
      expect(f.message).toMatch(message);
    }
  });
});
