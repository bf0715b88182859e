import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import type { PresignRequest, SignedUrl } from "./url-signer.js";
import { type DescMessage, type MessageShape, fromBinary, toBinary } from "@bufbuild/protobuf";
import { BINARY_READ_OPTIONS } from "../core/proto-limits.js";

/** What `head` reports about a stored blob. */
export interface BlobInfo {
  size: number;
  /** The 16-byte MD5 digest, when the store knows it (always after a put that gave one). */
  contentMd5?: Uint8Array;
}

/** One blob of a listing page. */
export interface BlobEntry {
  key: string;
  size: number;
  /** When it was last written (a file's mtime, S3's LastModified). */
  modifiedAt: Date;
}

export interface PutOptions {
  /** Expected MD5 of the bytes; a mismatch rejects the put and leaves the old blob untouched. */
  contentMd5?: Uint8Array;
}

/** One blob of a `putMany`. */
/** One blob of a batch written together. */
export interface BlobWrite {
  key: string;
  bytes: Uint8Array;
}

export interface PutStreamOptions {
  /** Store only if no blob exists at the key (atomically); else reject with BlobExistsError. */
  createOnly?: boolean;
}

/** A create-only write found a blob already at its key; that blob is untouched. */
export class BlobExistsError extends Error {
  override name = "BlobExistsError";
  constructor(readonly key: string) {
    super(`a blob already exists at ${key}`);
  }
}

/**
 * Byte-level operations every backend implements. Keys are '/'-separated relative
 * paths (see `checkKey`); the same key always maps to the same URI.
 */
export interface RawBlobStore {
  /** The location's URI scheme+base, e.g. "file:///abs/dir" or "s3://bucket/prefix"; `uri(k)` is `${base}/${k}`. */
  readonly base: string;
  uri(key: string): string;
  /** Inverse of `uri`; undefined when the URI is not inside this store or names no valid key. */
  keyOf(uri: string): string | undefined;
  /**
   * The absolute file path of a URI inside a store that keeps blobs as plain
   * files (the local store); absent elsewhere. Task processes get paths rather
   * than file:// URIs where flytekit cannot take a URI (it stats a local
   * FlyteFile's URI as a path).
   */
  localPath?(uri: string): string | undefined;
  /** Atomic: readers see the previous blob or the new one, never a mix. */
  put(key: string, bytes: Uint8Array, options?: PutOptions): Promise<void>;
  /**
   * Several blobs at once, each atomic as `put` is. The local store writes and flushes them all
   * before it moves the first onto its key (a failure while writing changes no key), and syncs a
   * folder they share once; a store without it gets concurrent puts (`putAll`).
   */
  putMany?(entries: readonly BlobWrite[]): Promise<void>;
  /** undefined when absent. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Size and, where the store must work it out, the MD5 (the local store reads the whole blob): use `stat` for the size alone. */
  head(key: string): Promise<BlobInfo | undefined>;
  /** The blob's size, without reading it (a file's stat, S3's HeadObject); undefined when absent. */
  stat(key: string): Promise<{ size: number } | undefined>;
  /** Deleting an absent key is not an error. */
  delete(key: string): Promise<void>;
  /** Keys that start with `prefix` (a plain string prefix, as S3 has it), sorted. */
  list(prefix: string): Promise<string[]>;
  /**
   * At most `limit` blobs whose keys start with `prefix` and sort after `after` ("" from the
   * start), in key order: a walk over any number of keys, one bounded page at a time.
   */
  listPage(prefix: string, after: string, limit: number): Promise<BlobEntry[]>;
  /**
   * Streams bytes into the blob at `key`, atomically, without holding them in memory
   * (the local store, for the uploads it serves itself). `accept` sees the size and MD5
   * once every byte is written and may throw to refuse them: the blob is then untouched.
   */
  putStream?(key: string, source: AsyncIterable<Uint8Array>, accept: (info: Required<BlobInfo>) => void, options?: PutStreamOptions): Promise<void>;
  /** The blob's size and a stream of its bytes, for serving it without holding it in memory; undefined when absent. */
  openRead?(key: string): Promise<{ size: number; stream: Readable } | undefined>;
  /** Signed URLs the store's own server honours (S3 presigning); absent for the local store. */
  presign?(request: PresignRequest): Promise<SignedUrl>;
  /** Releases connections (S3); a no-op for the local store. */
  close(): void;
}

export interface BlobStore extends RawBlobStore {
  /** `putMany` where the backend has it, else every `put` at once; settles only once none is still running. */
  putAll(entries: readonly BlobWrite[]): Promise<void>;
  putMessage<D extends DescMessage>(key: string, schema: D, message: MessageShape<D>, options?: PutOptions): Promise<void>;
  getMessage<D extends DescMessage>(key: string, schema: D): Promise<MessageShape<D> | undefined>;
}

/** Adds the protobuf helpers on top of a backend, so each backend only deals in bytes. */
export function withMessages(raw: RawBlobStore): BlobStore {
  return Object.assign(raw, {
    async putAll(entries: readonly BlobWrite[]) {
      if (raw.putMany) return raw.putMany(entries);
      const settled = await Promise.allSettled(entries.map((e) => raw.put(e.key, e.bytes)));
      for (const s of settled) if (s.status === "rejected") throw s.reason;
    },
    putMessage<D extends DescMessage>(key: string, schema: D, message: MessageShape<D>, options?: PutOptions) {
      return raw.put(key, toBinary(schema, message), options);
    },
    async getMessage<D extends DescMessage>(key: string, schema: D) {
      const bytes = await raw.get(key);
      return bytes === undefined ? undefined : fromBinary(schema, bytes, BINARY_READ_OPTIONS);
    },
  });
}

/**
 * Throws unless `key` is a safe relative path. Empty, "." and ".." segments are refused
 * (not just "..") because the local store would fold "a//b" and "a/./b" onto "a/b" while
 * S3 keeps them distinct, so the two backends would disagree about which blobs exist.
 */
export function checkKey(key: string): string {
  checkChars(key, "key");
  if (key === "") throw new Error("invalid blob key: must not be empty");
  checkSegments(key, key.split("/"), "key");
  return key;
}

/** Like `checkKey`, but "" (everything) and a trailing "/" are allowed. */
export function checkPrefix(prefix: string): string {
  checkChars(prefix, "prefix");
  if (prefix === "") return prefix;
  const segments = prefix.split("/");
  if (prefix.endsWith("/")) segments.pop();
  checkSegments(prefix, segments, "prefix");
  return prefix;
}

function checkChars(value: string, what: string): void {
  if (typeof value !== "string") throw new Error(`invalid blob ${what}: must be a string`);
  if (value.startsWith("/")) throw new Error(`invalid blob ${what} "${value}": must be relative, not absolute`);
  if (value.includes("\\")) throw new Error(`invalid blob ${what} "${value}": backslashes are not allowed`);
  // Control characters (NUL, newlines, ...) make keys that print, log and sign ambiguously.
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new Error(`invalid blob ${what}: control characters are not allowed`);
}

function checkSegments(value: string, segments: string[], what: string): void {
  for (const s of segments) {
    if (s === "..") throw new Error(`invalid blob ${what} "${value}": ".." segments are not allowed`);
    if (s === "." || s === "") throw new Error(`invalid blob ${what} "${value}": empty or "." segments are not allowed`);
  }
}

export function md5(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("md5").update(bytes).digest());
}

/** Both backends check the digest before writing, so a bad digest behaves the same everywhere. */
export function verifyMd5(key: string, bytes: Uint8Array, expected: Uint8Array | undefined): void {
  if (expected === undefined) return;
  if (expected.length !== 16) throw new Error(`put ${key}: contentMd5 must be 16 bytes, got ${expected.length}`);
  if (!Buffer.from(md5(bytes)).equals(Buffer.from(expected))) {
    throw new Error(`put ${key}: contentMd5 does not match the bytes`);
  }
}

/** `keyOf` shared by the backends: strip `${base}/` and accept only valid keys. */
export function keyUnder(base: string, uri: string): string | undefined {
  const head = `${base}/`;
  if (!uri.startsWith(head)) return undefined;
  const key = uri.slice(head.length);
  try {
    return checkKey(key);
  } catch {
    return undefined;
  }
}
