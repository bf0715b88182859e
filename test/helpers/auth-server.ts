import { createPrivateKey, type KeyObject } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import bcrypt from "bcryptjs";
import { createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import { type Config, loadConfig } from "../../src/config.js";
import type { BuildOptions } from "../../src/app.js";
import { createLogger, type Logger } from "../../src/logger.js";
import { startServer, type RunningServer } from "../../src/server.js";

/** The confidential client every auth test server has: flytekit's ClientSecret mode and the Go client log in as it. */
export const CLIENT_ID = "flytepropeller";
export const CLIENT_SECRET = "p@ss w+rd";
/** The URLs the test servers say they are reached at; the first is the default. */
export const PUBLIC_URL = "http://localhost:8088";
export const OTHER_URL = "https://flyte.example.com";

// Cost 4: the comparison is what a token request costs, and tests make many.
const SECRET_HASH = Buffer.from(bcrypt.hashSync(CLIENT_SECRET, 4), "latin1").toString("base64");

/** The `auth` setting of a self-hosted test server, with what a test adds or replaces. */
export function selfAuth(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    authorizedUris: [PUBLIC_URL, OTHER_URL],
    appAuth: {
      selfAuthServer: {
        staticClients: {
          [CLIENT_ID]: { client_secret: SECRET_HASH, grant_types: ["client_credentials"], scopes: ["all", "offline"] },
          "viewer-bot": { client_secret: SECRET_HASH, grant_types: ["client_credentials"], scopes: ["read"] },
          flytectl: { public: true, grant_types: ["authorization_code", "refresh_token"], scopes: ["all", "offline"] },
        },
      },
    },
    ...over,
  };
}

export interface AuthTestServer {
  server: RunningServer;
  config: Config;
  /** The self-hosted server's signing key, for hand-made tokens (undefined with an external server). */
  signingKey: KeyObject | undefined;
  /** A client_credentials token from /oauth2/token, as flytekit's ClientSecret mode gets one. */
  token(scope?: string, client?: string): Promise<string>;
  /** AdminService over a named protocol, sending `headers` with every call. */
  admin(protocol: Protocol, headers?: Record<string, string>): Client<typeof AdminService>;
  close(): Promise<void>;
}

export type Protocol = "grpc" | "grpc-web" | "connect";
export const PROTOCOLS: readonly Protocol[] = ["grpc", "grpc-web", "connect"];

export function transportFor(protocol: Protocol, baseUrl: string, interceptors: Interceptor[] = []): Transport {
  if (protocol === "grpc") return createGrpcTransport({ baseUrl, interceptors });
  if (protocol === "grpc-web") return createGrpcWebTransport({ baseUrl, httpVersion: "1.1", interceptors });
  return createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors });
}

/** Sends fixed headers with every call. */
export const withHeaders =
  (headers: Record<string, string>): Interceptor =>
  (next) =>
  (req) => {
    for (const [k, v] of Object.entries(headers)) req.header.set(k, v);
    return next(req);
  };

/** A real server on a free port with authentication on (self-hosted by default); `flags` are any other options. */
export async function startAuthServer(
  o: { auth?: Record<string, unknown>; flags?: Partial<Record<keyof Config, string>>; logger?: Logger; dataDir?: string; build?: BuildOptions } = {},
): Promise<AuthTestServer> {
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), "flyteadmin-auth-"));
  const config = loadConfig({
    flags: {
      dataDir,
      database: ":memory:",
      storage: join(dataDir, "blobs"),
      logLevel: "silent",
      listen: "127.0.0.1:0",
      engine: "none",
      auth: JSON.stringify(o.auth ?? selfAuth()),
      ...o.flags,
    },
  });
  const server = await startServer(config, o.logger ?? createLogger("silent"), o.build);
  const keyFile = join(config.auth.secretsDir, config.auth.appAuth.selfAuthServer.tokenSigningRSAKeySecretName);
  const signingKey = config.auth.appAuth.authServerType === "Self" ? createPrivateKey(readFileSync(keyFile)) : undefined;
  return {
    server,
    config,
    signingKey,
    async token(scope = "all offline", client = CLIENT_ID) {
      const basic = Buffer.from(`${encodeURIComponent(client)}:${encodeURIComponent(CLIENT_SECRET).replace(/%20/g, "+")}`).toString("base64");
      const res = await fetch(`${server.url}/oauth2/token`, {
        method: "POST",
        headers: { authorization: `Basic ${basic}`, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "client_credentials", scope }).toString(),
      });
      const body = (await res.json()) as { access_token?: string };
      if (res.status !== 200 || !body.access_token) throw new Error(`token request failed: ${res.status} ${JSON.stringify(body)}`);
      return body.access_token;
    },
    admin: (protocol, headers = {}) => createClient(AdminService, transportFor(protocol, server.url, [withHeaders(headers)])),
    close: () => server.close(),
  };
}
