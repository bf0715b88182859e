import { create } from "@bufbuild/protobuf";
import { type LiteralMap, LiteralMapSchema } from "../../gen/flyteidl/core/literals_pb.js";
import type { BlobStore } from "../blob/blob-store.js";

// FlyteAdmin's remoteData.maxSizeInBytes: larger data is not returned inline.
const MAX_INLINE_BYTES = 2 * 1024 * 1024;

/**
 * The literal map at a blob URI, for the Get*Data RPCs. As in FlyteAdmin,
 * missing, unreadable or oversized data reads as an empty map, never an error.
 */
export async function readInlineData(blobs: BlobStore, uri: string): Promise<LiteralMap> {
  const key = uri ? blobs.keyOf(uri) : undefined;
  // The size alone decides: `stat` reads nothing, where `head` may hash the whole blob.
  const info = key ? await blobs.stat(key).catch(() => undefined) : undefined;
  if (!key || !info || info.size >= MAX_INLINE_BYTES) return create(LiteralMapSchema);
  return (await blobs.getMessage(key, LiteralMapSchema).catch(() => undefined)) ?? create(LiteralMapSchema);
}
