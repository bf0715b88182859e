import { describe, expect, it } from "vitest";
import { isTemplateFile, renderClusterTemplate, templateValues } from "../../src/core/cluster-resource-templates.js";
import { namespaceOf, renderTemplate, TemplateError, templateVariables } from "../../src/core/k8s-template.js";

describe("{{ name }} templates", () => {
  it("replace variables with or without spaces, and name the ones without a value", () => {
    expect(namespaceOf("{{ project }}-{{ domain }}", "flytesnacks", "development")).toBe("flytesnacks-development");
    expect(namespaceOf("{{project}}-{{  domain  }}", "p", "d")).toBe("p-d");
    expect(templateVariables("{{ a }} {{b}} {{ a }}")).toEqual(["a", "b"]);
    expect(() => renderTemplate("{{ project }}-{{ cluster }}-{{ zone }}", { project: "p" })).toThrow(new TemplateError("unknown template variables {{ cluster }}, {{ zone }}"));
    // A value is inserted as text: braces in it are not substituted again.
    expect(renderTemplate("{{ a }}", { a: "{{ b }}" })).toBe("{{ b }}");
  });
});

describe("cluster resource templates", () => {
  const scope = { namespace: "p-d", project: "p", domain: "d" };

  it("take custom data, then attribute values, then the reserved names", () => {
    expect(templateValues(scope, { cpu: "4", gpu: "0" }, { cpu: "8" })).toEqual({ cpu: "8", gpu: "0", namespace: "p-d", project: "p", domain: "d" });
    expect(() => templateValues(scope, { project: "x" }, undefined)).toThrow("custom data of p/d may not set the reserved template variable {{ project }}");
  });

  it("render YAML documents and JSON into objects, placed in the namespace unless they name one", () => {
    const yaml = "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q}\nspec: {hard: {cpu: '{{ cpu }}'}}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: '{{ namespace }}'}\n---\n";
    const out = renderClusterTemplate(yaml, { cpu: "4", namespace: "p-d" });
    expect(out.objects).toEqual([
      { apiVersion: "v1", kind: "ResourceQuota", metadata: { name: "q", namespace: "p-d" }, spec: { hard: { cpu: "4" } } },
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "p-d" } },
    ]);
    expect(renderClusterTemplate(yaml, { cpu: "4", namespace: "p-d" }).digest).toBe(out.digest);
    expect(renderClusterTemplate(yaml, { cpu: "8", namespace: "p-d" }).digest).not.toBe(out.digest);
    const json = renderClusterTemplate('{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"sa","namespace":"other"}}', { namespace: "p-d" });
    expect(json.objects[0]!.metadata.namespace).toBe("other");
  });

  it("refuse what is not a Kubernetes object", () => {
    expect(() => renderClusterTemplate("kind: ConfigMap\nmetadata: {name: c}\n", {})).toThrow("an object has no apiVersion");
    expect(() => renderClusterTemplate("apiVersion: v1\nkind: ConfigMap\n", {})).toThrow("a ConfigMap has no metadata.name");
    expect(() => renderClusterTemplate("- a\n- b\n", {})).toThrow("each document must be a Kubernetes object");
    expect(() => renderClusterTemplate("a: [1,\n", {})).toThrow(/^not valid YAML or JSON after substitution/);
    expect([".hidden.yaml", "a.yaml", "b.yml", "c.JSON", "README.md"].filter(isTemplateFile)).toEqual(["a.yaml", "b.yml", "c.JSON"]);
  });
});
