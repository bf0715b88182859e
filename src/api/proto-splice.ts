import type { DescMessage } from "@bufbuild/protobuf";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";

/*
 * Building protobuf binary from stored message bytes without decoding them:
 * the helpers the list encoders share (execution-list-bytes.ts,
 * node-execution-list-bytes.ts). protobuf-es' toBinary writes a message's
 * fields in field-number order, each once (a repeated field's elements
 * together), unknown fields last; stored bytes that are its output can have a
 * top-level field dropped, kept or replaced in place, and `fieldsOf` checks
 * that they are.
 */

/** What toBinary's form of a message's top level is checked against. */
export interface Shape {
  readonly known: ReadonlySet<number>;
  /** Repeated and map fields: their elements come one after another, each a field. */
  readonly repeatable: ReadonlySet<number>;
  /** The fields rewritten here: all messages, so any other wire type is left to the decoder to judge. */
  readonly rewritten: ReadonlySet<number>;
}
export const shapeOf = (schema: DescMessage, rewritten: number[]): Shape => ({
  rewritten: new Set(rewritten),
  known: new Set(schema.fields.map((f) => f.number)),
  repeatable: new Set(schema.fields.filter((f) => f.fieldKind === "list" || f.fieldKind === "map").map((f) => f.number)),
});

export interface Field {
  readonly no: number;
  /** The whole field: tag, length and payload. */
  readonly bytes: Uint8Array;
}

/** The top-level fields of `bytes` if they are in toBinary's form (else undefined). */
export function fieldsOf(bytes: Uint8Array, shape: Shape): Field[] | undefined {
  const out: Field[] = [];
  const reader = new BinaryReader(bytes);
  let last = 0;
  let unknownSeen = false;
  try {
    while (reader.pos < reader.len) {
      const start = reader.pos;
      const [no, wireType] = reader.tag();
      reader.skip(wireType, no);
      if (shape.known.has(no)) {
        // Known fields in number order, each once, and all before the unknown ones (which toBinary keeps as read).
        if (unknownSeen || no < last || (no === last && !shape.repeatable.has(no))) return undefined;
        last = no;
      } else {
        unknownSeen = true;
      }
      if (shape.rewritten.has(no) && wireType !== WireType.LengthDelimited) return undefined;
      out.push({ no, bytes: bytes.subarray(start, reader.pos) });
    }
  } catch {
    return undefined;
  }
  return out;
}

export const EMPTY = new Uint8Array(0);

/** A one-byte tag, the length and the payload. */
export const field = (len: number) => 1 + varintSize(len) + len;

/** Bytes of a non-negative integer's varint (up to 2^53: no 32-bit operators). */
export function varintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

export function writeVarint(out: Uint8Array, pos: number, v: number): number {
  while (v >= 0x80) {
    out[pos++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  out[pos++] = v;
  return pos;
}

/** A one-byte tag and a non-negative varint. */
export function varintField(tag: number, v: number): Uint8Array {
  const out = new Uint8Array(1 + varintSize(v));
  out[0] = tag;
  writeVarint(out, 1, v);
  return out;
}

/** A one-byte tag and a length (the payload follows as parts of its own). */
export function header(tag: number, len: number): Uint8Array {
  const out = new Uint8Array(1 + varintSize(len));
  out[0] = tag;
  writeVarint(out, 1, len);
  return out;
}

/** A string field; proto3 leaves an empty one out. */
export function stringField(tag: number, s: string): Uint8Array {
  if (s === "") return EMPTY;
  const payload = Buffer.from(s, "utf8");
  return concat([header(tag, payload.length), payload], field(payload.length));
}

export const lengthOf = (parts: readonly Uint8Array[]) => parts.reduce((n, p) => n + p.length, 0);

export function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  const out = Buffer.allocUnsafe(total);
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return new Uint8Array(out.buffer, out.byteOffset, total);
}
