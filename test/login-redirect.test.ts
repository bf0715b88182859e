import { describe, expect, it } from "vitest";
import { isAllowedRedirect } from "../src/core/login-redirect.js";
import { readCookie, setCookie } from "../src/auth/cookies.js";

const URIS = ["https://flyte.example.com", "http://localhost:8088"];

describe("isAllowedRedirect", () => {
  it("allows nothing, a path on this server, and the public URLs' origins", () => {
    for (const ok of ["", "/", "/console", "/console/projects?x=1#y", "https://flyte.example.com/console", "https://FLYTE.example.com:443/x", "http://localhost:8088/console"]) {
      expect(isAllowedRedirect(ok, URIS), ok).toBe(true);
    }
  });

  it("refuses other hosts, schemes and ports, protocol-relative paths and oversized or odd text", () => {
    for (const bad of [
      "//evil.example",
      "/\\evil.example",
      "http://flyte.example.com/console",
      "https://flyte.example.com:8443/",
      "https://evil.example/",
      "https://flyte.example.com.evil.example/",
      "https://user:pw@flyte.example.com/",
      "javascript:alert(1)",
      "console",
      "/console\nSet-Cookie: x=1",
      `/${"a".repeat(3000)}`,
    ]) {
      expect(isAllowedRedirect(bad, URIS), bad).toBe(false);
    }
  });
});

describe("cookies", () => {
  it("reads one cookie by exact name from a Cookie header, bounded", () => {
    expect(readCookie("a=1; flyte_session=abc; b=2", "flyte_session")).toBe("abc");
    expect(readCookie("xflyte_session=no; flyte_session=yes", "flyte_session")).toBe("yes");
    expect(readCookie('flyte_session="q"', "flyte_session")).toBe("q");
    expect(readCookie("a=1", "flyte_session")).toBeUndefined();
    expect(readCookie(undefined, "flyte_session")).toBeUndefined();
    expect(readCookie(`flyte_session=x; pad=${"p".repeat(20_000)}`, "flyte_session")).toBeUndefined();
  });

  it("writes HttpOnly, Path=/, SameSite, Secure unless turned off, and expires with Max-Age=0", () => {
    expect(setCookie("n", "v", 60, { secure: true, sameSite: "DefaultMode", domain: "" })).toBe("n=v; Path=/; Max-Age=60; HttpOnly; SameSite=Lax; Secure");
    expect(setCookie("n", "", 0, { secure: false, sameSite: "StrictMode", domain: "example.com" })).toBe(
      "n=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Domain=example.com",
    );
  });
});
