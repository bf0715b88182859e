import { pipeline } from "node:stream/promises";
import { BlobExistsError, type BlobStore } from "../blob/blob-store.js";
import { SIGNED_BLOB_PATH, type SignedGrant, type createLocalUrlSigner } from "../blob/local-url-signer.js";
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
  const openRead = blobs.openRead?.bind(blobs);
  if (!putStream || !openRead) throw new Error(`blob storage ${blobs.base} can neither presign URLs nor stream its blobs`);
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
      const found = await openRead(grant.key);
      if (!found) return reply(res, 404, `no object at ${grant.key}`);
      res.statusCode = 200;
      res.setHeader("content-type", contentTypeOf(grant.key));
      res.setHeader("content-length", found.size);
      // Blobs are user content (decks are HTML with scripts) served from the API's own origin:
      // scripts may run, but in an opaque origin that cannot reach this one's cookies or storage.
      res.setHeader("content-security-policy", "sandbox allow-scripts allow-popups");
      res.setHeader("x-content-type-options", "nosniff");
      if (method === "HEAD" || found.size === 0) {
        found.stream.destroy();
        res.end();
        return true;
      }
      await pipeline(found.stream, res).catch((e: unknown) => {
        // Mostly a client that went away mid-download; the answer is cut short either way.
        logger.info("signed download ended early", { key: grant.key, error: String(e) });
      });
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
    let size = 0;
    try {
      // Create-only: a signed PUT never replaces an object, so a URL handed out for a fixed
      // place cannot overwrite what was stored there since (see the existing-object case below).
      const accept = (info: { size: number; contentMd5: Uint8Array }) => {
        const got = Buffer.from(info.contentMd5).toString("base64");
        if (sentMd5 !== undefined && got !== sentMd5) throw new Refused(403, `the body's MD5 ${got} does not match Content-MD5 ${sentMd5}`);
        digest = info.contentMd5;
        size = info.size;
      };
      await putStream(grant.key, bodyUpTo(req, res, maxUploadBytes), accept, { createOnly: true });
    } catch (e) {
      req.resume(); // drain what the client still sends, so it reads the answer
      if (e instanceof BlobExistsError) return await answerExisting(grant, digest, size, res);
      if (PATH_CLASH.has((e as NodeJS.ErrnoException).code ?? "")) {
        return reply(res, 409, `${grant.key} clashes with another object: one of them would have to be a folder of the other`);
      }
      if (e instanceof Refused) return reply(res, e.status, e.message);
      if ((e as NodeJS.ErrnoException).code === "ELOOP") return reply(res, 403, `${grant.key} leads through a symbolic link`);
      // A client that hung up mid-upload is not a server fault; the temp file is already gone.
      if (req.destroyed) logger.info("signed upload ended by the client", { key: grant.key });
      else logger.error("signed upload failed", { key: grant.key, error: String((e as Error)?.stack ?? e) });
      return reply(res, 500, "the upload could not be stored");
    }
    return stored(res, digest!);
  };

  /**
   * A PUT that found an object at its key: the same bytes again (the URL was signed for
   * their MD5, which the body matched, and the object has it) are a successful rewrite,
   * as flytekit's re-registration does; anything else leaves the object alone.
   */
  async function answerExisting(grant: SignedGrant, digest: Uint8Array | undefined, size: number, res: Res): Promise<true> {
    const found = await blobs.stat(grant.key);
    if (!found) return reply(res, 409, `${grant.key} clashes with another object: one of them would have to be a folder of the other`);
    // Hashing the stored object (a read of all of it) only when it could be the same bytes.
    const existing = grant.contentMd5 !== undefined && digest !== undefined && found.size === size ? await blobs.head(grant.key) : undefined;
    if (digest !== undefined && existing?.contentMd5 !== undefined && Buffer.from(existing.contentMd5).equals(Buffer.from(digest))) return stored(res, digest);
    return reply(res, 412, `an object already exists at ${grant.key}; this URL may create it, not replace it with other content`);
  }
}

function stored(res: Res, digest: Uint8Array): true {
  res.statusCode = 200;
  res.setHeader("etag", `"${Buffer.from(digest).toString("hex")}"`);
  res.end();
  return true;
}

// On a local store "a/b" and "a/b/c" cannot both exist (S3 allows it): the write fails with one of these.
const PATH_CLASH = new Set(["ENOTDIR", "EEXIST", "EISDIR", "ENOTEMPTY"]);

const CONTENT_TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  htm: "text/html; charset=utf-8",
  json: "application/json",
  txt: "text/plain; charset=utf-8",
  csv: "text/csv; charset=utf-8",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  svg: "image/svg+xml",
};

/** A content type from the key's extension (decks are `deck.html`), else bytes. */
function contentTypeOf(key: string): string {
  const name = key.slice(key.lastIndexOf("/") + 1);
  const dot = name.lastIndexOf(".");
  return (dot > 0 && CONTENT_TYPES[name.slice(dot + 1).toLowerCase()]) || "application/octet-stream";
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
 *
 * A body cut off midway (the body timeout answered, or the client hung up)
 * can leave the request neither ended nor errored: once a response has been
 * sent, Node discards the rest of the body and drops the iterator's
 * listeners, and a plain for-await would wait forever, holding the upload's
 * temporary file open. The response closing ends the wait.
 */
async function* bodyUpTo(req: Req, res: Res, limit: number): AsyncGenerator<Uint8Array> {
  let size = 0;
  const chunks = req.iterator({ destroyOnReturn: false })[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let onClose: (() => void) | undefined;
  const closed = new Promise<never>((_, reject) => {
    onClose = () => reject(new Error("the request ended before its body was complete"));
    res.once("close", onClose);
  });
  closed.catch(() => undefined);
  try {
    for (;;) {
      const next = await Promise.race([chunks.next(), closed]);
      if (next.done) return;
      size += next.value.length;
      if (size > limit) throw new Refused(413, `the upload is larger than the ${limit}-byte limit`);
      yield next.value;
    }
  } finally {
    res.off("close", onClose!);
  }
}
