import { type Sort, Sort_Direction } from "../../gen/flyteidl/admin/common_pb.js";
import type { EntityColumns } from "./entity-columns.js";
import { invalidArgument } from "./errors.js";

export interface SortOrder {
  readonly column: string;
  readonly direction: "asc" | "desc";
}

/**
 * Validates `sort_by` against the listed entity's columns (FlyteAdmin's
 * NewSortParameter). Absent means "no order requested"; the store then uses
 * the list's deterministic default. DESCENDING is the proto default (0).
 */
export function parseSort(sort: Sort | undefined, entity: EntityColumns): SortOrder | undefined {
  if (sort === undefined) return undefined;
  // Own columns only: "constructor" or "__proto__" would otherwise name what every object has.
  if (!Object.hasOwn(entity.columns, sort.key)) throw invalidArgument(`invalid sort key '${sort.key}'`);
  switch (sort.direction) {
    case Sort_Direction.DESCENDING:
      return { column: sort.key, direction: "desc" };
    case Sort_Direction.ASCENDING:
      return { column: sort.key, direction: "asc" };
    default:
      throw invalidArgument(`invalid sort order specified: key:${JSON.stringify(sort.key)} direction:${sort.direction}`);
  }
}
