import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../config.js";
import type { Logger } from "../logger.js";
import type { Req } from "../server/http-types.js";
import type { SessionStore } from "../storage/session-store.js";
import type { AuthConfig } from "./auth-config.js";
import type { AuthMetrics } from "./authenticate.js";
import { type FileModes, KeyFileError, loadCookieBlockKey } from "./keys.js";
import { createLoginRoutes } from "./login-routes.js";
import { createOidcProvider } from "./oidc-provider.js";
import { createSessionAuth } from "./session-authenticator.js";

/** How long a browser session lasts at most, refreshes included; then the user logs in again. */
export const SESSION_LIFETIME_MS = 12 * 60 * 60_000;
const PURGE_INTERVAL_MS = 10 * 60_000;
const PURGE_BATCH = 500;
const MAX_SECRET_BYTES = 4096;

export interface BrowserLoginOptions {
  auth: AuthConfig;
  dialect: string;
  modes: FileModes;
  logger: Logger;
  metrics?: AuthMetrics | undefined;
  now: () => number;
  store: () => SessionStore;
  publicUrlOf(req: Req): string;
  /** After a logout, with its subject (see LoginRoutesOptions.onLogout). */
  onLogout?: ((subject: string) => Promise<unknown>) | undefined;
}

/**
 * Browser login when `userAuth.openId` names a provider and a client: the
 * client secret and the cookie key read at start-up (a missing one stops it
 * with one line naming the file), the provider discovered in the background,
 * the session cookie as a credential, the /login, /callback and /logout
 * routes, and a periodic purge of ended sessions once the database is open.
 */
export async function createBrowserLogin(o: BrowserLoginOptions) {
  const { auth, logger } = o;
  const openId = auth.userAuth.openId;
  let blockKey: Uint8Array;
  try {
    blockKey = loadCookieBlockKey(auth.secretsDir, { generate: o.dialect === "sqlite", modes: o.modes });
  } catch (e) {
    if (e instanceof KeyFileError) throw new ConfigError(`auth: ${e.message}`);
    throw e;
  }
  logger.info("browser login on", {
    provider: openId.baseUrl,
    clientId: openId.clientId,
    redirectUris: auth.authorizedUris.map((u) => new URL("/callback", u).toString()),
  });
  const provider = createOidcProvider({ baseUrl: openId.baseUrl, clientId: openId.clientId, clientSecret: readClientSecret(auth), logger, now: o.now });
  const sessions = createSessionAuth({ store: o.store, provider, now: o.now, logger });
  const routes = createLoginRoutes({
    userAuth: auth.userAuth,
    authorizedUris: auth.authorizedUris,
    cookies: { secure: !auth.insecureCookieHeader, sameSite: auth.userAuth.cookieSetting.sameSitePolicy, domain: auth.userAuth.cookieSetting.domain },
    sessionLifetimeMs: SESSION_LIFETIME_MS,
    provider,
    blockKey,
    store: o.store,
    identify: sessions.identify,
    publicUrlOf: o.publicUrlOf,
    now: o.now,
    logger,
    count: o.metrics?.browserSession ? (event) => o.metrics!.browserSession!(event) : undefined,
    onLogout: o.onLogout,
  });
  let purge: NodeJS.Timeout | undefined;
  const purgeOnce = () =>
    o
      .store()
      .purgeExpired(new Date(o.now()), PURGE_BATCH)
      .then(
        (n) => n > 0 && logger.debug("purged ended browser sessions", { count: n }),
        (e: unknown) => logger.warn("purging ended browser sessions failed", { error: String(e) }),
      );
  return {
    authenticator: sessions.authenticator,
    credentialSource: sessions.credentialSource,
    routes,
    /** Starts the purge; the database is open. */
    start() {
      purge ??= setInterval(() => void purgeOnce(), PURGE_INTERVAL_MS);
      purge.unref();
    },
    close() {
      if (purge) clearInterval(purge);
      provider.close();
    },
  };
}

/**
 * The provider's client secret as FlyteAdmin reads it: `clientSecretFile`
 * when set, else `clientSecretName` in the secrets folder, one trailing
 * newline dropped. Errors name the file, never its content.
 */
function readClientSecret(auth: AuthConfig): string {
  const openId = auth.userAuth.openId;
  const file = openId.clientSecretFile || join(auth.secretsDir, openId.clientSecretName);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(
      code === "ENOENT"
        ? `auth: userAuth.openId: no client secret at ${file}; write the secret the identity provider gave for client ${openId.clientId} there`
        : `auth: userAuth.openId: cannot read the client secret at ${file} (${code ?? "error"})`,
    );
  }
  const secret = text.replace(/\r?\n$/, "");
  if (secret === "" || secret.length > MAX_SECRET_BYTES) throw new ConfigError(`auth: userAuth.openId: the client secret at ${file} is empty or longer than ${MAX_SECRET_BYTES} bytes`);
  return secret;
}
