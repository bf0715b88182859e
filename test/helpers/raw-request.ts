import * as http from "node:http";
import * as http2 from "node:http2";

export type HttpVersion = "1.1" | "h2c";

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  /** The body as it came over the wire (not decompressed). */
  body: Buffer;
}

/**
 * A request whose path goes out byte for byte (no URL normalisation of `..` or
 * percent-encoding, no automatic decompression, unlike fetch), over HTTP/1.1 or
 * cleartext HTTP/2 with prior knowledge.
 */
export function rawRequest(
  version: HttpVersion,
  baseUrl: string,
  path: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<RawAnswer> {
  const method = options.method ?? "GET";
  const headers = options.headers ?? {};
  return version === "1.1" ? h1(baseUrl, path, method, headers) : h2(baseUrl, path, method, headers);
}

function h1(baseUrl: string, path: string, method: string, headers: Record<string, string>): Promise<RawAnswer> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path, method, headers, agent: false, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(", ") : v;
        resolve({ status: res.statusCode ?? 0, headers: out, body: Buffer.concat(chunks) });
      });
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer to ${method} ${path}`)));
    req.on("error", reject);
    req.end();
  });
}

function h2(baseUrl: string, path: string, method: string, headers: Record<string, string>): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(baseUrl);
    session.on("error", reject);
    const timer = setTimeout(() => session.destroy(new Error(`no answer to ${method} ${path}`)), 10_000);
    const stream = session.request({ ":method": method, ":path": path, ...headers }, { endStream: true });
    let status = 0;
    const out: Record<string, string> = {};
    stream.on("response", (h) => {
      status = Number(h[":status"]);
      for (const [k, v] of Object.entries(h)) if (!k.startsWith(":") && v !== undefined) out[k] = Array.isArray(v) ? v.join(", ") : String(v);
    });
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => {
      clearTimeout(timer);
      session.close();
      resolve({ status, headers: out, body: Buffer.concat(chunks) });
    });
    stream.on("error", (e) => {
      clearTimeout(timer);
      session.destroy();
      reject(e);
    });
  });
}
