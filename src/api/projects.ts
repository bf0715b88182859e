import { create } from "@bufbuild/protobuf";
import { DomainSchema, type Project, ProjectSchema } from "../../gen/flyteidl/admin/project_pb.js";
import type { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import type { ServiceImpl } from "@connectrpc/connect";
import { PROJECT_COLUMNS } from "../core/entity-columns.js";
import { missingField, notFound } from "../core/errors.js";
import { parseListRequest } from "../core/list-query.js";
import { nextToken } from "../core/pagination.js";
import { validateProject, validateProjectRegistration } from "../core/projects.js";
import { checkKeyText } from "../core/text-limits.js";
import { visibleProjectsKey } from "../auth/visible-projects.js";
import type { ApiDeps } from "./deps.js";

type Impl = Pick<ServiceImpl<typeof AdminService>, "registerProject" | "updateProject" | "getProject" | "listProjects" | "getDomains">;

/** Projects and domains (FlyteAdmin's ProjectManager). */
export function projectHandlers({ store, domains, limits, projectRegistered }: ApiDeps): Impl {
  // Projects are returned with the configured domains: they are never stored per project.
  const domainMessages = () => domains.map((d) => create(DomainSchema, d));
  const withDomains = (p: Project) => create(ProjectSchema, { ...p, domains: domainMessages() });
  const projectNotFound = (id: string) => notFound(`project [${id}] not found`);

  return {
    async registerProject(req) {
      const project = validateProjectRegistration(req);
      await store.projects.create(project);
      projectRegistered?.(project.id);
      return {};
    },

    async updateProject(req) {
      if (req.id === "") throw missingField("project_id");
      checkKeyText(req.id, "project_id");
      // FlyteAdmin looks the project up before validating the update.
      if (!(await store.projects.get(req.id))) throw projectNotFound(req.id);
      validateProject(req);
      // Empty strings are not written (they cannot clear a value); labels are
      // replaced whenever present; state is always written.
      const found = await store.projects.update(req.id, {
        state: req.state,
        ...(req.name !== "" ? { name: req.name } : {}),
        ...(req.description !== "" ? { description: req.description } : {}),
        ...(req.labels ? { labels: req.labels } : {}),
      });
      if (!found) throw projectNotFound(req.id);
      return {};
    },

    async getProject(req) {
      if (req.id === "") throw missingField("project_id");
      checkKeyText(req.id, "project_id");
      const project = await store.projects.get(req.id);
      if (!project) throw projectNotFound(req.id);
      return withDomains(project);
    },

    async listProjects(req, ctx) {
      const query = parseListRequest(req, { scope: [PROJECT_COLUMNS], op: "ListProjects", zeroLimitMeansAll: true, maxPageSize: limits.maxPageSize });
      // With roles on, only the projects the caller may view (set by authorization).
      const visible = ctx.values.get(visibleProjectsKey);
      const projects = visible?.size === 0 ? [] : await store.projects.list(query, visible);
      return { projects: projects.map(withDomains), token: nextToken(query.offset, projects.length, req.limit) };
    },

    getDomains() {
      return { domains: domainMessages() };
    },
  };
}
