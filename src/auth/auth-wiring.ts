import { Code, ConnectError, type Interceptor, type ServiceImpl } from "@connectrpc/connect";
import { createRemoteJWKSet, errors, type JWTVerifyGetKey } from "jose";
import type { AuthMetadataService } from "../../gen/flyteidl/service/auth_pb.js";
import type { IdentityService } from "../../gen/flyteidl/service/identity_pb.js";
import { authMetadataService, identityService } from "../api/auth-services.js";
import { ConfigError } from "../config.js";
import { endpointOf, pickPublicUrl } from "../core/public-url.js";
import type { Logger } from "../logger.js";
import type { Req, Res } from "../server/http-types.js";
import { type AuthConfig, loginConfigured } from "./auth-config.js";
import { createBrowserLogin } from "./browser-login.js";
import type { Store } from "../storage/store.js";
import { createApiKeyAuthenticator } from "./api-keys.js";
import { type Authenticator, type AuthMetrics, createAuthenticate } from "./authenticate.js";
import { createAuthorization } from "./authz.js";
import { type AuthHttpRoutesOptions, createAuthHttpRoutes } from "./http-routes.js";
import { createAuthInterceptor } from "./interceptor.js";
import { createJwtAuthenticator } from "./jwt-authenticator.js";
import { type FileModes, KeyFileError, loadCookieBlockKey, loadSigningKeys, type VerifyingKey } from "./keys.js";
import { createExternalMetadata, selfMetadata } from "./oauth2-metadata.js";
import { createAuthorizeCookieSealer } from "./self-as/authorize-cookie.js";
import { createAuthorizeEndpoints } from "./self-as/authorize-endpoints.js";
import { createTokenIssuer } from "./self-as/issue-token.js";
import { createTokenEndpoint } from "./self-as/token-endpoint.js";
import { createTokenCache } from "./token-cache.js";
import { createAccessTokenVerifier, KeySourceUnavailable, type TokenTrust } from "./verify-access-token.js";

/** Authentication as the app uses it; everything is a no-op when it is off. */
export interface AuthRuntime {
  enabled: boolean;
  /**
   * Binds what reads the database (API keys, role bindings) once it is open, and
   * returns the interceptors to run: authentication, then roles when they are on
   * (none when authentication is off). Called once.
   */
  attach(access: AccessStores): Interceptor[];
  /** AuthMetadataService and IdentityService (undefined when off: they answer "unknown service"). */
  services: { authMetadata: ServiceImpl<typeof AuthMetadataService>; identity: ServiceImpl<typeof IdentityService> } | undefined;
  /** `/oauth2/*` and `/.well-known/openid-configuration`; false for other requests. */
  routes(req: Req, res: Res): Promise<boolean>;
  /** For plain HTTP routes that need a caller (task logs): answers 401/403 and returns true when it refuses the request. */
  refuseHttp(req: Req, res: Res): Promise<boolean>;
  /** Request headers the REST gateway must pass on to its in-process calls. */
  forwardHeaders: readonly string[];
  /**
   * Revokes every refresh token the self-hosted server issued to a subject
   * (a logout); returns how many. 0 when there is no self-hosted server or
   * the store is not attached yet. Access tokens already issued stay valid
   * until they expire: they are not looked up.
   */
  revokeUserGrants(subject: string): Promise<number>;
  /** Stops background work (the provider's discovery retries, the purge of ended sessions). */
  close(): void;
}

export interface AuthWiringOptions {
  auth: AuthConfig;
  /** The database dialect: a missing signing key is generated on a single node (SQLite) only. */
  dialect: string;
  modes: FileModes;
  logger: Logger;
  metrics?: AuthMetrics | undefined;
  clock?: (() => Date) | undefined;
  /** How soon an unknown key id may fetch an external JWKS again (default 30 s; tests use 0). */
  jwksCooldownMs?: number | undefined;
}

/** The stores authentication reads on calls. */
export type AccessStores = Pick<Store, "apiKeys" | "roleBindings" | "oauthGrants" | "sessions">;

const OFF: AuthRuntime = {
  enabled: false,
  attach: () => [],
  services: undefined,
  routes: async () => false,
  refuseHttp: async () => false,
  forwardHeaders: [],
  revokeUserGrants: async () => 0,
  close: () => undefined,
};

/** Builds what the configuration asks for: keys, verifier, interceptor, services and routes. */
export async function createAuth(o: AuthWiringOptions): Promise<AuthRuntime> {
  const { auth, logger } = o;
  if (!auth.enabled) return OFF;
  const now = o.clock ? () => o.clock!().getTime() : Date.now;
  const audiences = [...auth.authorizedUris, ...auth.appAuth.externalAuthServer.allowedAudience];
  const publicUrlOf = (read: (name: string) => string | undefined) =>
    pickPublicUrl({ proto: read("x-forwarded-proto") ?? "", host: read("x-forwarded-host") ?? "" }, auth.authorizedUris);
  const fromReq = (req: Req) => publicUrlOf((name) => headerText(req.headers[name]));

  let trust: () => TokenTrust | Promise<TokenTrust>;
  let metadata: Parameters<typeof authMetadataService>[0]["metadata"];
  let self: AuthHttpRoutesOptions["self"];
  // The stores, once attach() has run: the code flow's endpoints read them per request.
  let attached: AccessStores | undefined;
  if (auth.appAuth.authServerType === "Self") {
    const s = auth.appAuth.selfAuthServer;
    let loaded;
    try {
      loaded = await loadSigningKeys(auth.secretsDir, s, { generate: o.dialect === "sqlite", modes: o.modes, warn: logger.warn });
    } catch (e) {
      if (e instanceof KeyFileError) throw new ConfigError(`auth: ${e.message}`);
      throw e;
    }
    if (loaded.generated.length > 0) logger.info("generated the authentication secrets", { files: loaded.generated });
    const keys = loaded.keys;
    const fixed: TokenTrust = { key: selfKey(keys.verifying), algorithms: ["RS256"], issuers: s.issuer ? [s.issuer] : auth.authorizedUris };
    trust = () => fixed;
    const issue = createTokenIssuer({ keys, lifespanMs: s.accessTokenLifespanMs, now });
    const clients = new Map(s.staticClients.map((c) => [c.id, c]));
    const codeFlow = userCodeFlow(auth, o.dialect, o.modes);
    const grants = () => attached?.oauthGrants;
    const userGrants = codeFlow ? { store: grants, issue, refreshLifespanMs: s.refreshTokenLifespanMs, now } : undefined;
    self = {
      keys,
      token: createTokenEndpoint({ clients, issue, publicUrlOf: fromReq, issuer: s.issuer, metrics: o.metrics, logger, userGrants }),
      authorize: codeFlow
        ? createAuthorizeEndpoints({
            clients,
            sealer: createAuthorizeCookieSealer(codeFlow.blockKey),
            store: grants,
            authenticate: (call, where) => authenticate(call, where),
            codeLifespanMs: s.authorizationCodeLifespanMs,
            insecureCookie: auth.insecureCookieHeader,
            now,
            logger,
          })
        : undefined,
    };
    const served = codeFlow ? ["authorization_code", "client_credentials", "refresh_token"] : ["client_credentials"];
    metadata = (ctx) => {
      const publicUrl = publicUrlOf((name) => ctx.requestHeader.get(name) ?? undefined);
      return selfMetadata(publicUrl, s.issuer, served, codeFlow ? endpointOf(publicUrl, "/oauth2/authorize") : "");
    };
  } else {
    const ext = auth.appAuth.externalAuthServer;
    const baseUrl = ext.baseUrl || auth.userAuth.openId.baseUrl;
    const fetchMetadata = createExternalMetadata({ baseUrl, metadataUrl: ext.metadataUrl, retryAttempts: ext.retryAttempts, retryDelayMs: ext.retryDelayMs, now });
    metadata = async () => (await fetchMetadata()).response;
    trust = externalTrust(fetchMetadata, baseUrl, o.jwksCooldownMs ?? 30_000);
  }

  const verify = createAccessTokenVerifier({ trust, audiences, clock: o.clock });
  // API keys go first once the database is attached: their `fak_` bearer values are no JWTs.
  const authenticators: Authenticator[] = [createJwtAuthenticator({ verify, cache: createTokenCache(), now })];
  const headerNames = {
    grpc: ["authorization", auth.grpcAuthorizationHeader],
    http: ["authorization", auth.httpAuthorizationHeader],
  };
  const sessionStore = () => {
    if (!attached) throw new Error("browser sessions used before the database is attached");
    return attached.sessions;
  };
  const revokeUserGrants = async (subject: string) => {
    if (!attached || auth.appAuth.authServerType !== "Self") return 0;
    return attached.oauthGrants.revokeSubject(subject, new Date(now()));
  };
  const login = loginConfigured(auth)
    ? await createBrowserLogin({ auth, dialect: o.dialect, modes: o.modes, logger, metrics: o.metrics, now, store: sessionStore, publicUrlOf: fromReq, onLogout: revokeUserGrants })
    : undefined;
  if (login) authenticators.push(login.authenticator);
  const authenticate = createAuthenticate({
    authenticators,
    ...(login ? { credentialSources: [login.credentialSource] } : {}),
    headerNames,
    enforced: { http: !auth.disableForHttp, grpc: !auth.disableForGrpc },
    requiredScope: auth.requiredScope,
    metrics: o.metrics,
    logger,
  });
  const flyteClient = auth.appAuth.thirdPartyConfig.flyteClient;
  const authRoutes = createAuthHttpRoutes({ self, openIdBaseUrl: auth.userAuth.openId.baseUrl });
  return {
    enabled: true,
    attach(access) {
      attached = access;
      login?.start();
      authenticators.unshift(
        createApiKeyAuthenticator({
          store: access.apiKeys,
          ...(o.clock ? { clock: o.clock } : {}),
          onTouchError: (e) => logger.warn("recording an API key's last use failed", { error: String(e) }),
        }),
      );
      const authentication = createAuthInterceptor(authenticate);
      if (!auth.rbac.enabled) return [authentication];
      return [authentication, createAuthorization({ store: access, config: auth.rbac, now }).interceptor];
    },
    services: {
      authMetadata: authMetadataService({ metadata, client: flyteClient, authorizationMetadataKey: auth.grpcAuthorizationHeader }),
      identity: identityService(),
    },
    routes: login ? orRoutes(authRoutes, login.routes) : authRoutes,
    async refuseHttp(req, res) {
      try {
        await authenticate({ protocol: "http", header: (name) => headerText(req.headers[name]) }, (req.url ?? "").split("?", 1)[0]!);
        return false;
      } catch (e) {
        if (!(e instanceof ConnectError)) throw e;
        req.resume();
        res.statusCode = e.code === Code.PermissionDenied ? 403 : e.code === Code.Unavailable ? 503 : 401;
        if (e.code === Code.Unauthenticated) res.setHeader("www-authenticate", "Bearer");
        res.setHeader("content-type", "text/plain; charset=utf-8");
        res.end(`${e.rawMessage}\n`);
        return true;
      }
    },
    // The session cookie reaches the REST gateway's in-process calls like a credential header.
    forwardHeaders: login ? [auth.httpAuthorizationHeader, "cookie"] : [auth.httpAuthorizationHeader],
    revokeUserGrants,
    close: () => login?.close(),
  };
}

const orRoutes =
  (...handlers: ((req: Req, res: Res) => Promise<boolean>)[]) =>
  async (req: Req, res: Res): Promise<boolean> => {
    for (const handle of handlers) if (await handle(req, res)) return true;
    return false;
  };

/**
 * Whether the self-hosted server runs the authorization_code flow (with its
 * refresh tokens): only when user login is configured (`userAuth.openId`),
 * since `/oauth2/authorize` hands the browser to `/login`. Its requests are
 * sealed with the cookie block key, which browser login reads (and on a
 * single node makes) too. Otherwise none of it is served or advertised, and
 * clients fail at once instead of opening a browser on a page that does not exist.
 */
function userCodeFlow(auth: AuthConfig, dialect: string, modes: FileModes): { blockKey: Buffer } | undefined {
  if (!loginConfigured(auth)) return undefined;
  try {
    return { blockKey: Buffer.from(loadCookieBlockKey(auth.secretsDir, { generate: dialect === "sqlite", modes })) };
  } catch (e) {
    if (e instanceof KeyFileError) throw new ConfigError(`auth: ${e.message}`);
    throw e;
  }
}

const headerText = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join(", ") : v);

/**
 * The self-hosted server's key for a token: by `kid`, or FlyteAdmin's `key_id`
 * header, else the first (current) key, as FlyteAdmin falls back to it. A
 * token signed by another key then fails its signature check.
 */
function selfKey(keys: readonly VerifyingKey[]): JWTVerifyGetKey {
  return (header) => {
    const id = header.kid ?? (header as { key_id?: unknown }).key_id;
    return (keys.find((k) => k.kid === id) ?? keys[0]!).publicKey;
  };
}

/**
 * An external server's trust: its JWKS (jose's remote set, cached, fetched
 * again for an unknown key id at most once per cooldown, so a rotation is
 * picked up without a restart), RS256, ES256 or PS256, and the issuer its
 * metadata names (else the base URL). Unreachable metadata or keys make the
 * call UNAVAILABLE rather than UNAUTHENTICATED.
 */
function externalTrust(metadata: () => Promise<{ issuer: string; jwksUri: string }>, baseUrl: string, cooldownMs: number): () => Promise<TokenTrust> {
  let current: { jwksUri: string; trust: TokenTrust } | undefined;
  return async () => {
    let m;
    try {
      m = await metadata();
    } catch (e) {
      throw new KeySourceUnavailable((e as Error).message);
    }
    if (current?.jwksUri === m.jwksUri) return current.trust;
    let url: URL;
    try {
      url = new URL(m.jwksUri);
    } catch {
      throw new KeySourceUnavailable("the authorization server's metadata has no usable jwks_uri");
    }
    const remote = createRemoteJWKSet(url, { cooldownDuration: cooldownMs, timeoutDuration: 5000 });
    const key: JWTVerifyGetKey = async (header, token) => {
      try {
        return await remote(header, token);
      } catch (e) {
        if (e instanceof errors.JWKSNoMatchingKey || e instanceof errors.JWKSMultipleMatchingKeys || e instanceof errors.JOSENotSupported) throw e;
        throw new KeySourceUnavailable("the authorization server's keys could not be fetched");
      }
    };
    const trust: TokenTrust = { key, algorithms: ["RS256", "ES256", "PS256"], issuers: [m.issuer || baseUrl.replace(/\/+$/, "")] };
    current = { jwksUri: m.jwksUri, trust };
    return trust;
  };
}
