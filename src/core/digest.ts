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
  let json: unknown;
  try {
    json = toJson(schema, message);
  } catch (e) {
    // Only a well-known value out of its range (a Timestamp past year 9999, a
    // Duration of more than 10,000 years) cannot be written as JSON; it is the
    // client's payload that is wrong.
    throw invalidArgument(`invalid ${schema.typeName}: ${(e as Error).message}`);
  }
  return sortKeys(json);
}

/** SHA-256 of the canonical JSON: equal digests mean identical structure. */
export function structureDigest<D extends DescMessage>(schema: D, message: MessageShape<D>): Buffer {
  return createHash("sha256").update(JSON.stringify(canonicalJson(schema, message))).digest();
}

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
