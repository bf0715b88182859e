import { describe, expect, it } from "vitest";
import { flyteConsoleEnv, injectWindowEnv } from "../../src/server/flyte-console-env.js";

/** Runs the injected script as a browser would, returning what it set. */
function windowEnvOf(html: string): Record<string, string> {
  const m = /<script>(window\.env = .*?;)<\/script>/.exec(html);
  expect(m).not.toBeNull();
  const window: { env?: Record<string, string> } = {};
  new Function("window", m![1]!)(window);
  return window.env!;
}

describe("flyteConsoleEnv", () => {
  it("points the console at the origin, port included, scheme-relative", () => {
    expect(flyteConsoleEnv({ proto: "http", host: "localhost:8089" }, "/console")).toMatchObject({
      ADMIN_API_URL: "localhost:8089",
      ADMIN_API: "//localhost:8089",
      ADMIN_API_USE_SSL: "http",
      BASE_URL: "/console",
      DISABLE_AUTH: "1",
    });
    expect(flyteConsoleEnv({ proto: "https", host: "[::1]:443" }, "/console").ADMIN_API_USE_SSL).toBe("https");
  });
});

describe("injectWindowEnv", () => {
  const env = { ADMIN_API_URL: "h:1", BASE_URL: "/console" };

  it("adds the script at the end of the head, before the bundle's scripts", () => {
    const html = `<html><head><title>t</title></HEAD ><body><script src="/a.js"></script></body></html>`;
    const out = injectWindowEnv(html, env);
    expect(out).toBe(`<html><head><title>t</title><script>window.env = {"ADMIN_API_URL":"h:1","BASE_URL":"/console"};</script></HEAD ><body><script src="/a.js"></script></body></html>`);
    expect(windowEnvOf(out)).toEqual(env);
  });

  it("falls back to before the first script, then to the start, without a head", () => {
    expect(injectWindowEnv(`<body><p>x</p><script src="/a.js"></script>`, env)).toMatch(/^<body><p>x<\/p><script>window\.env = .*<\/script><script src/);
    expect(injectWindowEnv(`<p>x</p>`, env)).toMatch(/^<script>window\.env = .*<\/script><p>x<\/p>$/);
  });

  it("keeps values from closing the script element or opening a comment", () => {
    const nasty = { A: "</script><script>alert(1)</script>", B: "<!-- x -->", C: "a & b \u2028" };
    const out = injectWindowEnv("<head></head>", nasty);
    expect(out.match(/<\/script>/gi)).toHaveLength(1);
    expect(out).not.toContain("<!--");
    expect(windowEnvOf(out)).toEqual(nasty);
  });
});
