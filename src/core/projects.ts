import type { Project, ProjectRegisterRequest } from "../../gen/flyteidl/admin/project_pb.js";
import { invalidArgument, missingField } from "./errors.js";
import { dns1123LabelErrors, goList, labelValueErrors, qualifiedNameErrors } from "./k8s-names.js";
import { checkText } from "./text-limits.js";

const MAX_NAME_BYTES = 64;
const MAX_DESCRIPTION_BYTES = 300;
const MAX_LABELS = 16;

/** RegisterProject's checks, first failure wins: the name is checked before the id. */
export function validateProjectRegistration(request: ProjectRegisterRequest): Project {
  const project = request.project;
  if (!project) throw missingField("project");
  if (project.name === "") throw missingField("project_name");
  validateProject(project);
  return project;
}

/** The checks shared by RegisterProject and UpdateProject (FlyteAdmin's ValidateProject). */
export function validateProject(project: Project): void {
  if (project.id === "") throw missingField("project_id");
  validateLabels(project.labels?.values ?? {});
  const idErrors = dns1123LabelErrors(project.id);
  if (idErrors.length > 0) throw invalidArgument(`invalid project id [${project.id}]: ${goList(idErrors)}`);
  // FlyteAdmin's length checks (bytes, as Go's len), then NUL, which PostgreSQL cannot store.
  checkText(project.name, "project_name", MAX_NAME_BYTES);
  checkText(project.description, "project_description", MAX_DESCRIPTION_BYTES);
  if (project.domains.length > 0) {
    throw invalidArgument(
      "Domains are currently only set system wide. Please retry without domains included in your request.",
    );
  }
}

/** Label keys are Kubernetes qualified names, values Kubernetes label values. */
export function validateLabels(labels: Record<string, string>): void {
  const entries = Object.entries(labels);
  if (entries.length > MAX_LABELS) throw invalidArgument(`labels map cannot exceed ${MAX_LABELS} entries`);
  for (const [key, value] of entries) {
    const keyErrors = qualifiedNameErrors(key);
    if (keyErrors.length > 0) throw invalidArgument(`invalid label key [${key}]: ${goList(keyErrors)}`);
    const valueErrors = labelValueErrors(value);
    if (valueErrors.length > 0) throw invalidArgument(`invalid label value [${value}]: ${goList(valueErrors)}`);
  }
}
