import type { Req, Res } from "./http-types.js";

export type Scrape = () => Promise<{ contentType: string; body: string }>;

/**
 * `GET /metrics` in the Prometheus text format. Returns false for any other
 * request, so the caller hands it on; answering before the RPC router keeps
 * scrapes out of the RPC counts and logs.
 */
export function createMetricsEndpoint(scrape: Scrape, onError: (e: unknown) => void): (req: Req, res: Res) => boolean {
  return (req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    if ((req.url ?? "/").split("?")[0] !== "/metrics") return false;
    scrape().then(
      ({ contentType, body }) => {
        res.statusCode = 200;
        res.setHeader("content-type", contentType);
        if (req.method === "HEAD") res.end();
        else res.end(body);
      },
      (e: unknown) => {
        onError(e);
        res.statusCode = 500;
        res.setHeader("content-type", "text/plain; charset=utf-8");
        res.end("collecting metrics failed\n");
      },
    );
    return true;
  };
}
