import { createServer, type Socket } from "node:net";

/** A loopback TCP forwarder that can stall its connections, standing in for a network that stops delivering. */
export interface TcpProxy {
  /** host:port clients connect to. */
  readonly address: string;
  /** Stops forwarding in both directions; sockets stay open and bytes are held, as on a stalled network. */
  pause(): void;
  /** Delivers what was held and forwards again. */
  resume(): void;
  /** Resets every open connection (as a failover or a network reset would). */
  reset(): void;
  /**
   * Open connections stop delivering for good but are never closed, as when a
   * failover or a lost NAT entry leaves them half-open; new ones work.
   */
  strand(): void;
  /** Resets every connection and refuses new ones until up(): the database is gone. */
  down(): void;
  up(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  const stranded = new Set<[Socket, Socket]>();
  let paused = false;
  let isDown = false;
  const resetAll = () => {
    for (const [a, b] of pairs) a.resetAndDestroy(), b.resetAndDestroy();
    pairs.clear();
  };
  const server = createServer((client) => {
    if (isDown) {
      client.resetAndDestroy();
      return;
    }
    const upstream = new (client.constructor as typeof Socket)();
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      stranded.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    client.pipe(upstream);
    upstream.pipe(client);
    if (paused) {
      client.pause();
      upstream.pause();
    }
    upstream.connect(target.port, target.host);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    address: `127.0.0.1:${port}`,
    pause() {
      paused = true;
      for (const [a, b] of pairs) a.pause(), b.pause();
    },
    resume() {
      paused = false;
      for (const [a, b] of pairs) a.resume(), b.resume();
    },
    reset: resetAll,
    strand() {
      for (const pair of pairs) {
        pair[0].pause(), pair[1].pause();
        stranded.add(pair);
      }
      pairs.clear();
    },
    down() {
      isDown = true;
      resetAll();
    },
    up() {
      isDown = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const [a, b] of [...pairs, ...stranded]) a.destroy(), b.destroy();
        pairs.clear();
        stranded.clear();
        server.close(() => resolve());
      }),
  };
}
