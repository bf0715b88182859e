/**
 * Identities and names of the embedded engine (engine-spec §1). Every id here
 * must equal what flytepropeller derives for the same execution, because
 * admin, the console and recovery look nodes and tasks up by these strings.
 */

import { fnv32a, fnv64a } from "../../core/fnv.js";

export { fnv32a, fnv64a };

const BASE32_ALPHABET = "abcdefghijklmnopqrstuvwxyz123456";
const SHARD_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789";
const SHARD_COUNT = SHARD_CHARS.length * SHARD_CHARS.length; // 1296

const utf8 = new TextEncoder();

/** Concatenates the parts with `-`, but only where the text built so far is non-empty (so leading empty parts vanish). */
export function joinParts(parts: readonly string[]): string {
  let out = "";
  parts.forEach((part, i) => {
    if (i > 0 && out.length > 0) out += "-";
    out += part;
  });
  return out;
}

/** RFC 4648 base32 bit packing over a custom alphabet, without padding (Go's base32 NoPadding). */
function base32NoPadding(bytes: Uint8Array): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const b of bytes) {
    buffer = ((buffer << 8) | b) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

function bigEndian(value: bigint, byteCount: number): Uint8Array {
  const out = new Uint8Array(byteCount);
  let v = value;
  for (let i = byteCount - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/**
 * Returns `s` when its UTF-8 byte length is at most `max`, otherwise `f` + the
 * unpadded base32 of the big-endian FNV-1a digest (propeller's FixedLengthUniqueID).
 * Propeller errors when even the digest is longer than `max`; ids here are
 * always long enough (20 and 50) for that never to happen, so the digest form is returned as is.
 */
export function fixedLength(s: string, max: number, algo: "fnv32a" | "fnv64a" = "fnv32a"): string {
  const bytes = utf8.encode(s);
  if (bytes.length <= max) return s;
  const digest = algo === "fnv64a" ? bigEndian(fnv64a(bytes), 8) : bigEndian(BigInt(fnv32a(bytes)), 4);
  return "f" + base32NoPadding(digest);
}

/** Node unique id (propeller GenerateUniqueID): top-level nodes keep their spec id, nested ones are prefixed by parent id and attempt. */
export function nodeUniqueId(parent: { uniqueId: string; attempt: number } | undefined, specNodeId: string): string {
  const parts = parent ? [parent.uniqueId, String(parent.attempt), specNodeId] : ["", "", specNodeId];
  return fixedLength(joinParts(parts), 20);
}

/** The per-attempt generated name (TaskExecutionMetadata.generated_name; the pod name in propeller). */
export function generatedName(executionName: string, nodeUniqueId: string, attempt: number, max = 50): string {
  return fixedLength(joinParts([executionName, nodeUniqueId, String(attempt)]), max);
}

/** Name of the execution a launch-plan node creates; 64-bit digest as propeller uses for workflows it launches. */
export function childExecutionName(parentExecutionName: string, nodeUniqueId: string, nodeAttempt: number): string {
  return fixedLength(joinParts([parentExecutionName, nodeUniqueId, String(nodeAttempt)]), 20, "fnv64a");
}

/** `{{.perRetryUniqueKey}}`: a leading run of characters other than letters and `_` becomes `a`, every other run of non-word characters `_`. */
export function retryUniqueKey(generatedName: string): string {
  return generatedName.replace(/^[^a-zA-Z_]+/, "a").replace(/[^a-zA-Z0-9_]+/g, "_");
}

/** The two-character shard of a raw output prefix: all pairs over a..z0..9 in order, picked by fnv32a % 1296. */
export function rawOutputShard(generatedName: string): string {
  const index = fnv32a(utf8.encode(generatedName)) % SHARD_COUNT;
  return SHARD_CHARS[Math.floor(index / SHARD_CHARS.length)]! + SHARD_CHARS[index % SHARD_CHARS.length]!;
}

/** ExternalResourceInfo.external_id of one map-task index (propeller's array event recorder). */
export function arrayExternalId(arrayGeneratedName: string, index: number, subAttempt: number): string {
  return `${arrayGeneratedName}-n${index}-${subAttempt}`;
}
