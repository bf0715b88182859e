import type { ServiceImpl } from "@connectrpc/connect";
import { ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import type { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import {
  DESCRIPTION_ENTITY_COLUMNS,
  type EntityColumns,
  LAUNCH_PLAN_COLUMNS,
  TASK_COLUMNS,
  WORKFLOW_COLUMNS,
} from "../core/entity-columns.js";
import { invalidValue, missingField, notFound } from "../core/errors.js";
import { parseListRequest } from "../core/list-query.js";
import { nextToken, requireLimit } from "../core/pagination.js";
import { checkIdentifierText } from "../core/text-limits.js";
import type { ApiDeps } from "./deps.js";
import { withDefaultType } from "./tasks.js";

type Impl = Pick<ServiceImpl<typeof AdminService>, "getDescriptionEntity" | "listDescriptionEntities">;

const DESCRIBED: Partial<Record<ResourceType, EntityColumns>> = {
  [ResourceType.TASK]: TASK_COLUMNS,
  [ResourceType.WORKFLOW]: WORKFLOW_COLUMNS,
  [ResourceType.LAUNCH_PLAN]: LAUNCH_PLAN_COLUMNS,
};

/**
 * Filters on a description list name the described entity's fields
 * (`eq(workflow.name,x)`, as the console sends); only those a description row
 * also has can apply.
 */
function describedColumns(type: ResourceType): EntityColumns {
  const entity = DESCRIBED[type];
  if (!entity) throw invalidValue("resource_type");
  const columns = Object.fromEntries(Object.entries(entity.columns).filter(([name]) => DESCRIPTION_ENTITY_COLUMNS.columns[name] !== undefined));
  return { ...entity, columns };
}

/**
 * Description entities (FlyteAdmin's DescriptionEntityManager). Unlike
 * FlyteAdmin, lookups honour the resource type, so a task and a workflow
 * sharing a name and version keep their own descriptions.
 */
export function descriptionHandlers({ store, limits }: ApiDeps): Impl {
  return {
    async getDescriptionEntity(req) {
      const id = withDefaultType(req.id, ResourceType.TASK);
      if (!id) throw invalidValue("resource_type");
      for (const field of ["project", "domain", "name", "version"] as const) {
        if (id[field] === "") throw missingField(field);
      }
      checkIdentifierText(id);
      const entity = await store.descriptions.get(id);
      if (!entity) throw notFound("entry not found");
      return entity;
    },

    async listDescriptionEntities(req) {
      const id = req.id;
      if (!id) throw missingField("id");
      for (const field of ["project", "domain", "name"] as const) {
        if (id[field] === "") throw missingField(field);
      }
      checkIdentifierText(id);
      requireLimit(req.limit, limits.maxPageSize);
      // Filters need to know which entity they describe; without filters any type lists.
      const described = req.filters === "" ? DESCRIPTION_ENTITY_COLUMNS : describedColumns(req.resourceType);
      // FlyteAdmin names ListWorkflows in this list's bad-token message.
      const query = parseListRequest(req, { scope: [described], op: "ListWorkflows", sortColumns: DESCRIPTION_ENTITY_COLUMNS, maxPageSize: limits.maxPageSize });
      const descriptionEntities = await store.descriptions.list({ resourceType: req.resourceType, project: id.project, domain: id.domain, name: id.name }, query);
      return { descriptionEntities, token: nextToken(query.offset, descriptionEntities.length, req.limit) };
    },
  };
}
