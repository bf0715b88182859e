import { create } from "@bufbuild/protobuf";
import { InactiveProjectSchema, type Project, Project_ProjectState } from "../../gen/flyteidl/admin/project_pb.js";
import { invalidArgument } from "./errors.js";
import { checkPathKeyText } from "./text-limits.js";

/** A project id is looked up, so it must be text every store can compare. */
const lookupId = (projectId: string) => {
  if (projectId !== "") checkPathKeyText(projectId, "project");
  return projectId;
};

/** The one thing the project checks need from storage. */
export interface ProjectLookup {
  get(id: string): Promise<Project | undefined>;
}

/**
 * FlyteAdmin's ValidateProjectAndDomain, used before anything is created under
 * a project: the project must exist and be ACTIVE (else the InactiveProject
 * detail is attached), and the domain must be configured. An empty project id
 * is refused outright (FlyteAdmin's lookup would match an arbitrary row).
 */
export async function validateProjectAndDomain(
  projects: ProjectLookup,
  domains: readonly { id: string }[],
  projectId: string,
  domainId: string,
): Promise<void> {
  const project = lookupId(projectId) === "" ? undefined : await projects.get(projectId);
  if (!project) {
    throw invalidArgument(
      `failed to validate that project [${projectId}] and domain [${domainId}] are registered, err: [project [${projectId}] not found]`,
    );
  }
  if (project.state !== Project_ProjectState.ACTIVE) {
    throw invalidArgument(`project [${projectId}] is not active`, [
      { desc: InactiveProjectSchema, value: create(InactiveProjectSchema, { id: projectId }) },
    ]);
  }
  if (!domains.some((d) => d.id === domainId)) throw invalidArgument(`domain [${domainId}] is unrecognized by system`);
}

/** ValidateProjectForUpdate: the project must exist and be ACTIVE; no detail, no domain. */
export async function validateProjectForUpdate(projects: ProjectLookup, projectId: string): Promise<void> {
  const project = lookupId(projectId) === "" ? undefined : await projects.get(projectId);
  if (!project) {
    throw invalidArgument(`failed to validate that project [${projectId}] is registered, err: [project [${projectId}] not found]`);
  }
  if (project.state !== Project_ProjectState.ACTIVE) throw invalidArgument(`project [${projectId}] is not active`);
}

/** ValidateProjectExists: existence only (archived projects pass). */
export async function validateProjectExists(projects: ProjectLookup, projectId: string): Promise<void> {
  const project = lookupId(projectId) === "" ? undefined : await projects.get(projectId);
  if (!project) {
    throw invalidArgument(`failed to validate that project [${projectId}] exists, err: [project [${projectId}] not found]`);
  }
}
