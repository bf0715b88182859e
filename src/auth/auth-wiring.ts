import { Code, ConnectError, type Interceptor, type ServiceImpl } from "@connectrpc/connect";
import { createRemoteJWKSet, errors, type JWTVerifyGetKey } from "jose";
import type { AuthMetadataService } from "../../gen/flyteidl/service/auth_pb.js";
import type { IdentityService } from "../../gen/flyteidl/service/identity_pb.js";
import { authMetadataService, identityService } from "../api/auth-services.js";
import { ConfigError } from "../config.js";
import { pickPublicUrl } from "../core/public-url.js";
import type { Logger } from "../logger.js";
import type { Req, Res } from "../server/http-types.js";
import { type AuthConfig, loginConfigured } from "./auth-config.js";
import { createBrowserLogin } from "./browser-login.js";
import type { Store } from "../storage/store.js";
import { createApiKeyAuthenticator } from "./api-keys.js";
import { type Authenticator, type AuthMetrics, createAuthenticate } from "./authenticate.js";
import { createAuthorization } from "./authz.js";
import { createAuthHttpRoutes } from "./http-routes.js";
import { createAuthInterceptor } from "./interceptor.js";
import { createJwtAuthenticator } from "./jwt-authenticator.js";
import { type FileModes, KeyFileError, loadSigningKeys, type VerifyingKey } from "./keys.js";
import { createExternalMetadata, selfMetadata } from "./oauth2-metadata.js";
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
export type AccessStores = Pick<Store, "apiKeys" | "roleBindings" | "sessions">;

const OFF: AuthRuntime = {
  enabled: false,
  attach: () => [],
  services: undefined,
  routes: async () => false,
  refuseHttp: async () => false,
  forwardHeaders: [],
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
  let self: { keys: Awaited<ReturnType<typeof loadSigningKeys>>["keys"]; token(req: Req, res: Res): Promise<void> } | undefined;
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
    self = { keys, token: createTokenEndpoint({ clients, issue, publicUrlOf: fromReq, issuer: s.issuer, metrics: o.metrics, logger }) };
    metadata = (ctx) => selfMetadata(publicUrlOf((name) => ctx.requestHeader.get(name) ?? undefined), s.issuer, ["client_credentials"]);
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
  let stores: AccessStores | undefined;
  const sessionStore = () => {
    if (!stores) throw new Error("browser sessions used before the database is attached");
    return stores.sessions;
  };
  const login = loginConfigured(auth) ? await createBrowserLogin({ auth, dialect: o.dialect, modes: o.modes, logger, metrics: o.metrics, now, store: sessionStore, publicUrlOf: fromReq }) : undefined;
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
      stores = access;
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
    close: () => login?.close(),
  };
}

const orRoutes =
  (...handlers: ((req: Req, res: Res) => Promise<boolean>)[]) =>
  async (req: Req, res: Res): Promise<boolean> => {
    for (const handle of handlers) if (await handle(req, res)) return true;
    return false;
  };

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
