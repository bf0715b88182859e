import { type DescMessage, type MessageShape, toJson } from "@bufbuild/protobuf";
import { type JsonValue, objectHash } from "./object-hash.js";

/**
 * flytestdlib's pbhash.ComputeHash: the objecthash of the message's proto3
 * JSON as golang/protobuf's jsonpb writes it by default (JSON field names,
 * enum names, unset and zero fields left out, 64-bit integers as strings).
 * protobuf-es's `toJson` with its defaults writes the same JSON values; only
 * the text could differ (number spelling, key order), and objecthash hashes
 * the parsed values, where neither shows.
 */
export function protoHash<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): Uint8Array {
  return objectHash(toJson(schema, message) as JsonValue);
}
