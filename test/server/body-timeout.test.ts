import * as http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBodyTimeout } from "../../src/server/body-timeout.js";

describe("the request body watch on an HTTP/1.1 keep-alive connection", () => {
  const sockets: Socket[] = [];
  let server: http.Server;
  let port: number;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

  beforeAll(async () => {
    // A long timeout: its ticks never come during the test, so only the end of each body can end its watch.
    const watch = createBodyTimeout(60_000, 100);
    server = http.createServer((req, res) => {
      watch(req, res);
      if (req.url === "/early") {
        // Answered before the body is read: Node dumps the rest of it.
        res.end("early");
        return;
      }
      req.resume();
      req.on("end", () => res.end("ok"));
    });
    server.on("connection", (s: Socket) => sockets.push(s));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    agent.destroy();
    await new Promise((r) => server.close(r));
  });

  const post = (path: string) =>
    new Promise<string>((resolve, reject) => {
      const req = http.request({ host: "127.0.0.1", port, path, method: "POST", agent, headers: { "content-type": "application/json" } }, (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (c: string) => (text += c)).on("end", () => resolve(text));
      });
      req.on("error", reject);
      req.end(JSON.stringify({ pad: "x".repeat(100) }));
    });

  it("leaves no listener behind for bodies read to the end or dumped after an early answer", async () => {
    await post("/read");
    expect(sockets).toHaveLength(1);
    const before = sockets[0]!.listenerCount("close");
    for (let i = 0; i < 30; i++) expect(await post(i % 2 ? "/early" : "/read")).toBe(i % 2 ? "early" : "ok");
    // Every request went over the one connection, and none left its watch on it.
    expect(sockets).toHaveLength(1);
    expect(sockets[0]!.listenerCount("close")).toBe(before);
  });
});
