import { Code, ConnectError, createClient, createRouterTransport, type Interceptor } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import { type App, buildApp } from "../../src/app.js";
import { ApiKeyRefused, createApiKeyAuthenticator, issueApiKey } from "../../src/auth/api-keys.js";
import { createAuthorization } from "../../src/auth/authz.js";
import { type Identity, identityKey } from "../../src/auth/identity.js";
import { defaultRbacConfig } from "../../src/auth/rbac-config.js";
import { createLogger } from "../../src/logger.js";
import type { ApiKeyStore } from "../../src/storage/access-store.js";
import { testConfig } from "../helpers/app.js";
import { failure } from "../helpers/rpc-failure.js";

const T0 = new Date("2026-04-01T00:00:00Z");
const DAY = 86_400_000;

let app: App;
let clock: { now: Date };
let authenticate: ReturnType<typeof createApiKeyAuthenticator>;

beforeAll(async () => {
  app = await buildApp(testConfig(), createLogger("silent"));
  clock = { now: T0 };
  authenticate = createApiKeyAuthenticator({ store: app.store.apiKeys, clock: () => clock.now });
  await app.store.roleBindings.grant({ subjectKind: "user", subject: "alice", project: "p", domain: "*", role: "viewer", createdAt: T0, createdBy: "test" });
  for (const id of ["p", "q"]) await clientWith({}).registerProject({ project: { id, name: id } });
});
afterAll(() => app?.close());

/**
 * A stand-in for the authentication interceptor's chain with the API key
 * authenticator alone: `authorization` first, then `flyte-authorization`
 * (flytekit's header), enforced; then roles. `seen` gets each call's identity.
 */
function clientWith(headers: Record<string, string>, seen?: (identity: Identity | undefined) => void) {
  const authenticated: Interceptor = (next) => async (req) => {
    const value = req.header.get("authorization") ?? req.header.get("flyte-authorization");
    if (value) {
      const [scheme = "", token = ""] = value.split(" ", 2);
      const identity = await authenticate(scheme, token);
      if (!identity) throw new ConnectError("no credential this chain accepts", Code.Unauthenticated);
      req.contextValues.set(identityKey, identity);
    }
    seen?.(req.contextValues.get(identityKey));
    return next(req);
  };
  const roles = createAuthorization({ store: app.store, config: { ...defaultRbacConfig(), enabled: true, cacheTtlMs: 0 } });
  const transport = createRouterTransport(app.routes, { router: { interceptors: [...app.interceptors, authenticated, roles.interceptor] } });
  return withHeaders(createClient(AdminService, transport), headers);
}

/** Sends `headers` with every call of the client. */
function withHeaders<C extends object>(client: C, headers: Record<string, string>): C {
  return new Proxy(client, {
    get: (target, name) => {
      const method = (target as Record<string | symbol, unknown>)[name];
      if (typeof method !== "function") return method;
      return (req: unknown, options: { headers?: Record<string, string> } = {}) => method.call(target, req, { ...options, headers: { ...headers, ...options.headers } });
    },
  });
}

const issue = (over: { owner?: string; serviceAccount?: string; expiresAt?: Date } = {}) =>
  issueApiKey(app.store.apiKeys, { owner: over.owner ?? "alice", serviceAccount: over.serviceAccount, expiresAt: over.expiresAt, description: "ci", now: clock.now });

describe("API keys as bearer tokens (scenario 12)", () => {
  it("authenticate a call as the key's owner, from authorization or flyte-authorization", async () => {
    const { key } = await issue();
    const identities: (Identity | undefined)[] = [];
    for (const header of ["authorization", "flyte-authorization"]) {
      const admin = clientWith({ [header]: `Bearer ${key}` }, (i) => identities.push(i));
      expect((await admin.listProjects({})).projects.map((p) => p.id)).toEqual(["p"]);
      // The principal the call carries is the owner's, as a denial names it.
      expect(await failure(admin.getProject({ id: "q" }))).toEqual({ code: "PermissionDenied", message: "principal alice lacks view_inventory on q/*" });
    }
    expect(identities.map((i) => [i?.kind, i?.subject, i?.appId, [...(i?.scopes ?? [])]])).toEqual(Array(4).fill(["apikey", "alice", "", ["all"]]));
    // The scheme is case-insensitive.
    expect(await authenticate("bearer", key)).toMatchObject({ kind: "apikey", subject: "alice" });
  });

  it("act for a service account when the key names one", async () => {
    const { key } = await issue({ serviceAccount: "ci-bot" });
    expect(await authenticate("Bearer", key)).toMatchObject({ kind: "apikey", subject: "ci-bot", appId: "ci-bot" });
  });

  it("refuse a revoked, expired, wrong or malformed key with the same UNAUTHENTICATED answer", async () => {
    const revoked = await issue();
    await app.store.apiKeys.revoke(revoked.id, clock.now);
    const expired = await issue({ expiresAt: new Date(T0.getTime() + DAY) });
    const good = await issue();
    const wrongSecret = `${good.key.slice(0, -5)}AAAAA`;
    const unknownId = `fak_${"a".repeat(12)}${good.key.slice(16)}`;
    const truncated = good.key.slice(0, -1);

    expect(await authenticate("Bearer", expired.key)).toMatchObject({ subject: "alice" });
    clock.now = new Date(T0.getTime() + DAY);
    try {
      const reasons: string[] = [];
      for (const key of [revoked.key, expired.key, wrongSecret, unknownId, truncated, "fak_", "fak_x"]) {
        const admin = clientWith({ authorization: `Bearer ${key}` });
        expect(await failure(admin.listProjects({})), key).toEqual({ code: "Unauthenticated", message: "invalid API key" });
        reasons.push(await authenticate("Bearer", key).then(() => "accepted", (e: ApiKeyRefused) => e.reason));
      }
      expect(reasons).toEqual(["revoked", "expired", "invalid", "invalid", "malformed", "malformed", "malformed"]);
      expect(await authenticate("Bearer", good.key)).toMatchObject({ subject: "alice" });
    } finally {
      clock.now = T0;
    }
  });

  it("leave anything that is not a Bearer API key to the other authenticators", async () => {
    const { key } = await issue();
    expect(await authenticate("Basic", key)).toBeUndefined();
    expect(await authenticate("IDToken", key)).toBeUndefined();
    expect(await authenticate("Bearer", "eyJhbGciOiJSUzI1NiJ9.e30.sig")).toBeUndefined();
    expect(await authenticate("Bearer", "")).toBeUndefined();
  });

  it("record the last use at most once a minute", async () => {
    const { id, key } = await issue();
    const lastUsed = async () => (await app.store.apiKeys.get(id))?.lastUsedAt;
    expect(await lastUsed()).toBeUndefined();
    await authenticate("Bearer", key);
    expect(await lastUsed()).toEqual(T0);
    clock.now = new Date(T0.getTime() + 59_999);
    await authenticate("Bearer", key);
    expect(await lastUsed()).toEqual(T0);
    clock.now = new Date(T0.getTime() + 60_000);
    await authenticate("Bearer", key);
    expect(await lastUsed()).toEqual(clock.now);
    clock.now = T0;
  });

  it("let a good key through when recording its use fails, and fail unavailable when the key cannot be read", async () => {
    const { key } = await issue();
    const errors: unknown[] = [];
    const failingTouch: Pick<ApiKeyStore, "get" | "touch"> = { get: (id) => app.store.apiKeys.get(id), touch: async () => Promise.reject(new Error("disk full")) };
    const lenient = createApiKeyAuthenticator({ store: failingTouch, clock: () => clock.now, onTouchError: (e) => errors.push(e) });
    expect(await lenient("Bearer", key)).toMatchObject({ subject: "alice" });
    expect(errors).toHaveLength(1);
    const down = new Error("connect ECONNREFUSED");
    const unreadable = createApiKeyAuthenticator({ store: { get: async () => Promise.reject(down), touch: async () => true } });
    await expect(unreadable("Bearer", key)).rejects.toBe(down);
  });

  it("are stored as a digest only", async () => {
    const { id, key } = await issue();
    const row = await app.store.apiKeys.get(id);
    expect(JSON.stringify(row)).not.toContain(key.slice(17));
    expect(row?.secretSha256).toMatch(/^[0-9a-f]{64}$/);
  });
});
