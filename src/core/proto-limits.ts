import type { BinaryReadOptions, JsonReadOptions } from "@bufbuild/protobuf";

/**
 * How deeply nested a protobuf message may be, in message levels, when it is
 * read: requests on every protocol and what the server reads back from its
 * database and blob storage, so anything accepted can always be read again.
 *
 * FlyteAdmin's Go protobuf allows 10,000 and protobuf-es 100 by default (about
 * fifty nested literal collections). protobuf-es reads and writes recursively
 * on the JavaScript stack, and on Node's default stack a nested literal
 * collection stops encoding between 500 and 600 levels of collections (1,000
 * to 1,200 message levels); 700 message levels (about 345 nested collections
 * inside an execution's inputs) leave that margin for the frames of the
 * server around the encoder. Deeper messages are INVALID_ARGUMENT.
 */
export const PROTO_RECURSION_LIMIT = 700;

export const BINARY_READ_OPTIONS: Partial<BinaryReadOptions> = { readUnknownFields: true, recursionLimit: PROTO_RECURSION_LIMIT };
export const JSON_READ_OPTIONS: Partial<JsonReadOptions> = { recursionLimit: PROTO_RECURSION_LIMIT };
