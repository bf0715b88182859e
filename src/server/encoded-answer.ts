import { create, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";

/** The request content types whose answer connect writes as protobuf binary (grpc-web-text reaches handlers as grpc-web+proto). */
const BINARY = new Set(["application/grpc", "application/grpc+proto", "application/grpc-web", "application/grpc-web+proto", "application/proto", "application/connect+proto"]);

/**
 * True when the answer to this call will be serialized as protobuf binary
 * (gRPC, gRPC-Web, Connect with `application/proto`, and the REST gateway's
 * in-process hop, which is Connect binary). Anything else (Connect JSON, gRPC
 * with `+json`, a Connect GET, which names its encoding in the query) is
 * false, so the handler answers with the ordinary message.
 */
export function answersInBinary(ctx: { requestHeader: Headers }): boolean {
  const type = ctx.requestHeader.get("content-type");
  if (!type) return false;
  const semi = type.indexOf(";");
  return BINARY.has((semi < 0 ? type : type.slice(0, semi)).trim().toLowerCase());
}

/**
 * A message of `schema` whose binary form is exactly `encoded` (the
 * serialized top-level fields, e.g. the output of `toBinary`, or parts of it
 * concatenated). protobuf-es' `toBinary` writes a message's unknown fields
 * verbatim after its known ones (`writer.tag(no, wireType).raw(data)`), so a
 * message with no known field set and the bytes as unknown fields serializes
 * to the same bytes without building or walking the objects they came from.
 * The bytes are checked to be whole fields, then kept as ONE entry (the first
 * field's tag, then everything after it): thousands of entries would cost
 * toBinary a write and a copy each. Its JSON form is empty: return it only
 * when `answersInBinary` says the answer is binary. Throws on bytes that are
 * not a sequence of whole fields.
 */
export function encodedAnswer<D extends DescMessage>(schema: D, encoded: Uint8Array): MessageShape<D> {
  return answerOf(schema, encoded, true);
}

/**
 * encodedAnswer for bytes written here, field by field, by an encoder whose
 * tests hold it to toBinary's output (named-entity-bytes.ts): only the first
 * field's tag is read. Walking every field of a list of 10,000 names costs
 * about a millisecond, a tenth of writing it.
 */
export function writtenAnswer<D extends DescMessage>(schema: D, encoded: Uint8Array): MessageShape<D> {
  return answerOf(schema, encoded, false);
}

function answerOf<D extends DescMessage>(schema: D, encoded: Uint8Array, walk: boolean): MessageShape<D> {
  const message = create(schema);
  if (encoded.length === 0) return message;
  const reader = new BinaryReader(encoded);
  const [no, wireType] = reader.tag();
  const start = reader.pos;
  if (walk) {
    reader.skip(wireType, no);
    while (reader.pos < reader.len) {
      const [next, type] = reader.tag();
      reader.skip(type, next);
    }
  }
  (message as { $unknown?: { no: number; wireType: WireType; data: Uint8Array }[] }).$unknown = [{ no, wireType, data: encoded.subarray(start) }];
  return message;
}
