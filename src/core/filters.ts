import { ENTITY_PREFIXES, type ColumnType, type EntityColumns } from "./entity-columns.js";
import { invalidArgument, invalidValue } from "./errors.js";

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

// FlyteAdmin matches each expression with this unanchored, greedy pattern; the
// quirks it implies (text after `)` ignored, one optional space after the
// comma) are part of the observable language.
const EXPRESSION = /(.+)\((.+),\s?(.+)\)/;
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
  return text.split("+").map((expression) => parseExpression(expression, scope));
}

function parseExpression(expression: string, scope: FilterScope): Filter {
  const match = EXPRESSION.exec(expression);
  if (!match) throw invalidValue("filters");
  const [, fn = "", rawField = "", rawValue = ""] = match;
  const primary = scope[0];
  const { code, column } = splitField(rawField, primary.code);
  const entity = scope.find((e) => e.code === code);
  if (!entity) throw invalidArgument(`'${code}' entity is not allowed in filters`);
  const type = entity.columns[column];
  if (type === undefined) throw invalidArgument(`'${code}.${column}' is invalid filter`);
  if (!isFilterOp(fn)) throw invalidArgument(`unrecognized filter function: ${fn}`);
  const raw = rawValue.split(";");
  if (!REPEATED_OPS.has(fn) && raw.length !== 1) {
    throw invalidArgument(`invalid single value filter expression: ${OP_NAMES[fn]} takes one value, got [${rawValue}]`);
  }
  if (TEXT_ONLY_OPS.has(fn) && type !== "text") {
    throw invalidArgument(`invalid filter expression: ${OP_NAMES[fn]} applies to text fields only, not '${code}.${column}'`);
  }
  return { entity: code, column, type, op: fn, values: raw.map((v) => typedValue(v, type, column)) };
}

function splitField(field: string, primaryCode: string): { code: string; column: string } {
  const dot = field.indexOf(".");
  if (dot > 0) {
    const code = ENTITY_PREFIXES[field.slice(0, dot)];
    if (code !== undefined) return { code, column: field.slice(dot + 1) };
  }
  return { code: primaryCode, column: field };
}

function isFilterOp(fn: string): fn is FilterOp {
  return (FILTER_OPS as readonly string[]).includes(fn);
}

function typedValue(value: string, type: ColumnType, column: string): FilterValue {
  switch (type) {
    case "text":
      return value;
    case "int": {
      if (!/^[+-]?\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
        throw invalidArgument(`invalid value for filters: '${column}' takes an integer, got '${value}'`);
      }
      return Number(value);
    }
    case "timestamp": {
      const date = parseRfc3339(value);
      if (!date) throw invalidArgument(`Timestamp ${value} must conform to RFC3339 Nano spec`);
      return date;
    }
  }
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** RFC 3339 with optional fractional seconds (Go's time.RFC3339Nano layout). */
export function parseRfc3339(value: string): Date | undefined {
  if (!RFC3339.test(value)) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
