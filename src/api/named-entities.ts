import type { ServiceImpl } from "@connectrpc/connect";
import { NamedEntityListSchema, NamedEntityState } from "../../gen/flyteidl/admin/common_pb.js";
import { ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import type { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import { NAMED_ENTITY_COLUMNS, NAMED_ENTITY_METADATA_COLUMNS } from "../core/entity-columns.js";
import { invalidArgument, invalidValue, missingField, notFound } from "../core/errors.js";
import { parseListRequest } from "../core/list-query.js";
import { checkIdentifierText, checkNoNul } from "../core/text-limits.js";
import { nextToken } from "../core/pagination.js";
import type { NamedResourceType } from "../storage/store.js";
import { answersInBinary, writtenAnswer } from "../server/encoded-answer.js";
import type { ApiDeps } from "./deps.js";
import { encodeNamedEntityList, encodePackedNamedEntityList } from "./named-entity-bytes.js";

type Impl = Pick<ServiceImpl<typeof AdminService>, "getNamedEntity" | "updateNamedEntity" | "listNamedEntities">;

const MAX_DESCRIPTION_LENGTH = 300;
const isNamed = (type: ResourceType): type is NamedResourceType =>
  type === ResourceType.TASK || type === ResourceType.WORKFLOW || type === ResourceType.LAUNCH_PLAN;
const typeName = (type: ResourceType) => ResourceType[type] ?? String(type);

function requireId(id: { project: string; domain: string; name: string } | undefined) {
  if (!id) throw missingField("id");
  if (id.project === "") throw missingField("project");
  if (id.domain === "") throw missingField("domain");
  if (id.name === "") throw missingField("name");
  checkIdentifierText(id);
  return { project: id.project, domain: id.domain, name: id.name };
}

/**
 * Named entities (FlyteAdmin's NamedEntityManager): a task, workflow or launch
 * plan name with at least one version, plus optional description and state.
 * Lists filter first and page after, so a page is never short while more
 * matching names exist (FlyteAdmin pages the names before filtering).
 */
export function namedEntityHandlers({ store, limits }: ApiDeps): Impl {
  return {
    async getNamedEntity(req) {
      if (req.resourceType === ResourceType.UNSPECIFIED) throw invalidValue("resource_type");
      const id = requireId(req.id);
      if (!isNamed(req.resourceType)) throw invalidArgument(`Cannot get NamedEntityMetadata for resource type: ${typeName(req.resourceType)}`);
      const entity = await store.namedEntities.get(req.resourceType, id);
      if (!entity) throw notFound("entry not found");
      return entity;
    },

    async updateNamedEntity(req) {
      if (req.resourceType === ResourceType.UNSPECIFIED) throw invalidValue("resource_type");
      const id = requireId(req.id);
      const metadata = req.metadata;
      if (!metadata) throw missingField("metadata");
      if (metadata.state !== NamedEntityState.NAMED_ENTITY_ACTIVE && !isNamed(req.resourceType)) {
        throw invalidArgument(`Resource [${typeName(req.resourceType)}] cannot have its state updated`);
      }
      if (!isNamed(req.resourceType)) throw invalidArgument(`Cannot get NamedEntityMetadata for resource type: ${typeName(req.resourceType)}`);
      if ([...metadata.description].length > MAX_DESCRIPTION_LENGTH) {
        throw invalidArgument(`description cannot exceed ${MAX_DESCRIPTION_LENGTH} characters`);
      }
      checkNoNul(metadata.description, "description");
      if (!(await store.namedEntities.updateMetadata(req.resourceType, id, metadata))) throw notFound("entry not found");
      return {};
    },

    async listNamedEntities(req, ctx) {
      if (req.project === "") throw missingField("project");
      if (req.domain === "") throw missingField("domain");
      if (req.resourceType === ResourceType.UNSPECIFIED) throw invalidValue("resource_type");
      checkIdentifierText({ project: req.project, domain: req.domain });
      // Without any filter the single-task-execution workflows and launch plans stay hidden.
      const filters = req.filters === "" ? "not_like(name,.flytegen%)" : req.filters;
      const query = parseListRequest(
        { ...req, filters },
        { scope: [NAMED_ENTITY_COLUMNS, NAMED_ENTITY_METADATA_COLUMNS], op: "ListNamedEntities", maxPageSize: limits.maxPageSize },
      );
      if (!isNamed(req.resourceType)) throw invalidArgument(`Cannot list entity names for resource type: ${typeName(req.resourceType)}`);
      const scope = { project: req.project, domain: req.domain };
      const binary = answersInBinary(ctx);
      if (binary) {
        // A console's list of thousands of names: written from one text the database packs, with no object per name.
        const page = await store.namedEntities.listPacked(req.resourceType, scope, query);
        const bytes = encodePackedNamedEntityList(req.resourceType, scope, page, nextToken(query.offset, page.count, req.limit));
        if (bytes) return writtenAnswer(NamedEntityListSchema, bytes);
        // A description holds the packing's separator: the page is read again as entities.
      }
      const entities = await store.namedEntities.list(req.resourceType, scope, query);
      const token = nextToken(query.offset, entities.length, req.limit);
      // toBinary's reflection would cost far more than the query.
      if (binary) return writtenAnswer(NamedEntityListSchema, encodeNamedEntityList(entities, token));
      return { entities, token };
    },
  };
}
