import { hash } from "node:crypto";

/** A JSON value as JSON.parse returns it (and as `toJson` of a protobuf message builds it). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * Ben Laurie's objecthash of a JSON value: the hash flytepropeller's catalog
 * keys are made of (flytestdlib pbhash: jsonpb, then objecthash's
 * CommonJSONHash). A cache entry is found by whoever computes the same key,
 * so this must agree bit for bit with the Go library: every value is
 * SHA-256 over a one-letter type tag and its body; a dict hashes its
 * (key hash, value hash) pairs in key-hash order, so member order never
 * matters; every number is a double (Go's json.Unmarshal into interface{}),
 * hashed from its binary expansion.
 */
export function objectHash(value: JsonValue): Uint8Array {
  // Member names repeat in every message of a type (and short values often do): each is hashed once per call.
  return hashOf(value, 0, new Map());
}

/** Distinct strings remembered per call; beyond this they are hashed each time. */
const MAX_REMEMBERED = 10_000;

// JSON from protobuf messages nests about twice as deep as the messages; the
// proto reader stops messages far sooner.
const MAX_DEPTH = 10_000;

function hashOf(value: JsonValue, depth: number, strings: Map<string, Buffer>): Buffer {
  if (depth > MAX_DEPTH) throw new Error("value nests too deeply to hash");
  if (value === null) return tagged("n", "");
  switch (typeof value) {
    case "string":
      return stringHash(value, strings);
    case "boolean":
      return tagged("b", value ? "1" : "0");
    case "number":
      return tagged("f", normalizedFloat(value));
  }
  if (Array.isArray(value)) return tagged("l", Buffer.concat(value.map((v) => hashOf(v, depth + 1, strings))));
  const pairs = Object.entries(value).map(([k, v]) => ({ key: stringHash(k, strings), value: hashOf(v, depth + 1, strings) }));
  pairs.sort((a, b) => Buffer.compare(a.key, b.key));
  return tagged("d", Buffer.concat(pairs.flatMap((p) => [p.key, p.value])));
}

function stringHash(s: string, strings: Map<string, Buffer>): Buffer {
  let h = strings.get(s);
  if (!h) {
    h = tagged("u", s);
    if (strings.size < MAX_REMEMBERED) strings.set(s, h);
  }
  return h;
}

const tagged = (tag: string, body: string | Buffer) => hash("sha256", typeof body === "string" ? tag + body : Buffer.concat([Buffer.from(tag), body]), "buffer");

/**
 * objecthash's float form: sign, binary exponent, then the mantissa's bits,
 * for f scaled into (0.5, 1]. Zero (either sign) is "+0:".
 */
function normalizedFloat(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`cannot hash the number ${n}`);
  if (n === 0) return "+0:";
  let f = Math.abs(n);
  let exponent = 0;
  while (f > 1) {
    f /= 2;
    exponent++;
  }
  while (f <= 0.5) {
    f *= 2;
    exponent--;
  }
  let out = `${n < 0 ? "-" : "+"}${exponent}:`;
  // Scaling by 2 is exact, so the loop ends within a double's 53 bits (and subnormals' exponent range).
  while (f !== 0) {
    if (f >= 1) {
      out += "1";
      f -= 1;
    } else {
      out += "0";
    }
    f *= 2;
  }
  return out;
}
