import type { NamedEntity } from "../../gen/flyteidl/admin/common_pb.js";

/**
 * `admin.NamedEntityList` in protobuf binary, written straight from the
 * entities: the bytes `toBinary(NamedEntityListSchema, ...)` writes, without
 * its per-field reflection, which costs a console's list of 10,000 names
 * tens of times more than this (see README, Benchmark). Known fields only:
 * the entities come from the store and carry no unknown fields.
 *
 * Field numbers (flyteidl/admin/common.proto): NamedEntityList {1 entities,
 * 2 token}; NamedEntity {1 resource_type, 2 id, 3 metadata};
 * NamedEntityIdentifier {1 project, 2 domain, 3 name, 4 org};
 * NamedEntityMetadata {1 description, 2 state}. Proto3: empty strings and
 * zero enums are left out, set messages are written even when empty.
 */
export function encodeNamedEntityList(entities: readonly NamedEntity[], token: string): Uint8Array {
  const n = entities.length;
  // Per entity: byte lengths of its five strings, then of its id, metadata and whole entity.
  const lens = new Int32Array(n * 8);
  let total = token === "" ? 0 : field(Buffer.byteLength(token));
  for (let i = 0; i < n; i++) {
    const e = entities[i]!;
    const at = i * 8;
    let size = e.resourceType === 0 ? 0 : 1 + int32Size(e.resourceType);
    if (e.id) {
      const id = e.id;
      const idLen =
        str(lens, at, id.project) + str(lens, at + 1, id.domain) + str(lens, at + 2, id.name) + str(lens, at + 3, id.org);
      lens[at + 5] = idLen;
      size += field(idLen);
    }
    if (e.metadata) {
      const m = e.metadata;
      const metaLen = str(lens, at + 4, m.description) + (m.state === 0 ? 0 : 1 + int32Size(m.state));
      lens[at + 6] = metaLen;
      size += field(metaLen);
    }
    lens[at + 7] = size;
    total += field(size);
  }

  const buf = Buffer.allocUnsafe(total);
  let pos = 0;
  const writeString = (tag: number, s: string, len: number) => {
    if (len === 0) return;
    buf[pos++] = tag;
    pos = writeVarint(buf, pos, len);
    pos += buf.write(s, pos, len, "utf8");
  };
  for (let i = 0; i < n; i++) {
    const e = entities[i]!;
    const at = i * 8;
    buf[pos++] = 0x0a; // entities
    pos = writeVarint(buf, pos, lens[at + 7]!);
    if (e.resourceType !== 0) {
      buf[pos++] = 0x08;
      pos = writeInt32(buf, pos, e.resourceType);
    }
    if (e.id) {
      buf[pos++] = 0x12;
      pos = writeVarint(buf, pos, lens[at + 5]!);
      writeString(0x0a, e.id.project, lens[at]!);
      writeString(0x12, e.id.domain, lens[at + 1]!);
      writeString(0x1a, e.id.name, lens[at + 2]!);
      writeString(0x22, e.id.org, lens[at + 3]!);
    }
    if (e.metadata) {
      buf[pos++] = 0x1a;
      pos = writeVarint(buf, pos, lens[at + 6]!);
      writeString(0x0a, e.metadata.description, lens[at + 4]!);
      if (e.metadata.state !== 0) {
        buf[pos++] = 0x10;
        pos = writeInt32(buf, pos, e.metadata.state);
      }
    }
  }
  if (token !== "") writeString(0x12, token, Buffer.byteLength(token));
  return new Uint8Array(buf.buffer, buf.byteOffset, pos);
}

/** Records a string's UTF-8 length (lone surrogates become U+FFFD, as TextEncoder makes them) and returns its field's size. */
function str(lens: Int32Array, at: number, s: string): number {
  const len = s === "" ? 0 : Buffer.byteLength(s, "utf8");
  lens[at] = len;
  return len === 0 ? 0 : field(len);
}

/** A one-byte tag, the length and the payload. */
const field = (len: number) => 1 + varintSize(len) + len;

const varintSize = (v: number) => (v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5);

/** int32 is a varint of its 64-bit two's complement: ten bytes when negative. */
const int32Size = (v: number) => (v < 0 ? 10 : varintSize(v));

function writeVarint(buf: Buffer, pos: number, v: number): number {
  while (v > 0x7f) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

function writeInt32(buf: Buffer, pos: number, v: number): number {
  if (v >= 0) return writeVarint(buf, pos, v);
  let lo = v >>> 0;
  for (let i = 0; i < 4; i++) {
    buf[pos++] = (lo & 0x7f) | 0x80;
    lo >>>= 7;
  }
  // Bits 28-34: the low word's last four and three of the high word's ones; then its remaining ones.
  buf[pos++] = lo | 0xf0;
  for (let i = 0; i < 4; i++) buf[pos++] = 0xff;
  buf[pos++] = 0x01;
  return pos;
}
