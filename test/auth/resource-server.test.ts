import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { decodeJwt, decodeProtectedHeader, generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import { AuthMetadataService } from "../../gen/flyteidl/service/auth_pb.js";
import { DataProxyService } from "../../gen/flyteidl/service/dataproxy_pb.js";
import { DataCatalog } from "../../gen/flyteidl/datacatalog/datacatalog_pb.js";
import { IdentityService } from "../../gen/flyteidl/service/identity_pb.js";
import { SignalService } from "../../gen/flyteidl/service/signal_pb.js";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";
import { packageRoot } from "../../src/paths.js";
import { routesOf } from "../../src/server/gateway/routes.js";
import { type AuthTestServer, CLIENT_ID, CLIENT_SECRET, OTHER_URL, PROTOCOLS, PUBLIC_URL, startAuthServer, transportFor, withHeaders } from "../helpers/auth-server.js";
import { signToken } from "../fixtures/oidc-issuer.js";
import { grpcJsAdminClient } from "../helpers/grpc-js-client.js";

/**
 * Authentication on, self-hosted authorization server (spec §1.9 scenarios
 * 1-8): every protocol refuses calls without a valid token, the public
 * services and routes answer, and tokens from /oauth2/token work the way
 * flytekit and the Go client use them.
 */
let s: AuthTestServer;
let good: string;

beforeAll(async () => {
  s = await startAuthServer({ flags: { trustedProxies: "loopback" } });
  good = await s.token();
});
afterAll(() => s?.close());

const codeOf = async (call: Promise<unknown>) => {
  try {
    await call;
    return Code[0] ?? "OK";
  } catch (e) {
    return Code[ConnectError.from(e).code];
  }
};
const OK = Code[0] ?? "OK";
const rest = (path: string, init: RequestInit = {}) => fetch(`${s.server.url}${path}`, init);
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe("scenario 1: no token", () => {
  describe.each(PROTOCOLS)("over %s", (protocol) => {
    it("every AdminService, DataProxyService, SignalService and DataCatalog RPC is UNAUTHENTICATED", async () => {
      const transport = transportFor(protocol, s.server.url);
      for (const service of [AdminService, DataProxyService, SignalService, DataCatalog]) {
        const client = createClient(service, transport) as unknown as Record<string, (r: object) => Promise<unknown>>;
        for (const method of service.methods) {
          expect(await codeOf(client[method.localName]!({})), `${service.typeName}/${method.name}`).toBe("Unauthenticated");
        }
      }
      const identity = createClient(IdentityService, transport);
      expect(await codeOf(identity.userInfo({}))).toBe("Unauthenticated");
    });

    it("AuthMetadataService and health answer", async () => {
      const transport = transportFor(protocol, s.server.url);
      const meta = createClient(AuthMetadataService, transport);
      expect((await meta.getPublicClientConfig({})).clientId).toBe("flytectl");
      expect((await meta.getOAuth2Metadata({})).tokenEndpoint).toBe(`${PUBLIC_URL}/oauth2/token`);
      expect((await createClient(Health, transport).check({ service: "flyteadmin" })).status).toBe(Status.SERVING);
    });
  });

  it("every REST route but the public ones is 401, with the message in WWW-Authenticate", async () => {
    const routes = routesOf([AdminService, DataProxyService, SignalService, IdentityService, AuthMetadataService]);
    for (const route of routes) {
      // "1" is a valid value for every path variable, strings and numbers alike.
      const path = route.template.replace(/\{[^}]+\}/g, "1");
      const res = await rest(path, { method: route.verb, ...(route.body ? { headers: { "content-type": "application/json" }, body: "{}" } : {}) });
      const expected = route.service.typeName === AuthMetadataService.typeName ? 200 : 401;
      expect(res.status, `${route.verb} ${route.template}`).toBe(expected);
      if (expected === 401) expect(res.headers.get("www-authenticate")).toMatch(/^authentication required/);
      await res.arrayBuffer();
    }
  });

  it("the plain public routes answer; task logs need a caller", async () => {
    expect((await rest("/healthcheck")).status).toBe(200);
    expect((await rest("/api/v1/openapi")).status).toBe(200);
    const jwks = (await (await rest("/oauth2/jwks")).json()) as { keys: { kid: string; kty: string; alg: string; use: string }[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: "RSA", alg: "RS256", use: "sig" });
    expect((await rest("/engine/logs/p/d/e/n/0")).status).toBe(401);
    expect((await rest("/engine/logs/p/d/e/n/0", { headers: bearer(good) })).status).toBe(404);
    // Not configured: no IdP to send browsers to.
    expect((await rest("/.well-known/openid-configuration")).status).toBe(404);
  });

  it("reflection stays public, so buf curl still lists the services", async () => {
    const run = promisify(execFile);
    const list = await run(join(packageRoot(), "node_modules/.bin/buf"), ["curl", "--protocol", "grpc", "--http2-prior-knowledge", "--list-services", s.server.url]);
    expect(list.stdout).toContain("flyteidl.service.AdminService");
  });
});

describe("scenario 2: GET /.well-known/oauth-authorization-server", () => {
  const metadata = async (headers: Record<string, string>) => (await (await rest("/.well-known/oauth-authorization-server", { headers: { accept: "application/json", ...headers } })).json()) as Record<string, unknown>;

  it("answers FlyteAdmin's ten fields with proto names, endpoints under the matching authorized URI", async () => {
    expect(await metadata({})).toEqual({
      issuer: PUBLIC_URL,
      authorization_endpoint: "",
      token_endpoint: `${PUBLIC_URL}/oauth2/token`,
      jwks_uri: `${PUBLIC_URL}/oauth2/jwks`,
      response_types_supported: ["code", "token", "code token"],
      scopes_supported: ["all"],
      token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
      code_challenge_methods_supported: ["S256"],
      grant_types_supported: ["client_credentials"],
      device_authorization_endpoint: "",
    });
    const other = await metadata({ "x-forwarded-host": "flyte.example.com", "x-forwarded-proto": "https" });
    expect(other).toMatchObject({ issuer: OTHER_URL, token_endpoint: `${OTHER_URL}/oauth2/token`, jwks_uri: `${OTHER_URL}/oauth2/jwks` });
    const local = await metadata({ "x-forwarded-host": "localhost:8088", "x-forwarded-proto": "https" });
    expect(local).toMatchObject({ token_endpoint: `${PUBLIC_URL}/oauth2/token` });
  });
});

describe("scenario 3: GET /config/v1/flyte_client", () => {
  it("tells CLIs FlyteAdmin's defaults", async () => {
    const res = await rest("/config/v1/flyte_client", { headers: { accept: "application/json" } });
    expect(await res.json()).toEqual({
      client_id: "flytectl",
      redirect_uri: "http://localhost:53593/callback",
      scopes: ["all", "offline"],
      authorization_metadata_key: "flyte-authorization",
      service_http_endpoint: "",
      audience: "",
    });
  });
});

describe("scenarios 4 and 5: flytekit and Go client token requests", () => {
  const tokenRequest = (headers: Record<string, string>, body: Record<string, string>) =>
    rest("/oauth2/token", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body: new URLSearchParams(body).toString() });
  // Python's quote_plus, as flytekit quotes the secret; Go's url.QueryEscape is the same for these characters.
  const quotePlus = (v: string) => encodeURIComponent(v).replace(/%20/g, "+");

  it("flytekit ClientSecret: config calls, UNAUTHENTICATED, Basic token request, retry with flyte-authorization", async () => {
    const transport = transportFor("grpc", s.server.url);
    const meta = createClient(AuthMetadataService, transport);
    const config = await meta.getPublicClientConfig({});
    const oauth = await meta.getOAuth2Metadata({});
    expect(await codeOf(createClient(AdminService, transport).listProjects({}))).toBe("Unauthenticated");
    const res = await tokenRequest(
      {
        authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${quotePlus(CLIENT_SECRET)}`).toString("base64")}`,
        accept: "application/json",
        "cache-control": "no-cache",
      },
      { grant_type: "client_credentials", scope: config.scopes.join(" ") },
    );
    expect(new URL(oauth.tokenEndpoint).pathname).toBe("/oauth2/token");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = (await res.json()) as { access_token: string; token_type: string; expires_in: number; scope: string };
    expect(body).toMatchObject({ token_type: "bearer", scope: "all offline" });
    expect(body.expires_in).toBeGreaterThan(1700);
    const admin = s.admin("grpc", { [config.authorizationMetadataKey]: `Bearer ${body.access_token}` });
    expect((await admin.getVersion({})).controlPlaneVersion).toBeDefined();
  });

  it("Go client: Basic with escaped id and secret, then credentials in the body; a JWT with exp 30 min ahead, kid and key_id", async () => {
    const viaBasic = await tokenRequest({ authorization: `Basic ${Buffer.from(`${quotePlus(CLIENT_ID)}:${quotePlus(CLIENT_SECRET)}`).toString("base64")}` }, { grant_type: "client_credentials", scope: "all" });
    expect(viaBasic.status).toBe(200);
    const viaBody = await tokenRequest({}, { grant_type: "client_credentials", client_id: CLIENT_ID, client_secret: CLIENT_SECRET, scope: "all", audience: "ignored" });
    expect(viaBody.status).toBe(200);
    const token = ((await viaBody.json()) as { access_token: string }).access_token;
    const header = decodeProtectedHeader(token) as Record<string, unknown>;
    expect(header).toMatchObject({ alg: "RS256", typ: "JWT" });
    expect(header.kid).toBe(header.key_id);
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ iss: PUBLIC_URL, sub: CLIENT_ID, client_id: CLIENT_ID, aud: [PUBLIC_URL], scp: ["all"] });
    expect(claims.exp! - claims.iat!).toBe(1800);
    expect(Math.abs(claims.exp! - Date.now() / 1000 - 1800)).toBeLessThan(120);
    expect(typeof claims.jti).toBe("string");
    expect((await s.admin("grpc", { "flyte-authorization": `bearer ${token}` }).getVersion({})).controlPlaneVersion).toBeDefined();
  });

  it("a token issued for another authorized URI names it as issuer and audience, and is accepted", async () => {
    const res = await tokenRequest({ "x-forwarded-host": "flyte.example.com", "x-forwarded-proto": "https" }, { grant_type: "client_credentials", client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
    const token = ((await res.json()) as { access_token: string; scope: string }).access_token;
    expect(decodeJwt(token)).toMatchObject({ iss: OTHER_URL, aud: [OTHER_URL], scp: ["all"] });
    expect(await codeOf(s.admin("connect", bearer(token)).getVersion({}))).toBe(OK);
  });
});

describe("scenario 6: which header wins", () => {
  it.each(PROTOCOLS)("over %s: authorization before flyte-authorization, scheme in any case", async (protocol) => {
    expect(await codeOf(s.admin(protocol, { authorization: "Bearer bad.token.here", "flyte-authorization": `Bearer ${good}` }).getVersion({}))).toBe("Unauthenticated");
    expect(await codeOf(s.admin(protocol, { "flyte-authorization": `Bearer ${good}` }).getVersion({}))).toBe(OK);
    expect(await codeOf(s.admin(protocol, { authorization: `bearer ${good}` }).getVersion({}))).toBe(OK);
    expect(await codeOf(s.admin(protocol, { authorization: `BEARER ${good}` }).getVersion({}))).toBe(OK);
  });

  it("over REST too", async () => {
    expect((await rest("/api/v1/version", { headers: { authorization: "Bearer bad", "flyte-authorization": `Bearer ${good}` } })).status).toBe(401);
    expect((await rest("/api/v1/version", { headers: { "flyte-authorization": `Bearer ${good}` } })).status).toBe(200);
    expect((await rest("/api/v1/version", { headers: { authorization: `bearer ${good}` } })).status).toBe(200);
  });

  it("with a grpc-js client and proto-loader, sending flyte-authorization metadata", async () => {
    const { Metadata } = await import("@grpc/grpc-js");
    const client = grpcJsAdminClient(`127.0.0.1:${s.server.port}`);
    try {
      await expect(client.call("GetVersion", {})).rejects.toMatchObject({ code: 16 });
      const md = new Metadata();
      md.set("flyte-authorization", `Bearer ${good}`);
      const withToken = client.callWith("GetVersion", {}, md);
      await expect(withToken).resolves.toHaveProperty("control_plane_version");
    } finally {
      client.close();
    }
  });
});

describe("scenario 7: tokens that are refused", () => {
  let cases: [string, string][];
  beforeAll(async () => {
    const key = s.signingKey!;
    const base = { iss: PUBLIC_URL, aud: PUBLIC_URL, sub: "alice", scp: ["all"], client_id: "app" };
    const other = (await generateKeyPair("RS256", { extractable: true })).privateKey;
    const huge = await signToken({ ...base, pad: "x".repeat(9000) }, key);
    cases = [
      ["expired beyond the skew", await signToken(base, key, { expSeconds: -120 })],
      ["not yet valid", await signToken({ ...base, nbf: Math.floor(Date.now() / 1000) + 600 }, key)],
      ["wrong audience", await signToken({ ...base, aud: "https://elsewhere.example.com" }, key)],
      ["wrong issuer", await signToken({ ...base, iss: "https://evil.example.com" }, key)],
      ["unknown key id, another key", await signToken(base, other, { kid: "nope" })],
      ["alg none", await signToken(base, key, { alg: "none" })],
      ["HS256 keyed with the public key", await signToken(base, key, { alg: "HS256-public" })],
      ["truncated", good.slice(0, good.length - 20)],
      ["no exp", await signToken(base, key, { expSeconds: null })],
      ["tampered claims", tamper(good)],
      ["oversized", huge],
      ["not a JWT", "hello"],
    ];
  });

  it.each(PROTOCOLS)("over %s: each is UNAUTHENTICATED with the same message", async (protocol) => {
    for (const [name, token] of cases) {
      try {
        await s.admin(protocol, bearer(token)).getVersion({});
        expect.fail(`${name} was accepted`);
      } catch (e) {
        const err = ConnectError.from(e);
        expect(Code[err.code], name).toBe("Unauthenticated");
        expect(err.rawMessage, name).toBe("authentication failed: the access token was not accepted");
      }
    }
  });

  it("over REST: each is 401", async () => {
    for (const [name, token] of cases) expect((await rest("/api/v1/version", { headers: bearer(token) })).status, name).toBe(401);
  });

  it("a token of our key is accepted under an unknown kid, or under FlyteAdmin's key_id alone (the key falls back to the current one)", async () => {
    const base = { iss: PUBLIC_URL, aud: PUBLIC_URL, sub: "alice", scp: ["all"], client_id: "app" };
    for (const token of [await signToken(base, s.signingKey!, { kid: "rotated-away" }), await signToken(base, s.signingKey!, { keyId: decodeProtectedHeader(good).kid })]) {
      expect(await codeOf(s.admin("grpc", bearer(token)).getVersion({}))).toBe(OK);
    }
    // Expired, but within the minute of skew.
    expect(await codeOf(s.admin("grpc", bearer(await signToken(base, s.signingKey!, { expSeconds: -20 }))).getVersion({}))).toBe(OK);
  });

  it("counts refusals by reason and acceptances by kind", async () => {
    const metrics = await (await rest("/metrics")).text();
    for (const reason of ["expired", "not_yet_valid", "audience", "issuer", "signature", "algorithm", "malformed", "oversized", "missing", "claims"]) {
      expect(metrics, reason).toMatch(new RegExp(`flyteadmin_auth_refused_total\\{reason="${reason}"\\} [1-9]`));
    }
    expect(metrics).toMatch(/flyteadmin_auth_accepted_total\{kind="app"\} [1-9]/);
  });
});

describe("scenario 8: scopes", () => {
  const base = { iss: PUBLIC_URL, aud: PUBLIC_URL, sub: "someone" };

  it("a client token without scope all is PERMISSION_DENIED (HTTP 403)", async () => {
    const token = await signToken({ ...base, scp: ["offline"], client_id: "app" }, s.signingKey!);
    for (const protocol of PROTOCOLS) expect(await codeOf(s.admin(protocol, bearer(token)).getVersion({})), protocol).toBe("PermissionDenied");
    expect((await rest("/api/v1/version", { headers: bearer(token) })).status).toBe(403);
    const issued = await s.token("read", "viewer-bot");
    expect(await codeOf(s.admin("grpc", bearer(issued)).getVersion({}))).toBe("PermissionDenied");
  });

  it("a user token with neither client nor scopes counts as all; so does an Auth0-style scope claim", async () => {
    expect(await codeOf(s.admin("grpc", bearer(await signToken(base, s.signingKey!))).getVersion({}))).toBe(OK);
    expect(await codeOf(s.admin("grpc", bearer(await signToken({ ...base, scope: "all offline", client_id: "cli" }, s.signingKey!))).getVersion({}))).toBe(OK);
  });
});

describe("IdentityService.UserInfo (/me)", () => {
  it("returns the subject and claims; over REST also X-User-Subject and X-User-Claim-* headers", async () => {
    const token = await signToken({ iss: PUBLIC_URL, aud: PUBLIC_URL, sub: "alice", email: "alice@example.com", preferred_username: "Alíce", user_info: { name: "Alice A" } }, s.signingKey!);
    const info = await createClient(IdentityService, createGrpcTransport({ baseUrl: s.server.url, interceptors: [withHeaders(bearer(token))] })).userInfo({});
    expect(info).toMatchObject({ subject: "alice", name: "Alice A", email: "alice@example.com" });
    expect(info.additionalClaims).toMatchObject({ sub: "alice", preferred_username: "Alíce" });
    const res = await rest("/me", { headers: { ...bearer(token), accept: "application/json" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-user-subject")).toBe("alice");
    expect(res.headers.get("x-user-claim-email")).toBe('"alice@example.com"');
    expect(JSON.parse(res.headers.get("x-user-claim-preferred-username")!)).toBe("Alíce");
    expect(await res.json()).toMatchObject({ subject: "alice", email: "alice@example.com", additional_claims: { sub: "alice" } });
    // gRPC callers get no such metadata.
    expect((await rest("/flyteidl.service.IdentityService/UserInfo", { method: "POST", headers: { ...bearer(token), "content-type": "application/json" }, body: "{}" })).headers.get("x-user-subject")).toBeNull();
  });
});

/** The token with one claim changed and its signature kept. */
function tamper(token: string): string {
  const [h, p, sig] = token.split(".");
  const claims = JSON.parse(Buffer.from(p!, "base64url").toString()) as Record<string, unknown>;
  return [h, Buffer.from(JSON.stringify({ ...claims, sub: "mallory" })).toString("base64url"), sig].join(".");
}
