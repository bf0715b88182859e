import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import bcrypt from "bcryptjs";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";
import { bcryptHashOf } from "../../src/auth/static-clients.js";

const file = (text: string) => {
  const path = join(mkdtempSync(join(tmpdir(), "flyteadmin-auth-config-")), "config.yaml");
  writeFileSync(path, text);
  return path;
};
const HASH = bcrypt.hashSync("s3cret", 4);
const B64 = Buffer.from(HASH).toString("base64");

describe("the auth option", () => {
  it("is off by default, with FlyteAdmin's defaults underneath", () => {
    const { auth } = loadConfig({ flags: { dataDir: "/srv/flyte" } });
    expect(auth.enabled).toBe(false);
    expect(auth).toMatchObject({
      grpcAuthorizationHeader: "flyte-authorization",
      httpAuthorizationHeader: "flyte-authorization",
      requiredScope: "all",
      secretsDir: "/srv/flyte/secrets",
      appAuth: {
        authServerType: "Self",
        selfAuthServer: { accessTokenLifespanMs: 1_800_000, tokenSigningRSAKeySecretName: "token_rsa_key.pem", oldTokenSigningRSAKeySecretName: "token_rsa_key_old.pem" },
        thirdPartyConfig: { flyteClient: { clientId: "flytectl", redirectUri: "http://localhost:53593/callback", scopes: ["all", "offline"], audience: "" } },
      },
    });
    // FlyteAdmin's public CLI clients; its confidential default, whose secret every install shares, is left out.
    expect(auth.appAuth.selfAuthServer.staticClients.map((c) => [c.id, c.public])).toEqual([["flyte-cli", true], ["flytectl", true]]);
  });

  it("is switched on by --auth true with the file's settings kept, and by a mapping", () => {
    const path = file("auth:\n  enabled: false\n  authorizedUris: [https://flyte.example.com]\n  disableForHttp: true\n");
    expect(loadConfig({ file: path }).auth.enabled).toBe(false);
    const on = loadConfig({ file: path, flags: { auth: "true" } }).auth;
    expect(on).toMatchObject({ enabled: true, authorizedUris: ["https://flyte.example.com"], disableForHttp: true });
    expect(loadConfig({ file: file("auth:\n  authorizedUris: [https://x.example.com]\n") }).auth.enabled).toBe(true);
    expect(loadConfig({ env: { FLYTEADMIN_AUTH: '{"authorizedUris":["http://localhost:8089"]}' } }).auth.authorizedUris).toEqual(["http://localhost:8089"]);
  });

  it("takes FlyteAdmin's YAML: durations, external server, static clients with base64 bcrypt secrets", () => {
    const { auth } = loadConfig({
      file: file(`auth:
  authorizedUris: [https://flyte.example.com, http://localhost:8088]
  grpcAuthorizationHeader: X-Flyte-Auth
  appAuth:
    authServerType: External
    externalAuthServer:
      baseUrl: https://company.okta.com/oauth2/default
      metadataUrl: .well-known/openid-configuration
      allowedAudience: [api://flyte]
      retryDelay: 2s
    selfAuthServer:
      accessTokenLifespan: 1h
      staticClients:
        flytepropeller:
          client_secret: ${B64}
          redirect_uris: [http://localhost:3846/callback]
          grant_types: [refresh_token, client_credentials]
          response_types: [token]
          scopes: [all, offline, access_token]
        ci:
          id: ci-bot
          secret: "${HASH}"
          grantTypes: [client_credentials]
          scopes: [all]
`),
    });
    expect(auth.grpcAuthorizationHeader).toBe("x-flyte-auth");
    expect(auth.appAuth.authServerType).toBe("External");
    expect(auth.appAuth.externalAuthServer).toMatchObject({ retryDelayMs: 2000, retryAttempts: 5, allowedAudience: ["api://flyte"] });
    expect(auth.appAuth.selfAuthServer.accessTokenLifespanMs).toBe(3_600_000);
    const [propeller, ci] = auth.appAuth.selfAuthServer.staticClients;
    expect(propeller).toMatchObject({ id: "flytepropeller", secretHash: HASH, public: false, grantTypes: ["refresh_token", "client_credentials"] });
    expect(ci).toMatchObject({ id: "ci-bot", secretHash: HASH });
    // FlyteAdmin's own test data lists clients as one-entry mappings.
    const listed = loadConfig({ env: { FLYTEADMIN_AUTH: JSON.stringify({ authorizedUris: ["http://x"], appAuth: { selfAuthServer: { staticClients: [{ "my-client": { id: "my-client", client_secret: B64 } }] } } }) } });
    expect(listed.auth.appAuth.selfAuthServer.staticClients[0]).toMatchObject({ id: "my-client", secretHash: HASH });
  });

  it("takes the roles' settings under rbac", () => {
    const { auth } = loadConfig({ file: file("auth:\n  authorizedUris: [http://x]\n  rbac:\n    enabled: true\n    superAdmins: [alice]\n    cacheTtl: 30s\n") });
    expect(auth.rbac).toMatchObject({ enabled: true, superAdmins: ["alice"], cacheTtlMs: 30_000 });
    expect(loadConfig().auth.rbac.enabled).toBe(false);
    expect(() => loadConfig({ flags: { auth: JSON.stringify({ authorizedUris: ["http://x"], rbac: { defaultRole: "god" } }) } })).toThrow(/^--auth: rbac\.defaultRole/);
  });

  it("takes the public URL when no authorized URIs are given", () => {
    expect(loadConfig({ flags: { auth: "true", publicUrl: "https://flyte.example.com" } }).auth.authorizedUris).toEqual(["https://flyte.example.com"]);
  });

  it("stops start-up with a one-line error naming the setting, never a secret", () => {
    const bad: [Record<string, unknown> | string, RegExp][] = [
      ["maybe", /--auth: expected true, false or a JSON mapping/],
      [{ enabled: true }, /authorizedUris is required when auth is on/],
      [{ authorizedUris: ["ftp://x"] }, /authorizedUris\[0\]: expected an http/],
      [{ authorizedUris: ["http://x"], bogus: 1 }, /unknown key bogus/],
      [{ authorizedUris: ["http://x"], appAuth: { authServerType: "Okta" } }, /authServerType: expected Self or External/],
      [{ authorizedUris: ["http://x"], appAuth: { authServerType: "External" } }, /externalAuthServer.baseUrl .* is required/],
      [{ authorizedUris: ["http://x"], appAuth: { selfAuthServer: { accessTokenLifespan: "forever" } } }, /accessTokenLifespan: expected a duration/],
      [{ authorizedUris: ["http://x"], appAuth: { selfAuthServer: { accessTokenLifespan: "10ms" } } }, /accessTokenLifespan: expected a duration of at least 1s/],
      [{ authorizedUris: ["http://x"], appAuth: { selfAuthServer: { tokenSigningRSAKeySecretName: "../key.pem" } } }, /expected a file name in the secrets folder/],
      [{ authorizedUris: ["http://x"], grpcAuthorizationHeader: "bad header" }, /grpcAuthorizationHeader: expected an HTTP header name/],
      [{ authorizedUris: ["http://x"], appAuth: { selfAuthServer: { staticClients: { bot: { scopes: ["all"] } } } } }, /staticClients.bot: a confidential client needs client_secret/],
      [{ authorizedUris: ["http://x"], appAuth: { selfAuthServer: { staticClients: { bot: { client_secret: "plain-text-secret" } } } } }, /staticClients.bot.client_secret: expected the base64 of a bcrypt hash/],
      [{ authorizedUris: ["http://x"], appAuth: { selfAuthServer: { staticClients: { bot: { public: true, client_secret: B64 } } } } }, /a public client has no secret/],
      [{ authorizedUris: ["http://x"], appAuth: { selfAuthServer: { staticClients: { a: { id: "same", public: true }, b: { id: "same", public: true } } } } }, /given twice/],
    ];
    for (const [value, message] of bad) {
      const flags = { auth: typeof value === "string" ? value : JSON.stringify(value) };
      let error: unknown;
      try {
        loadConfig({ flags });
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(value)).toBeInstanceOf(ConfigError);
      expect((error as Error).message, JSON.stringify(value)).toMatch(message);
      expect((error as Error).message).not.toContain("plain-text-secret");
      expect((error as Error).message.includes("\n")).toBe(false);
    }
  });

  it("takes FlyteAdmin's userAuth keys for browser login, with its defaults", () => {
    const defaults = loadConfig({ flags: { auth: JSON.stringify({ authorizedUris: ["http://x"] }) } }).auth.userAuth;
    expect(defaults).toEqual({
      redirectUrl: "/console",
      openId: { baseUrl: "", clientId: "", clientSecretName: "oidc_client_secret", clientSecretFile: "", scopes: ["openid", "profile"] },
      cookieSetting: { sameSitePolicy: "DefaultMode", domain: "" },
      idpQueryParameter: "",
    });
    const path = file(
      [
        "auth:",
        "  authorizedUris: [https://flyte.example.com]",
        "  userAuth:",
        "    redirectUrl: https://flyte.example.com/console/projects",
        "    idpQueryParameter: idp",
        "    cookieSetting: {sameSitePolicy: StrictMode, domain: .example.com}",
        "    openId:",
        "      baseUrl: https://company.okta.com/oauth2/default",
        "      clientId: 0oa1flyte",
        "      clientSecretName: okta_secret",
        "      scopes: [openid, profile, email, offline_access]",
        "",
      ].join("\n"),
    );
    expect(loadConfig({ file: path }).auth.userAuth).toEqual({
      redirectUrl: "https://flyte.example.com/console/projects",
      openId: { baseUrl: "https://company.okta.com/oauth2/default", clientId: "0oa1flyte", clientSecretName: "okta_secret", clientSecretFile: "", scopes: ["openid", "profile", "email", "offline_access"] },
      cookieSetting: { sameSitePolicy: "StrictMode", domain: ".example.com" },
      idpQueryParameter: "idp",
    });
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ redirectUrl: "//evil.example" }, /userAuth.redirectUrl: expected a path/],
      [{ openId: { clientId: "c" } }, /userAuth.openId.baseUrl is required with userAuth.openId.clientId/],
      [{ openId: { baseUrl: "https://idp", clientId: "c", scopes: ["profile"] } }, /scopes: must include openid/],
      [{ openId: { baseUrl: "https://idp", clientSecretName: "../secret" } }, /clientSecretName: expected a file name/],
      [{ openId: { baseUrl: "https://idp", issuer: "x" } }, /userAuth.openId: unknown key issuer/],
      [{ cookieSetting: { sameSitePolicy: "Sometimes" } }, /sameSitePolicy: expected DefaultMode, LaxMode, StrictMode or NoneMode/],
      [{ cookieSetting: { domain: "exa mple.com" } }, /cookieSetting.domain: expected a domain/],
      [{ idpQueryParameter: "a&b" }, /idpQueryParameter: expected a query parameter name/],
    ];
    for (const [userAuth, message] of bad) {
      expect(() => loadConfig({ flags: { auth: JSON.stringify({ authorizedUris: ["http://x"], userAuth }) } }), JSON.stringify(userAuth)).toThrow(message);
    }
    const none = { authorizedUris: ["http://x"], insecureCookieHeader: true, userAuth: { openId: { baseUrl: "https://idp", clientId: "c" }, cookieSetting: { sameSitePolicy: "NoneMode" } } };
    expect(() => loadConfig({ flags: { auth: JSON.stringify(none) } })).toThrow(/NoneMode needs Secure cookies/);
  });

  it("refuses a secrets folder tasks could read as a secret group", () => {
    expect(() => loadConfig({ flags: { engine: "local", dataDir: "/srv/f", auth: JSON.stringify({ authorizedUris: ["http://x"], secretsDir: "/srv/f/secrets/flyte" }) } })).toThrow(
      /secretsDir .* is a folder of --engine-secrets-dir/,
    );
    // The default (the secrets folder itself) is fine: tasks read <group>/<key> below it, never a file in it.
    expect(loadConfig({ flags: { engine: "local", dataDir: "/srv/f", auth: "true", publicUrl: "http://x" } }).auth.secretsDir).toBe("/srv/f/secrets");
  });
});

describe("client secrets", () => {
  it("are taken as FlyteAdmin holds them (base64 of the bcrypt hash) or as the hash", () => {
    expect(bcryptHashOf(B64)).toBe(HASH);
    expect(bcryptHashOf(HASH)).toBe(HASH);
    // The value in FlyteAdmin's own auth config test data.
    expect(bcryptHashOf("JDJhJDA2JHB4czFBa0c4MUt2cmhwbWwxUWlMU09RYVRrOWVlUHJVLzdZYWI5eTA3aDN4MFRnbGJhb1Q2")).toBe("$2a$06$pxs1AkG81Kvrhpml1QiLSOQaTk9eePrU/7Yab9y07h3x0TglbaoT6");
    for (const bad of ["", "foobar", Buffer.from("$2a$06$short").toString("base64")]) expect(() => bcryptHashOf(bad)).toThrow(/bcrypt/);
  });
});
