import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { MatchableResource, type MatchingAttributes, MatchingAttributesSchema } from "../../gen/flyteidl/admin/matchable_resource_pb.js";
import type { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import { missingField, notFound } from "../core/errors.js";
import { checkPathKeyText } from "../core/text-limits.js";
import { mergeIntoExecConfig, serverExecutionDefaults } from "../core/execution-config.js";
import {
  type AttributeKey,
  attributesNotFound,
  mergePluginOverrides,
  requireResourceType,
  resourceTypeOf,
  scope,
} from "../core/matchable.js";
import { validateProjectAndDomain, validateProjectExists, validateProjectForUpdate } from "../core/project-gate.js";
import type { ApiDeps } from "./deps.js";

type Impl = Pick<
  ServiceImpl<typeof AdminService>,
  | "updateProjectAttributes"
  | "getProjectAttributes"
  | "deleteProjectAttributes"
  | "updateProjectDomainAttributes"
  | "getProjectDomainAttributes"
  | "deleteProjectDomainAttributes"
  | "updateWorkflowAttributes"
  | "getWorkflowAttributes"
  | "deleteWorkflowAttributes"
  | "listMatchableAttributes"
>;

/**
 * Matchable attributes at project, project-domain and workflow level
 * (FlyteAdmin's ResourceManager). Gets of project-domain and workflow
 * attributes fall back to coarser levels and report the scope they found;
 * deletes remove exactly the level they name.
 */
export function attributeHandlers({ store, domains, attributeDefaults }: ApiDeps): Impl {
  const projectAndDomain = (project: string, domain: string) => validateProjectAndDomain(store.projects, domains, project, domain);
  const requireWorkflow = (workflow: string) => {
    if (workflow === "") throw missingField("name");
    checkPathKeyText(workflow, "workflow");
  };
  // Plugin overrides accumulate per task type; every other attribute is replaced.
  const put = (key: AttributeKey, attributes: MatchingAttributes) =>
    store.attributes.put(key, attributes, key.resourceType === MatchableResource.PLUGIN_OVERRIDE ? mergePluginOverrides : undefined);
  const resolveOrThrow = async (key: AttributeKey) => {
    const found = await store.attributes.resolve(key);
    if (!found) throw notFound(attributesNotFound(key));
    return found;
  };

  return {
    async updateProjectDomainAttributes(req) {
      const a = req.attributes;
      if (!a) throw missingField("attributes");
      await projectAndDomain(a.project, a.domain);
      const resourceType = resourceTypeOf(a.matchingAttributes, `${a.project}-${a.domain}`);
      await put({ ...scope(a.project, a.domain), resourceType }, a.matchingAttributes!);
      return {};
    },

    async getProjectDomainAttributes(req) {
      await projectAndDomain(req.project, req.domain);
      const found = await resolveOrThrow({ ...scope(req.project, req.domain), resourceType: requireResourceType(req.resourceType) });
      return { attributes: { project: found.project, domain: found.domain, matchingAttributes: found.attributes } };
    },

    async deleteProjectDomainAttributes(req) {
      await projectAndDomain(req.project, req.domain);
      await store.attributes.delete({ ...scope(req.project, req.domain), resourceType: requireResourceType(req.resourceType) });
      return {};
    },

    async updateProjectAttributes(req) {
      const a = req.attributes;
      if (!a) throw missingField("attributes");
      await validateProjectForUpdate(store.projects, a.project);
      const resourceType = resourceTypeOf(a.matchingAttributes, a.project);
      await put({ ...scope(a.project), resourceType }, a.matchingAttributes!);
      return {};
    },

    async getProjectAttributes(req) {
      await validateProjectExists(store.projects, req.project);
      const key = { ...scope(req.project), resourceType: requireResourceType(req.resourceType) };
      const stored = await store.attributes.get(key);
      if (key.resourceType === MatchableResource.WORKFLOW_EXECUTION_CONFIG) {
        // The execution config always has an answer: the stored one completed
        // from the server defaults, or the defaults alone.
        const defaults = serverExecutionDefaults(attributeDefaults.workflowExecutionConfig);
        const wec = stored?.target.case === "workflowExecutionConfig" ? mergeIntoExecConfig(stored.target.value, defaults) : defaults;
        const matchingAttributes = create(MatchingAttributesSchema, { target: { case: "workflowExecutionConfig", value: wec } });
        return { attributes: { project: req.project, matchingAttributes } };
      }
      if (!stored) throw notFound(attributesNotFound(key));
      return { attributes: { project: req.project, matchingAttributes: stored } };
    },

    async deleteProjectAttributes(req) {
      await validateProjectForUpdate(store.projects, req.project);
      await store.attributes.delete({ ...scope(req.project), resourceType: requireResourceType(req.resourceType) });
      return {};
    },

    async updateWorkflowAttributes(req) {
      const a = req.attributes;
      if (!a) throw missingField("attributes");
      await projectAndDomain(a.project, a.domain);
      requireWorkflow(a.workflow);
      const resourceType = resourceTypeOf(a.matchingAttributes, `${a.project}-${a.domain}-${a.workflow}`);
      await put({ ...scope(a.project, a.domain, a.workflow), resourceType }, a.matchingAttributes!);
      return {};
    },

    async getWorkflowAttributes(req) {
      await projectAndDomain(req.project, req.domain);
      requireWorkflow(req.workflow);
      const key = { ...scope(req.project, req.domain, req.workflow), resourceType: requireResourceType(req.resourceType) };
      const found = await resolveOrThrow(key);
      return {
        attributes: { project: found.project, domain: found.domain, workflow: found.workflow, matchingAttributes: found.attributes },
      };
    },

    async deleteWorkflowAttributes(req) {
      await projectAndDomain(req.project, req.domain);
      requireWorkflow(req.workflow);
      await store.attributes.delete({ ...scope(req.project, req.domain, req.workflow), resourceType: requireResourceType(req.resourceType) });
      return {};
    },

    async listMatchableAttributes(req) {
      const rows = await store.attributes.list(requireResourceType(req.resourceType));
      return {
        configurations: rows.map((r) => ({
          attributes: r.attributes,
          project: r.project,
          domain: r.domain,
          workflow: r.workflow,
          launchPlan: r.launchPlan,
        })),
      };
    },
  };
}
