/**
 * A small MessagePack reader and writer for the values flytekit stores in
 * `Binary{tag: "msgpack"}` literals (dataclasses, pydantic models, dicts).
 * Our own rather than a library because the engine needs what generic
 * decoders hide: whether a number was encoded as an integer or a float (and
 * which width), and the exact bytes of every sub-value, so that a value taken
 * out of a dataclass is handed on byte-for-byte as flytekit wrote it.
 */

export type MsgpackValue =
  | { kind: "nil" }
  | { kind: "bool"; value: boolean }
  /** Any integer format; `unsigned` for positive fixint and uint8..uint64 (the Go decoder's unsigned types). */
  | { kind: "int"; value: bigint; unsigned: boolean }
  | { kind: "float"; value: number; bits: 32 | 64 }
  | { kind: "str"; value: string; bytes: Uint8Array }
  | { kind: "bin"; value: Uint8Array }
  | { kind: "array"; items: MsgpackNode[] }
  | { kind: "map"; entries: Array<[MsgpackNode, MsgpackNode]> }
  | { kind: "ext"; type: number; data: Uint8Array };

/** A decoded value together with its exact encoding. */
export type MsgpackNode = MsgpackValue & { raw: Uint8Array };

export class MsgpackError extends Error {
  override name = "MsgpackError";
}

export interface MsgpackLimits {
  /** Nesting depth limit, so hostile input cannot exhaust the stack. */
  maxDepth?: number;
}

const DEFAULT_MAX_DEPTH = 512;
const decoder = new TextDecoder("utf-8");

/** Decodes exactly one value; trailing bytes, truncation, unused codes and non-scalar map keys are errors. */
export function decodeMsgpack(bytes: Uint8Array, limits: MsgpackLimits = {}): MsgpackNode {
  if (bytes.length === 0) throw new MsgpackError("msgpack: no data");
  const reader = new Reader(bytes, limits.maxDepth ?? DEFAULT_MAX_DEPTH);
  const node = reader.value(0);
  if (reader.pos !== bytes.length) throw new MsgpackError(`msgpack: ${bytes.length - reader.pos} bytes left over`);
  return node;
}

class Reader {
  pos = 0;
  private readonly view: DataView;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly maxDepth: number,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private need(n: number): void {
    if (n < 0 || this.pos + n > this.bytes.length) throw new MsgpackError("msgpack: unexpected end of data");
  }
  private u8(): number {
    this.need(1);
    return this.view.getUint8(this.pos++);
  }
  private uint(size: 1 | 2 | 4 | 8): bigint {
    this.need(size);
    const p = this.pos;
    this.pos += size;
    if (size === 1) return BigInt(this.view.getUint8(p));
    if (size === 2) return BigInt(this.view.getUint16(p));
    if (size === 4) return BigInt(this.view.getUint32(p));
    return this.view.getBigUint64(p);
  }
  private int(size: 1 | 2 | 4 | 8): bigint {
    this.need(size);
    const p = this.pos;
    this.pos += size;
    if (size === 1) return BigInt(this.view.getInt8(p));
    if (size === 2) return BigInt(this.view.getInt16(p));
    if (size === 4) return BigInt(this.view.getInt32(p));
    return this.view.getBigInt64(p);
  }
  private take(n: number): Uint8Array {
    this.need(n);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  private len(size: 1 | 2 | 4): number {
    return Number(this.uint(size));
  }

  value(depth: number): MsgpackNode {
    if (depth > this.maxDepth) throw new MsgpackError(`msgpack: nesting deeper than ${this.maxDepth}`);
    const start = this.pos;
    const v = this.body(depth);
    return { ...v, raw: this.bytes.subarray(start, this.pos) } as MsgpackNode;
  }

  private str(n: number): MsgpackValue {
    const bytes = this.take(n);
    return { kind: "str", value: decoder.decode(bytes), bytes };
  }
  private array(n: number, depth: number): MsgpackValue {
    this.need(n); // every element takes at least one byte: refuse impossible counts before allocating
    const items: MsgpackNode[] = [];
    for (let i = 0; i < n; i++) items.push(this.value(depth + 1));
    return { kind: "array", items };
  }
  private map(n: number, depth: number): MsgpackValue {
    this.need(2 * n);
    const entries: Array<[MsgpackNode, MsgpackNode]> = [];
    for (let i = 0; i < n; i++) {
      const key = this.value(depth + 1);
      // Go cannot use slices, maps or byte strings as keys of map[any]any.
      if (key.kind === "array" || key.kind === "map" || key.kind === "bin") throw new MsgpackError(`msgpack: ${key.kind} cannot be a map key`);
      entries.push([key, this.value(depth + 1)]);
    }
    return { kind: "map", entries };
  }
  private ext(n: number): MsgpackValue {
    this.need(1 + n);
    const type = this.view.getInt8(this.pos++);
    return { kind: "ext", type, data: this.take(n) };
  }

  private body(depth: number): MsgpackValue {
    const code = this.u8();
    if (code <= 0x7f) return { kind: "int", value: BigInt(code), unsigned: true };
    if (code >= 0xe0) return { kind: "int", value: BigInt(code - 0x100), unsigned: false };
    if (code <= 0x8f) return this.map(code & 0x0f, depth);
    if (code <= 0x9f) return this.array(code & 0x0f, depth);
    if (code <= 0xbf) return this.str(code & 0x1f);
    switch (code) {
      case 0xc0: return { kind: "nil" };
      case 0xc2: return { kind: "bool", value: false };
      case 0xc3: return { kind: "bool", value: true };
      case 0xc4: return { kind: "bin", value: this.take(this.len(1)) };
      case 0xc5: return { kind: "bin", value: this.take(this.len(2)) };
      case 0xc6: return { kind: "bin", value: this.take(this.len(4)) };
      case 0xc7: return this.ext(this.len(1));
      case 0xc8: return this.ext(this.len(2));
      case 0xc9: return this.ext(this.len(4));
      case 0xca: { this.need(4); const v = this.view.getFloat32(this.pos); this.pos += 4; return { kind: "float", value: v, bits: 32 }; }
      case 0xcb: { this.need(8); const v = this.view.getFloat64(this.pos); this.pos += 8; return { kind: "float", value: v, bits: 64 }; }
      case 0xcc: return { kind: "int", value: this.uint(1), unsigned: true };
      case 0xcd: return { kind: "int", value: this.uint(2), unsigned: true };
      case 0xce: return { kind: "int", value: this.uint(4), unsigned: true };
      case 0xcf: return { kind: "int", value: this.uint(8), unsigned: true };
      case 0xd0: return { kind: "int", value: this.int(1), unsigned: false };
      case 0xd1: return { kind: "int", value: this.int(2), unsigned: false };
      case 0xd2: return { kind: "int", value: this.int(4), unsigned: false };
      case 0xd3: return { kind: "int", value: this.int(8), unsigned: false };
      case 0xd4: return this.ext(1);
      case 0xd5: return this.ext(2);
      case 0xd6: return this.ext(4);
      case 0xd7: return this.ext(8);
      case 0xd8: return this.ext(16);
      case 0xd9: return this.str(this.len(1));
      case 0xda: return this.str(this.len(2));
      case 0xdb: return this.str(this.len(4));
      case 0xdc: return this.array(this.len(2), depth);
      case 0xdd: return this.array(this.len(4), depth);
      case 0xde: return this.map(this.len(2), depth);
      case 0xdf: return this.map(this.len(4), depth);
      default: throw new MsgpackError(`msgpack: invalid code ${code.toString(16)}`);
    }
  }
}

/** Marks a number to be written as a float64 even when it is integral (Python writes `1.0` that way). */
export class MsgpackFloat {
  constructor(readonly value: number) {}
}

/**
 * Encodes plain values the way Python's msgpack does: null → nil, integers (number or
 * bigint) in the smallest form, other numbers and MsgpackFloat as float64, strings,
 * Uint8Array as bin, arrays, Map or plain objects as maps, already-encoded MsgpackNodes verbatim.
 */
export function encodeMsgpack(value: unknown): Uint8Array {
  const out: number[] = [];
  write(value, out, 0);
  return Uint8Array.from(out);
}

function pushAll(out: number[], bytes: Uint8Array): void {
  for (const b of bytes) out.push(b);
}

function pushUint(out: number[], v: bigint, size: number): void {
  for (let i = size - 1; i >= 0; i--) out.push(Number((v >> BigInt(8 * i)) & 0xffn));
}

function writeInt(v: bigint, out: number[]): void {
  if (v >= 0n) {
    if (v <= 0x7fn) out.push(Number(v));
    else if (v <= 0xffn) { out.push(0xcc); pushUint(out, v, 1); }
    else if (v <= 0xffffn) { out.push(0xcd); pushUint(out, v, 2); }
    else if (v <= 0xffffffffn) { out.push(0xce); pushUint(out, v, 4); }
    else if (v <= 0xffffffffffffffffn) { out.push(0xcf); pushUint(out, v, 8); }
    else throw new MsgpackError(`msgpack: integer ${v} out of range`);
    return;
  }
  const twos = (bits: number) => v + (1n << BigInt(bits));
  if (v >= -32n) out.push(Number(twos(8)));
  else if (v >= -0x80n) { out.push(0xd0); pushUint(out, twos(8), 1); }
  else if (v >= -0x8000n) { out.push(0xd1); pushUint(out, twos(16), 2); }
  else if (v >= -0x80000000n) { out.push(0xd2); pushUint(out, twos(32), 4); }
  else if (v >= -0x8000000000000000n) { out.push(0xd3); pushUint(out, twos(64), 8); }
  else throw new MsgpackError(`msgpack: integer ${v} out of range`);
}

function writeHeader(out: number[], n: number, fix: { base: number; max: number } | undefined, codes: readonly number[]): void {
  if (fix && n <= fix.max) out.push(fix.base | n);
  else if (codes.length === 3 && n <= 0xff) { out.push(codes[0]!); pushUint(out, BigInt(n), 1); }
  else if (n <= 0xffff) { out.push(codes[codes.length - 2]!); pushUint(out, BigInt(n), 2); }
  else { out.push(codes[codes.length - 1]!); pushUint(out, BigInt(n), 4); }
}

function write(value: unknown, out: number[], depth: number): void {
  if (depth > DEFAULT_MAX_DEPTH) throw new MsgpackError("msgpack: value nested too deeply");
  if (value === null || value === undefined) out.push(0xc0);
  else if (typeof value === "boolean") out.push(value ? 0xc3 : 0xc2);
  else if (typeof value === "bigint") writeInt(value, out);
  else if (typeof value === "number" && Number.isSafeInteger(value) && !Object.is(value, -0)) writeInt(BigInt(value), out);
  else if (typeof value === "number" || value instanceof MsgpackFloat) {
    const buf = new DataView(new ArrayBuffer(8));
    buf.setFloat64(0, typeof value === "number" ? value : value.value);
    out.push(0xcb);
    pushAll(out, new Uint8Array(buf.buffer));
  } else if (typeof value === "string") {
    const bytes = new TextEncoder().encode(value);
    writeHeader(out, bytes.length, { base: 0xa0, max: 31 }, [0xd9, 0xda, 0xdb]);
    pushAll(out, bytes);
  } else if (value instanceof Uint8Array) {
    writeHeader(out, value.length, undefined, [0xc4, 0xc5, 0xc6]);
    pushAll(out, value);
  } else if (Array.isArray(value)) {
    writeHeader(out, value.length, { base: 0x90, max: 15 }, [0xdc, 0xdd]);
    for (const item of value) write(item, out, depth + 1);
  } else if (typeof value === "object" && "raw" in value && (value as { raw: unknown }).raw instanceof Uint8Array && "kind" in value) {
    pushAll(out, (value as MsgpackNode).raw);
  } else if (value instanceof Map || typeof value === "object") {
    const entries: Array<[unknown, unknown]> = value instanceof Map ? [...value.entries()] : Object.entries(value);
    writeHeader(out, entries.length, { base: 0x80, max: 15 }, [0xde, 0xdf]);
    for (const [k, v] of entries) {
      write(k, out, depth + 1);
      write(v, out, depth + 1);
    }
  } else throw new MsgpackError(`msgpack: cannot encode a ${typeof value}`);
}
