import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuthTestServer, CLIENT_ID, CLIENT_SECRET, startAuthServer } from "../helpers/auth-server.js";

/**
 * POST /oauth2/token of the self-hosted server: client_credentials for the
 * static clients, everything else refused with RFC 6749 §5.2 JSON errors
 * (flytekit reads every answer of this endpoint as JSON).
 */
let s: AuthTestServer;
beforeAll(async () => {
  s = await startAuthServer();
});
afterAll(() => s?.close());

const FORM = "application/x-www-form-urlencoded";
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64")}`;

async function post(body: string | Record<string, string>, headers: Record<string, string> = {}, method = "POST") {
  const res = await fetch(`${s.server.url}/oauth2/token`, {
    method,
    headers: { "content-type": FORM, ...headers },
    ...(method === "GET" ? {} : { body: typeof body === "string" ? body : new URLSearchParams(body).toString() }),
  });
  const text = await res.text();
  expect(res.headers.get("content-type"), text).toBe("application/json");
  expect(res.headers.get("cache-control")).toBe("no-store");
  return { status: res.status, body: JSON.parse(text) as Record<string, unknown>, challenge: res.headers.get("www-authenticate") };
}

/** The RFC 6749 §5.2 error body with this code, and its status. */
const refused = (error: string, status = error === "invalid_client" ? 401 : 400) =>
  expect.objectContaining({ status, body: { error, error_description: expect.any(String) } });
const cc = { grant_type: "client_credentials" };
const good = { authorization: basic(CLIENT_ID, CLIENT_SECRET) };

describe("token request refusals", () => {
  it("refuses what is not a form POST", async () => {
    expect(await post("", {}, "GET")).toEqual(refused("invalid_request"));
    expect(await post(JSON.stringify(cc), { ...good, "content-type": "application/json" })).toEqual(refused("invalid_request"));
    expect(await post("x".repeat(70 * 1024), good)).toEqual(refused("invalid_request"));
  });

  it("refuses a missing, repeated or unserved grant type", async () => {
    expect(await post({}, good)).toEqual(refused("invalid_request"));
    expect(await post("grant_type=client_credentials&grant_type=client_credentials", good)).toEqual(refused("invalid_request"));
    for (const grant of ["authorization_code", "refresh_token", "password", "urn:ietf:params:oauth:grant-type:device_code"]) {
      expect(await post({ grant_type: grant, code: "x", refresh_token: "y" }, good), grant).toEqual(refused("unsupported_grant_type"));
    }
  });

  it("refuses bad client credentials alike, 401 with a Basic challenge when Basic was used", async () => {
    const wrong = await post(cc, { authorization: basic(CLIENT_ID, "nope") });
    const unknown = await post(cc, { authorization: basic("nobody", CLIENT_SECRET) });
    expect(wrong).toEqual(refused("invalid_client"));
    expect(wrong.challenge).toBe('Basic realm="flyteadmin"');
    expect(unknown).toEqual(wrong);
    const inBody = await post({ ...cc, client_id: CLIENT_ID, client_secret: "nope" });
    expect(inBody).toEqual(refused("invalid_client"));
    expect(inBody.challenge).toBeNull();
    expect(await post(cc)).toEqual(refused("invalid_client"));
    expect(await post(cc, { authorization: "Basic !!!" })).toEqual(refused("invalid_client"));
    expect(await post(cc, { authorization: `Basic ${Buffer.from("no-colon").toString("base64")}` })).toMatchObject({ status: 401 });
    expect(await post(cc, { authorization: basic(CLIENT_ID, `${CLIENT_SECRET}${"x".repeat(80)}`) })).toMatchObject({ status: 401 });
    expect(await post(cc, { authorization: basic(CLIENT_ID, "%zz") })).toMatchObject({ status: 401 });
    // Two ways at once is not allowed (RFC 6749 §2.3).
    expect(await post({ ...cc, client_secret: CLIENT_SECRET }, good)).toEqual(refused("invalid_request"));
  });

  it("refuses a grant the client may not use, and scopes it may not have", async () => {
    expect(await post({ ...cc, client_id: "flytectl" })).toEqual(refused("unauthorized_client"));
    expect(await post({ ...cc, scope: "all admin" }, good)).toEqual(refused("invalid_scope"));
  });
});

describe("token requests granted", () => {
  it("ignores parameters it does not know, as flytekit repeats the authorize ones", async () => {
    const res = await post({ ...cc, scope: "all", state: "s", code_challenge: "c", response_type: "code", redirect_uri: "http://x" }, good);
    expect(res).toMatchObject({ status: 200, body: { token_type: "bearer", scope: "all" } });
    expect(typeof res.body.expires_in).toBe("number");
  });

  it("drops offline when the client lacks it, and grants the client's scopes when none are asked for", async () => {
    const viewer = await post({ ...cc, scope: "read offline" }, { authorization: basic("viewer-bot", CLIENT_SECRET) });
    expect(viewer).toMatchObject({ status: 200, body: { scope: "read" } });
    const none = await post(cc, good);
    expect(none.body.scope).toBe("all");
    expect(decodeJwt(none.body.access_token as string).scp).toEqual(["all"]);
  });

  it("takes credentials in the body, a + in a form value as a space", async () => {
    const res = await post(`grant_type=client_credentials&client_id=${CLIENT_ID}&client_secret=${encodeURIComponent(CLIENT_SECRET).replace(/%20/g, "+")}`);
    expect(res.status).toBe(200);
  });
});
