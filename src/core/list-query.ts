import type { Sort } from "../../gen/flyteidl/admin/common_pb.js";
import type { EntityColumns } from "./entity-columns.js";
import { type Filter, type FilterScope, parseFilters } from "./filters.js";
import { parseToken, requireLimit } from "./pagination.js";
import { parseSort, type SortOrder } from "./sorting.js";

/** A parsed list request: typed filters, an optional order, and the page. */
export interface ListQuery {
  readonly filters: readonly Filter[];
  /** Absent: the list's deterministic default order. */
  readonly sort?: SortOrder | undefined;
  /** Absent: no limit. */
  readonly limit?: number | undefined;
  readonly offset: number;
}

/** The list fields every flyteidl list request carries. */
export interface ListRequestFields {
  readonly limit: number;
  readonly token: string;
  readonly filters: string;
  readonly sortBy?: Sort | undefined;
}

export interface ListRules {
  /** The listed entity first, then the entities its filters may reference. */
  readonly scope: FilterScope;
  /** The operation named in a bad-token error (`ListProjects`, ...). */
  readonly op: string;
  /** ListProjects treats limit 0 as "all"; every other list requires limit > 0. */
  readonly zeroLimitMeansAll?: boolean;
  /** Where sort keys come from, when not the listed entity (`scope[0]`). */
  readonly sortColumns?: EntityColumns;
  /** The largest limit accepted (config maxPageSize); absent for none. Every list RPC passes it. */
  readonly maxPageSize?: number | undefined;
}

/** Parses a list request in FlyteAdmin's order: limit, filters, sort, token. */
export function parseListRequest(req: ListRequestFields, rules: ListRules): ListQuery {
  const limit = rules.zeroLimitMeansAll && req.limit === 0 ? undefined : requireLimit(req.limit, rules.maxPageSize);
  const filters = parseFilters(req.filters, rules.scope);
  const sort = parseSort(req.sortBy, rules.sortColumns ?? rules.scope[0]);
  const offset = parseToken(req.token, rules.op);
  return { filters, sort, limit, offset };
}
