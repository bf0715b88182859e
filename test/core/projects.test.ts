import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ProjectRegisterRequestSchema, ProjectSchema } from "../../gen/flyteidl/admin/project_pb.js";
import { validateProject, validateProjectRegistration } from "../../src/core/projects.js";

const register = (project?: Parameters<typeof create<typeof ProjectSchema>>[1]) =>
  validateProjectRegistration(create(ProjectRegisterRequestSchema, project ? { project } : {}));

describe("project validation", () => {
  it("checks in FlyteAdmin's order: project, name, id, labels, id format, lengths, domains", () => {
    expect(() => register()).toThrow("missing project");
    expect(() => register({ id: "ok" })).toThrow("missing project_name");
    expect(() => register({ name: "n" })).toThrow("missing project_id");
    expect(() => register({ id: "Bad_ID", name: "x", labels: { values: { "bad key!": "v" } } })).toThrow(/^invalid label key/);
    expect(() => register({ id: "ok", name: "x".repeat(65) })).toThrow("project_name cannot exceed 64 characters");
    expect(() => register({ id: "ok", name: "n", description: "é".repeat(151) })).toThrow(
      "project_description cannot exceed 300 characters",
    );
    expect(() => register({ id: "ok", name: "n", domains: [{ id: "d" }] })).toThrow(
      "Domains are currently only set system wide. Please retry without domains included in your request.",
    );
    expect(register({ id: "flytesnacks", name: "flytesnacks" }).id).toBe("flytesnacks");
  });

  it("quotes Kubernetes' RFC 1123 message for bad ids", () => {
    expect(() => register({ id: "Bad_ID", name: "x" })).toThrow(
      "invalid project id [Bad_ID]: [a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')]",
    );
    expect(() => register({ id: "a".repeat(64), name: "x" })).toThrow(/^invalid project id \[a+\]: \[must be no more than 63 characters\]$/);
  });

  it("checks labels as Kubernetes labels", () => {
    const labels = (values: Record<string, string>) => () => register({ id: "ok", name: "n", labels: { values } });
    expect(labels({ "example.com/team": "ml", env: "" })).not.toThrow();
    expect(labels(Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"])))).toThrow(
      "labels map cannot exceed 16 entries",
    );
    expect(labels({ "-bad": "v" })).toThrow(
      "invalid label key [-bad]: [name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')]",
    );
    expect(labels({ "/x": "v" })).toThrow("invalid label key [/x]: [prefix part must be non-empty]");
    expect(labels({ k: "bad value" })).toThrow(
      "invalid label value [bad value]: [a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')]",
    );
  });

  it("lets an update leave the name empty", () => {
    expect(() => validateProject(create(ProjectSchema, { id: "beta" }))).not.toThrow();
  });
});
