import { parseGoDurationNanos } from "../core/go-duration.js";
import { defaultRbacConfig, parseRbacConfig, type RbacConfig, RbacConfigError } from "./rbac-config.js";
import { parseStaticClients, type StaticClient } from "./static-clients.js";

export type { StaticClient } from "./static-clients.js";

/**
 * The `auth` option: off by default; a config file gives a mapping with
 * FlyteAdmin's `auth.*` keys (README "Authentication"), a flag or variable
 * `true`/`false` or the same mapping as JSON. Pure: key files are read when
 * the server starts, not while the configuration is parsed.
 */
export interface AuthConfig {
  enabled: boolean;
  /** The public base URLs of this service; the first is the default. Empty: `--public-url`. */
  authorizedUris: string[];
  /** Metadata key, besides `authorization`, a token may come in over gRPC, gRPC-Web and Connect; clients are told to use it. */
  grpcAuthorizationHeader: string;
  /** HTTP header, besides `Authorization`, a token may come in on REST. */
  httpAuthorizationHeader: string;
  /** Migration aids: a token is checked when sent but not required on that protocol. */
  disableForHttp: boolean;
  disableForGrpc: boolean;
  /** Scope every authenticated caller needs ("" for none); FlyteAdmin's is `all`. */
  requiredScope: string;
  /** Drops the Secure attribute of cookies (plain-http deployments). */
  insecureCookieHeader: boolean;
  /** Where key files are read from (and `auth init` writes them). Default `<data-dir>/secrets`. */
  secretsDir: string;
  userAuth: UserAuthConfig;
  /** Per-project roles (README "Roles"), off unless enabled. */
  rbac: RbacConfig;
  appAuth: {
    authServerType: "Self" | "External";
    selfAuthServer: SelfAuthServerConfig;
    externalAuthServer: { baseUrl: string; metadataUrl: string; allowedAudience: string[]; retryAttempts: number; retryDelayMs: number };
    thirdPartyConfig: { flyteClient: { clientId: string; redirectUri: string; scopes: string[]; audience: string } };
  };
}

/** Browser login against an external OpenID Connect provider (README "Browser login"). */
export interface UserAuthConfig {
  /** Where a login lands when it names no `redirect_url`: a path or an absolute http(s) URL. */
  redirectUrl: string;
  openId: {
    /** The provider; "" for none. Also the external authorization server when that has no base URL of its own. */
    baseUrl: string;
    /** This server's client id at the provider; browser login is on when it and baseUrl are set. */
    clientId: string;
    /** The file in the secrets folder holding the client secret. */
    clientSecretName: string;
    /** FlyteAdmin's older key: a path read as is, which wins over clientSecretName when set. */
    clientSecretFile: string;
    scopes: string[];
  };
  cookieSetting: { sameSitePolicy: SameSitePolicy; domain: string };
  /** A `/login` query parameter copied onto the provider's URL (Okta's `idp`), "" for none. */
  idpQueryParameter: string;
}

/** FlyteAdmin's names; DefaultMode sends Lax, the attribute browsers assume when there is none. */
export type SameSitePolicy = "DefaultMode" | "LaxMode" | "StrictMode" | "NoneMode";

/** Whether browser login is configured: a provider and a client id at it. */
export const loginConfigured = (auth: AuthConfig) => auth.userAuth.openId.baseUrl !== "" && auth.userAuth.openId.clientId !== "";

export interface SelfAuthServerConfig {
  /** The `iss` of issued tokens; "" means the public URL the token is issued for. */
  issuer: string;
  accessTokenLifespanMs: number;
  refreshTokenLifespanMs: number;
  authorizationCodeLifespanMs: number;
  tokenSigningRSAKeySecretName: string;
  oldTokenSigningRSAKeySecretName: string;
  claimSymmetricEncryptionKeySecretName: string;
  staticClients: StaticClient[];
}

export class AuthConfigError extends Error {
  override name = "AuthConfigError";
}

const MINUTE = 60_000;

/**
 * FlyteAdmin's two CLI clients (public: PKCE, no secret). FlyteAdmin also ships a
 * confidential `flytepropeller` client whose secret is the same on every install;
 * it is left out: a confidential client must be configured with a secret of one's own.
 */
const defaultClients = (): StaticClient[] =>
  ["flyte-cli", "flytectl"].map((id) => ({
    id,
    secretHash: "",
    redirectUris: ["http://localhost:53593/callback", "http://localhost:12345/callback"],
    grantTypes: ["refresh_token", "authorization_code"],
    responseTypes: ["code", "token"],
    scopes: ["all", "offline", "access_token"],
    audience: [],
    public: true,
  }));

export const defaultAuth = (): AuthConfig => ({
  enabled: false,
  authorizedUris: [],
  grpcAuthorizationHeader: "flyte-authorization",
  httpAuthorizationHeader: "flyte-authorization",
  disableForHttp: false,
  disableForGrpc: false,
  requiredScope: "all",
  insecureCookieHeader: false,
  secretsDir: "",
  userAuth: {
    redirectUrl: "/console",
    openId: { baseUrl: "", clientId: "", clientSecretName: "oidc_client_secret", clientSecretFile: "", scopes: ["openid", "profile"] },
    cookieSetting: { sameSitePolicy: "DefaultMode", domain: "" },
    idpQueryParameter: "",
  },
  rbac: defaultRbacConfig(),
  appAuth: {
    authServerType: "Self",
    selfAuthServer: {
      issuer: "",
      accessTokenLifespanMs: 30 * MINUTE,
      refreshTokenLifespanMs: 60 * MINUTE,
      authorizationCodeLifespanMs: 5 * MINUTE,
      tokenSigningRSAKeySecretName: "token_rsa_key.pem",
      oldTokenSigningRSAKeySecretName: "token_rsa_key_old.pem",
      claimSymmetricEncryptionKeySecretName: "claim_symmetric_key",
      staticClients: defaultClients(),
    },
    externalAuthServer: { baseUrl: "", metadataUrl: "", allowedAudience: [], retryAttempts: 5, retryDelayMs: 1000 },
    thirdPartyConfig: { flyteClient: { clientId: "flytectl", redirectUri: "http://localhost:53593/callback", scopes: ["all", "offline"], audience: "" } },
  },
});

const KEYS = {
  top: [
    "enabled",
    "authorizedUris",
    "grpcAuthorizationHeader",
    "httpAuthorizationHeader",
    "disableForHttp",
    "disableForGrpc",
    "requiredScope",
    "insecureCookieHeader",
    "secretsDir",
    "userAuth",
    "rbac",
    "appAuth",
  ],
  userAuth: ["redirectUrl", "openId", "cookieSetting", "idpQueryParameter"],
  openId: ["baseUrl", "clientId", "clientSecretName", "clientSecretFile", "scopes"],
  cookieSetting: ["sameSitePolicy", "domain"],
  appAuth: ["authServerType", "selfAuthServer", "externalAuthServer", "thirdPartyConfig"],
  self: [
    "issuer",
    "accessTokenLifespan",
    "refreshTokenLifespan",
    "authorizationCodeLifespan",
    "tokenSigningRSAKeySecretName",
    "oldTokenSigningRSAKeySecretName",
    "claimSymmetricEncryptionKeySecretName",
    "staticClients",
  ],
  external: ["baseUrl", "metadataUrl", "allowedAudience", "retryAttempts", "retryDelay"],
  thirdParty: ["flyteClient"],
  flyteClient: ["clientId", "redirectUri", "scopes", "audience"],
} as const;

const BOOLS: Record<string, boolean> = { true: true, "1": true, yes: true, on: true, false: false, "0": false, no: false, off: false };
const fail = (what: string) => new AuthConfigError(what);
const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
// An HTTP field name (RFC 9110 token), lower-cased as gRPC metadata keys are.
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]{1,100}$/;

/**
 * Reads the option from one source onto `previous` (the value of the sources
 * below it): a boolean only switches authentication on or off, keeping what a
 * config file set; a mapping replaces the whole setting (unset keys default).
 */
export function parseAuth(raw: unknown, previous: AuthConfig = defaultAuth()): AuthConfig {
  if (typeof raw === "boolean") return { ...previous, enabled: raw };
  let value = raw;
  if (typeof raw === "string") {
    const text = raw.trim();
    if (text === "") return previous;
    const flag = BOOLS[text.toLowerCase()];
    if (flag !== undefined) return { ...previous, enabled: flag };
    try {
      value = JSON.parse(text) as unknown;
    } catch {
      throw fail('expected true, false or a JSON mapping such as {"enabled":true,"authorizedUris":["https://flyte.example.com"]}');
    }
  }
  if (!isMapping(value)) throw fail(`expected true, false or a mapping of ${KEYS.top.join(", ")}`);
  const out = defaultAuth();
  const top = section(value, "auth", KEYS.top);
  out.enabled = top.enabled === undefined ? true : bool(top.enabled, "enabled");
  if (top.authorizedUris !== undefined) out.authorizedUris = list(top.authorizedUris, "authorizedUris").map((u, i) => httpUrl(u, `authorizedUris[${i}]`));
  for (const key of ["grpcAuthorizationHeader", "httpAuthorizationHeader"] as const) {
    if (top[key] === undefined) continue;
    const name = str(top[key], key).toLowerCase();
    if (!HEADER_NAME.test(name)) throw fail(`${key}: expected an HTTP header name such as flyte-authorization, got ${JSON.stringify(top[key])}`);
    out[key] = name;
  }
  for (const key of ["disableForHttp", "disableForGrpc", "insecureCookieHeader"] as const) if (top[key] !== undefined) out[key] = bool(top[key], key);
  if (top.requiredScope !== undefined) out.requiredScope = str(top.requiredScope, "requiredScope");
  if (top.secretsDir !== undefined) out.secretsDir = str(top.secretsDir, "secretsDir");
  if (top.userAuth !== undefined) parseUserAuth(section(top.userAuth, "userAuth", KEYS.userAuth), out.userAuth);
  if (top.rbac !== undefined) {
    try {
      out.rbac = parseRbacConfig(top.rbac);
    } catch (e) {
      if (!(e instanceof RbacConfigError)) throw e;
      // Its messages name the key from the top (auth.rbac.…).
      throw fail(e.message.replace(/^auth\./, ""));
    }
  }
  if (top.appAuth !== undefined) parseAppAuth(section(top.appAuth, "appAuth", KEYS.appAuth), out.appAuth);
  return out;
}

const SAME_SITE: Record<string, SameSitePolicy> = {
  defaultmode: "DefaultMode",
  default: "DefaultMode",
  laxmode: "LaxMode",
  lax: "LaxMode",
  strictmode: "StrictMode",
  strict: "StrictMode",
  nonemode: "NoneMode",
  none: "NoneMode",
};
// A cookie Domain attribute: a host name, optionally with FlyteAdmin's leading dot.
const COOKIE_DOMAIN = /^\.?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i;
// An OAuth2 scope token (RFC 6749 §3.3) and a URL query parameter name.
const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]{1,200}$/;
const QUERY_NAME = /^[A-Za-z0-9._~-]{1,100}$/;

function parseUserAuth(u: Partial<Record<(typeof KEYS.userAuth)[number], unknown>>, out: UserAuthConfig): void {
  if (u.redirectUrl !== undefined) {
    const r = str(u.redirectUrl, "userAuth.redirectUrl");
    if (!/^\/(?![/\\])/.test(r) && !isHttpUrl(r)) throw fail(`userAuth.redirectUrl: expected a path such as /console or an http(s) URL, got ${JSON.stringify(r)}`);
    out.redirectUrl = r;
  }
  if (u.openId !== undefined) {
    const o = section(u.openId, "userAuth.openId", KEYS.openId);
    if (o.baseUrl !== undefined) out.openId.baseUrl = httpUrl(o.baseUrl, "userAuth.openId.baseUrl");
    if (o.clientId !== undefined) out.openId.clientId = str(o.clientId, "userAuth.openId.clientId").trim();
    if (o.clientSecretName !== undefined) out.openId.clientSecretName = fileName(o.clientSecretName, "userAuth.openId.clientSecretName");
    if (o.clientSecretFile !== undefined) out.openId.clientSecretFile = str(o.clientSecretFile, "userAuth.openId.clientSecretFile").trim();
    if (o.scopes !== undefined) {
      const scopes = list(o.scopes, "userAuth.openId.scopes");
      for (const scope of scopes) if (!SCOPE.test(scope)) throw fail(`userAuth.openId.scopes: ${JSON.stringify(scope)} is not an OAuth2 scope`);
      if (!scopes.includes("openid")) throw fail("userAuth.openId.scopes: must include openid (the login needs an ID token)");
      out.openId.scopes = scopes;
    }
  }
  if (u.cookieSetting !== undefined) {
    const c = section(u.cookieSetting, "userAuth.cookieSetting", KEYS.cookieSetting);
    if (c.sameSitePolicy !== undefined) {
      const policy = SAME_SITE[str(c.sameSitePolicy, "userAuth.cookieSetting.sameSitePolicy").toLowerCase()];
      if (!policy) throw fail(`userAuth.cookieSetting.sameSitePolicy: expected DefaultMode, LaxMode, StrictMode or NoneMode, got ${JSON.stringify(c.sameSitePolicy)}`);
      out.cookieSetting.sameSitePolicy = policy;
    }
    if (c.domain !== undefined) {
      const domain = str(c.domain, "userAuth.cookieSetting.domain").trim();
      if (domain !== "" && (domain.length > 253 || !COOKIE_DOMAIN.test(domain))) throw fail(`userAuth.cookieSetting.domain: expected a domain such as example.com, got ${JSON.stringify(c.domain)}`);
      out.cookieSetting.domain = domain;
    }
  }
  if (u.idpQueryParameter !== undefined) {
    const name = str(u.idpQueryParameter, "userAuth.idpQueryParameter").trim();
    if (name !== "" && !QUERY_NAME.test(name)) throw fail(`userAuth.idpQueryParameter: expected a query parameter name such as idp, got ${JSON.stringify(u.idpQueryParameter)}`);
    out.idpQueryParameter = name;
  }
}

function parseAppAuth(a: Partial<Record<(typeof KEYS.appAuth)[number], unknown>>, out: AuthConfig["appAuth"]): void {
  if (a.authServerType !== undefined) {
    const t = str(a.authServerType, "appAuth.authServerType").toLowerCase();
    if (t !== "self" && t !== "external") throw fail(`appAuth.authServerType: expected Self or External, got ${JSON.stringify(a.authServerType)}`);
    out.authServerType = t === "self" ? "Self" : "External";
  }
  if (a.selfAuthServer !== undefined) {
    const s = section(a.selfAuthServer, "appAuth.selfAuthServer", KEYS.self);
    const self = out.selfAuthServer;
    if (s.issuer !== undefined) self.issuer = str(s.issuer, "appAuth.selfAuthServer.issuer");
    if (s.accessTokenLifespan !== undefined) self.accessTokenLifespanMs = duration(s.accessTokenLifespan, "appAuth.selfAuthServer.accessTokenLifespan");
    if (s.refreshTokenLifespan !== undefined) self.refreshTokenLifespanMs = duration(s.refreshTokenLifespan, "appAuth.selfAuthServer.refreshTokenLifespan");
    if (s.authorizationCodeLifespan !== undefined) self.authorizationCodeLifespanMs = duration(s.authorizationCodeLifespan, "appAuth.selfAuthServer.authorizationCodeLifespan");
    for (const key of ["tokenSigningRSAKeySecretName", "oldTokenSigningRSAKeySecretName", "claimSymmetricEncryptionKeySecretName"] as const) {
      if (s[key] !== undefined) self[key] = fileName(s[key], `appAuth.selfAuthServer.${key}`);
    }
    if (s.staticClients !== undefined) {
      try {
        self.staticClients = parseStaticClients(s.staticClients);
      } catch (e) {
        throw fail(`appAuth.selfAuthServer.staticClients${(e as Error).message}`);
      }
    }
  }
  if (a.externalAuthServer !== undefined) {
    const e = section(a.externalAuthServer, "appAuth.externalAuthServer", KEYS.external);
    const ext = out.externalAuthServer;
    if (e.baseUrl !== undefined) ext.baseUrl = httpUrl(e.baseUrl, "appAuth.externalAuthServer.baseUrl");
    if (e.metadataUrl !== undefined) ext.metadataUrl = str(e.metadataUrl, "appAuth.externalAuthServer.metadataUrl");
    if (e.allowedAudience !== undefined) ext.allowedAudience = list(e.allowedAudience, "appAuth.externalAuthServer.allowedAudience");
    if (e.retryAttempts !== undefined) {
      const n = e.retryAttempts;
      if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > 20) throw fail(`appAuth.externalAuthServer.retryAttempts: expected an integer from 0 to 20, got ${JSON.stringify(n)}`);
      ext.retryAttempts = n;
    }
    if (e.retryDelay !== undefined) ext.retryDelayMs = duration(e.retryDelay, "appAuth.externalAuthServer.retryDelay", 60_000);
  }
  if (a.thirdPartyConfig !== undefined) {
    const t = section(a.thirdPartyConfig, "appAuth.thirdPartyConfig", KEYS.thirdParty);
    if (t.flyteClient !== undefined) {
      const c = section(t.flyteClient, "appAuth.thirdPartyConfig.flyteClient", KEYS.flyteClient);
      const client = out.thirdPartyConfig.flyteClient;
      if (c.clientId !== undefined) client.clientId = str(c.clientId, "appAuth.thirdPartyConfig.flyteClient.clientId");
      if (c.redirectUri !== undefined) client.redirectUri = str(c.redirectUri, "appAuth.thirdPartyConfig.flyteClient.redirectUri");
      if (c.scopes !== undefined) client.scopes = list(c.scopes, "appAuth.thirdPartyConfig.flyteClient.scopes");
      if (c.audience !== undefined) client.audience = str(c.audience, "appAuth.thirdPartyConfig.flyteClient.audience");
    }
  }
}

/**
 * The checks that need the whole configuration, run once it is complete:
 * the public URLs default to `--public-url`, the secrets folder to
 * `<data-dir>/secrets`. Returns the setting with those filled in.
 */
export function resolveAuth(auth: AuthConfig, o: { publicUrl: string; dataDir: string; join(...parts: string[]): string }): AuthConfig {
  const out = { ...auth, secretsDir: auth.secretsDir || o.join(o.dataDir, "secrets") };
  if (!auth.enabled) return out;
  if (out.authorizedUris.length === 0) {
    if (o.publicUrl === "") throw fail("authorizedUris is required when auth is on: the URLs clients reach this server at, e.g. [https://flyte.example.com] (or set --public-url)");
    out.authorizedUris = [o.publicUrl];
  }
  const app = out.appAuth;
  if (app.authServerType === "External" && app.externalAuthServer.baseUrl === "" && out.userAuth.openId.baseUrl === "") {
    throw fail("appAuth.externalAuthServer.baseUrl (or userAuth.openId.baseUrl) is required with authServerType External, e.g. https://company.okta.com/oauth2/default");
  }
  const openId = out.userAuth.openId;
  if (openId.clientId !== "" && openId.baseUrl === "") throw fail("userAuth.openId.baseUrl is required with userAuth.openId.clientId: the identity provider browsers log in with, e.g. https://company.okta.com/oauth2/default");
  if (loginConfigured(out) && out.userAuth.cookieSetting.sameSitePolicy === "NoneMode" && out.insecureCookieHeader) {
    throw fail("userAuth.cookieSetting.sameSitePolicy NoneMode needs Secure cookies: browsers drop SameSite=None cookies without it (insecureCookieHeader is true)");
  }
  return out;
}

function section<K extends string>(raw: unknown, where: string, keys: readonly K[]): Partial<Record<K, unknown>> {
  if (!isMapping(raw)) throw fail(`${where}: expected a mapping of ${keys.join(", ")}`);
  for (const key of Object.keys(raw)) if (!(keys as readonly string[]).includes(key)) throw fail(`${where}: unknown key ${key} (expected ${keys.join(", ")})`);
  return raw as Partial<Record<K, unknown>>;
}

function str(v: unknown, where: string): string {
  if (typeof v !== "string") throw fail(`${where}: expected a string, got ${JSON.stringify(v)}`);
  if (v.length > 4096) throw fail(`${where}: longer than 4096 characters`);
  return v;
}

function bool(v: unknown, where: string): boolean {
  const b = typeof v === "boolean" ? v : typeof v === "string" ? BOOLS[v.toLowerCase()] : undefined;
  if (b === undefined) throw fail(`${where}: expected true or false, got ${JSON.stringify(v)}`);
  return b;
}

function list(v: unknown, where: string): string[] {
  if (!Array.isArray(v) || v.length > 100) throw fail(`${where}: expected a list of strings`);
  return v.map((s, i) => str(s, `${where}[${i}]`));
}

function isHttpUrl(s: string): boolean {
  try {
    const url = new URL(s);
    return (url.protocol === "http:" || url.protocol === "https:") && url.username === "" && url.password === "";
  } catch {
    return false;
  }
}

function httpUrl(v: unknown, where: string): string {
  const s = str(v, where);
  let url: URL | undefined;
  try {
    url = new URL(s);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
    throw fail(`${where}: expected an http:// or https:// URL such as https://flyte.example.com, got ${JSON.stringify(s)}`);
  }
  return s;
}

/** Go's duration text (`30m`, `1h`, `300s`), as FlyteAdmin's config takes it, in milliseconds; more than zero. */
function duration(v: unknown, where: string, max = 366 * 24 * 60 * MINUTE): number {
  const nanos = typeof v === "string" ? parseGoDurationNanos(v.trim()) : undefined;
  const ms = nanos === undefined ? NaN : Number(nanos / 1_000_000n);
  if (!(ms >= 1000) || ms > max) throw fail(`${where}: expected a duration of at least 1s such as 30m or 1h, got ${JSON.stringify(v)}`);
  return ms;
}

/** A secret's file name inside the secrets folder: one path segment. */
function fileName(v: unknown, where: string): string {
  const s = str(v, where);
  if (s === "" || s === "." || s === ".." || /[/\\\0]/.test(s)) throw fail(`${where}: expected a file name in the secrets folder, got ${JSON.stringify(s)}`);
  return s;
}
