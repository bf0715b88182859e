import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/logger.js";
import { signToken } from "../fixtures/oidc-issuer.js";
import { type AuthTestServer, CLIENT_ID, CLIENT_SECRET, PROTOCOLS, PUBLIC_URL, startAuthServer } from "../helpers/auth-server.js";

/**
 * No token or secret reaches the log, whatever happens to it: accepted,
 * refused for each reason, sent on every protocol, or posted to the token
 * endpoint. The server logs at debug level here, its most talkative.
 */
const lines: string[] = [];
let s: AuthTestServer;
beforeAll(async () => {
  s = await startAuthServer({ logger: createLogger("debug", (line) => void lines.push(line)), flags: { logLevel: "debug" } });
});
afterAll(() => s?.close());

describe("the log", () => {
  it("holds no token, signature or client secret", async () => {
    const good = await s.token();
    const base = { iss: PUBLIC_URL, aud: PUBLIC_URL, sub: "alice" };
    const bad = [
      await signToken(base, s.signingKey!, { expSeconds: -600 }),
      await signToken({ ...base, aud: "https://elsewhere" }, s.signingKey!),
      await signToken(base, s.signingKey!, { alg: "HS256-public" }),
      good.slice(0, -10),
      `${good}x`.repeat(3),
      "opaque-api-key-like-value",
    ];
    for (const protocol of PROTOCOLS) {
      for (const token of [good, ...bad]) await s.admin(protocol, { authorization: `Bearer ${token}` }).getVersion({}).catch(() => undefined);
    }
    for (const token of [good, ...bad]) {
      await fetch(`${s.server.url}/api/v1/version`, { headers: { "flyte-authorization": `Bearer ${token}` } });
      await fetch(`${s.server.url}/engine/logs/p/d/e/n/0`, { headers: { authorization: `Bearer ${token}` } });
    }
    const basicWrong = `Basic ${Buffer.from(`${CLIENT_ID}:wrong-${CLIENT_SECRET}`).toString("base64")}`;
    await fetch(`${s.server.url}/oauth2/token`, { method: "POST", headers: { authorization: basicWrong, "content-type": "application/x-www-form-urlencoded" }, body: "grant_type=client_credentials" });
    await fetch(`${s.server.url}/oauth2/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: CLIENT_ID, client_secret: `wrong-${CLIENT_SECRET}` }).toString(),
    });

    const log = lines.join("");
    expect(log).toContain("authentication refused");
    expect(log).toContain("token request refused");
    for (const token of [good, ...bad]) {
      const parts = token.split(".");
      for (const part of [token, parts[2], parts[1]].filter((p): p is string => Boolean(p) && p!.length > 8)) expect(log).not.toContain(part);
    }
    for (const secret of [CLIENT_SECRET, encodeURIComponent(CLIENT_SECRET), basicWrong.slice(6), "wrong-"]) expect(log).not.toContain(secret);
  });
});
