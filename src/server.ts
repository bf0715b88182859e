import { readFileSync } from "node:fs";
import { buildApp, type App, type BuildOptions } from "./app.js";
import type { Config } from "./config.js";
import type { Logger } from "./logger.js";
import { createListener } from "./server/listener.js";

export interface RunningServer {
  app: App;
  /** The base URL clients use, e.g. http://127.0.0.1:8089. */
  url: string;
  port: number;
  /** Graceful stop: refuse new calls, let in-flight ones finish (up to shutdownTimeoutMs), close the store. */
  close(): Promise<void>;
}

/** `:8089`, `0.0.0.0:8089`, `127.0.0.1:0`, `[::1]:8089` -> host (undefined = all interfaces) and port. */
export function parseListen(listen: string): { host: string | undefined; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(listen.trim());
  if (!m) throw new Error(`listen address must be host:port or :port, got ${JSON.stringify(listen)}`);
  const host = m[1] ?? m[2];
  return { host: host === "" ? undefined : host, port: Number(m[3]) };
}

/** Builds the app and serves it on the configured address. */
export async function startServer(config: Config, logger: Logger, options: BuildOptions = {}): Promise<RunningServer> {
  const { host, port } = parseListen(config.listen);
  const tls = config.tlsCert ? { cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey) } : undefined;
  const app = await buildApp(config, logger, options);
  const listener = createListener(app.handler, {
    tls,
    headersTimeoutMs: config.headersTimeoutMs,
    idleTimeoutMs: config.idleTimeoutMs,
    bodyTimeoutMs: config.bodyTimeoutMs,
    minBodyBytesPerSecond: config.minBodyBytesPerSecond,
    maxConnections: config.maxConnections,
  });
  let address;
  try {
    address = await listener.listen(port, host);
  } catch (e) {
    await app.close();
    throw e;
  }
  const shownHost = host === undefined || host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  const url = `${tls ? "https" : "http"}://${shownHost}:${address.port}`;
  try {
    // Once the port is known: the engine's task log links point here (unless publicUrl is set).
    await app.start(url);
  } catch (e) {
    await listener.close(0);
    await app.close();
    throw e;
  }
  let closing: Promise<void> | undefined;
  return {
    app,
    url,
    port: address.port,
    close: () =>
      (closing ??= (async () => {
        // Health watchers (load balancers, probes) hear NOT_SERVING first.
        app.health.shutdown();
        await listener.close(config.shutdownTimeoutMs);
        await app.close();
      })()),
  };
}
