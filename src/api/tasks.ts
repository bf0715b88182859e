import { clone, create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { TaskSchema } from "../../gen/flyteidl/admin/task_pb.js";
import { CompiledTaskSchema } from "../../gen/flyteidl/core/compiler_pb.js";
import { IdentifierSchema, ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import { TaskTemplateSchema } from "../../gen/flyteidl/core/tasks_pb.js";
import type { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import { formatCompileErrors } from "../core/compiler/compile-errors.js";
import { structureDigest } from "../core/digest.js";
import { TASK_COLUMNS } from "../core/entity-columns.js";
import { invalidArgument, notFound } from "../core/errors.js";
import { missingEntityMessage, validateIdentifier } from "../core/identifier.js";
import { parseIdList, parseVersionList } from "../core/named-lists.js";
import { nextToken } from "../core/pagination.js";
import { validateProjectAndDomain } from "../core/project-gate.js";
import { compileTask } from "../core/task-compile.js";
import { validateTaskSpec } from "../core/task-validation.js";
import { immutableAnswers, versionCacheKey } from "./answer-cache.js";
import type { ApiDeps } from "./deps.js";
import { descriptionEntityOf, refuseExisting } from "./registration.js";

type Impl = Pick<ServiceImpl<typeof AdminService>, "createTask" | "getTask" | "listTasks" | "listTaskIds">;

/** Tasks (FlyteAdmin's TaskManager). */
export function taskHandlers({ store, domains, attributes, limits }: ApiDeps): Impl {
  // A task version never changes once registered.
  const answers = immutableAnswers(TaskSchema);
  return {
    async createTask(req) {
      const id = validateIdentifier(req.id, ResourceType.TASK);
      await validateProjectAndDomain(store.projects, domains, id.project, id.domain);
      const platform = await attributes.taskResources({ project: id.project, domain: id.domain });
      const requested = validateTaskSpec(id, req.spec, platform.limits);
      // The request id is authoritative; whatever id the template carries is replaced.
      const template = clone(TaskTemplateSchema, requested);
      template.id = clone(IdentifierSchema, id);
      const compiled = compileTask(template);
      if ("errors" in compiled) throw invalidArgument(`task failed compilation with ${formatCompileErrors(compiled.errors)}`);
      const digest = structureDigest(CompiledTaskSchema, compiled.compiled);
      const description = req.spec?.description;
      const task = create(TaskSchema, {
        id,
        closure: { compiledTask: compiled.compiled },
        shortDescription: description?.shortDescription ?? "",
      });
      const existing = await store.tasks.create(task, digest, template.type, descriptionEntityOf(id, description));
      if (!existing) return {};
      return refuseExisting({
        kind: "task",
        id,
        existing,
        digest,
        schema: CompiledTaskSchema,
        before: existing.value.closure!.compiledTask!,
        after: compiled.compiled,
      });
    },

    async getTask(req, ctx) {
      const id = validateIdentifier(withDefaultType(req.id, ResourceType.TASK), ResourceType.TASK);
      return answers(ctx, versionCacheKey(id), async () => {
        const task = await store.tasks.get(id);
        if (!task) throw notFound(missingEntityMessage(id));
        return task;
      });
    },

    async listTasks(req) {
      const { project, domain, name, query } = parseVersionList(req, [TASK_COLUMNS], "ListTasks", limits.maxPageSize);
      const tasks = await store.tasks.list({ project, domain, name }, query);
      return { tasks, token: nextToken(query.offset, tasks.length, req.limit) };
    },

    async listTaskIds(req) {
      const query = parseIdList(req, TASK_COLUMNS, "ListUniqueTaskIdentifiers", limits.maxPageSize);
      const entities = await store.tasks.listIds({ project: req.project, domain: req.domain }, query);
      return { entities, token: nextToken(query.offset, entities.length, req.limit) };
    },
  };
}

/** FlyteAdmin's RPC layer fills in the resource type of Get requests when it is unspecified. */
export function withDefaultType<T extends { resourceType: ResourceType }>(id: T | undefined, type: ResourceType): T | undefined {
  if (!id || id.resourceType !== ResourceType.UNSPECIFIED) return id;
  return { ...id, resourceType: type };
}
