import { invalidArgument, missingField } from "./errors.js";

/**
 * Checks on text that reaches a database column or a blob key, so that a
 * request gets the same answer on SQLite and PostgreSQL. PostgreSQL refuses
 * NUL in text and index entries above ~2,700 bytes (a third of a page), both
 * as database errors; SQLite stores either without complaint.
 */

/**
 * The most bytes of one key field (project, domain, name, version, org, node
 * id, signal id). FlyteAdmin's models declare these columns
 * `valid:"length(0|255)"`. At 255 bytes even the widest key, a task
 * execution's eight text columns, stays under PostgreSQL's btree row limit,
 * and a field used as one blob-key path segment stays within the 255-byte
 * file name limit of common file systems.
 */
export const MAX_KEY_BYTES = 255;

const CONTROL = /[\u0000-\u001f\u007f]/;
const byteLength = (s: string) => Buffer.byteLength(s, "utf8");

/** FlyteAdmin's ValidateMaxLengthStringField: Go's len(), so bytes, reported as "characters". */
export function checkMaxLength(value: string, field: string, limit: number): void {
  if (value.length > limit || byteLength(value) > limit) {
    // UTF-16 length is a lower bound of the UTF-8 length: a huge string fails without being encoded.
    throw invalidArgument(`${field} cannot exceed ${limit} characters`);
  }
}

/** Free text (descriptions, causes, URIs): anything but NUL, which PostgreSQL cannot store in text. */
export function checkNoNul(value: string, field: string): void {
  if (value.includes("\u0000")) throw invalidArgument(`${field} cannot contain a NUL character`);
}

/** Free text with a length limit: the limit first, as FlyteAdmin checks it. */
export function checkText(value: string, field: string, limit: number): void {
  checkMaxLength(value, field, limit);
  checkNoNul(value, field);
}

/**
 * A key field that is not part of a blob key (signal ids): at most
 * MAX_KEY_BYTES, no control characters (no client sends them, and they make
 * ids that print and log ambiguously).
 */
export function checkKeyText(value: string, field: string): void {
  checkText(value, field, MAX_KEY_BYTES);
  if (CONTROL.test(value)) throw invalidArgument(`${field} cannot contain control characters`);
}

/**
 * A key field that also names blobs (`metadata/<project>/<domain>/<name>/...`):
 * besides checkKeyText, no "." or ".." path segment, which would climb out of
 * or fold onto another entity's blobs.
 */
export function checkPathKeyText(value: string, field: string): void {
  checkKeyText(value, field);
  if (value.split("/").some((s) => s === "." || s === "..")) {
    throw invalidArgument(`${field} [${value}] cannot have "." or ".." as a path segment`);
  }
}

/** The text fields of an identifier (core.Identifier, NamedEntityIdentifier, WorkflowExecutionIdentifier); empty ones are the caller's. */
export function checkIdentifierText(id: { project?: string; domain?: string; name?: string; version?: string; org?: string }): void {
  for (const field of ["project", "domain", "name", "version", "org"] as const) {
    const value = id[field];
    if (value) checkPathKeyText(value, field);
  }
}

/**
 * A node execution's node id. FlyteAdmin only requires it to be set; these
 * rules keep every id flytepropeller sends (`start-node`, `end-node`, `n0`,
 * `n1-0-n2`, `n0-0-dn3`, hashed `f...` ids, branch ids `n1-n0`) and refuse
 * what would misplace blobs: an id is one path segment of the offload keys
 * (and of REST paths), so no "/" or "\", and not "." or "..". Propeller's
 * nested ids are at most 20 bytes and flytekit's spec ids DNS labels (at most
 * 63), so MAX_KEY_BYTES leaves ample room.
 */
export function checkNodeId(value: string, field = "node_id"): void {
  if (value === "") throw missingField(field);
  checkKeyText(value, field);
  if (value === "." || value === ".." || /[/\\]/.test(value)) {
    throw invalidArgument(`${field} [${value}] cannot be "." or ".." or contain "/" or "\\"`);
  }
}
