import type { NamedEntity } from "../../gen/flyteidl/admin/common_pb.js";
import { PACKED_NAME_END, type PackedNames } from "../storage/store.js";

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

/**
 * The same bytes from a page the database packed: the entities list() makes
 * of those rows (`type`, the scope's project and domain, no org, metadata
 * always set), written from the UTF-8 of the one text, with no object or
 * string per name. Undefined when the text does not split into exactly
 * `page.count` names, which a description holding PACKED_NAME_END does: the
 * caller encodes list()'s entities instead.
 */
export function encodePackedNamedEntityList(
  type: number,
  scope: { readonly project: string; readonly domain: string },
  page: PackedNames,
  token: string,
): Uint8Array | undefined {
  const text = Buffer.from(page.text, "utf8");
  const end = text.length;
  // Every entity has the same type and, first in its id, the same project and domain fields.
  const typeField = Buffer.allocUnsafe(type === 0 ? 0 : 1 + int32Size(type));
  if (type !== 0) {
    typeField[0] = 0x08;
    writeInt32(typeField, 1, type);
  }
  const scopeFields = Buffer.concat([stringField(0x0a, scope.project), stringField(0x12, scope.domain)]);
  const tokenLen = Buffer.byteLength(token);
  // Written in one pass into room for the most an entity can take beyond its packed text (its
  // three end marks pay for the name's and description's tags and the state's): five lengths,
  // three tags, the type and scope fields, a negative state's ten bytes.
  const buf = Buffer.allocUnsafe(end + page.count * (5 * 5 + 3 + typeField.length + scopeFields.length + 10) + (tokenLen === 0 ? 0 : field(tokenLen)));
  let pos = 0;
  let at = 0;
  for (let i = 0; i < page.count; i++) {
    // Fields are short: a loop over their bytes costs less than a native indexOf per field.
    let nameEnd = at;
    while (nameEnd < end && text[nameEnd] !== END) nameEnd++;
    let descriptionEnd = nameEnd + 1;
    while (descriptionEnd < end && text[descriptionEnd] !== END) descriptionEnd++;
    let stateEnd = descriptionEnd + 1;
    while (stateEnd < end && text[stateEnd] !== END) stateEnd++;
    if (stateEnd >= end) return undefined;
    const state = parseInt32(text, descriptionEnd + 1, stateEnd);
    if (state === undefined) return undefined;
    const nameLen = nameEnd - at;
    const descriptionLen = descriptionEnd - nameEnd - 1;
    const idLen = scopeFields.length + (nameLen === 0 ? 0 : field(nameLen));
    const metaLen = (descriptionLen === 0 ? 0 : field(descriptionLen)) + (state === 0 ? 0 : 1 + int32Size(state));

    buf[pos++] = 0x0a; // entities
    pos = writeVarint(buf, pos, typeField.length + field(idLen) + field(metaLen));
    pos = copyBytes(buf, pos, typeField, 0, typeField.length);
    buf[pos++] = 0x12;
    pos = writeVarint(buf, pos, idLen);
    pos = copyBytes(buf, pos, scopeFields, 0, scopeFields.length);
    if (nameLen !== 0) {
      buf[pos++] = 0x1a;
      pos = writeVarint(buf, pos, nameLen);
      pos = copyBytes(buf, pos, text, at, nameEnd);
    }
    buf[pos++] = 0x1a;
    pos = writeVarint(buf, pos, metaLen);
    if (descriptionLen !== 0) {
      buf[pos++] = 0x0a;
      pos = writeVarint(buf, pos, descriptionLen);
      pos = copyBytes(buf, pos, text, nameEnd + 1, descriptionEnd);
    }
    if (state !== 0) {
      buf[pos++] = 0x10;
      pos = writeInt32(buf, pos, state);
    }
    at = stateEnd + 1;
  }
  if (at !== end) return undefined;
  if (tokenLen !== 0) {
    buf[pos++] = 0x12;
    pos = writeVarint(buf, pos, tokenLen);
    pos += buf.write(token, pos, tokenLen, "utf8");
  }
  return new Uint8Array(buf.buffer, buf.byteOffset, pos);
}

/** Copies from[start, end) to `to` at pos; returns the position after. Names are short: a loop costs less than a native call for each. */
function copyBytes(to: Buffer, pos: number, from: Buffer, start: number, end: number): number {
  if (end - start > 64) return pos + from.copy(to, pos, start, end);
  for (let k = start; k < end; k++) to[pos++] = from[k]!;
  return pos;
}

/** A string field with its one-byte tag; nothing for an empty string. */
function stringField(tag: number, s: string): Buffer {
  const len = Buffer.byteLength(s, "utf8");
  if (len === 0) return Buffer.alloc(0);
  const out = Buffer.allocUnsafe(field(len));
  out[0] = tag;
  out.write(s, writeVarint(out, 1, len), len, "utf8");
  return out;
}

/** PACKED_NAME_END's one byte. */
const END = PACKED_NAME_END.charCodeAt(0);

/** A decimal int32 (as the database writes an integer column), or undefined for anything else. */
function parseInt32(text: Buffer, start: number, end: number): number | undefined {
  const negative = text[start] === 0x2d;
  let k = negative ? start + 1 : start;
  if (k === end || end - k > 10) return undefined;
  let v = 0;
  for (; k < end; k++) {
    const digit = text[k]! - 0x30;
    if (digit < 0 || digit > 9) return undefined;
    v = v * 10 + digit;
  }
  if (negative) v = -v;
  return v < -2_147_483_648 || v > 2_147_483_647 ? undefined : v;
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
