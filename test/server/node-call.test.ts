import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { Code, ConnectError, createContextValues } from "@connectrpc/connect";
import type { UniversalServerResponse } from "@connectrpc/connect/protocol";
import { afterEach, describe, expect, it } from "vitest";
import type { Req, Res } from "../../src/server/http-types.js";
import { createNodeCall } from "../../src/server/node-call.js";

/**
 * The answer writer against clients that leave half-way: the call must end
 * (so its handler pipeline and buffers are released), never wait forever.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An answer whose first chunk goes out at once and whose next chunks come after the client has left. */
function slowAnswer(): UniversalServerResponse & { finished: Promise<void> } {
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  async function* body() {
    try {
      yield new Uint8Array(16);
      await sleep(150);
      for (let i = 0; i < 64; i++) yield new Uint8Array(64 * 1024);
    } finally {
      finish();
    }
  }
  return { status: 200, header: new Headers({ "content-type": "application/grpc" }), body: body(), trailer: new Headers({ "grpc-status": "0" }), finished };
}

const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

function outcome(p: Promise<void>): Promise<unknown> {
  return Promise.race([p.then(() => "written", (e: unknown) => e), sleep(5_000).then(() => "still waiting")]);
}

describe("createNodeCall", () => {
  it("ends an HTTP/2 call whose client reset the stream mid-answer, and tells the handler", async () => {
    const settled: Promise<unknown>[] = [];
    const answers: ReturnType<typeof slowAnswer>[] = [];
    const server = http2.createServer((req, res) => {
      const call = createNodeCall(req as unknown as Req, res as unknown as Res, createContextValues());
      const answer = slowAnswer();
      answers.push(answer);
      settled.push(outcome(call.respond(answer)));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const client = http2.connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    closers.push(() => {
      client.destroy();
      server.close();
    });
    const stream = client.request({ ":method": "POST", ":path": "/x", "content-type": "application/grpc" });
    stream.end();
    await new Promise((r) => stream.once("response", r));
    stream.close(http2.constants.NGHTTP2_CANCEL);
    await sleep(50);
    const result = await settled[0];
    expect(result).toBeInstanceOf(ConnectError);
    expect((result as ConnectError).code).toBe(Code.Aborted);
    await answers[0]!.finished;
  });

  it("serves a request whose body is read after it has ended", async () => {
    const bodies: Promise<unknown>[] = [];
    const server = http.createServer((req, res) => {
      const call = createNodeCall(req as unknown as Req, res as unknown as Res, createContextValues());
      req.resume();
      req.once("end", () => {
        bodies.push(
          (async () => {
            const chunks: Uint8Array[] = [];
            for await (const c of call.request.body as AsyncIterable<Uint8Array>) chunks.push(c);
            res.end("ok");
            return chunks.length;
          })(),
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    closers.push(() => server.close());
    const answer = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/x`, { method: "POST", body: "abc" });
    expect(await answer.text()).toBe("ok");
    expect(await Promise.race([bodies[0], sleep(5_000).then(() => "still waiting")])).toBe(0);
  });
});
