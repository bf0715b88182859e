import {
  type FilterExpression,
  type PaginationOptions,
  PaginationOptions_SortKey,
  PaginationOptions_SortOrder,
  SinglePropertyFilter_ComparisonOperator,
  type SinglePropertyFilter,
  SinglePropertyFilterSchema,
} from "../../../gen/flyteidl/datacatalog/datacatalog_pb.js";
import { protoText } from "../compiler/proto-text.js";
import { invalidArgument } from "../errors.js";
import { checkPageSize } from "../pagination.js";
import { dcInvalid, dcInvalidFilter, dcMissing } from "./dc-errors.js";
import { checkDatasetKeyText, MAX_FILTERS } from "./dc-limits.js";

/** datacatalog's page when a request gives no pagination (common.MaxPageLimit), and the first. */
export const DEFAULT_PAGE_LIMIT = 50;

/** A page of a list: creation time order (newest first unless ascending), then the key. */
export interface DcPage {
  offset: number;
  limit: number;
  ascending: boolean;
}

/** A dataset column a ListDatasets filter compares (equality). */
export type DatasetFilter = { field: "project" | "name" | "domain" | "version"; value: string };

/** An artifact property a ListArtifacts filter asks for: a tag's name, or a partition's key and value. */
export type ArtifactFilter = { kind: "tag"; name: string } | { kind: "partition"; key: string; value: string };

const MAX_OFFSET = 2 ** 31 - 1;

/**
 * ValidatePagination then ApplyPagination. The token is the offset in
 * decimal. datacatalog treats limit 0 as a page of nothing; here it is the
 * default page (a page of nothing is of use to nobody), and a limit above the
 * server's maximum page size is refused as on every other list.
 */
export function parseDcPage(pagination: PaginationOptions | undefined, maxPageSize: number | undefined): DcPage {
  if (!pagination) return { offset: 0, limit: DEFAULT_PAGE_LIMIT, ascending: false };
  const token = pagination.token;
  let offset = 0;
  if (token.replace(/^ +| +$/g, "") !== "") {
    if (!/^\d{1,10}$/.test(token) || Number(token) > MAX_OFFSET) throw invalidArgument(`Invalid token value: ${token.length > 64 ? `${token.slice(0, 64)}...` : token}`);
    offset = Number(token);
  }
  if (pagination.sortKey !== PaginationOptions_SortKey.CREATION_TIME) throw invalidArgument(`Invalid sort key ${enumText(PaginationOptions_SortKey, pagination.sortKey)}`);
  if (pagination.sortOrder !== PaginationOptions_SortOrder.ASCENDING && pagination.sortOrder !== PaginationOptions_SortOrder.DESCENDING) {
    throw invalidArgument(`Invalid sort order ${enumText(PaginationOptions_SortOrder, pagination.sortOrder)}`);
  }
  const limit = pagination.limit === 0 ? DEFAULT_PAGE_LIMIT : pagination.limit;
  checkPageSize(limit, maxPageSize);
  return { offset, limit, ascending: pagination.sortOrder === PaginationOptions_SortOrder.ASCENDING };
}

/** The next page's token: datacatalog always answers offset + page length, also after the last page. */
export const dcNextToken = (page: DcPage, answered: number) => String(page.offset + answered);

/** ValidateListDatasetsRequest's filter rules, then the filters themselves. */
export function parseDatasetFilters(filter: FilterExpression | undefined): DatasetFilter[] {
  const filters = checkCount(filter);
  for (const f of filters) {
    const kind = f.propertyFilter.case;
    if (kind === "tagFilter") throw dcInvalidFilter("Dataset", "Tag");
    if (kind === "partitionFilter") throw dcInvalidFilter("Dataset", "Partition");
    if (kind === "artifactFilter") throw dcInvalidFilter("Dataset", "Artifact");
  }
  return filters.map((f) => {
    checkOperator(f);
    const p = f.propertyFilter.case === "datasetFilter" ? f.propertyFilter.value.property : undefined;
    if (p?.case === "project" || p?.case === "name" || p?.case === "domain" || p?.case === "version") {
      if (p.value === "") throw dcMissing(p.case);
      checkDatasetKeyText(p.value, p.case);
      return { field: p.case, value: p.value };
    }
    throw unsupported(f);
  });
}

/** ValidateListArtifactRequest's filter rule: artifacts are never filtered on dataset properties. */
export function checkArtifactFilterKinds(filter: FilterExpression | undefined): void {
  if (checkCount(filter).some((f) => f.propertyFilter.case === "datasetFilter")) throw dcInvalidFilter("Artifact", "Dataset");
}

/** The filters of a ListArtifacts request (checkArtifactFilterKinds first: datacatalog looks up the dataset in between). */
export function parseArtifactFilters(filter: FilterExpression | undefined): ArtifactFilter[] {
  checkArtifactFilterKinds(filter);
  return checkCount(filter).map((f): ArtifactFilter => {
    checkOperator(f);
    const pf = f.propertyFilter;
    if (pf.case === "tagFilter" && pf.value.property.case === "tagName") {
      const name = pf.value.property.value;
      if (name === "") throw dcMissing("TagName");
      checkDatasetKeyText(name, "TagName");
      return { kind: "tag", name };
    }
    if (pf.case === "partitionFilter" && pf.value.property.case === "keyVal") {
      const { key, value } = pf.value.property.value;
      if (key === "") throw dcMissing("PartitionKey");
      if (value === "") throw dcMissing("PartitionValue");
      checkDatasetKeyText(key, "PartitionKey");
      checkDatasetKeyText(value, "PartitionValue");
      return { kind: "partition", key, value };
    }
    throw unsupported(f);
  });
}

function checkCount(filter: FilterExpression | undefined): SinglePropertyFilter[] {
  const filters = filter?.filters ?? [];
  if (filters.length > MAX_FILTERS) throw invalidArgument(`a list cannot have more than ${MAX_FILTERS} filters`);
  return filters;
}

/** Only EQUALS exists; datacatalog maps an unknown operator to it silently, here it is refused. */
function checkOperator(f: SinglePropertyFilter): void {
  if (f.operator !== SinglePropertyFilter_ComparisonOperator.EQUALS) throw invalidArgument(`unsupported filter expression operator index: ${f.operator}`);
}

/**
 * A filter without a property, or on a property datacatalog does not filter
 * on (an artifact id, a dataset's org): datacatalog fails these with "no such
 * entity " and no name; the filter is named here instead.
 */
const unsupported = (f: SinglePropertyFilter) => dcInvalid("filter", protoText(SinglePropertyFilterSchema, f));

/** Go's `%v` of an enum: its name when known, else the number. */
function enumText(e: Record<number, string>, value: number): string {
  return e[value] ?? String(value);
}
