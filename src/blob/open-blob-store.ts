import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { BlobStore } from "./blob-store.js";
import { createLocalBlobStore, type LocalBlobStoreOptions } from "./local-blob-store.js";
import { type S3ConnectionOptions, createS3BlobStore } from "./s3-blob-store.js";

/**
 * Opens the store a configured location names: "s3://bucket/optional/prefix" is S3 (with
 * the connection settings from `s3Options`); a "file://" URL or a path (relative ones
 * resolved against the working directory) is a local directory, created if missing
 * (with `localOptions`: file and folder modes, temp-file sweeping).
 */
export function openBlobStore(location: string, s3Options: S3ConnectionOptions = {}, localOptions: LocalBlobStoreOptions = {}): BlobStore {
  if (location.startsWith("s3://")) {
    const rest = location.slice("s3://".length);
    const slash = rest.indexOf("/");
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    const prefix = slash < 0 ? "" : rest.slice(slash + 1);
    if (bucket === "") throw new Error(`invalid blob location "${location}": no bucket`);
    return createS3BlobStore({ ...s3Options, bucket, prefix });
  }
  if (location.startsWith("file:")) return createLocalBlobStore(fileURLToPath(location), localOptions);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) {
    // gs://, abfs://, ... would otherwise become a local directory named "gs:".
    throw new Error(`unsupported blob location "${location}": use s3://bucket/prefix, file:///dir or a path`);
  }
  if (location === "") throw new Error("blob location must not be empty");
  return createLocalBlobStore(resolve(location), localOptions);
}
