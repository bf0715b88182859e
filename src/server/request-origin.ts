import { BlockList, isIP, isIPv6 } from "node:net";
import type { Req } from "./http-types.js";

/** scheme and host[:port] a client reached this server at. */
export interface Origin {
  proto: "http" | "https";
  host: string;
}

/**
 * The addresses whose X-Forwarded-Host/-Proto are believed: "loopback", IP
 * addresses and CIDR ranges, IPv4 or IPv6. Throws on an entry that is none of these.
 */
export function parseTrustedProxies(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const raw of entries) {
    const entry = raw.trim();
    if (entry === "loopback") {
      list.addSubnet("127.0.0.0", 8, "ipv4");
      list.addAddress("::1", "ipv6");
      continue;
    }
    const [address = "", bits, extra] = entry.split("/");
    const ip = unmapped(address);
    const family = isIP(ip);
    const prefix = bits === undefined ? undefined : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
    if (family === 0 || extra !== undefined || (prefix !== undefined && !(prefix <= (family === 4 ? 32 : 128)))) {
      throw new Error(`trusted proxy "${raw}" is not an IP address, a CIDR range such as 10.0.0.0/8, or "loopback"`);
    }
    const type = family === 4 ? "ipv4" : "ipv6";
    if (prefix === undefined) list.addAddress(ip, type);
    else list.addSubnet(ip, prefix, type);
  }
  return list;
}

/** "::ffff:10.0.0.1" (an IPv4 peer on a dual-stack socket) as the IPv4 address it is. */
function unmapped(address: string): string {
  const m = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return m ? m[1]! : address;
}

const LABEL = "[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?";
const NAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*\\.?$`);

/**
 * A host[:port] as a URL's authority may carry it: a DNS name or IPv4 address, or
 * an IPv6 address in brackets, and a port up to 65535. No userinfo, path, spaces
 * or markup: the value ends up in URLs handed to clients.
 */
export function isValidHost(text: string): boolean {
  if (text.length === 0 || text.length > 300) return false;
  const m = /^(\[[^\]]*\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(text);
  if (!m) return false;
  if (m[2] !== undefined && Number(m[2]) > 65535) return false;
  const host = m[1]!;
  if (host.startsWith("[")) return isIPv6(host.slice(1, -1));
  return NAME.test(host);
}

/** "http" or "https" from a forwarded value, else undefined. */
export function validProto(text: string | undefined): Origin["proto"] | undefined {
  const p = text?.trim().toLowerCase();
  return p === "http" || p === "https" ? p : undefined;
}

/** The first entry of a header a chain of proxies appends to (the one the client's side set). */
function first(value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v?.split(",")[0]?.trim();
}

/**
 * Works out where a request reached this server. X-Forwarded-Host/-Proto count
 * only from a trusted proxy (by the socket's peer address); otherwise the
 * request's Host (or HTTP/2 :authority) does. Whatever is used must be a plain
 * host[:port] and http/https, else the socket's own address stands in.
 */
export function createRequestOrigin(trustedProxies: readonly string[]) {
  const trusted = parseTrustedProxies(trustedProxies);
  const isTrusted = (address: string | undefined) => {
    if (address === undefined) return false;
    const ip = unmapped(address);
    const family = isIP(ip);
    return family !== 0 && trusted.check(ip, family === 4 ? "ipv4" : "ipv6");
  };

  return function originOf(req: Req): Origin {
    const socket = req.socket;
    const own: Origin["proto"] = "encrypted" in socket && socket.encrypted ? "https" : "http";
    let proto = own;
    let host: string | undefined;
    if (isTrusted(socket.remoteAddress)) {
      proto = validProto(first(req.headers["x-forwarded-proto"])) ?? own;
      const forwarded = first(req.headers["x-forwarded-host"]);
      if (forwarded !== undefined && isValidHost(forwarded)) host = forwarded;
    }
    if (host === undefined) {
      const given = first(req.headers[":authority"] as string | undefined) ?? first(req.headers.host);
      if (given !== undefined && isValidHost(given)) host = given;
    }
    return { proto, host: host ?? socketHost(socket.localAddress, socket.localPort) };
  };
}

/** The address the socket was accepted on, as host:port. */
function socketHost(address: string | undefined, port: number | undefined): string {
  // A link-local address's zone ("fe80::1%eth0") has no place in a URL's host.
  const ip = unmapped(address ?? "127.0.0.1").split("%")[0]!;
  const host = isIPv6(ip) ? `[${ip}]` : ip;
  return port === undefined ? host : `${host}:${port}`;
}
