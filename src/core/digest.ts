import { createHash } from "node:crypto";
import { type DescMessage, type MessageShape, toJson } from "@bufbuild/protobuf";
import { invalidArgument } from "./errors.js";

/**
 * A message's structure as canonical JSON: protobuf JSON without default
 * values, object keys sorted. Two messages with the same meaning (whatever
 * their map order or encoding) give the same text; list order still counts.
 * This is the equality FlyteAdmin's digest (jsonpb + objecthash) expresses.
 */
export function canonicalJson<D extends DescMessage>(schema: D, message: MessageShape<D>): unknown {
  return sortKeys(structureJson(schema, message));
}

/**
 * A message's protobuf JSON (as structureDigest reads it); a value too large
 * for JSON is INVALID_ARGUMENT.
 */
export function structureJson<D extends DescMessage>(schema: D, message: MessageShape<D>): unknown {
  try {
    return toJson(schema, message);
  } catch (e) {
    // Only a well-known value out of its range (a Timestamp past year 9999, a
    // Duration of more than 10,000 years) cannot be written as JSON; it is the
    // client's payload that is wrong.
    throw invalidArgument(`invalid ${schema.typeName}: ${(e as Error).message}`);
  }
}

/**
 * SHA-256 of the canonical JSON's text: equal digests mean identical structure.
 * Stored digests were made this way, so the text must never change.
 */
export function structureDigest<D extends DescMessage>(schema: D, message: MessageShape<D>): Buffer {
  return digestOfStructure(structureJson(schema, message));
}

/** The canonical JSON's text of a message: the part of a digest it stands for, wherever it is nested. */
export function canonicalText<D extends DescMessage>(schema: D, message: MessageShape<D>): string {
  return sortedText(structureJson(schema, message));
}

/**
 * A message's canonical text made beforehand (canonicalText), standing in a
 * JSON value for that message's JSON: the text of the whole is the same, as
 * sortedText writes each value on its own, whatever it is nested in.
 */
export class CanonicalText {
  constructor(readonly text: string) {}
}

/** structureDigest of protobuf JSON (structureJson), where CanonicalText values are written as they are. */
export function digestOfStructure(json: unknown): Buffer {
  return createHash("sha256").update(sortedText(json)).digest();
}

/**
 * JSON.stringify(sortKeys(value)) in one pass, without building the sorted
 * copy (every registration hashes its whole compiled structure). Protobuf
 * JSON holds no undefined, functions or toJSON, so the texts are the same.
 */
function sortedText(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedText).join(",")}]`;
  if (value && typeof value === "object") {
    if (value instanceof CanonicalText) return value.text;
    const o = value as Record<string, unknown>;
    return `{${keysAsSorted(Object.keys(o))
      .map((k) => `${JSON.stringify(k)}:${sortedText(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * Keys in the order the object sortKeys makes lists them: sorted, except that
 * an object lists array-index keys ("0", "17") first, in numeric order,
 * whatever order they were added in. Map keys (labels, literal maps, task
 * config) can be such keys; the object itself orders them, as it did for the
 * digests already stored.
 */
function keysAsSorted(keys: string[]): string[] {
  keys.sort();
  if (!keys.some(startsWithDigit)) return keys;
  return Object.keys(Object.fromEntries(keys.map((k) => [k, true])));
}

const startsWithDigit = (k: string) => k.charCodeAt(0) >= 48 && k.charCodeAt(0) <= 57;

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}
