import { and, asc, desc, eq, gt, gte, inArray, like, lt, lte, ne, notInArray, notLike, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Filter } from "../core/filters.js";
import type { SortOrder } from "../core/sorting.js";

/** What a filter or sort field can mean: a column, or an expression over columns. */
export type ColumnRef = SQLiteColumn | SQL;

/** For one list: entity code -> filterable column name -> the column or expression it means. */
export type ColumnMap = Readonly<Record<string, Readonly<Record<string, ColumnRef>>>>;

/**
 * Turns parsed filters into one bound predicate (all AND-ed). Values are
 * always parameters; column names come only from the map, so nothing a client
 * sends is ever spliced into SQL text.
 */
export function whereOf(filters: readonly Filter[], columns: ColumnMap): SQL | undefined {
  if (filters.length === 0) return undefined;
  return and(...filters.map((f) => predicate(f, column(columns, f.entity, f.column))));
}

function predicate(f: Filter, ref: ColumnRef): SQL {
  // drizzle's operators take a column or an SQL expression through separate
  // overloads; the union needs one of them named.
  const col = ref as SQLiteColumn;
  const [value] = f.values as [unknown];
  switch (f.op) {
    case "eq":
      return eq(col, value);
    case "ne":
      return ne(col, value);
    case "gt":
      return gt(col, value);
    case "gte":
      return gte(col, value);
    case "lt":
      return lt(col, value);
    case "lte":
      return lte(col, value);
    case "contains":
      return like(col, `%${String(value)}%`);
    case "not_like":
      return notLike(col, String(value));
    case "value_in":
      return inArray(col, f.values as unknown[]);
    case "value_not_in":
      return notInArray(col, f.values as unknown[]);
  }
}

function column(columns: ColumnMap, entity: string, name: string): ColumnRef {
  const col = columns[entity]?.[name];
  // core validated the field against the same entity definitions; a miss here is a wiring bug.
  if (!col) throw new Error(`no column mapped for ${entity}.${name}`);
  return col;
}

/**
 * ORDER BY for a list: the requested column (of the listed entity) or the
 * list's default, always followed by the key columns so pages are stable.
 */
export function orderOf(
  sort: SortOrder | undefined,
  own: Readonly<Record<string, ColumnRef>>,
  fallback: readonly SQL[],
  tieBreakers: readonly ColumnRef[],
): SQL[] {
  if (!sort) return [...fallback, ...tieBreakers.map((c) => asc(c))];
  const col = own[sort.column];
  if (!col) throw new Error(`no column mapped for sort key ${sort.column}`);
  const dir = sort.direction === "asc" ? asc : desc;
  return [dir(col), ...tieBreakers.filter((c) => c !== col).map((c) => dir(c))];
}

/** Applies a list query's page (limit absent = all) to a dynamic select. */
export function pageOf<Q extends { limit(n: number): Q; offset(n: number): Q }>(q: Q, page: { limit?: number | undefined; offset: number }): Q {
  let out = q;
  if (page.limit !== undefined) out = out.limit(page.limit);
  if (page.offset > 0) out = out.offset(page.offset);
  return out;
}
