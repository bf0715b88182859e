import { createHash } from "node:crypto";
import { parseAllDocuments } from "yaml";
import { renderTemplate, TemplateError } from "./k8s-template.js";

/**
 * The pure half of FlyteAdmin's cluster resource sync: which values a
 * project-domain's templates get, and what a template renders to.
 */

/** Names the server fills in; neither custom data nor attributes may set them. */
const RESERVED = new Set(["namespace", "project", "domain"]);

/** A Kubernetes object as a template describes it. */
export interface TemplateObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
}

/** One template rendered for one namespace. */
export interface RenderedTemplate {
  objects: TemplateObject[];
  /** Digest of the rendered text: unchanged text needs no call to the cluster. */
  digest: string;
}

export interface TemplateScope {
  namespace: string;
  project: string;
  domain: string;
}

/**
 * The values of a project-domain: the configured custom data of its domain,
 * overridden by its CLUSTER_RESOURCE attribute values, and the reserved names.
 * Setting a reserved name is an error (FlyteAdmin's "Cannot assign namespace
 * template value in user data").
 */
export function templateValues(scope: TemplateScope, customData: Readonly<Record<string, string>> | undefined, attributes: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const values: Record<string, string> = Object.create(null);
  for (const [source, entries] of [["custom data", customData], ["CLUSTER_RESOURCE attributes", attributes]] as const) {
    for (const [k, v] of Object.entries(entries ?? {})) {
      if (RESERVED.has(k)) throw new TemplateError(`${source} of ${scope.project}/${scope.domain} may not set the reserved template variable {{ ${k} }}`);
      values[k] = v;
    }
  }
  values.namespace = scope.namespace;
  values.project = scope.project;
  values.domain = scope.domain;
  return values;
}

/**
 * Renders a YAML or JSON template (YAML may hold several documents) for a
 * namespace. Every object must name its apiVersion, kind and name; objects
 * without a namespace go into the project-domain's one.
 */
export function renderClusterTemplate(text: string, values: Readonly<Record<string, string>>): RenderedTemplate {
  const rendered = renderTemplate(text, values);
  const objects: TemplateObject[] = [];
  for (const doc of parseAllDocuments(rendered)) {
    if (doc.errors.length > 0) throw new TemplateError(`not valid YAML or JSON after substitution: ${doc.errors[0]!.message.split("\n")[0]}`);
    const value = doc.toJS() as unknown;
    if (value === null || value === undefined) continue;
    if (typeof value !== "object" || Array.isArray(value)) throw new TemplateError("each document must be a Kubernetes object (a mapping)");
    const o = value as Partial<TemplateObject>;
    if (typeof o.apiVersion !== "string" || o.apiVersion === "") throw new TemplateError("an object has no apiVersion");
    if (typeof o.kind !== "string" || o.kind === "") throw new TemplateError("an object has no kind");
    if (!o.metadata || typeof o.metadata !== "object" || typeof o.metadata.name !== "string" || o.metadata.name === "") {
      throw new TemplateError(`a ${o.kind} has no metadata.name`);
    }
    if (o.kind !== "Namespace" && o.metadata.namespace === undefined) o.metadata.namespace = values.namespace;
    objects.push(o as TemplateObject);
  }
  return { objects, digest: createHash("sha256").update(rendered).digest("hex") };
}

/** Template files: YAML or JSON, by extension. */
export const isTemplateFile = (name: string) => /\.(ya?ml|json)$/i.test(name) && !name.startsWith(".");
