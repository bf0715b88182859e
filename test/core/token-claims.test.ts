import { describe, expect, it } from "vitest";
import { extractCredential, MAX_CREDENTIAL_BYTES } from "../../src/auth/extract.js";
import { createTokenCache } from "../../src/auth/token-cache.js";
import { grantClientScopes, parseScopeParam } from "../../src/core/oauth-scopes.js";
import { endpointOf, pickPublicUrl } from "../../src/core/public-url.js";
import { identityFromClaims, scopesOf } from "../../src/core/token-claims.js";

describe("identity of a verified access token", () => {
  it("reads scopes from scp (list or one string), else from scope (space-separated)", () => {
    expect([...scopesOf({ scp: ["all", "offline"] })]).toEqual(["all", "offline"]);
    expect([...scopesOf({ scp: "all" })]).toEqual(["all"]);
    expect([...scopesOf({ scope: "all  offline" })]).toEqual(["all", "offline"]);
    expect([...scopesOf({ scp: ["read"], scope: "all" })]).toEqual(["read"]);
    expect([...scopesOf({ scp: [1, "x"] })]).toEqual(["x"]);
  });

  it("grants all to a token with neither client nor scopes, not to a client's", () => {
    expect(identityFromClaims({ sub: "alice" }).scopes.has("all")).toBe(true);
    expect(identityFromClaims({ sub: "app", client_id: "app" }).scopes.has("all")).toBe(false);
    expect(identityFromClaims({ sub: "alice", scp: ["offline"] }).scopes.has("all")).toBe(false);
  });

  it("is an app's when the client is the subject, a user's otherwise", () => {
    expect(identityFromClaims({ sub: "bot", client_id: "bot", scp: ["all"] })).toMatchObject({ kind: "app", subject: "bot", appId: "bot" });
    expect(identityFromClaims({ sub: "alice", client_id: "flytectl", scp: ["all"] })).toMatchObject({ kind: "user", subject: "alice", appId: "flytectl" });
  });

  it("takes user info from the user_info claim with email over it, and keeps every claim", () => {
    const id = identityFromClaims({ sub: "alice", iat: 1700000000, email: "a@x.io", user_info: { name: "Alice", email: "old@x.io", given_name: "A", picture: 7 } });
    expect(id.userInfo).toEqual({ name: "Alice", email: "a@x.io", givenName: "A" });
    expect(id.authenticatedAt).toEqual(new Date(1700000000 * 1000));
    expect(id.claims.sub).toBe("alice");
    expect(identityFromClaims({ sub: "x" }).userInfo).toBeUndefined();
  });
});

describe("public URL of a request", () => {
  const uris = ["http://localhost:8088", "https://flyte.example.com", "http://flyte.example.com:8080"];
  it("prefers host and scheme, then host and port, then host, then the first entry, as written", () => {
    expect(pickPublicUrl({ proto: "https", host: "flyte.example.com" }, uris)).toBe("https://flyte.example.com");
    expect(pickPublicUrl({ proto: "http", host: "flyte.example.com:8080" }, uris)).toBe("http://flyte.example.com:8080");
    expect(pickPublicUrl({ proto: "https", host: "flyte.example.com:8080" }, uris)).toBe("https://flyte.example.com");
    expect(pickPublicUrl({ proto: "http", host: "localhost:9999" }, uris)).toBe("http://localhost:8088");
    expect(pickPublicUrl({ proto: "http", host: "elsewhere" }, uris)).toBe("http://localhost:8088");
    expect(pickPublicUrl(undefined, uris)).toBe("http://localhost:8088");
    expect(pickPublicUrl({ proto: "http", host: "bad host" }, uris)).toBe("http://localhost:8088");
  });

  it("resolves endpoints as absolute paths", () => {
    expect(endpointOf("https://flyte.example.com", "/oauth2/token")).toBe("https://flyte.example.com/oauth2/token");
    expect(endpointOf("https://flyte.example.com/prefix/", "/oauth2/jwks")).toBe("https://flyte.example.com/oauth2/jwks");
  });
});

describe("client_credentials scopes", () => {
  it("grants what is asked when allowed (hierarchically), tolerates offline, refuses the rest", () => {
    expect(parseScopeParam(" all  offline all ")).toEqual(["all", "offline"]);
    expect(grantClientScopes(["all", "offline"], ["all", "offline"])).toEqual({ granted: ["all", "offline"] });
    expect(grantClientScopes(["all", "offline"], ["all"])).toEqual({ granted: ["all"] });
    expect(grantClientScopes(["all.read"], ["all"])).toEqual({ granted: ["all.read"] });
    expect(grantClientScopes(["allx"], ["all"])).toEqual({ refused: "allx" });
    expect(grantClientScopes([], ["all", "offline", "access_token"])).toEqual({ granted: ["all", "access_token"] });
  });
});

describe("credential extraction", () => {
  const headers = (h: Record<string, string>) => (name: string) => h[name];
  const names = ["authorization", "flyte-authorization"];
  it("takes the first header present, the scheme in any case, the first of repeated values", () => {
    expect(extractCredential(headers({ authorization: "Bearer a.b.c", "flyte-authorization": "Bearer x" }), names)).toEqual({ scheme: "bearer", token: "a.b.c" });
    expect(extractCredential(headers({ "flyte-authorization": "BEARER x" }), names)).toEqual({ scheme: "bearer", token: "x" });
    expect(extractCredential(headers({ authorization: "Bearer one, Bearer two" }), names)).toEqual({ scheme: "bearer", token: "one" });
    expect(extractCredential(headers({}), names)).toBeUndefined();
    expect(extractCredential(headers({ authorization: "" , "flyte-authorization": "Bearer y" }), names)).toEqual({ scheme: "bearer", token: "y" });
  });

  it("refuses what is not `<scheme> <token>`, and anything longer than 8 KiB before parsing", () => {
    for (const bad of ["Bearer", "Bearer ", "token-only", "Bearer a b", "Bearer\ta"]) expect(extractCredential(headers({ authorization: bad }), names), bad).toBe("malformed");
    expect(extractCredential(headers({ authorization: `Bearer ${"a".repeat(MAX_CREDENTIAL_BYTES)}` }), names)).toBe("oversized");
  });
});

describe("verified token cache", () => {
  const verified = (expiresAtMs: number) => ({ identity: identityFromClaims({ sub: "a" }), expiresAtMs });
  it("serves a token until it expires, never at or past its expiry", () => {
    const cache = createTokenCache();
    cache.set("t", verified(1000));
    expect(cache.get("t", 999)).toBeDefined();
    expect(cache.get("t", 1000)).toBeUndefined();
    expect(cache.get("t", 999)).toBeUndefined();
    expect(cache.get("other", 0)).toBeUndefined();
  });

  it("keeps at most its bound, the oldest leaving first", () => {
    const cache = createTokenCache(2);
    cache.set("a", verified(10));
    cache.set("b", verified(10));
    cache.set("c", verified(10));
    expect(cache.size).toBe(2);
    expect(cache.get("a", 0)).toBeUndefined();
    expect(cache.get("c", 0)).toBeDefined();
  });
});
