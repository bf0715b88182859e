import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthMetadataService } from "../../gen/flyteidl/service/auth_pb.js";
import { IdentityService } from "../../gen/flyteidl/service/identity_pb.js";
import { type OidcIssuer, startOidcIssuer } from "../fixtures/oidc-issuer.js";
import { type AuthTestServer, PROTOCOLS, PUBLIC_URL, startAuthServer, transportFor, withHeaders } from "../helpers/auth-server.js";

/**
 * Scenario 9: an external authorization server (the in-process issuer):
 * its metadata proxied and cached, its tokens checked against its JWKS with
 * the allowed audiences, its key rotation picked up without a restart.
 */
const AUDIENCE = "api://flyte";
let issuer: OidcIssuer;
let s: AuthTestServer;

const externalAuth = (baseUrl: string, over: Record<string, unknown> = {}) => ({
  authorizedUris: [PUBLIC_URL],
  appAuth: {
    authServerType: "External",
    externalAuthServer: { baseUrl, allowedAudience: [AUDIENCE], retryAttempts: 0, ...over },
    thirdPartyConfig: { flyteClient: { clientId: "flyte-public", redirectUri: "http://localhost:53593/callback", scopes: ["openid", "offline_access", "all"], audience: AUDIENCE } },
  },
});

beforeAll(async () => {
  issuer = await startOidcIssuer({ clients: { "ci-bot": "secret" }, audience: AUDIENCE });
  s = await startAuthServer({ auth: externalAuth(issuer.url), build: { auth: { jwksCooldownMs: 0 } } });
});
afterAll(async () => {
  await s?.close();
  await issuer?.close();
});

const codeOf = async (call: Promise<unknown>) => {
  try {
    await call;
    return "OK";
  } catch (e) {
    return Code[ConnectError.from(e).code];
  }
};
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe("scenario 9: external authorization server", () => {
  it("proxies the issuer's metadata (unknown fields dropped), fetched once for many calls", async () => {
    const before = issuer.hits.metadata;
    const meta = createClient(AuthMetadataService, transportFor("grpc", s.server.url));
    for (let i = 0; i < 5; i++) {
      const doc = await meta.getOAuth2Metadata({});
      expect(doc).toMatchObject({ issuer: issuer.url, tokenEndpoint: `${issuer.url}/token`, jwksUri: `${issuer.url}/jwks`, authorizationEndpoint: `${issuer.url}/authorize` });
    }
    const rest = await fetch(`${s.server.url}/.well-known/oauth-authorization-server`, { headers: { accept: "application/json" } });
    const body = (await rest.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ issuer: issuer.url, grant_types_supported: ["authorization_code", "client_credentials", "refresh_token"], device_authorization_endpoint: "" });
    expect(body).not.toHaveProperty("subject_types_supported");
    expect(issuer.hits.metadata - before).toBeLessThanOrEqual(1);
    expect((await meta.getPublicClientConfig({})).audience).toBe(AUDIENCE);
  });

  it("accepts the issuer's access tokens for an allowed audience, on every protocol", async () => {
    const res = await fetch(`${issuer.url}/token`, { method: "POST", headers: { authorization: `Basic ${Buffer.from("ci-bot:secret").toString("base64")}` } });
    const token = ((await res.json()) as { access_token: string }).access_token;
    for (const protocol of PROTOCOLS) expect(await codeOf(s.admin(protocol, bearer(token)).getVersion({})), protocol).toBe("OK");
    expect((await fetch(`${s.server.url}/api/v1/version`, { headers: { "flyte-authorization": `Bearer ${token}` } })).status).toBe(200);
    const me = await createClient(IdentityService, transportFor("grpc", s.server.url, [withHeaders(bearer(token))])).userInfo({});
    expect(me.subject).toBe("ci-bot");
    // PS256 from the same key, and our own public URL as audience, are accepted too.
    expect(await codeOf(s.admin("grpc", bearer(await issuer.mint({ aud: PUBLIC_URL, scp: ["all"] }, { alg: "PS256" }))).getVersion({}))).toBe("OK");
  });

  it("refuses another audience, another issuer, and a key it does not publish", async () => {
    const other = (await generateKeyPair("RS256")).privateKey;
    for (const token of [
      await issuer.mint({ aud: "api://other", scp: ["all"] }),
      await issuer.mint({ aud: AUDIENCE, iss: "https://evil.example.com", scp: ["all"] }),
      await issuer.mint({ aud: AUDIENCE }, { key: other, kid: "unpublished" }),
    ]) {
      expect(await codeOf(s.admin("grpc", bearer(token)).getVersion({}))).toBe("Unauthenticated");
    }
  });

  it("picks up a rotated key without a restart", async () => {
    const before = await issuer.mint({ aud: AUDIENCE });
    expect(await codeOf(s.admin("grpc", bearer(before)).getVersion({}))).toBe("OK");
    const oldKid = issuer.kid;
    await issuer.rotate();
    expect(issuer.kid).not.toBe(oldKid);
    const jwksFetches = issuer.hits.jwks;
    expect(await codeOf(s.admin("grpc", bearer(await issuer.mint({ aud: AUDIENCE }))).getVersion({}))).toBe("OK");
    expect(issuer.hits.jwks).toBeGreaterThan(jwksFetches);
  });
});

describe("an external authorization server that cannot be reached", () => {
  let down: OidcIssuer;
  let t: AuthTestServer;
  beforeAll(async () => {
    down = await startOidcIssuer();
    down.failMetadata(503);
    t = await startAuthServer({ auth: externalAuth(down.url), build: { auth: { jwksCooldownMs: 0 } } });
  });
  afterAll(async () => {
    await t?.close();
    await down?.close();
  });

  it("makes GetOAuth2Metadata and token checks UNAVAILABLE, never UNKNOWN or UNAUTHENTICATED", async () => {
    const meta = createClient(AuthMetadataService, transportFor("grpc", t.server.url));
    expect(await codeOf(meta.getOAuth2Metadata({}))).toBe("Unavailable");
    expect((await fetch(`${t.server.url}/.well-known/oauth-authorization-server`)).status).toBe(503);
    const token = await down.mint({ aud: AUDIENCE, scp: ["all"] });
    expect(await codeOf(t.admin("grpc", bearer(token)).getVersion({}))).toBe("Unavailable");
    // Once it answers again, the same token is accepted.
    down.failMetadata(0);
    expect(await codeOf(t.admin("grpc", bearer(token)).getVersion({}))).toBe("OK");
  });
});

describe("/.well-known/openid-configuration", () => {
  it("redirects (303) to the identity provider's own document when one is configured", async () => {
    const u = await startAuthServer({ auth: { ...externalAuth(issuer.url), userAuth: { openId: { baseUrl: `${issuer.url}/` } } } });
    try {
      const res = await fetch(`${u.server.url}/.well-known/openid-configuration`, { redirect: "manual" });
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toBe(`${issuer.url}/.well-known/openid-configuration`);
    } finally {
      await u.close();
    }
  });
});
