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
  const n = page.count;
  const text = Buffer.from(page.text, "utf8");
  // Per entity: where its name starts and ends, where its description ends (it starts after the name's end), its state, its size.
  const rows = new Int32Array(n * 5);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const nameEnd = text.indexOf(END, at);
    const descriptionEnd = nameEnd < 0 ? -1 : text.indexOf(END, nameEnd + 1);
    const stateEnd = descriptionEnd < 0 ? -1 : text.indexOf(END, descriptionEnd + 1);
    const state = stateEnd < 0 ? undefined : parseInt32(text, descriptionEnd + 1, stateEnd);
    if (state === undefined) return undefined;
    rows[i * 5] = at;
    rows[i * 5 + 1] = nameEnd;
    rows[i * 5 + 2] = descriptionEnd;
    rows[i * 5 + 3] = state;
    at = stateEnd + 1;
  }
  if (at !== text.length) return undefined;

  // Every entity has the same type and, first in its id, the same project and domain.
  const typeLen = type === 0 ? 0 : 1 + int32Size(type);
  const project = Buffer.from(scope.project, "utf8");
  const domain = Buffer.from(scope.domain, "utf8");
  const scopeLen = (project.length === 0 ? 0 : field(project.length)) + (domain.length === 0 ? 0 : field(domain.length));
  const tokenLen = Buffer.byteLength(token);
  let total = tokenLen === 0 ? 0 : field(tokenLen);
  for (let i = 0; i < n; i++) {
    const nameLen = rows[i * 5 + 1]! - rows[i * 5]!;
    const descriptionLen = rows[i * 5 + 2]! - rows[i * 5 + 1]! - 1;
    const state = rows[i * 5 + 3]!;
    const idLen = scopeLen + (nameLen === 0 ? 0 : field(nameLen));
    const metaLen = (descriptionLen === 0 ? 0 : field(descriptionLen)) + (state === 0 ? 0 : 1 + int32Size(state));
    const size = typeLen + field(idLen) + field(metaLen);
    rows[i * 5 + 4] = size;
    total += field(size);
  }

  const buf = Buffer.allocUnsafe(total);
  let pos = 0;
  const copy = (from: Buffer, start: number, end: number) => {
    for (let k = start; k < end; k++) buf[pos++] = from[k]!;
  };
  const writeBytes = (tag: number, from: Buffer, start: number, end: number) => {
    if (end === start) return;
    buf[pos++] = tag;
    pos = writeVarint(buf, pos, end - start);
    copy(from, start, end);
  };
  for (let i = 0; i < n; i++) {
    const nameStart = rows[i * 5]!;
    const nameEnd = rows[i * 5 + 1]!;
    const descriptionEnd = rows[i * 5 + 2]!;
    const state = rows[i * 5 + 3]!;
    const nameLen = nameEnd - nameStart;
    const descriptionLen = descriptionEnd - nameEnd - 1;
    buf[pos++] = 0x0a; // entities
    pos = writeVarint(buf, pos, rows[i * 5 + 4]!);
    if (type !== 0) {
      buf[pos++] = 0x08;
      pos = writeInt32(buf, pos, type);
    }
    buf[pos++] = 0x12;
    pos = writeVarint(buf, pos, scopeLen + (nameLen === 0 ? 0 : field(nameLen)));
    writeBytes(0x0a, project, 0, project.length);
    writeBytes(0x12, domain, 0, domain.length);
    writeBytes(0x1a, text, nameStart, nameEnd);
    buf[pos++] = 0x1a;
    pos = writeVarint(buf, pos, (descriptionLen === 0 ? 0 : field(descriptionLen)) + (state === 0 ? 0 : 1 + int32Size(state)));
    writeBytes(0x0a, text, nameEnd + 1, descriptionEnd);
    if (state !== 0) {
      buf[pos++] = 0x10;
      pos = writeInt32(buf, pos, state);
    }
  }
  if (tokenLen !== 0) {
    buf[pos++] = 0x12;
    pos = writeVarint(buf, pos, tokenLen);
    pos += buf.write(token, pos, tokenLen, "utf8");
  }
  return new Uint8Array(buf.buffer, buf.byteOffset, pos);
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
