import { ENTITY_PREFIXES, type ColumnType, type EntityColumns } from "./entity-columns.js";
import { invalidArgument, invalidValue } from "./errors.js";
import { parseFilterDuration } from "./filter-duration.js";
import { splitExpression } from "./filter-expression.js";
import { parseRfc3339 } from "./rfc3339.js";

/** FlyteAdmin's filter functions (pkg/common/filters.go). */
export const FILTER_OPS = [
  "eq",
  "ne",
  "gt",
  "gte",
  "lt",
  "lte",
  "contains",
  "not_like",
  "value_in",
  "value_not_in",
] as const;
export type FilterOp = (typeof FILTER_OPS)[number];

export type FilterValue = string | number | Date;

/** One parsed, typed filter expression; storage turns it into a bound SQL predicate. */
export interface Filter {
  /** Entity code of the referenced entity (`p`, `t`, ...). */
  readonly entity: string;
  readonly column: string;
  readonly type: ColumnType;
  readonly op: FilterOp;
  /** One value for the single-value functions, one or more for value_in / value_not_in. */
  readonly values: readonly FilterValue[];
}

/** The entities one list RPC may filter on; the first is the listed entity itself. */
export type FilterScope = readonly [EntityColumns, ...EntityColumns[]];

/**
 * Bounds on what one `filters` string may ask for. Real clients send a
 * handful of short expressions (the console at most five or six, flytectl one
 * or two), so these are far above any genuine use while keeping the work of
 * one request, the SQL it becomes and its bound parameters small: 100
 * expressions stay well inside SQLite's expression depth, and 1,000 values in
 * all inside both SQLite's and PostgreSQL's parameter limits (32,766 and
 * 65,535) with room for the list's own conditions.
 */
export const MAX_FILTERS_LENGTH = 64 * 1024;
export const MAX_FILTER_EXPRESSIONS = 100;
export const MAX_FILTER_VALUES = 1000;
/**
 * contains and not_like values become LIKE patterns, which SQLite refuses past
 * 50,000 bytes ("LIKE or GLOB pattern too complex") and PostgreSQL does not:
 * 10,000 characters is at most 30,000 bytes of UTF-8, so both answer alike.
 */
export const MAX_PATTERN_LENGTH = 10_000;

/** Integer filter columns are PostgreSQL `integer` (src/storage/schema/pg.ts); a wider value would fail there and not in SQLite. */
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

const REPEATED_OPS = new Set<FilterOp>(["value_in", "value_not_in"]);
const TEXT_ONLY_OPS = new Set<FilterOp>(["contains", "not_like"]);
const OP_NAMES: Record<FilterOp, string> = {
  eq: "equal",
  ne: "not equal",
  gt: "greater than",
  gte: "greater than or equal",
  lt: "less than",
  lte: "less than or equal",
  contains: "contains",
  not_like: "not like",
  value_in: "value in",
  value_not_in: "value not in",
};

/**
 * Parses a `filters` string (`eq(name,x)+value_in(state,0;2)`) against the
 * entities a list allows. An empty string means no filters. Errors carry
 * FlyteAdmin's messages; values are typed by column so a bad integer or
 * timestamp is INVALID_ARGUMENT here rather than a database error later.
 */
export function parseFilters(text: string, scope: FilterScope): Filter[] {
  if (text === "") return [];
  if (text.length > MAX_FILTERS_LENGTH) {
    throw invalidArgument(`filters are too long: ${text.length} characters, at most ${MAX_FILTERS_LENGTH} are allowed`);
  }
  const expressions = text.split("+");
  if (expressions.length > MAX_FILTER_EXPRESSIONS) {
    throw invalidArgument(`too many filter expressions: ${expressions.length}, at most ${MAX_FILTER_EXPRESSIONS} are allowed`);
  }
  let values = 0;
  return expressions.map((expression) => {
    const filter = parseExpression(expression, scope, MAX_FILTER_VALUES - values);
    values += filter.values.length;
    return filter;
  });
}

function parseExpression(expression: string, scope: FilterScope, valuesLeft: number): Filter {
  const parts = splitExpression(expression);
  if (!parts) throw invalidValue("filters");
  const { fn, field: rawField, value: rawValue } = parts;
  const primary = scope[0];
  const { code, column } = splitField(rawField, primary.code);
  const entity = scope.find((e) => e.code === code);
  if (!entity) throw invalidArgument(`'${code}' entity is not allowed in filters`);
  // Own columns only: "constructor" or "__proto__" would otherwise name what every object has.
  const type = Object.hasOwn(entity.columns, column) ? entity.columns[column] : undefined;
  if (type === undefined) throw invalidArgument(`'${code}.${column}' is invalid filter`);
  if (!isFilterOp(fn)) throw invalidArgument(`unrecognized filter function: ${fn}`);
  const raw = rawValue.split(";");
  if (!REPEATED_OPS.has(fn) && raw.length !== 1) {
    throw invalidArgument(`invalid single value filter expression: ${OP_NAMES[fn]} takes one value, got [${rawValue}]`);
  }
  if (TEXT_ONLY_OPS.has(fn) && type !== "text") {
    throw invalidArgument(`invalid filter expression: ${OP_NAMES[fn]} applies to text fields only, not '${code}.${column}'`);
  }
  if (TEXT_ONLY_OPS.has(fn) && rawValue.length > MAX_PATTERN_LENGTH) {
    throw invalidArgument(`invalid value for filters: ${OP_NAMES[fn]} takes at most ${MAX_PATTERN_LENGTH} characters, got ${rawValue.length}`);
  }
  if (raw.length > valuesLeft) {
    throw invalidArgument(`too many filter values: value_in and value_not_in may list at most ${MAX_FILTER_VALUES} values in all`);
  }
  return { entity: code, column, type, op: fn, values: raw.map((v) => typedValue(v, type, column)) };
}

function splitField(field: string, primaryCode: string): { code: string; column: string } {
  const dot = field.indexOf(".");
  if (dot > 0) {
    const prefix = field.slice(0, dot);
    const code = Object.hasOwn(ENTITY_PREFIXES, prefix) ? ENTITY_PREFIXES[prefix] : undefined;
    if (code !== undefined) return { code, column: field.slice(dot + 1) };
  }
  return { code: primaryCode, column: field };
}

function isFilterOp(fn: string): fn is FilterOp {
  return (FILTER_OPS as readonly string[]).includes(fn);
}

function typedValue(value: string, type: ColumnType, column: string): FilterValue {
  // PostgreSQL refuses NUL in text (SQLite stores it): refused here so both answer alike.
  if (value.includes("\u0000")) throw invalidArgument(`invalid value for filters: '${column}' values may not contain NUL characters`);
  switch (type) {
    case "text":
      return value;
    case "int": {
      if (!/^[+-]?\d+$/.test(value)) {
        throw invalidArgument(`invalid value for filters: '${column}' takes an integer, got '${value}'`);
      }
      const n = Number(value);
      if (n < INT32_MIN || n > INT32_MAX) {
        throw invalidArgument(`invalid value for filters: '${column}' takes a 32-bit integer (${INT32_MIN} to ${INT32_MAX}), got '${value}'`);
      }
      return n;
    }
    case "timestamp": {
      const date = parseRfc3339(value);
      if (!date) throw invalidArgument(`Timestamp ${value} must conform to RFC3339 Nano spec`);
      return date;
    }
    case "duration": {
      const nanos = parseFilterDuration(value);
      if (nanos === undefined) throw invalidArgument(`Failed to parse duration [${value}]`);
      return nanos;
    }
  }
}
