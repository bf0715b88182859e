import { describe, expect, it } from "vitest";
import type { Req } from "../../src/server/http-types.js";
import { createRequestOrigin, isValidHost, parseTrustedProxies } from "../../src/server/request-origin.js";

const request = (remoteAddress: string, headers: Record<string, string>, encrypted = false) =>
  ({ socket: { remoteAddress, localAddress: "::ffff:192.0.2.1", localPort: 8089, ...(encrypted ? { encrypted } : {}) }, headers }) as unknown as Req;
const forwarded = { host: "10.0.0.5:8089", "x-forwarded-host": "flyte.example.com", "x-forwarded-proto": "https" };

describe("trusted proxies", () => {
  it("believe X-Forwarded-* only from listed addresses: loopback, IPs, CIDRs, IPv4-mapped IPv6", () => {
    const originOf = createRequestOrigin(["loopback", "10.1.2.3", "192.168.0.0/16", "fd00::/8"]);
    for (const peer of ["127.0.0.1", "127.9.9.9", "::1", "::ffff:127.0.0.1", "10.1.2.3", "::ffff:10.1.2.3", "192.168.77.1", "fd12::1"]) {
      expect([peer, originOf(request(peer, forwarded))]).toEqual([peer, { proto: "https", host: "flyte.example.com" }]);
    }
    for (const peer of ["10.1.2.4", "::ffff:10.1.2.4", "172.16.0.1", "fe80::1", "2001:db8::1"]) {
      expect([peer, originOf(request(peer, forwarded))]).toEqual([peer, { proto: "http", host: "10.0.0.5:8089" }]);
    }
  });

  it("trust nobody by default", () => {
    const originOf = createRequestOrigin([]);
    expect(originOf(request("127.0.0.1", forwarded))).toEqual({ proto: "http", host: "10.0.0.5:8089" });
    expect(originOf(request("127.0.0.1", forwarded, true))).toEqual({ proto: "https", host: "10.0.0.5:8089" });
  });

  it("refuse entries that are no address", () => {
    for (const bad of ["localhost", "10.0.0.0/33", "::/129", "10.0.0.1/8/2", "1.2.3", "*"]) {
      expect(() => parseTrustedProxies([bad]), bad).toThrow(/not an IP address/);
    }
  });

  it("fall back to the socket's own address when no valid host was given", () => {
    const originOf = createRequestOrigin(["loopback"]);
    expect(originOf(request("127.0.0.1", { host: "<b>x</b>", "x-forwarded-host": "a b" }))).toEqual({ proto: "http", host: "192.0.2.1:8089" });
    expect(originOf(request("127.0.0.1", {}))).toEqual({ proto: "http", host: "192.0.2.1:8089" });
    const v6 = { socket: { remoteAddress: "::1", localAddress: "::1", localPort: 443, encrypted: true }, headers: {} } as unknown as Req;
    expect(originOf(v6)).toEqual({ proto: "https", host: "[::1]:443" });
    expect(originOf(request("127.0.0.1", { ":authority": "h2.example:8443" }))).toEqual({ proto: "http", host: "h2.example:8443" });
  });
});

describe("host validation", () => {
  it("accepts names, IPv4 and bracketed IPv6 with optional ports", () => {
    for (const ok of ["flyte.example.com", "localhost:8089", "10.0.0.1:80", "[::1]:8089", "[2001:db8::1]", "flyte_admin:8089", "a-b.c"]) {
      expect([ok, isValidHost(ok)]).toEqual([ok, true]);
    }
  });
  it("refuses markup, schemes, userinfo, paths, spaces and bad ports", () => {
    for (const bad of ["", "<x>", "javascript:alert(1)", "user@host", "host/path", "a b", "host:99999", "host:", "[::1", "[nothex]", "-lead.example", "a..b", "h?x", "h#x"]) {
      expect([bad, isValidHost(bad)]).toEqual([bad, false]);
    }
  });
});
