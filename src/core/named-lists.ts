import type { NamedEntityIdentifier } from "../../gen/flyteidl/admin/common_pb.js";
import type { EntityColumns } from "./entity-columns.js";
import { invalidArgument, missingField } from "./errors.js";
import { checkIdentifierText } from "./text-limits.js";
import { type ListQuery, type ListRequestFields, parseListRequest } from "./list-query.js";

/** ListTasks / ListWorkflows / ListLaunchPlans: `id` with project and domain (name optional), then the list fields. */
export function parseVersionList(
  req: ListRequestFields & { id?: NamedEntityIdentifier | undefined },
  scope: readonly [EntityColumns, ...EntityColumns[]],
  op: string,
  maxPageSize: number | undefined,
): { project: string; domain: string; name: string; query: ListQuery } {
  const id = req.id;
  if (!id) throw missingField("id");
  if (id.project === "") throw missingField("project");
  if (id.domain === "") throw missingField("domain");
  checkIdentifierText(id);
  return { project: id.project, domain: id.domain, name: id.name, query: parseListRequest(req, { scope, op, maxPageSize }) };
}

/** The columns distinct-name lists can be ordered by (they group on them). */
const GROUPED: EntityColumns = { code: "", prefix: "", columns: { project: "text", domain: "text", name: "text" } };

/**
 * ListTaskIds / ListWorkflowIds: project, domain, a positive limit; `filters`
 * are ignored as in FlyteAdmin. Sorting is by a grouped column only (FlyteAdmin
 * fails other keys in the database).
 */
export function parseIdList(
  req: ListRequestFields & { project: string; domain: string },
  entity: EntityColumns,
  op: string,
  maxPageSize: number | undefined,
): ListQuery {
  if (req.project === "") throw missingField("project");
  if (req.domain === "") throw missingField("domain");
  checkIdentifierText({ project: req.project, domain: req.domain });
  const query = parseListRequest({ ...req, filters: "" }, { scope: [entity], op, maxPageSize });
  if (query.sort && GROUPED.columns[query.sort.column] === undefined) {
    throw invalidArgument(`invalid sort key '${query.sort.column}': distinct names can be sorted by project, domain or name only`);
  }
  return query;
}
