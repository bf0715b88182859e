import { describe, expect, it } from "vitest";
import { type AuthorizeClient, checkAuthorizeRequest, withQuery } from "../../src/core/authorize-request.js";
import { s256Challenge, verifierMatches } from "../../src/core/pkce.js";

const flytectl: AuthorizeClient = {
  id: "flytectl",
  redirectUris: ["http://localhost:53593/callback", "http://localhost:12345/callback"],
  grantTypes: ["authorization_code", "refresh_token"],
  responseTypes: ["code", "token"],
  scopes: ["all", "offline"],
  public: true,
};
const confidential: AuthorizeClient = { ...flytectl, id: "web", redirectUris: ["https://app.example.com/cb?x=1"], public: false };
const bot: AuthorizeClient = { ...flytectl, id: "bot", grantTypes: ["client_credentials"] };
const clients = new Map([flytectl, confidential, bot].map((c) => [c.id, c]));
const VERIFIER = "v".repeat(43);
const CHALLENGE = s256Challenge(VERIFIER);
const check = (p: Record<string, string>) => checkAuthorizeRequest(new URLSearchParams(p), (id) => clients.get(id));
const good = (over: Record<string, string> = {}) => ({
  client_id: "flytectl",
  response_type: "code",
  redirect_uri: "http://localhost:53593/callback",
  scope: "all offline",
  state: "st",
  code_challenge: CHALLENGE,
  code_challenge_method: "S256",
  ...over,
});

describe("checkAuthorizeRequest", () => {
  it("accepts flytekit's request and binds what the code needs", () => {
    expect(check(good({ nonce: "n" }))).toEqual({
      ok: { clientId: "flytectl", redirectUri: "http://localhost:53593/callback", scopes: ["all", "offline"], state: "st", codeChallenge: CHALLENGE, nonce: "n" },
    });
  });

  it("never redirects before the client and its exact redirect URI are known", () => {
    const overs: Record<string, string>[] = [{ client_id: "" }, { client_id: "x" }, { redirect_uri: "http://localhost:53593/callback/" }, { redirect_uri: "" }];
    for (const over of overs) {
      expect(check(good(over)), JSON.stringify(over)).toHaveProperty("fatal");
    }
    // Left out with a single registered URI: that one (RFC 6749 §3.1.2.3).
    expect(check({ ...good({ client_id: "web", redirect_uri: "" }), code_challenge: "", code_challenge_method: "" })).toMatchObject({ ok: { redirectUri: "https://app.example.com/cb?x=1" } });
  });

  it("sends the rest back to the client with the state", () => {
    const back = (over: Record<string, string>) => {
      const out = check(good(over));
      return "redirect" in out ? out.redirect.error : out;
    };
    expect(back({ response_type: "" })).toBe("invalid_request");
    expect(back({ response_type: "token" })).toBe("unsupported_response_type");
    expect(back({ scope: "all root" })).toBe("invalid_scope");
    expect(back({ code_challenge: "" })).toBe("invalid_request");
    expect(back({ code_challenge_method: "plain" })).toBe("invalid_request");
    expect(back({ code_challenge: "tooshort" })).toBe("invalid_request");
    expect(check(good({ client_id: "bot" }))).toMatchObject({ redirect: { error: "unauthorized_client", state: "st" } });
  });

  it("lets a confidential client go without PKCE but never with plain", () => {
    const web = { ...good({ client_id: "web", redirect_uri: "https://app.example.com/cb?x=1" }), code_challenge: "", code_challenge_method: "" };
    expect(check(web)).toMatchObject({ ok: { codeChallenge: "" } });
    expect(check({ ...web, code_challenge: CHALLENGE, code_challenge_method: "plain" })).toHaveProperty("redirect");
  });

  it("gives the client's scopes when none are asked, and matches them hierarchically", () => {
    expect(check(good({ scope: "" }))).toMatchObject({ ok: { scopes: ["all", "offline"] } });
    expect(check(good({ scope: "all.read all.read" }))).toMatchObject({ ok: { scopes: ["all.read"] } });
  });

  it("refuses repeated and overlong parameters", () => {
    const p = new URLSearchParams(good());
    p.append("state", "again");
    expect(checkAuthorizeRequest(p, (id) => clients.get(id))).toHaveProperty("fatal");
    expect(check(good({ state: "s".repeat(513) }))).toHaveProperty("fatal");
  });

  it("adds the response to the redirect URI, keeping its query", () => {
    expect(withQuery("https://app.example.com/cb?x=1", { code: "c", state: "" })).toBe("https://app.example.com/cb?x=1&code=c");
  });
});

describe("PKCE S256", () => {
  it("matches RFC 7636's example and refuses malformed verifiers", () => {
    // RFC 7636 Appendix B.
    expect(s256Challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).toBe("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    expect(verifierMatches("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")).toBe(true);
    expect(verifierMatches("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")).toBe(false);
    expect(verifierMatches("short", s256Challenge("short"))).toBe(false);
    expect(verifierMatches("a".repeat(129), s256Challenge("a".repeat(129)))).toBe(false);
  });
});
