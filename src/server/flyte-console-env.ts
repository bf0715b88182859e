/**
 * The settings a Flyte console (flyteconsole) build reads from `window.env`. Its own Node
 * server writes them into index.html from its process environment; serving the build here,
 * this server writes them instead, pointing the console at the origin the page was loaded
 * from. Names and meanings are flyteconsole's:
 * - ADMIN_API_URL: host[:port] of FlyteAdmin, no scheme. Left empty, the console falls back
 *   to the page's host name WITHOUT its port, so on any port but 80/443 its REST calls
 *   would miss this server: it is always set here.
 * - ADMIN_API: `//host[:port]`, the prefix of its `/api/v1/...` calls (scheme-relative, so
 *   http and https both work).
 * - BASE_URL: the path the console is served under; its routes and asset URLs use it.
 * - ADMIN_API_USE_SSL: "https" or "http", as the page was reached.
 * - DISABLE_AUTH: this server has no login, so the console must not redirect to one.
 * - NODE_ENV: "production" (development builds warn and log more).
 * Others are set empty, as flyteconsole's server leaves them when not configured.
 */
export function flyteConsoleEnv(origin: { proto: string; host: string }, basePath: string): Record<string, string> {
  return {
    NODE_ENV: "production",
    ADMIN_API_URL: origin.host,
    ADMIN_API: `//${origin.host}`,
    ADMIN_API_USE_SSL: origin.proto === "https" ? "https" : "http",
    BASE_URL: basePath,
    BASE_HREF: "",
    DISABLE_AUTH: "1",
    DISABLE_CONSOLE_ROUTE_PREFIX: "",
    MAINTENANCE_MODE: "",
    CODE_SNIPPET_USE_AUTO_CONFIG: "",
    STATUS_URL: "",
    __FromServer: "true",
  };
}

/**
 * index.html with a script setting `window.env` added at the end of its head, so it runs
 * before the bundle's scripts. The JSON is escaped for an HTML script element: `<`, `>`
 * and `&` as \u escapes, so no value can close the element or open a comment.
 */
export function injectWindowEnv(html: string, env: Record<string, string>): string {
  const json = JSON.stringify(env).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  const script = `<script>window.env = ${json};</script>`;
  const head = /<\/head\s*>/i.exec(html);
  if (head) return html.slice(0, head.index) + script + html.slice(head.index);
  const firstScript = /<script[\s>]/i.exec(html);
  if (firstScript) return html.slice(0, firstScript.index) + script + html.slice(firstScript.index);
  return script + html;
}
