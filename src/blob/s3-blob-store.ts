import type { S3Client } from "@aws-sdk/client-s3";
import type { PresignRequest, SignedUrl } from "./url-signer.js";
import { type BlobEntry, type BlobInfo, type BlobStore, type PutOptions, checkKey, checkPrefix, keyUnder, verifyMd5, withMessages } from "./blob-store.js";
import { AdminError } from "../core/errors.js";

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Connection settings; without credentials the SDK's default chain (env, profile, IMDS...) applies. */
export interface S3ConnectionOptions {
  /** For S3-compatible servers (MinIO, ...), e.g. "http://localhost:9000". */
  endpoint?: string;
  /** Defaults to AWS_REGION / AWS_DEFAULT_REGION, then "us-east-1" (S3-compatible servers rarely care). */
  region?: string;
  /** Address buckets as endpoint/bucket instead of bucket.endpoint; most S3-compatible servers need this. */
  forcePathStyle?: boolean;
  credentials?: S3Credentials;
}

export interface S3BlobStoreOptions extends S3ConnectionOptions {
  bucket: string;
  /** Object-key prefix under which all keys live, without leading/trailing '/'. */
  prefix?: string;
  /** Max keys per ListObjectsV2 page; only worth setting to exercise pagination. */
  listPageSize?: number;
}

/** User metadata name under which the put's MD5 is kept: S3 does not return Content-MD5 on HEAD. */
const MD5_META = "content-md5";

export function createS3BlobStore(options: S3BlobStoreOptions): BlobStore {
  const { bucket } = options;
  if (!bucket || bucket.includes("/")) throw new Error(`invalid S3 bucket name "${bucket}"`);
  const prefix = (options.prefix ?? "").replace(/^\/+|\/+$/g, "");
  if (prefix !== "") checkKey(prefix);
  const base = prefix === "" ? `s3://${bucket}` : `s3://${bucket}/${prefix}`;
  const objectKey = (key: string): string => (prefix === "" ? key : `${prefix}/${key}`);

  // The SDK is loaded on first use: importing it costs ~100 ms and ~25 MB, which a
  // server on local storage should not pay at start-up.
  type Sdk = typeof import("@aws-sdk/client-s3");
  let loaded: Promise<{ sdk: Sdk; client: S3Client }> | undefined;
  let opened: S3Client | undefined;
  let closed = false;
  const s3 = () =>
    (loaded ??= import("@aws-sdk/client-s3").then((sdk) => {
      opened = newClient(sdk);
      // Closed while the SDK loaded: the client must not keep sockets open.
      if (closed) opened.destroy();
      return { sdk, client: reportingOutages(opened) };
    }));
  const newClient = (sdk: Sdk) => new sdk.S3Client({
    region: options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1",
    ...(options.endpoint !== undefined && { endpoint: options.endpoint }),
    ...(options.forcePathStyle !== undefined && { forcePathStyle: options.forcePathStyle }),
    ...(options.credentials !== undefined && { credentials: options.credentials }),
    // The SDK's default CRC32 trailers are rejected by many S3-compatible servers; we send
    // Content-MD5 ourselves when the caller has one, which every implementation understands.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    // A stalled server must not hold a caller (or a database transaction waiting on it) forever.
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000 },
  });

  async function put(key: string, bytes: Uint8Array, opts?: PutOptions): Promise<void> {
    checkKey(key);
    verifyMd5(key, bytes, opts?.contentMd5);
    const md5 = opts?.contentMd5 && Buffer.from(opts.contentMd5).toString("base64");
    const { sdk, client } = await s3();
    await client.send(
      new sdk.PutObjectCommand({
        Bucket: bucket,
        Key: objectKey(key),
        Body: bytes,
        ContentType: "application/octet-stream",
        ...(md5 !== undefined && { ContentMD5: md5, Metadata: { [MD5_META]: md5 } }),
      }),
    );
  }

  async function get(key: string): Promise<Uint8Array | undefined> {
    checkKey(key);
    try {
      const { sdk, client } = await s3();
      const res = await client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: objectKey(key) }));
      return res.Body ? await res.Body.transformToByteArray() : new Uint8Array();
    } catch (err) {
      if (isMissingKey(err)) return undefined;
      throw err;
    }
  }

  async function head(key: string): Promise<BlobInfo | undefined> {
    checkKey(key);
    try {
      const { sdk, client } = await s3();
      const res = await client.send(new sdk.HeadObjectCommand({ Bucket: bucket, Key: objectKey(key) }));
      const md5 = res.Metadata?.[MD5_META];
      // Objects uploaded through a presigned URL without the metadata header: a
      // single-part upload's ETag is its hex MD5 (multipart ETags carry a "-N").
      const etag = /^"?([0-9a-f]{32})"?$/i.exec(res.ETag ?? "")?.[1];
      const digest =
        md5 !== undefined ? new Uint8Array(Buffer.from(md5, "base64")) : etag !== undefined ? new Uint8Array(Buffer.from(etag, "hex")) : undefined;
      return {
        size: res.ContentLength ?? 0,
        ...(digest?.length === 16 && { contentMd5: digest }),
      };
    } catch (err) {
      if (isMissingKey(err)) return undefined;
      throw err;
    }
  }

  async function size(key: string): Promise<{ size: number } | undefined> {
    const info = await head(key);
    return info && { size: info.size };
  }

  async function del(key: string): Promise<void> {
    checkKey(key);
    // S3 answers 204 for absent keys too, so "absent is fine" needs no special case.
    const { sdk, client } = await s3();
    await client.send(new sdk.DeleteObjectCommand({ Bucket: bucket, Key: objectKey(key) }));
  }

  async function list(listPrefix: string): Promise<string[]> {
    checkPrefix(listPrefix);
    const full = prefix === "" ? listPrefix : `${prefix}/${listPrefix}`;
    const keys: string[] = [];
    let token: string | undefined;
    const { sdk, client } = await s3();
    do {
      const res = await client.send(
        new sdk.ListObjectsV2Command({
          Bucket: bucket,
          Prefix: full,
          ...(token !== undefined && { ContinuationToken: token }),
          ...(options.listPageSize !== undefined && { MaxKeys: options.listPageSize }),
        }),
      );
      for (const obj of res.Contents ?? []) {
        // Objects written by other tools may have names no key can address ("a//b"); skip them.
        const key = obj.Key === undefined ? undefined : keyUnder(base, `s3://${bucket}/${obj.Key}`);
        if (key !== undefined) keys.push(key);
      }
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token !== undefined);
    return keys.sort();
  }

  async function listPage(listPrefix: string, after: string, limit: number): Promise<BlobEntry[]> {
    checkPrefix(listPrefix);
    const full = objectKey(listPrefix);
    const out: BlobEntry[] = [];
    let startAfter = after === "" ? undefined : objectKey(after);
    const { sdk, client } = await s3();
    while (out.length < limit) {
      const res = await client.send(
        new sdk.ListObjectsV2Command({
          Bucket: bucket,
          Prefix: full,
          ...(startAfter !== undefined && { StartAfter: startAfter }),
          MaxKeys: Math.min(limit - out.length, options.listPageSize ?? 1000),
        }),
      );
      for (const obj of res.Contents ?? []) {
        const key = obj.Key === undefined ? undefined : keyUnder(base, `s3://${bucket}/${obj.Key}`);
        if (key !== undefined) out.push({ key, size: obj.Size ?? 0, modifiedAt: obj.LastModified ?? new Date(0) });
      }
      const last = res.Contents?.[res.Contents.length - 1]?.Key;
      // Objects no key can address are skipped, so a page may come back short of `limit`: ask again after it.
      if (!res.IsTruncated || last === undefined) break;
      startAfter = last;
    }
    return out;
  }

  /**
   * An S3 presigned URL. A PUT is bound to the MD5 when one is given (Content-MD5 is
   * a signed header); the metadata header is kept out of the query string so that
   * the client sends it, as the returned headers say.
   */
  async function presign(r: PresignRequest): Promise<SignedUrl> {
    checkKey(r.key);
    const [{ sdk, client }, { getSignedUrl }] = await Promise.all([s3(), import("@aws-sdk/s3-request-presigner")]);
    const target = { Bucket: bucket, Key: objectKey(r.key) };
    // S3 counts whole seconds from the signing time; round up so the URL never ends before it says.
    const signingDate = new Date();
    const expiresIn = Math.max(1, Math.ceil((r.expiresAt.getTime() - signingDate.getTime()) / 1000));
    if (r.method === "GET") return { url: await getSignedUrl(client, new sdk.GetObjectCommand(target), { expiresIn, signingDate }), headers: {} };
    const md5 = r.contentMd5?.length ? Buffer.from(r.contentMd5).toString("base64") : undefined;
    const withMetadata = md5 !== undefined && r.addMd5Metadata === true;
    // S3's conditional write: the PUT fails (412) once an object exists at the key.
    const createOnly = md5 === undefined && r.createOnly === true;
    const command = new sdk.PutObjectCommand({
      ...target,
      ...(md5 !== undefined && { ContentMD5: md5 }),
      ...(withMetadata && { Metadata: { [MD5_META]: md5 } }),
      ...(createOnly && { IfNoneMatch: "*" }),
    });
    const url = await getSignedUrl(client, command, { expiresIn, signingDate, unhoistableHeaders: new Set([`x-amz-meta-${MD5_META}`]) });
    const headers: Record<string, string> = {};
    if (md5 !== undefined) headers["Content-MD5"] = md5;
    if (withMetadata) headers[`x-amz-meta-${MD5_META}`] = md5;
    if (createOnly) headers["If-None-Match"] = "*";
    return { url, headers };
  }

  return withMessages({
    base,
    uri: (key) => `${base}/${checkKey(key)}`,
    keyOf: (uri) => keyUnder(base, uri),
    put,
    get,
    head,
    stat: size,
    delete: del,
    list,
    listPage,
    presign,
    close: () => {
      closed = true;
      opened?.destroy();
    },
  });
}

/**
 * GetObject says NoSuchKey; HeadObject has no body, so only its 404 tells. NoSuchBucket is
 * a misconfiguration and must surface, not read as "absent".
 */
function isMissingKey(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  if (e.name === "NoSuchBucket") return false;
  return e.name === "NoSuchKey" || e.name === "NotFound" || e.$metadata?.httpStatusCode === 404;
}

// Failures to reach the S3 server at all (Node's errno codes, the SDK's timeout).
const UNREACHABLE = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN"]);

/**
 * The client, with failures to reach S3 turned into UNAVAILABLE "blob storage
 * unavailable" errors. Left as they are, their socket codes would be taken for
 * a database outage (src/storage/database-errors.ts) and named so to clients
 * and operators. S3's own answers (NoSuchKey, AccessDenied, ...) pass through.
 */
function reportingOutages(client: S3Client): S3Client {
  const send = client.send.bind(client) as (command: never) => Promise<unknown>;
  return new Proxy(client, {
    get: (target, key) =>
      key === "send"
        ? async (command: never) => {
            try {
              return await send(command);
            } catch (e) {
              const code = String((e as { code?: unknown })?.code ?? "");
              if (UNREACHABLE.has(code) || (e as Error)?.name === "TimeoutError") {
                throw new AdminError("Unavailable", `blob storage unavailable: ${UNREACHABLE.has(code) ? code : "timed out"}`);
              }
              throw e;
            }
          }
        : Reflect.get(target, key),
  });
}

