import type { Duration } from "@bufbuild/protobuf/wkt";
import { invalidArgument } from "./errors.js";
import { durationNanos, goDurationString, isValidDuration } from "./go-duration.js";

/** What CreateUploadLocation needs of its request, validated. */
export interface UploadRequest {
  org: string;
  project: string;
  domain: string;
  filename: string;
  filenameRoot: string;
  contentMd5: Uint8Array;
}

/**
 * FlyteAdmin's first checks, in its order and with its texts; then the path parts,
 * which must stay where they are put: relative paths of plain segments (no "..",
 * no absolute or empty parts, no backslashes), so an upload can never name a
 * place outside its own folder.
 */
export function checkUploadRequest(req: UploadRequest): void {
  if (req.project === "" || req.domain === "") throw invalidArgument("project and domain are required parameters");
  if (req.filenameRoot === "" && req.contentMd5.length === 0) throw invalidArgument("content_md5 or filename_root is a required parameter");
  if (req.filenameRoot !== "") checkPathPart("filename_root", req.filenameRoot, req.filenameRoot.split("/"));
  if (req.filename !== "") checkPathPart("filename", req.filename, req.filename.split("/"));
}

function checkPathPart(field: string, value: string, segments: string[]): void {
  const why = value.startsWith("/")
    ? "must be relative"
    : value.includes("\\")
      ? "must not hold backslashes"
      : /[\u0000-\u001f\u007f]/.test(value)
        ? "must not hold control characters"
        : segments.some((s) => s === "" || s === "." || s === "..")
          ? 'must not hold empty, "." or ".." segments'
          : undefined;
  if (why !== undefined) throw invalidArgument(`${field} [${value}] ${why}`);
}

/**
 * The upload's expiry in nanoseconds: the maximum when the request gives none,
 * else the request's, which must be valid and not above the maximum.
 */
export function uploadExpiry(expiresIn: Duration | undefined, maxNanos: bigint): bigint {
  if (!expiresIn) return maxNanos;
  if (!isValidDuration(expiresIn)) throw invalidArgument(`expiresIn [${durationText(expiresIn)}] is invalid`);
  const nanos = durationNanos(expiresIn);
  if (nanos > maxNanos) {
    throw invalidArgument(`expiresIn [${goDurationString(nanos)}] cannot exceed max allowed expiration [${goDurationString(maxNanos)}]`);
  }
  // FlyteAdmin signs a URL that expired before it was handed out; refuse it as its downloads do.
  if (nanos < 0n) throw invalidArgument(`expiresIn [${goDurationString(nanos)}] should not be negative`);
  return nanos;
}

/**
 * A download's expiry (CreateDownloadLocation, CreateDownloadLink): like an upload's,
 * but negative durations are refused too; the message is the bare reason, which
 * the caller wraps in its own prefix as FlyteAdmin does.
 */
export function downloadExpiry(expiresIn: Duration | undefined, maxNanos: bigint): bigint | string {
  if (!expiresIn) return maxNanos;
  if (!isValidDuration(expiresIn)) return `expiresIn is invalid. Error: input duration [${durationText(expiresIn)}] is invalid`;
  const nanos = durationNanos(expiresIn);
  if (nanos < 0n) return `expiresIn is invalid. Error: input duration [${goDurationString(nanos)}] should not less than 0`;
  if (nanos > maxNanos) {
    return `expiresIn is invalid. Error: input duration [${goDurationString(nanos)}] cannot exceed max allowed expiration [${goDurationString(maxNanos)}]`;
  }
  return nanos;
}

/**
 * The blob key of an upload: `[storagePrefix/][org/]project/domain/<prefix>/<filename>`,
 * empty parts dropped, where the prefix is `filename_root` or else the base32 of the MD5
 * (so the same content always lands in the same folder).
 */
export function uploadKey(req: UploadRequest, filename: string, storagePrefix: string): string {
  const prefix = req.filenameRoot !== "" ? req.filenameRoot : base32(req.contentMd5);
  return [storagePrefix, req.org, req.project, req.domain, prefix, filename].filter((p) => p !== "").join("/");
}

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** RFC 4648 base32 with `=` padding (Go's base32.StdEncoding). */
export function base32(bytes: Uint8Array): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out.padEnd(Math.ceil(out.length / 8) * 8, "=");
}

function durationText(d: Duration): string {
  return `seconds:${d.seconds} nanos:${d.nanos}`;
}
