import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { openBlobStore } from "../../src/blob/open-blob-store.js";
import { AdminError } from "../../src/core/errors.js";
import { toConnectError } from "../../src/server/errors.js";

/** A port on loopback that nothing listens on. */
const closedPort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

describe("S3 that cannot be reached", () => {
  it("is UNAVAILABLE naming blob storage, not the database", async () => {
    const port = await closedPort();
    const blobs = openBlobStore("s3://bucket/prefix", {
      endpoint: `http://127.0.0.1:${port}`,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: { accessKeyId: "k", secretAccessKey: "s" },
    });
    try {
      const failure = await blobs.get("metadata/p/d/x/inputs").then(() => undefined, (e: unknown) => e);
      expect(failure).toBeInstanceOf(AdminError);
      const wire = toConnectError(failure, "r1");
      expect(wire.code).toBe(14); // UNAVAILABLE
      expect(wire.rawMessage).toMatch(/^blob storage unavailable/);
    } finally {
      blobs.close();
    }
  }, 30_000);
});
