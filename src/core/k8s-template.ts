/**
 * FlyteAdmin's `{{ name }}` templates: the namespace mapping
 * (`{{ project }}-{{ domain }}`) and the cluster-resource templates. A name
 * may carry spaces inside the braces; a name with no value is an error rather
 * than text sent to the cluster as is.
 */

const VARIABLE = /\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}/g;

export class TemplateError extends Error {
  override name = "TemplateError";
}

/** The names a template uses, in order of first use. */
export function templateVariables(text: string): string[] {
  return [...new Set([...text.matchAll(VARIABLE)].map((m) => m[1]!))];
}

/** The template with every variable replaced; TemplateError naming the variables that have no value. */
export function renderTemplate(text: string, values: Readonly<Record<string, string>>): string {
  const unknown = templateVariables(text).filter((v) => !Object.hasOwn(values, v));
  if (unknown.length > 0) throw new TemplateError(`unknown template variable${unknown.length > 1 ? "s" : ""} ${unknown.map((v) => `{{ ${v} }}`).join(", ")}`);
  return text.replace(VARIABLE, (_, name: string) => values[name]!);
}

/** The namespace of a project and domain under FlyteAdmin's namespace mapping. */
export const namespaceOf = (template: string, project: string, domain: string): string => renderTemplate(template, { project, domain });
