import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, createRouterTransport, type Client } from "@connectrpc/connect";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import { buildApp, type App, type BuildOptions } from "../../src/app.js";
import { type Config, loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/logger.js";
import { startServer, type RunningServer } from "../../src/server.js";

/**
 * A configuration for tests: throw-away SQLite and data folder, no logs, loopback on a free port,
 * and no engine (executions wait for events, as they did before the embedded engine); engine tests
 * pass `{ engine: "local" }`.
 */
export function testConfig(over: Partial<Record<keyof Config, string>> = {}): Config {
  const dataDir = mkdtempSync(join(tmpdir(), "flyteadmin-data-"));
  const storage = join(dataDir, "blobs");
  return loadConfig({ flags: { dataDir, database: ":memory:", storage, logLevel: "silent", listen: "127.0.0.1:0", engine: "none", ...over } });
}

/** An app served through an in-memory transport: the full router and interceptors, no HTTP. */
export async function inMemoryAdmin(over: Partial<Record<keyof Config, string>> = {}, options: BuildOptions = {}): Promise<{
  app: App;
  admin: Client<typeof AdminService>;
}> {
  const config = testConfig(over);
  const app = await buildApp(config, createLogger("silent"), options);
  const transport = createRouterTransport(app.routes, { router: { interceptors: app.interceptors } });
  return { app, admin: createClient(AdminService, transport) };
}

/** The real server on a free loopback port. */
export function realServer(over: Partial<Record<keyof Config, string>> = {}): Promise<RunningServer> {
  return startServer(testConfig(over), createLogger("silent"));
}
