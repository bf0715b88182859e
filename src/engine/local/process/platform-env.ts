/**
 * Where a task reaches this control plane, as flytekit reads it (`PlatformConfig.auto`):
 * `FLYTE_PLATFORM_URL` (a gRPC target, `host:port`) and `FLYTE_PLATFORM_INSECURE`. An
 * `@eager` task builds its FlyteRemote from these alone when it finds no config file (the
 * engine gives tasks none), launching and polling its sub-executions through them; without
 * them it would dial the sandbox's `localhost:30080`. FlyteAdmin deployments set the same
 * pair as platform default env vars (the sandbox chart's `plugins.k8s.default-env-vars`).
 *
 * `serverUrl` is `http(s)://host[:port]`; plain HTTP is insecure (gRPC over h2c), HTTPS is
 * TLS verified against the system roots (a private CA goes in `--engine-env`, e.g.
 * `FLYTE_PLATFORM_CA_CERT_FILE_PATH`, which wins over these). Anything else yields {}.
 */
export function platformEnv(serverUrl: string): Record<string, string> {
  let u: URL;
  try {
    u = new URL(serverUrl);
  } catch {
    return {};
  }
  if ((u.protocol !== "http:" && u.protocol !== "https:") || u.hostname === "") return {};
  const tls = u.protocol === "https:";
  // gRPC targets carry no scheme and need the port: the URL's default one is left out by URL.
  const port = u.port !== "" ? u.port : tls ? "443" : "80";
  return { FLYTE_PLATFORM_URL: `${u.hostname}:${port}`, FLYTE_PLATFORM_INSECURE: tls ? "false" : "true" };
}

/**
 * The platform env of every task: `platformEnv(serverUrl)` under the configured variables,
 * which win. Without a prototype, so a variable named `__proto__` stays a variable.
 */
export function platformDefaultEnv(serverUrl: string, configured: Readonly<Record<string, string>>): Record<string, string> {
  const env = Object.create(null) as Record<string, string>;
  for (const [k, v] of [...Object.entries(platformEnv(serverUrl)), ...Object.entries(configured)]) env[k] = v;
  return env;
}
