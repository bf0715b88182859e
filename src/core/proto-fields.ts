import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";

/**
 * The payload of an embedded-message field of a binary message, without
 * decoding anything else: for the stored form of a closure whose only large
 * part is one field, passed on as bytes to whoever keeps it. Undefined when
 * the field is absent, present more than once (a reader would merge the
 * parts), not length-delimited, or the bytes do not parse.
 */
export function messageFieldBytes(bytes: Uint8Array, fieldNo: number): Uint8Array | undefined {
  const reader = new BinaryReader(bytes);
  let found: Uint8Array | undefined;
  try {
    while (reader.pos < reader.len) {
      const [no, wireType] = reader.tag();
      if (no !== fieldNo) {
        reader.skip(wireType, no);
        continue;
      }
      if (found !== undefined || wireType !== WireType.LengthDelimited) return undefined;
      found = reader.bytes();
    }
  } catch {
    return undefined;
  }
  return found;
}

/**
 * A binary message holding one embedded-message field whose payload is
 * `payload`, as toBinary writes a message with only that field set: the
 * stored form of a closure made from a part encoded beforehand.
 */
export function messageField(fieldNo: number, payload: Uint8Array): Uint8Array {
  return new BinaryWriter().tag(fieldNo, WireType.LengthDelimited).bytes(payload).finish();
}
