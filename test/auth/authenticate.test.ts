import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { AuthRefusal } from "../../src/auth/auth-refusal.js";
import { type Authenticator, type CallInfo, createAuthenticate } from "../../src/auth/authenticate.js";
import type { Identity } from "../../src/auth/identity.js";
import { KeySourceUnavailable } from "../../src/auth/verify-access-token.js";
import { createLogger } from "../../src/logger.js";

/**
 * The authenticator chain the interceptor runs: other kinds of credential
 * (API keys, a session cookie) plug in as authenticators and credential
 * sources without touching it.
 */
const who = (subject: string, scopes = ["all"]): Identity => ({ kind: "app", subject, appId: subject, scopes: new Set(scopes), claims: {} });
const call = (headers: Record<string, string>, protocol: CallInfo["protocol"] = "grpc"): CallInfo => ({ protocol, header: (n) => headers[n] });

function setup(authenticators: Authenticator[], o: { enforced?: boolean; sources?: ((c: CallInfo) => { scheme: string; token: string } | undefined)[] } = {}) {
  const counts: string[] = [];
  const authenticate = createAuthenticate({
    authenticators,
    headerNames: { grpc: ["authorization", "flyte-authorization"], http: ["authorization", "x-auth"] },
    enforced: { grpc: o.enforced ?? true, http: o.enforced ?? true },
    requiredScope: "all",
    metrics: { accepted: (k) => void counts.push(`accepted:${k}`), refused: (r) => void counts.push(`refused:${r}`) },
    logger: createLogger("silent"),
    ...(o.sources ? { credentialSources: o.sources } : {}),
  });
  return { authenticate, counts };
}
const codeOf = async (p: Promise<unknown>) => p.then(() => "OK", (e: unknown) => Code[ConnectError.from(e).code]);

describe("the authenticator chain", () => {
  it("asks each authenticator in turn; the first identity wins, a refusal ends it", async () => {
    const apiKeys: Authenticator = async (scheme, token) => (scheme === "bearer" && token.startsWith("fak_") ? who("key-owner") : undefined);
    const jwt: Authenticator = async (scheme, token) => {
      if (scheme !== "bearer" || token.startsWith("fak_")) return undefined;
      if (token === "bad") throw new AuthRefusal("signature");
      return who("jwt-user");
    };
    const { authenticate, counts } = setup([apiKeys, jwt]);
    expect((await authenticate(call({ authorization: "Bearer fak_123" }), "x"))?.subject).toBe("key-owner");
    expect((await authenticate(call({ "flyte-authorization": "bearer ok" }), "x"))?.subject).toBe("jwt-user");
    expect(await codeOf(authenticate(call({ authorization: "Bearer bad" }), "x"))).toBe("Unauthenticated");
    expect(await codeOf(authenticate(call({ authorization: "Basic abc" }), "x"))).toBe("Unauthenticated");
    expect(await codeOf(authenticate(call({}), "x"))).toBe("Unauthenticated");
    expect(counts).toEqual(["accepted:app", "accepted:app", "refused:signature", "refused:unsupported", "refused:missing"]);
  });

  it("takes a credential from a source when no header has one (a session cookie)", async () => {
    const sessions: Authenticator = async (scheme, token) => (scheme === "session" && token === "s1" ? who("browser-user") : undefined);
    const cookie = (c: CallInfo) => {
      const m = /(?:^|; )flyte_session=([^;]+)/.exec(c.header("cookie") ?? "");
      return m ? { scheme: "session", token: m[1]! } : undefined;
    };
    const { authenticate } = setup([sessions], { sources: [cookie] });
    expect((await authenticate(call({ cookie: "a=b; flyte_session=s1" }, "http"), "x"))?.subject).toBe("browser-user");
    // A header wins over the cookie.
    expect(await codeOf(authenticate(call({ cookie: "flyte_session=s1", authorization: "Bearer x" }, "http"), "x"))).toBe("Unauthenticated");
  });

  it("lets a call through anonymous where the protocol does not require a credential, refused ones too", async () => {
    const { authenticate } = setup([async () => { throw new AuthRefusal("expired"); }], { enforced: false });
    expect(await authenticate(call({}), "x")).toBeUndefined();
    expect(await authenticate(call({ authorization: "Bearer old" }), "x")).toBeUndefined();
  });

  it("is PERMISSION_DENIED without the required scope, UNAVAILABLE when the keys cannot be fetched", async () => {
    const { authenticate } = setup([async (_s, token) => (token === "down" ? Promise.reject(new KeySourceUnavailable("down")) : who("reader", ["read"]))]);
    expect(await codeOf(authenticate(call({ authorization: "Bearer t" }), "x"))).toBe("PermissionDenied");
    expect(await codeOf(authenticate(call({ authorization: "Bearer down" }), "x"))).toBe("Unavailable");
  });
});
