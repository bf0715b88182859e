import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import type { BlobStore } from "../../blob/blob-store.js";

/** The key of a URI of the engine's blob store; the engine only writes where it can read back. */
export function keyOfUri(blobs: BlobStore, uri: string): string {
  const key = blobs.keyOf(uri);
  if (key === undefined) throw new Error(`${uri} is not a location of the engine's blob store (${blobs.base})`);
  return key;
}

export const readMessage = <D extends DescMessage>(blobs: BlobStore, uri: string, schema: D): Promise<MessageShape<D> | undefined> =>
  blobs.getMessage(keyOfUri(blobs, uri), schema);

export const writeMessage = <D extends DescMessage>(blobs: BlobStore, uri: string, schema: D, message: MessageShape<D>): Promise<void> =>
  blobs.putMessage(keyOfUri(blobs, uri), schema, message);

export const blobExists = async (blobs: BlobStore, uri: string): Promise<boolean> => (await blobs.stat(keyOfUri(blobs, uri))) !== undefined;
