import { createHash } from "node:crypto";
import type { BlobStore } from "../blob/blob-store.js";
import { SIGNED_BLOB_PATH, type createLocalUrlSigner } from "../blob/local-url-signer.js";
import type { Logger } from "../logger.js";
import type { Req, Res } from "./http-types.js";

export interface SignedBlobEndpointOptions {
  blobs: BlobStore;
  signer: ReturnType<typeof createLocalUrlSigner>;
  /** Uploads are held in memory until their MD5 is checked; larger ones are refused with 413. */
  maxUploadBytes: number;
  logger: Logger;
}

/**
 * The HTTP side of the local store's signed URLs: PUT stores the body (as an S3
 * presigned PUT would, answering 200 with the ETag), GET and HEAD read a blob.
 * Returns false for paths outside SIGNED_BLOB_PATH.
 */
export function createSignedBlobEndpoint({ blobs, signer, maxUploadBytes, logger }: SignedBlobEndpointOptions) {
  return async function handle(req: Req, res: Res): Promise<boolean> {
    const url = req.url ?? "/";
    if (!url.startsWith(SIGNED_BLOB_PATH)) return false;
    const method = req.method ?? "GET";
    const verdict = signer.verify(method, url, Date.now());
    if (!verdict.ok) {
      req.resume();
      return reply(res, method === "PUT" || method === "GET" || method === "HEAD" ? 403 : 405, verdict.reason);
    }
    const { grant } = verdict;
    if (grant.method === "GET") {
      const bytes = await blobs.get(grant.key);
      if (!bytes) return reply(res, 404, `no object at ${grant.key}`);
      res.statusCode = 200;
      res.setHeader("content-type", "application/octet-stream");
      res.setHeader("content-length", bytes.length);
      if (method === "HEAD") res.end();
      else res.end(bytes);
      return true;
    }

    const header = req.headers["content-md5"];
    const sentMd5 = typeof header === "string" ? header.trim() : undefined;
    if (grant.contentMd5 !== undefined && sentMd5 !== grant.contentMd5) {
      req.resume();
      const what = sentMd5 === undefined ? "no Content-MD5 header was sent" : `Content-MD5 ${sentMd5} was sent`;
      return reply(res, 403, `the URL was signed for Content-MD5 ${grant.contentMd5}, but ${what}`);
    }
    const body = await readUpTo(req, maxUploadBytes);
    if (body === undefined) return reply(res, 413, `the upload is larger than the ${maxUploadBytes}-byte limit`);
    const digest = createHash("md5").update(body).digest();
    if (sentMd5 !== undefined && digest.toString("base64") !== sentMd5) {
      return reply(res, 403, `the body's MD5 ${digest.toString("base64")} does not match Content-MD5 ${sentMd5}`);
    }
    try {
      await blobs.put(grant.key, body, { contentMd5: digest });
    } catch (e) {
      logger.error("signed upload failed", { key: grant.key, error: String((e as Error)?.stack ?? e) });
      return reply(res, 500, "the upload could not be stored");
    }
    res.statusCode = 200;
    res.setHeader("etag", `"${digest.toString("hex")}"`);
    res.end();
    return true;
  };
}

/** Answers with a plain-text reason; returns true (handled) for the caller to pass on. */
function reply(res: Res, status: number, message: string): true {
  res.statusCode = status;
  res.setHeader("content-type", "text/plain; charset=utf-8");
  res.end(`${message}\n`);
  return true;
}

/** The whole body, or undefined (with the rest drained) once it passes `limit` bytes. */
function readUpTo(req: Req, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off("data", onData);
        req.resume();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.on("end", () => resolve(size > limit ? undefined : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}
