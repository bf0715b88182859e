import type { BlobStore } from "../blob/blob-store.js";
import { SIGNED_BLOB_PATH, type createLocalUrlSigner } from "../blob/local-url-signer.js";
import type { Logger } from "../logger.js";
import type { Req, Res } from "./http-types.js";

export interface SignedBlobEndpointOptions {
  blobs: BlobStore;
  signer: ReturnType<typeof createLocalUrlSigner>;
  /** Larger uploads are refused with 413 (they are streamed to disk, never held in memory). */
  maxUploadBytes: number;
  logger: Logger;
}

/**
 * The HTTP side of the local store's signed URLs: PUT stores the body (as an S3
 * presigned PUT would, answering 200 with the ETag), GET and HEAD read a blob.
 * Returns false for paths outside SIGNED_BLOB_PATH.
 */
export function createSignedBlobEndpoint({ blobs, signer, maxUploadBytes, logger }: SignedBlobEndpointOptions) {
  const putStream = blobs.putStream?.bind(blobs);
  if (!putStream) throw new Error(`blob storage ${blobs.base} can neither presign URLs nor stream uploads`);
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
    let digest: Uint8Array | undefined;
    try {
      await putStream(grant.key, bodyUpTo(req, maxUploadBytes), (info) => {
        const got = Buffer.from(info.contentMd5).toString("base64");
        if (sentMd5 !== undefined && got !== sentMd5) throw new Refused(403, `the body's MD5 ${got} does not match Content-MD5 ${sentMd5}`);
        digest = info.contentMd5;
      });
    } catch (e) {
      if (e instanceof Refused) {
        req.resume(); // drain what the client still sends, so it reads the answer
        return reply(res, e.status, e.message);
      }
      // A client that hung up mid-upload is not a server fault; the temp file is already gone.
      if (req.destroyed) logger.info("signed upload ended by the client", { key: grant.key });
      else logger.error("signed upload failed", { key: grant.key, error: String((e as Error)?.stack ?? e) });
      return reply(res, 500, "the upload could not be stored");
    }
    res.statusCode = 200;
    res.setHeader("etag", `"${Buffer.from(digest!).toString("hex")}"`);
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

/** A refusal with its HTTP status, thrown while the body streams in. */
class Refused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The request body, chunk by chunk; past `limit` bytes it stops with a 413.
 * The request is not destroyed on the way out, so the answer can still be sent.
 */
async function* bodyUpTo(req: Req, limit: number): AsyncGenerator<Uint8Array> {
  let size = 0;
  for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new Refused(413, `the upload is larger than the ${limit}-byte limit`);
    yield chunk;
  }
}
